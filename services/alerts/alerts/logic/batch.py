"""One stream batch: records decided in order, written many at a time, then one digest per store;
the outcome is the failed records, by sequence number.

Lambda retries a stream batch from its first failed record and never re-sends the records
before it, so the flow keeps stream order:

- the Forecast rows of the batch's items are read at once; if they cannot be, every record
  fails (the retry reads them again);
- each record's alert, forecast step and History row are decided in memory, in stream order
  (so each item's changes apply in the order they happened); an unexpected error stops the
  batch at that record;
- the History rows and their stores' totals are then written together, many rows to a
  transaction and stores at once (:mod:`alerts.dal.changes`); the first record whose row was
  not written is where the batch stops: it and every later record are reported failed and will
  come again (rows of later records that were written are found then, and count nothing twice);
- each item's Forecast row is written once; a row that fails fails its item's records from the
  first that changed it, and every record after that one (a retried record the rows already
  reflect changes nothing), and nothing from there on is announced now;
- each store's announcements (from the records before the stop) become one digest, its lines
  in record order; a digest that fails
  to publish fails its records and every record after the first of them (records already
  published are protected from a repeat by their History rows); a change an earlier delivery
  recorded is first looked up in the store's published digests (that delivery may have died
  after its publish, before marking the rows), and not sent again if one carried it;
- close to the function's time limit, the rest of the batch is left for the retry.

The handler (:mod:`alerts.handlers.stream`) turns the verdicts into Lambda's partial batch response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from inventory.observability import count, logger

from alerts.logic.alerting import AlertService, Planned
from alerts.models.change import Level, StreamChangeRecord
from alerts.models.digest import Announcement
from alerts.models.errors import ForecastUnavailable, HistoryUnavailable, NotProcessed, PublishFailed

#: Seconds kept back for publishing the digests and answering Lambda before the time limit.
RESERVE_SECONDS = 10.0


class CurrentLevels(Protocol):
    def levels(self, keys: Iterable[tuple[str, str]]) -> Mapping[tuple[str, str], Level | None]:
        """Each item's level now; ``None`` for an item that is gone or unreadable."""
        ...


class StreamBatch:
    """Runs one batch through an :class:`AlertService`; returns what failed, by sequence number.

    With ``current`` (a replay, long after the changes), a change is announced only if its item
    is still in the state the change left it in; otherwise it is recorded and not announced.
    """

    def __init__(
        self,
        service: AlertService,
        seconds_left: Callable[[], float] | None = None,
        current: CurrentLevels | None = None,
    ) -> None:
        self._service = service
        self._seconds_left = seconds_left
        self._current = current

    def run(self, records: Sequence[StreamChangeRecord]) -> dict[str, Exception]:
        """The failed records' sequence numbers and why; every record not named succeeded."""
        failed: dict[str, Exception] = {}
        try:
            forecasts = self._service.open_batch(records)
        except ForecastUnavailable as error:
            logger.warning("Forecast rows not readable; the batch will be retried", extra={"reason": str(error)})
            return {record.sequence: error for record in records}
        planned: list[tuple[int, Planned]] = []
        stop = len(records)
        for index, record in enumerate(records):
            if self._seconds_left is not None and self._seconds_left() < RESERVE_SECONDS:
                failed[record.sequence] = NotProcessed("the function's time ran short; retried with the rest")
                stop = index
                break
            try:
                found = self._service.plan(record, forecasts, index)
            except Exception as error:  # any failure of a record stops the batch there
                logger.exception("Record failed unexpectedly", extra={"sequence": record.sequence})
                failed[record.sequence] = error
                stop = index
                break
            if found is not None:
                planned.append((index, found))
        outcomes = self._service.record([each for _, each in planned]) if planned else []
        announcements: list[tuple[int, Announcement]] = []
        for (index, each), outcome in zip(planned, outcomes, strict=True):
            if index >= stop:
                break
            if isinstance(outcome, Exception):
                failed[records[index].sequence] = outcome
                stop = index
                break
            announcements.extend((index, announcement) for announcement in self._service.owed(each, outcome))
        self._service.add_counts()
        unsaved = forecasts.save(before=stop)
        for index, record in enumerate(records[:stop]):
            if record.sequence in unsaved:
                failed[record.sequence] = ForecastUnavailable("the item's forecast row was not written")
                stop = index
                break
        announcements = [(index, announcement) for index, announcement in announcements if index < stop]
        if self._current is not None and announcements:
            levels = self._current.levels((a.change.store, a.change.item) for _, a in announcements)
            try:
                held = self._service.still_true([a for _, a in announcements], levels)
            except HistoryUnavailable as error:  # retried: the recorded rows owe their announcements
                logger.warning("History not readable; the records will be retried", extra={"reason": str(error)})
                stop = min(stop, announcements[0][0])
                failed[records[stop].sequence] = error
                held = [False] * len(announcements)
            announcements = [(index, a) for (index, a), keep in zip(announcements, held, strict=True) if keep]
        stop = min(stop, self._announce(announcements, records, failed))
        cause = records[stop].sequence if stop < len(records) else ""
        for record in records[stop + 1 :]:
            failed.setdefault(record.sequence, NotProcessed(f"an earlier record ({cause}) failed; resent after it"))
        return failed

    def _announce(
        self,
        announcements: Iterable[tuple[int, Announcement]],
        records: Sequence[StreamChangeRecord],
        failed: dict[str, Exception],
    ) -> int:
        """Publish one digest per store, stores in order of their first alert; the first index that failed."""
        by_store: dict[str, list[tuple[int, Announcement]]] = {}
        seen: set[tuple[str, str, str, str]] = set()
        for index, announcement in announcements:
            change = announcement.change
            line = (change.item, change.time, change.sequence, announcement.alert.value)
            if line in seen:
                continue  # the same record twice in one batch: one line per alert
            seen.add(line)
            by_store.setdefault(change.store, []).append((index, announcement))
        first_failed = len(records)
        for store, group in by_store.items():
            try:
                owed = self._service.not_yet_announced(store, [announcement for _, announcement in group])
            except HistoryUnavailable as error:
                logger.warning(
                    "Published digests not readable; the records will be retried",
                    extra={"store": store, "items": len(group), "reason": str(error)},
                )
                for index, _ in group:
                    failed[records[index].sequence] = error
                first_failed = min(first_failed, group[0][0])
                continue
            try:
                if owed:
                    self._service.announce(store, owed)
            except PublishFailed as error:
                logger.warning(
                    "Digest not published; its records and every later one will be retried",
                    extra={"store": store, "items": len(group), "reason": str(error)},
                )
                count("DigestsFailed")
                for index, _ in group:
                    failed[records[index].sequence] = error
                first_failed = min(first_failed, group[0][0])
        return first_failed
