"""Each item's forecast kept current from the stream: one read and one write per item and batch.

A batch's flow (driven by :class:`alerts.logic.batch.StreamBatch`):

1. :meth:`Forecasting.open` reads the Forecast rows of every item in the batch at once
   (strongly consistent); an item with no row whose change carries the previous image's
   ``UpdatedAt`` starts from that old count, so the first change seen already spans an interval;
2. per change, in stream order, :meth:`BatchForecasts.step` applies it to the item's state
   (:func:`alerts.logic.demand_model.update`), projects the forecast at the change's time and the
   ``soon`` state (:func:`alerts.logic.demand_model.soon_step`); :meth:`BatchForecasts.commit`
   keeps the result under the change's place in the batch;
3. :meth:`BatchForecasts.save` writes each changed row once, as of the last change before the
   first one whose History row was not written (a few rows at a time), on condition
   that it is still as read. A row that fails fails its item's records from the first that changed it (the batch
   fails every record after that one too, so order holds); the retry reads the row again.

A change the row already reflects (its sequence number is not newer than the row's) is a
replay: it changes nothing, and raises ``soon`` only if it is the change that entered the state
(``SoonSince``). What it announces is decided by its History row (see
:mod:`alerts.logic.alerting`). Only changed counts feed the model; a change of threshold alone
moves only the row's sequence number (and maybe the ``soon`` state, through the status). A
retirement clears the item's forecast (see :meth:`BatchForecasts.step`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

from inventory.forecast import Forecast, ForecastRow, ModelState, parse_time
from inventory.models import StockStatus, iso_utc
from inventory.observability import count, logger
from inventory.threads import each_on_threads

from alerts.logic.demand_model import DEFAULT, ModelSettings, Observation, forecast, newer, soon_step, update
from alerts.models.change import StockChange
from alerts.models.errors import ForecastUnavailable
from alerts.models.stored_forecast import ABSENT, ItemKey, StoredForecast


class ForecastStore(Protocol):
    def read(self, keys: Iterable[ItemKey]) -> dict[ItemKey, StoredForecast]:
        """The rows of ``keys`` now (absent keys left out); raises :class:`ForecastUnavailable`."""
        ...

    def write(self, row: ForecastRow, read: StoredForecast) -> bool:
        """Put ``row`` if the stored row is still as ``read``; ``False`` if it changed since."""
        ...


@dataclass(frozen=True, slots=True)
class ForecastStep:
    """One change applied to its item's forecast (not yet kept: see :meth:`BatchForecasts.commit`)."""

    key: ItemKey
    row: ForecastRow  # the row after the change (as it was, for a replay)
    replay: bool  # the row already reflected the change
    soon: bool  # the change raises ``soon`` (it entered the state)
    projected: Forecast | None  # the forecast as of the change, for the announcement


#: Forecast rows written at once at the end of a batch (boto3 clients are thread-safe): a batch of
#: 500 changed items of one store is 500 PutItems, about 0.3 s at 20 ms a call at this width (1.25 s
#: at 8, 10 s one by one); the stream consumer must keep pace with ingest's 500 writes a second.
WRITERS = 32


class Forecasting:
    """Opens a batch's forecasts; holds the table, the stage's ``soonDays`` and the model's settings."""

    def __init__(
        self, table: ForecastStore, soon_days: float, settings: ModelSettings = DEFAULT, writers: int = WRITERS
    ) -> None:
        if soon_days <= 0:
            raise ValueError("soon_days must be more than 0")
        self._table = table
        self.soon_days = soon_days
        self._settings = settings
        self._writers = writers

    def open(self, changes: Iterable[StockChange]) -> BatchForecasts:
        """Read the rows of every item the changes touch; raises :class:`ForecastUnavailable`."""
        found = self._table.read((change.store, change.item) for change in changes)
        for (store, item), stored in found.items():
            if stored.problem:
                logger.warning(
                    "Forecast row unreadable: the item's forecast starts over",
                    extra={"store": store, "item": item, "reason": stored.problem},
                )
                count("ForecastRowsUnreadable")
        return BatchForecasts(self._table, found, self.soon_days, self._settings, self._writers)


class BatchForecasts:
    """The forecast rows of one batch's items, updated in memory change by change, written once."""

    def __init__(
        self,
        table: ForecastStore,
        found: Mapping[ItemKey, StoredForecast],
        soon_days: float,
        settings: ModelSettings,
        writers: int = 1,
    ) -> None:
        self._table = table
        self._writers = writers
        self._read = dict(found)
        self._rows: dict[ItemKey, ForecastRow | None] = {key: stored.row for key, stored in found.items()}
        self._soon_days = soon_days
        self._settings = settings
        # Per item, the row after each change kept: (the change's index in its batch, its sequence, the row).
        self._kept: dict[ItemKey, list[tuple[int, str, ForecastRow]]] = {}

    def step(self, change: StockChange, status: StockStatus | None) -> ForecastStep:
        """Apply one change (the item's status after it is ``status``; ``None``: it is retired); pure
        until committed.

        A retirement clears the row's forecast and ``soon`` state and marks it retired (the model's state
        stays, so the row still orders replays); an item named again after it was retired starts over.
        """
        key = (change.store, change.item)
        row = self._rows.get(key)
        state = row.state if row is not None else self._seed(change)
        if row is not None and state is not None and state.sequence and not newer(change.sequence, state.sequence):
            return ForecastStep(
                key, row, replay=True, soon=row.soon_since == change.sequence, projected=_as_of(change, row.forecast)
            )
        if status is None:
            if row is None:  # no forecast to clear: nothing is written
                placeholder = ModelState(change.new.count, change.time, change.sequence)
                return ForecastStep(key, ForecastRow(change.store, change.item, placeholder), True, False, None)
            cleared = ForecastRow(change.store, change.item, replace(row.state, sequence=change.sequence), retired=True)
            return ForecastStep(key, cleared, replay=False, soon=False, projected=None)
        if change.old is not None and change.old.retired:
            state = None  # back after its retirement: what it sold before says little of now
        observation = Observation(change.time, change.new.count, change.sequence)
        if state is None or state.count != change.new.count:
            after = update(state, observation, self._settings)
        else:
            after = replace(state, sequence=change.sequence)  # the count held: nothing to learn
        projected = forecast(after, change.time, self._settings)
        decision = soon_step(
            row.soon_since if row is not None else None, change.sequence, status, projected, self._soon_days
        )
        updated = ForecastRow(
            store=change.store,
            item=change.item,
            state=after,
            forecast=forecast(after, after.at, self._settings),
            soon_since=decision.since,
        )
        return ForecastStep(key, updated, replay=False, soon=decision.announce, projected=projected)

    def commit(self, step: ForecastStep, index: int) -> None:
        """Keep a step's row as of the change at ``index`` of the batch; a replay changes nothing."""
        if step.replay:
            return
        self._rows[step.key] = step.row
        self._kept.setdefault(step.key, []).append((index, step.row.state.sequence, step.row))

    def save(self, before: int | None = None) -> set[str]:
        """Write every row a kept change moved, once each (as of the last change kept before index
        ``before``: the changes from there on are not recorded), a few at a time; the first sequence
        numbers of the items whose row was not written (it changed since it was read, or the table failed)."""
        pending = []
        for key, kept in self._kept.items():
            upto = [entry for entry in kept if before is None or entry[0] < before]
            if upto:
                pending.append((key, upto[0][1], upto[-1][2]))

        def write(entry: tuple[ItemKey, str, ForecastRow]) -> bool | ForecastUnavailable:
            key, _, row = entry
            try:
                return self._table.write(row, self._read.get(key, ABSENT))
            except ForecastUnavailable as error:
                return error

        outcomes = each_on_threads(write, pending, self._writers)
        failed: set[str] = set()
        written = 0
        for (key, first, _), outcome in zip(pending, outcomes, strict=True):
            if outcome is True:
                written += 1
                continue
            failed.add(first)
            if isinstance(outcome, ForecastUnavailable):
                logger.warning(
                    "Forecast row not written; the item's records will be retried",
                    extra={"store": key[0], "item": key[1], "sequence": first, "reason": str(outcome)},
                )
                count("ForecastWritesFailed")
            else:
                logger.warning(
                    "Forecast row changed since it was read; the item's records will be retried",
                    extra={"store": key[0], "item": key[1], "sequence": first},
                )
                count("ForecastRowConflicts")
        if written:  # one value a batch: Powertools' work per value was a few µs a record
            count("ForecastRowsWritten", written)
        return failed

    @staticmethod
    def _seed(change: StockChange) -> ModelState | None:
        """An item seen for the first time starts from its previous count, when the stream says when it was set."""
        if change.old is None or change.old_at is None:
            return None
        return ModelState(count=change.old.count, at=change.old_at, sequence="")


def _as_of(change: StockChange, latest: Forecast | None) -> Forecast | None:
    """A replayed change's projection: its own count at the row's latest rate, from its own time
    (the state as of the change itself is gone; the rate is the best estimate of it)."""
    if latest is None or latest.rate_per_day <= 0:
        return None
    days = change.new.count / latest.rate_per_day
    if days > DEFAULT.max_days:
        return None  # not being used up at that count
    return Forecast(
        count=change.new.count,
        rate_per_day=latest.rate_per_day,
        days_left=days,
        runs_out_at=iso_utc(parse_time(change.time) + timedelta(days=days)),
        daily_sd=latest.daily_sd,
    )
