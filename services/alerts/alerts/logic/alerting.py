"""What one stream record does: record the change and its store's totals once, and say what to announce.

Once-only rests on the History row of each change, keyed by the change time and the stream
sequence number (the same on every delivery of a record):

1. :meth:`AlertService.record_change` applies the change to its item's forecast in memory
   (:mod:`alerts.logic.forecasting`: whether it enters ``soon``), then writes the row together
   with the change's delta to its store's totals, in one transaction, on condition that the row
   does not exist. A retried, repeated or late record finds its row and counts nothing twice;
2. the row tells whether the change was announced (``AnnouncedAt``) and what it raised
   (``Alert``); if it raised alerts that were not announced, they are returned to be announced;
3. :meth:`AlertService.announce` publishes one store's digest and marks its rows announced.

A change may raise two alerts: a restock that lands within ``soonDays`` of cover is both
``restocked`` and ``soon`` (the digest says both: the delivery came, and it will not last).
The row's one ``Alert`` holds the higher-ranked, ``soon``; ``restocked`` follows from the row's
counts (and the record) alone, so nothing is lost. Out and low are never also ``soon``.

If the publish fails, the records are retried and step 2 announces them then. If marking fails
after a publish, the records still count as done (failing them would announce them twice for
sure); only a retry caused by another record could then repeat them.

``record_change`` is the one place a change is turned into writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from inventory.history import HistoryEntry
from inventory.observability import logger, metrics
from inventory.stores import StoreChange

from alerts.logic.digest import build_digest
from alerts.logic.forecasting import BatchForecasts, Forecasting
from alerts.logic.transitions import status, store_change, transition
from alerts.models.change import Alert, StockChange
from alerts.models.digest import Announcement, Digest
from alerts.models.errors import HistoryUnavailable, MalformedRecord
from alerts.models.history import Recorded, Written, history_entry


class ChangeLog(Protocol):
    def write(self, entry: HistoryEntry, totals: StoreChange | None) -> Written:
        """Write the row and apply the totals unless the row exists; say what was found and its alert."""
        ...

    def mark_announced(self, entry: HistoryEntry, announced_at: str) -> None: ...


class Notifier(Protocol):
    def publish(self, digest: Digest) -> None:
        """Send one digest; raise :class:`PublishFailed` when it was not accepted."""
        ...


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

    def open_batch(self, records: Sequence[DynamoDBRecord]) -> BatchForecasts:
        """The forecast rows of every item the records change, read at once (malformed records are
        left to :meth:`record_change`); raises :class:`ForecastUnavailable`."""
        changes = []
        for record in records:
            try:
                change = StockChange.from_record(record)
            except MalformedRecord:
                continue
            if change is not None:
                changes.append(change)
        return self._forecasting.open(changes)

    def record_change(self, record: DynamoDBRecord, forecasts: BatchForecasts) -> list[Announcement]:
        """Steps 1 and 2 for one record: its forecast, its History row and totals, and the announcements
        it still owes (in the order they read: ``restocked`` before ``soon``).

        A record whose new image cannot be read is counted and skipped (retrying cannot fix it).
        Raises :class:`HistoryUnavailable` when the write failed, which a retry may fix; the
        change's forecast is then not kept either.
        """
        try:
            change = StockChange.from_record(record)
        except MalformedRecord as error:
            logger.warning("Malformed stream record skipped", extra=_where(record) | {"reason": str(error)})
            metrics.add_metric(name="RecordsMalformed", unit=MetricUnit.Count, value=1)
            return []
        if change is None:
            return []
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
            metrics.add_metric(name="OldImagesUnreadable", unit=MetricUnit.Count, value=1)
        before = None if change.old is None else status(change.old, self._default_threshold)
        after = status(change.new, self._default_threshold)
        if change.old is not None and not change.count_changed and before == after:
            return []  # neither count nor status changed (moto repeats unchanged writes as MODIFY)
        alert = transition(change.old, change.new, self._default_threshold)
        step = forecasts.step(change, after)
        raised = [found for found in (alert, Alert.SOON if step.soon else None) if found is not None]
        highest = max(raised, key=lambda found: found.rank) if raised else None
        entry = history_entry(change, self._retention_days, highest)
        try:
            written = self._changes.write(entry, store_change(change, self._default_threshold))
        except HistoryUnavailable as error:
            logger.warning(
                "Change not recorded; the record will be retried",
                extra={"store": change.store, "item": change.item, "sequence": change.sequence, "reason": str(error)},
            )
            raise
        forecasts.commit(step)
        if written.recorded is Recorded.NEW:
            metrics.add_metric(name="HistoryRowsWritten", unit=MetricUnit.Count, value=1)
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
            metrics.add_metric(name="ChangesAlreadyRecorded", unit=MetricUnit.Count, value=1)
            # An earlier delivery decided what this change raised: the row says whether it was
            # soon; a status alert follows from the record itself.
            raised = [found for found in (alert, Alert.SOON if written.alert == Alert.SOON else None) if found]
        if not raised:
            return []
        if written.recorded is Recorded.ANNOUNCED:
            logger.info(
                "Change already announced; not announcing it again",
                extra={"store": change.store, "item": change.item, "sequence": change.sequence},
            )
            metrics.add_metric(name="AlertsAlreadyAnnounced", unit=MetricUnit.Count, value=len(raised))
            return []
        return [Announcement(change, found, entry, step.projected) for found in raised]

    def announce(self, store: str, announcements: Sequence[Announcement]) -> Digest:
        """Step 3: one digest for a store's alerts, lines in the order given; raises :class:`PublishFailed`."""
        digest = build_digest(store, announcements, self._dashboard_url)
        self._notifier.publish(digest)
        logger.info("Digest published", extra={"store": store, "items": digest.items, "subject": digest.subject})
        metrics.add_metric(name="DigestsPublished", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="AlertsAnnounced", unit=MetricUnit.Count, value=digest.items)
        announced_at = self._clock()
        marked: set[tuple[str, str, str, str]] = set()
        for announcement in announcements:
            row = announcement.entry
            if (row.store, row.item, row.time, row.sequence) in marked:
                continue  # two alerts of one change: one row, one mark
            marked.add((row.store, row.item, row.time, row.sequence))
            try:
                self._changes.mark_announced(announcement.entry, announced_at)
            except HistoryUnavailable as error:
                logger.warning(
                    "Announced change not marked; a later retry could repeat it",
                    extra={"store": store, "item": announcement.change.item, "reason": str(error)},
                )
        return digest


def _where(record: DynamoDBRecord) -> dict[str, str | None]:
    stream = record.dynamodb
    return {"event_id": record.event_id, "sequence": stream.sequence_number if stream else None}
