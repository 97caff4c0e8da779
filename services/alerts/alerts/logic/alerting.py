"""The alerts flow: record each change, then announce each store's new alerts once.

Once-only announcements rest on the History row of each change, keyed by the change
time and the stream sequence number (stable across retries of a record):

1. each record's row is written on condition ``attribute_not_exists(AnnouncedAt)``; a
   failed condition means the change was announced by an earlier attempt, so it is
   not announced again (Lambda re-delivers every record after the first failed one);
2. each store's alerts go out as one digest;
3. a published digest's rows are rewritten with ``AnnouncedAt`` and the alert.

If step 2 fails, exactly that digest's records are reported failed and a retry
announces them. If step 3 fails after a publish, the records still count as done
(failing them would announce them twice for sure); only a retry caused by another
record could then repeat them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from inventory.history import HistoryEntry
from inventory.observability import logger, metrics

from alerts.logic.digest import build_digest
from alerts.logic.transitions import transition
from alerts.models.change import Alert, StockChange
from alerts.models.digest import Announcement, Digest
from alerts.models.errors import HistoryUnavailable, MalformedRecord, PublishFailed
from alerts.models.history import history_entry


class History(Protocol):
    def record(self, entry: HistoryEntry) -> bool:
        """Write the row; ``False`` when it exists already marked announced."""
        ...

    def mark_announced(self, entry: HistoryEntry, alert: Alert, announced_at: str) -> None: ...


class Notifier(Protocol):
    def publish(self, digest: Digest) -> None:
        """Send one digest; raise :class:`PublishFailed` when it was not accepted."""
        ...


class AlertService:
    def __init__(
        self,
        history: History,
        notifier: Notifier,
        default_threshold: int,
        retention_days: int,
        clock: Callable[[], str],
    ) -> None:
        self._history = history
        self._notifier = notifier
        self._default_threshold = default_threshold
        self._retention_days = retention_days
        self._clock = clock

    def record_change(self, record: DynamoDBRecord) -> Announcement | None:
        """Step 1 for one record: its History row and, if it raises a new alert, the announcement.

        Raises for a malformed record or a failed write, which fails this record only.
        """
        try:
            change = StockChange.from_stream_record(record.raw_event)
        except MalformedRecord as error:
            logger.warning(
                "Malformed stream record",
                extra={"reason": str(error), "event_id": record.event_id, "sequence": _sequence(record)},
            )
            metrics.add_metric(name="RecordsMalformed", unit=MetricUnit.Count, value=1)
            raise
        if change is None:
            return None
        alert = transition(change.old, change.new, self._default_threshold)
        if alert is None and not change.count_changed:
            return None  # no count and no status change (moto repeats unchanged writes as MODIFY)
        entry = history_entry(change, self._retention_days)
        try:
            fresh = self._history.record(entry)
        except HistoryUnavailable as error:
            logger.warning(
                "History row not written; the record will be retried",
                extra={"store": change.store, "item": change.item, "sequence": change.sequence, "reason": str(error)},
            )
            raise
        if not fresh:
            logger.info(
                "Change already announced; not announcing it again",
                extra={"store": change.store, "item": change.item, "sequence": change.sequence},
            )
            metrics.add_metric(name="AlertsAlreadyAnnounced", unit=MetricUnit.Count, value=1)
            return None
        metrics.add_metric(name="HistoryRowsWritten", unit=MetricUnit.Count, value=1)
        return None if alert is None else Announcement(change, alert, entry)

    def announce(self, announcements: list[Announcement]) -> list[tuple[Announcement, PublishFailed]]:
        """Steps 2 and 3: one digest per store. Returns the announcements whose digest failed."""
        by_store: dict[str, list[Announcement]] = {}
        for announcement in announcements:
            by_store.setdefault(announcement.change.store, []).append(announcement)
        failed: list[tuple[Announcement, PublishFailed]] = []
        for store, group in by_store.items():
            digest = build_digest(store, group)
            try:
                self._notifier.publish(digest)
            except PublishFailed as error:
                logger.warning(
                    "Digest not published; its records will be retried",
                    extra={"store": store, "items": digest.items, "reason": str(error)},
                )
                failed.extend((announcement, error) for announcement in group)
                metrics.add_metric(name="DigestsFailed", unit=MetricUnit.Count, value=1)
                continue
            logger.info("Digest published", extra={"store": store, "items": digest.items, "subject": digest.subject})
            metrics.add_metric(name="DigestsPublished", unit=MetricUnit.Count, value=1)
            metrics.add_metric(name="AlertsAnnounced", unit=MetricUnit.Count, value=digest.items)
            announced_at = self._clock()
            for announcement in group:
                try:
                    self._history.mark_announced(announcement.entry, announcement.alert, announced_at)
                except HistoryUnavailable as error:
                    logger.warning(
                        "Announced change not marked; a later retry could repeat it",
                        extra={"store": store, "item": announcement.change.item, "reason": str(error)},
                    )
        return failed


def _sequence(record: DynamoDBRecord) -> str | None:
    return record.dynamodb.sequence_number if record.dynamodb else None
