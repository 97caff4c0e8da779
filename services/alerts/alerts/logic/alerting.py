"""What a stream record does: record the change and its store's totals once, and say what to announce.

Once-only rests on the History row of each change, keyed by the change time and the stream
sequence number (the same on every delivery of a record):

1. :meth:`AlertService.plan` decides, in memory and in stream order, what a change raises and
   applies it to its item's forecast (:mod:`alerts.logic.batch_forecasts`: whether it enters
   ``soon``); :meth:`AlertService.record` then writes the batch's rows together with their
   deltas to their stores' totals, many rows to a transaction, each on condition that it does
   not exist (:mod:`alerts.dal.changes`). A retried, repeated or late record finds its row and
   counts nothing twice;
2. the row tells whether the change was announced (``AnnouncedAt``) and what it raised
   (``Alert``); :meth:`AlertService.owed` returns the alerts raised and not yet announced;
3. :meth:`AlertService.announce` publishes one store's digest and marks its rows announced.

A change may raise two alerts: a restock that lands within ``soonDays`` of cover is both
``restocked`` and ``soon`` (the digest says both: the delivery came, and it will not last).
The row's one ``Alert`` holds the higher-ranked, ``soon``; ``restocked`` follows from the row's
counts (and the record) alone, so nothing is lost. Out and low are never also ``soon``.

If the publish fails, the records are retried and step 2 announces them then. If marking fails
after a publish, the records still count as done (failing them would announce them twice for
sure); only a retry caused by another record could then repeat them.

A retirement (a full list of the store omitted the item) is recorded like any change: its
History row, and its store's totals without the item; it announces nothing, and its forecast row
is cleared (:meth:`alerts.logic.batch_forecasts.BatchForecasts.step`).

``plan`` is the one place a change is turned into writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

from inventory.forecast import parse_time
from inventory.history import HistoryEntry, history_key, history_sort_key
from inventory.models import iso_utc
from inventory.observability import count, logger
from inventory.stores import StoreChange

from alerts.logic.batch_forecasts import BatchForecasts, Forecasting, ForecastStep
from alerts.logic.digest import build_digest
from alerts.logic.transitions import standing, store_change, transition
from alerts.models.change import Alert, Level, StockChange, StreamChangeRecord
from alerts.models.digest import Announcement, Digest
from alerts.models.errors import HistoryUnavailable, MalformedRecord
from alerts.models.history import Recorded, Written, history_entry

#: How far back a retry looks for the digest that may have announced its changes already (Lambda
#: retries a record within its 6-hour age limit); the records themselves are kept 2 days.
DIGESTS_KEPT = timedelta(days=1)


class ChangeLog(Protocol):
    def write_all(
        self, changes: Sequence[tuple[HistoryEntry, StoreChange | None]]
    ) -> list[Written | HistoryUnavailable]:
        """Write each row and apply its totals unless the row exists; what each found (or why it failed)."""
        ...

    def mark_all(self, entries: Sequence[HistoryEntry], announced_at: str) -> None: ...

    def record_digest(self, store: str, entries: Sequence[HistoryEntry], published_at: str) -> None:
        """Record that a digest announcing these rows was published (one write)."""
        ...

    def announced_rows(self, store: str, since: str) -> set[tuple[str, str]]:
        """The keys of the rows the store's digests published since ``since`` announced."""
        ...

    def alerted_after(self, entry: HistoryEntry) -> bool:
        """Whether a later change of the entry's item is recorded with an alert of its own."""
        ...


class Notifier(Protocol):
    def publish(self, digest: Digest) -> None:
        """Send one digest; raise :class:`PublishFailed` when it was not accepted."""
        ...


@dataclass(frozen=True, slots=True)
class Planned:
    """One record's change as decided in memory: its status alert, forecast step, History row and totals."""

    change: StockChange
    alert: Alert | None
    step: ForecastStep
    entry: HistoryEntry
    totals: StoreChange | None


class AlertService:
    def __init__(
        self,
        *,
        changes: ChangeLog,
        notifier: Notifier,
        forecasting: Forecasting,
        default_threshold: int,
        retention_days: int,
        clock: Callable[[], str],
        dashboard_url: str = "",
    ) -> None:
        self._changes = changes
        self._dashboard_url = dashboard_url
        self._notifier = notifier
        self._forecasting = forecasting
        self._default_threshold = default_threshold
        self._retention_days = retention_days
        self._clock = clock
        self._counted: Counter[str] = Counter()  # per-record counts, added to the metrics once a batch

    def open_batch(self, records: Sequence[StreamChangeRecord]) -> BatchForecasts:
        """The forecast rows of every item the records change, read at once (malformed records are
        left to :meth:`plan`); raises :class:`ForecastUnavailable`."""
        changes = []
        for record in records:
            try:
                change = record.change()
            except MalformedRecord:
                continue
            if change is not None:
                changes.append(change)
        return self._forecasting.open(changes)

    def plan(self, record: StreamChangeRecord, forecasts: BatchForecasts, index: int) -> Planned | None:
        """Step 1 in memory for the record at ``index`` of its batch: its alert, its forecast step (kept
        under ``index``, see :meth:`BatchForecasts.save`), its History row and totals; ``None`` when
        there is nothing to record.

        A record whose new image cannot be read is counted and skipped (retrying cannot fix it).
        """
        try:
            change = record.change()
        except MalformedRecord as error:
            logger.warning("Malformed stream record skipped", extra=_where(record) | {"reason": str(error)})
            count("RecordsMalformed")
            return None
        if change is None:
            return None
        if not change.old_known:
            logger.warning(
                "Previous image unreadable: the change counts as from an unknown state; the recount fixes the totals",
                extra={
                    "store": change.store,
                    "item": change.item,
                    "sequence": change.sequence,
                    "reason": change.old_problem,
                },
            )
            count("OldImagesUnreadable")
        before = standing(change.old, self._default_threshold)
        after = standing(change.new, self._default_threshold)
        if change.old is not None and not change.count_changed and before == after:
            # Neither count nor status changed: moto repeats unchanged writes as MODIFY, and a full
            # list rewrites the items it lists unchanged (only their source moves).
            return None
        alert = transition(change.old, change.new, self._default_threshold)
        step = forecasts.step(change, after)
        forecasts.commit(step, index)
        raised = [found for found in (alert, Alert.SOON if step.soon else None) if found is not None]
        highest = max(raised, key=lambda found: found.rank) if raised else None
        entry = history_entry(change, self._retention_days, highest)
        return Planned(change, alert, step, entry, store_change(change, self._default_threshold))

    def record(self, planned: Sequence[Planned]) -> list[Written | HistoryUnavailable]:
        """Step 1's writes for a batch: every History row with its store's totals, many at a time."""
        outcomes = self._changes.write_all([(each.entry, each.totals) for each in planned])
        for each, outcome in zip(planned, outcomes, strict=True):
            if isinstance(outcome, HistoryUnavailable):
                change = each.change
                logger.warning(
                    "Change not recorded; the record will be retried",
                    extra={"store": change.store, "item": change.item, "sequence": change.sequence,
                           "reason": str(outcome)},
                )  # fmt: skip
                break
        return outcomes

    def add_counts(self) -> None:
        """Add what :meth:`owed` counted to the metrics, one value a metric (see :meth:`StreamBatch.run`)."""
        for name, value in self._counted.items():
            count(name, value)
        self._counted.clear()

    def owed(self, planned: Planned, written: Written) -> list[Announcement]:
        """Step 2: what a recorded change still owes (in the order the lines read: ``restocked`` before
        ``soon``)."""
        change, step, alert = planned.change, planned.step, planned.alert
        entry = planned.entry
        raised = [found for found in (alert, Alert.SOON if step.soon else None) if found is not None]
        if written.recorded is Recorded.NEW:
            self._counted["HistoryRowsWritten"] += 1
            if step.soon:
                logger.info(
                    "Item runs out soon",
                    extra={
                        "store": change.store,
                        "item": change.item,
                        "days_left": step.projected.days_left if step.projected else None,
                    },
                )
        else:
            self._counted["ChangesAlreadyRecorded"] += 1
            # An earlier delivery decided what this change raised: the row says whether it was
            # soon; a status alert follows from the record itself. A mark keeps the row's alert.
            raised = [found for found in (alert, Alert.SOON if written.alert == Alert.SOON else None) if found]
            entry = replace(entry, alert=written.alert)
        if not raised:
            return []
        if written.recorded is Recorded.ANNOUNCED:
            logger.info(
                "Change already announced; not announcing it again",
                extra={"store": change.store, "item": change.item, "sequence": change.sequence},
            )
            count("AlertsAlreadyAnnounced", len(raised))
            return []
        before = written.recorded is not Recorded.NEW
        return [Announcement(change, found, entry, step.projected, before) for found in raised]

    def not_yet_announced(self, store: str, announcements: Sequence[Announcement]) -> list[Announcement]:
        """The announcements no published digest carried. Changes recorded by an earlier delivery may
        have been announced by it without their rows being marked (the invocation died after the
        publish): the store's recent digest records say; those found are marked now, not sent again."""
        if not any(announcement.recorded_before for announcement in announcements):
            return list(announcements)
        since = iso_utc(parse_time(self._clock()) - DIGESTS_KEPT)
        published = self._changes.announced_rows(store, since)
        sent = [a for a in announcements if a.recorded_before and _row_key(a.entry) in published]
        if sent:
            logger.info(
                "Changes announced by a digest already published; marked, not sent again",
                extra={"store": store, "items": len(sent)},
            )
            count("AlertsAlreadyAnnounced", len(sent))
            try:
                self._changes.mark_all([a.entry for a in sent], self._clock())
            except HistoryUnavailable as error:
                logger.warning("Announced changes not marked", extra={"store": store, "reason": str(error)})
        return [a for a in announcements if not (a.recorded_before and _row_key(a.entry) in published)]

    def still_true(
        self, announcements: Sequence[Announcement], levels: Mapping[tuple[str, str], Level | None]
    ) -> list[bool]:
        """Whether each announcement still holds: its item is in the status the change left it in
        (``levels``: the items now), and no later change of the item raised an alert of its own (an
        OUT replayed after the item was restocked and ran out again is that later OUT's to announce).
        One that does not is logged and counted, and not announced. Raises :class:`HistoryUnavailable`."""
        held = []
        for announcement in announcements:
            change = announcement.change
            now = levels.get((change.store, change.item))
            true = (
                now is not None
                and standing(now, self._default_threshold) == standing(change.new, self._default_threshold)
                and not self._changes.alerted_after(announcement.entry)
            )
            if not true:
                logger.info(
                    "Change no longer true; recorded, not announced",
                    extra={"store": change.store, "item": change.item, "sequence": change.sequence,
                           "alert": announcement.alert.value, "count_now": None if now is None else now.count},
                )  # fmt: skip
                count("StaleAlertsNotAnnounced")
            held.append(true)
        return held

    def announce(self, store: str, announcements: Sequence[Announcement]) -> Digest:
        """Step 3: one digest for a store's alerts, lines in the order given; raises :class:`PublishFailed`."""
        digest = build_digest(store, announcements, self._dashboard_url)
        self._notifier.publish(digest)
        logger.info("Digest published", extra={"store": store, "items": digest.items, "subject": digest.subject})
        count("DigestsPublished")
        count("AlertsAnnounced", digest.items)
        published_at = self._clock()
        entries = [announcement.entry for announcement in announcements]
        try:
            # First the one write that says the digest went out, then the marks: an invocation that
            # dies after the publish leaves the record, and its retry sends nothing again.
            self._changes.record_digest(store, entries, published_at)
        except HistoryUnavailable as error:
            logger.warning("Published digest not recorded", extra={"store": store, "reason": str(error)})
        try:
            self._changes.mark_all(entries, published_at)
        except HistoryUnavailable as error:
            logger.warning(
                "Announced changes not marked; a later retry could repeat them",
                extra={"store": store, "items": digest.items, "reason": str(error)},
            )
        return digest


def _row_key(entry: HistoryEntry) -> tuple[str, str]:
    return history_key(entry.store, entry.item), history_sort_key(entry.time, entry.sequence)


def _where(record: StreamChangeRecord) -> dict[str, str | None]:
    return {"event_id": record.event_id, "sequence": record.sequence or None}
