"""The Forecast table: one row per item with its stockout forecast.

Owned and written by the alerts service, which updates an item's row from each change of its
count on the Inventory stream (the model is ``alerts.logic.demand_model``); read by the dashboard
API. Both go through :class:`ForecastRow`.

Keys: partition key ``Store`` (S), sort key ``Item`` (S): "every forecast of a store" is one
Query. Attributes:

- the model's state, read back only by alerts: ``Count`` (N, the last count seen),
  ``UpdatedAt`` (S, ISO 8601 UTC: when that count was set), ``Sequence`` (S, the stream sequence
  number of that change, so a replayed record is not applied twice), ``Consumed`` and
  ``Elapsed`` (N: time-weighted units consumed and days observed), ``Step`` and ``Steps``
  (N: time-weighted sum and number of drops, the scale for clipping outliers), ``Spread`` (N:
  time-weighted squared deviations of demand from the rate, the variance's numerator);
  ``BaseCount`` (N) and ``BaseAt`` (S), present only while changes come too soon after the last
  one the model judged (a store re-uploading a corrected file): the count and time the next
  interval is judged from;
- the forecast, absent when there is none (the item is not being used up): ``RatePerDay``
  (N, units per day), ``DailySd`` (N, the standard deviation of one day's demand), ``DaysLeft``
  (N, days of cover at ``Count``), ``RunsOutAt`` (S, ISO 8601 UTC: ``UpdatedAt`` plus ``DaysLeft``);
- ``RunningOutIn`` (N): the week in which the item runs out at its last count (``UpdatedAt`` plus
  ``DaysLeft``, in whole weeks since 1970-01-01 UTC: :func:`running_out_week`), present only while
  ``DaysLeft`` is at most :data:`INDEX_HORIZON_DAYS`: the sort key of the sparse index
  :data:`RUNNING_OUT_INDEX` (partition key ``Store``), so "what may run out by then in this store"
  is a Query on that index and "across my stores" one Query per store, never a scan. A week of a
  date, not the cover: an item that sells as forecast keeps its run-out date from one daily upload
  to the next, so most changes leave the entry's key where it was (one index write, not two: measured by
  bench/index_options.py). A reader's run-out time (:meth:`ForecastRow.outlook`) is never earlier
  than ``UpdatedAt`` plus ``DaysLeft``, so the entries up to the week of a moment hold every item
  that runs out by then, and some that do not: readers filter on the rows. (Entries written before
  the key counted weeks hold the cover in days, 0 to 30, below every week: they are read and
  filtered too, until the item's next change rewrites them.)
- ``Retired`` (BOOL): present while the item is retired (a full list of its store omitted it):
  the row keeps the model's state but has no forecast, and the item holds nothing a reader counts;
- ``SoonSince`` (S): present while the item is in the ``soon`` state (cover within the stage's
  ``soonDays`` while neither out nor low): the stream sequence number of the change that brought
  it there, so it is announced once on entering, and a replay of that very change is recognised.

Only changed counts reach the stream, so between changes an item's count holds: its cover
(``DaysLeft``) does not move until the next change, which is why the index can sort on it. When
it runs out depends on how long the count is known to have held, which is until the item was last
listed (:class:`Listing`): see :meth:`ForecastRow.outlook`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from inventory.models import iso_utc

#: The sparse index of items running out: partition key ``Store``, sort key ``RunningOutIn`` (N).
RUNNING_OUT_INDEX = "RunningOut"
#: Items with at most this many days of cover are in the index.
INDEX_HORIZON_DAYS = 30
SECONDS_PER_DAY = 86_400.0
#: The index's sort key counts run-out times in weeks (measured against days: bench/index_options.py).
RUNNING_OUT_BUCKET_DAYS = 7
#: Smaller magnitudes are stored as 0: DynamoDB numbers stop at 1E-130, and a weight that small
#: no longer counts.
_TINY = 1e-100


def parse_time(text: str) -> datetime:
    """Read ISO 8601 text (``Z`` or an offset) as an aware datetime; raises ``ValueError``."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time without a zone: {text!r}")
    return moment


def running_out_week(moment: str) -> int:
    """The RunningOut index's sort key for a run-out time (ISO 8601): whole weeks since 1970-01-01 UTC."""
    return _week(parse_time(moment))


def _week(moment: datetime) -> int:
    return math.floor(moment.timestamp() / (RUNNING_OUT_BUCKET_DAYS * SECONDS_PER_DAY))


def days_between(start: str, end: str) -> float:
    """Days from ``start`` to ``end`` (ISO 8601), negative when ``end`` is earlier."""
    return (parse_time(end) - parse_time(start)).total_seconds() / SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class ModelState:
    """What the forecast model keeps of an item's history: a few numbers, updated per change.

    ``consumed`` / ``elapsed`` is the consumption rate (units per day), both sums weighted by
    how recent each interval is; ``step`` / ``steps`` is the typical size of one drop;
    ``spread`` / ``elapsed`` the variance of one day's demand, weighted the same way.
    """

    count: int
    at: str  # ISO 8601 UTC: when ``count`` was set
    sequence: str  # stream sequence number of that change ("" when unknown)
    consumed: float = 0.0
    elapsed: float = 0.0
    step: float = 0.0
    steps: float = 0.0
    spread: float = 0.0
    #: While changes come too soon after the last interval's end to be judged (a re-uploaded file):
    #: the count and time the next interval starts from; ``None``: ``count`` and ``at``.
    base_count: int | None = None
    base_at: str | None = None


@dataclass(frozen=True, slots=True)
class Forecast:
    """An item's stockout forecast."""

    count: int
    rate_per_day: float  # units consumed per day, > 0
    days_left: float  # days of cover at ``count``, >= 0
    runs_out_at: str  # ISO 8601 UTC: when ``count`` runs out, counted from when it was known to hold
    daily_sd: float = 0.0  # standard deviation of one day's demand (units): the rate's uncertainty


@dataclass(frozen=True, slots=True)
class Listing:
    """What a reader knows of when a store's items were last listed.

    A file changes the items it names, so an item's count is known to hold until it was last
    listed: when its count was last set, or the store's last full list (``full_list_at``, the
    Stores row's ``LastFullListAt``: a full list names every item it does not retire), whichever
    is later. A file that names some items says nothing of the others. An item not listed for more
    than ``stale_days`` is no longer forecast: nobody knows what it holds.
    """

    full_list_at: str | None
    stale_days: float  # the stage's ``forecastStaleDays``


@dataclass(frozen=True, slots=True)
class ForecastRow:
    """One row of the Forecast table: an item's model state, its forecast and its ``soon`` state."""

    store: str
    item: str
    state: ModelState
    forecast: Forecast | None = None
    soon_since: str | None = None  # sequence number of the change that entered the soon state
    retired: bool = False  # a full list of the store omitted the item: no forecast, nothing held

    @property
    def soon(self) -> bool:
        return self.soon_since is not None

    @property
    def running_out_in(self) -> int | None:
        """The index sort key: the week the item runs out at its last count, if its cover is at most
        :data:`INDEX_HORIZON_DAYS`."""
        if self.forecast is None or self.forecast.days_left > INDEX_HORIZON_DAYS:
            return None
        return _week(parse_time(self.state.at) + timedelta(days=self.forecast.days_left))

    def outlook(self, now: str, listing: Listing | None = None) -> Forecast | None:
        """The forecast as a reader at ``now`` should show it, or ``None`` when there is none.

        The count holds from ``UpdatedAt`` until the item was last listed (``listing``; ``None``:
        until ``now``). From then on the item is taken to sell at its rate: ``runs_out_at`` is that
        moment plus the cover, ``days_left`` what remains of it at ``now`` (0 once passed). An item
        not listed for more than the listing's ``stale_days`` has no forecast.
        """
        if self.forecast is None:
            return None
        moment = parse_time(now)
        listed = parse_time(self.state.at)
        if listing is None:
            listed = max(listed, moment)
        elif listing.full_list_at is not None:
            listed = max(listed, parse_time(listing.full_list_at))
        held = min(listed, moment)
        if listing is not None and (moment - held).total_seconds() > listing.stale_days * SECONDS_PER_DAY:
            return None
        runs_out = max(parse_time(self.state.at), held) + timedelta(days=self.forecast.days_left)
        return Forecast(
            count=self.forecast.count,
            rate_per_day=self.forecast.rate_per_day,
            days_left=max(0.0, (runs_out - moment).total_seconds() / SECONDS_PER_DAY),
            runs_out_at=iso_utc(runs_out),
            daily_sd=self.forecast.daily_sd,
        )

    def key(self) -> dict[str, dict[str, str]]:
        """The row's primary key in attribute-value form."""
        return {"Store": {"S": self.store}, "Item": {"S": self.item}}

    def to_item(self) -> dict[str, dict[str, Any]]:
        """The row in DynamoDB's attribute-value form; raises ``ValueError`` for a non-finite number."""
        state = self.state
        item: dict[str, dict[str, Any]] = {
            **self.key(),
            "Count": {"N": str(state.count)},
            "UpdatedAt": {"S": state.at},
            "Sequence": {"S": state.sequence},
            "Consumed": {"N": _number(state.consumed)},
            "Elapsed": {"N": _number(state.elapsed)},
            "Step": {"N": _number(state.step)},
            "Steps": {"N": _number(state.steps)},
            "Spread": {"N": _number(state.spread)},
        }
        if state.base_count is not None and state.base_at is not None:
            item["BaseCount"] = {"N": str(state.base_count)}
            item["BaseAt"] = {"S": state.base_at}
        if self.forecast is not None:
            item["RatePerDay"] = {"N": _number(self.forecast.rate_per_day)}
            item["DailySd"] = {"N": _number(self.forecast.daily_sd)}
            item["DaysLeft"] = {"N": _number(self.forecast.days_left)}
            item["RunsOutAt"] = {"S": self.forecast.runs_out_at}
        if self.running_out_in is not None:
            item["RunningOutIn"] = {"N": str(self.running_out_in)}
        if self.soon_since is not None:
            item["SoonSince"] = {"S": self.soon_since}
        if self.retired:
            item["Retired"] = {"BOOL": True}
        return item

    @classmethod
    def from_item(cls, item: Mapping[str, Mapping[str, Any]]) -> ForecastRow:
        """Read a row written by :meth:`to_item` (from the table, or the index, which projects every
        attribute); raises ``KeyError`` or ``ValueError`` otherwise."""
        count = int(item["Count"]["N"])
        state = ModelState(
            count=count,
            at=item["UpdatedAt"]["S"],
            sequence=item.get("Sequence", {}).get("S", ""),
            consumed=_float(item, "Consumed"),
            elapsed=_float(item, "Elapsed"),
            step=_float(item, "Step"),
            steps=_float(item, "Steps"),
            spread=_float(item, "Spread"),
            base_count=int(item["BaseCount"]["N"]) if "BaseCount" in item else None,
            base_at=item.get("BaseAt", {}).get("S"),
        )
        forecast = None
        if "RunsOutAt" in item:
            forecast = Forecast(
                count=count,
                rate_per_day=_float(item, "RatePerDay"),
                days_left=_float(item, "DaysLeft"),
                runs_out_at=item["RunsOutAt"]["S"],
                daily_sd=_float(item, "DailySd"),
            )
        return cls(
            store=item["Store"]["S"],
            item=item["Item"]["S"],
            state=state,
            forecast=forecast,
            soon_since=item.get("SoonSince", {}).get("S"),
            retired=item.get("Retired", {}).get("BOOL") is True,
        )


def _number(value: float) -> str:
    """A float as DynamoDB number text, exact (the shortest text that reads back the same float)."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    if abs(value) < _TINY:
        return "0"
    return str(Decimal(repr(value)))


def _float(item: Mapping[str, Mapping[str, Any]], name: str) -> float:
    return float(item.get(name, {}).get("N", "0"))
