"""In-memory stand-ins for integrations, handed to logic in unit tests instead of mocks."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from alerts.logic.alerting import ChangeLog, Notifier
from alerts.models.digest import Digest
from alerts.models.history import Recorded
from botocore.exceptions import ClientError
from inventory.history import HistoryEntry, history_key, history_sort_key
from inventory.stores import StoreChange


class FakeDynamoDB:
    """A DynamoDB client for one table that answers BatchGetItem / BatchWriteItem from a dict.

    ``unprocessed`` makes the next calls leave items undone; ``throttle`` makes the next
    calls raise a throttling error, as DynamoDB does under load.
    """

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[str] = []
        self.unprocessed = 0
        self.throttle = 0

    def _maybe_throttle(self, operation: str) -> None:
        self.calls.append(operation)
        if self.throttle:
            self.throttle -= 1
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, operation)

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self._maybe_throttle("BatchGetItem")
        ((table, request),) = RequestItems.items()
        found = [
            self.items[key] for key in ((k["Store"]["S"], k["Item"]["S"]) for k in request["Keys"]) if key in self.items
        ]
        return {"Responses": {table: found}, "UnprocessedKeys": {}}

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self._maybe_throttle("BatchWriteItem")
        ((table, requests),) = RequestItems.items()
        assert len(requests) <= 25, "BatchWriteItem takes at most 25 requests"
        keys = [(r["PutRequest"]["Item"]["Store"]["S"], r["PutRequest"]["Item"]["Item"]["S"]) for r in requests]
        assert len(set(keys)) == len(keys), "BatchWriteItem refuses two requests for one key"
        done, left = requests, []
        if self.unprocessed:
            self.unprocessed -= 1
            done, left = requests[: len(requests) // 2], requests[len(requests) // 2 :]
        for request in done:
            item = request["PutRequest"]["Item"]
            self.items[(item["Store"]["S"], item["Item"]["S"])] = item
        return {"UnprocessedItems": {table: left} if left else {}}


class FakeUploadBucket:
    """The upload bucket in memory: uploads to open, reports written."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.files = dict(files or {})
        self.reports: dict[str, dict[str, Any]] = {}

    def open(self, bucket: str, key: str, version_id: str = "") -> Any:
        from ingest.dal.objects import OpenedUpload, UploadGone

        if key not in self.files:
            raise UploadGone(f"s3://{bucket}/{key} no longer exists")
        body = self.files[key]
        return OpenedUpload("etag", version_id, "2026-01-01T00:00:00.000Z", iter([body[:5], body[5:]]))

    def put_report(self, bucket: str, key: str, report: dict[str, Any]) -> None:
        self.reports[key] = report


class FakeStoreSummaries:
    def __init__(self) -> None:
        self.applied: list[tuple[str, Any]] = []

    def apply(self, store: str, change: Any, updated_at: str) -> None:
        self.applied.append((store, change))


# -- alerts: the History rows with the store totals, and the alerts topic --------------


class FakeChangeLog(ChangeLog):
    """History rows and Stores totals in memory, with the real once-only rule: a change whose
    row exists counts nothing and reports whether it was announced.

    ``fail_writes`` makes the next writes fail (throttled past the retries), ``fail_changes``
    the first write of each given (item, new count); ``fail_marks`` the next announcement marks.
    ``attempts`` lists the items of every write attempted, in order.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], HistoryEntry] = {}
        self.totals: dict[str, StoreChange] = {}
        self.fail_writes = 0
        self.fail_changes: set[tuple[str, int]] = set()
        self.fail_marks = 0
        self.writes = 0
        self.attempts: list[str] = []

    @staticmethod
    def _key(entry: HistoryEntry) -> tuple[str, str]:
        return (history_key(entry.store, entry.item), history_sort_key(entry.time, entry.sequence))

    def write(self, entry: HistoryEntry, totals: StoreChange | None) -> Recorded:
        from alerts.models.errors import HistoryUnavailable

        self.attempts.append(entry.item)
        if self.fail_writes or (entry.item, entry.new_count) in self.fail_changes:
            self.fail_writes = max(0, self.fail_writes - 1)
            self.fail_changes.discard((entry.item, entry.new_count))
            raise HistoryUnavailable("History and totals not written (ThrottlingError)")
        existing = self.rows.get(self._key(entry))
        if existing is not None:
            return Recorded.UNANNOUNCED if existing.announced_at is None else Recorded.ANNOUNCED
        self.writes += 1
        self.rows[self._key(entry)] = entry
        if totals is not None:
            self.totals.setdefault(entry.store, StoreChange()).add(totals)
        return Recorded.NEW

    def mark_announced(self, entry: HistoryEntry, announced_at: str) -> None:
        from alerts.models.errors import HistoryUnavailable

        if self.fail_marks:
            self.fail_marks -= 1
            raise HistoryUnavailable("History row not marked announced: throttled")
        self.rows[self._key(entry)] = replace(self.rows[self._key(entry)], announced_at=announced_at)

    def entries(self) -> list[HistoryEntry]:
        return list(self.rows.values())

    def store_totals(self, store: str) -> tuple[int, int, int]:
        """(items, out, low) of a store, as the Stores row would hold them."""
        totals = self.totals.get(store, StoreChange())
        return (totals.items, totals.out, totals.low)


class FakeTopic(Notifier):
    """The alerts topic in memory: keeps every published digest; ``fail_stores`` refuse to publish."""

    def __init__(self) -> None:
        self.published: list[Digest] = []
        self.fail_stores: set[str] = set()

    def publish(self, digest: Digest) -> None:
        from alerts.models.errors import PublishFailed

        if digest.store in self.fail_stores:
            raise PublishFailed(f"SNS publish for {digest.store!r} failed: service unavailable")
        self.published.append(digest)

    def stores(self) -> list[str]:
        return [digest.store for digest in self.published]


# -- dashboard API: the readers behind the API's logic ----------------------------------


class FakeStoreDirectory:
    """The Stores table in memory: store name -> StoreSummary."""

    def __init__(self, summaries: list[Any] | None = None) -> None:
        self.summaries = {summary.store: summary for summary in summaries or []}
        self.scans = 0

    def get(self, store: str) -> Any:
        return self.summaries.get(store)

    def all(self) -> list[Any]:
        self.scans += 1
        return list(self.summaries.values())


class FakeItemReader:
    """The Inventory table and its alerts index in memory, paged like DynamoDB Query:
    ``limit`` items examined per page, ``scanned`` counting items examined before a filter."""

    def __init__(self, default_threshold: int = 5) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.default_threshold = default_threshold
        self.pages: list[dict[str, Any]] = []
        self.alert_queries: list[str] = []

    def add(self, store: str, item: str, count: int, threshold: int | None = None, updated_at: str = "") -> None:
        from inventory.models import SourceVersion
        from inventory.table import StoredItem

        stored = StoredItem(store, item, count, threshold, updated_at or "2026-11-22T03:00:00.000Z",
                            SourceVersion("2026-11-22T03:00:00.000Z", f"uploads/{store}.csv"))  # fmt: skip
        self.items.setdefault(store, {})[item] = stored

    def _records(self, store: str) -> list[Any]:
        from dashboard_api.models.records import ItemRecord

        return [
            ItemRecord(stored, stored.status(self.default_threshold))
            for _, stored in sorted(self.items.get(store, {}).items())
        ]

    def page(
        self,
        store: str,
        *,
        status: Any,
        limit: int,
        after_item: str | None = None,
        after_status: str | None = None,
    ) -> Any:
        from dashboard_api.models.records import ItemPage
        from inventory.models import StockStatus

        self.pages.append({"store": store, "status": status, "limit": limit, "after": after_item})
        indexed = status in (StockStatus.OUT, StockStatus.LOW)
        candidates = [r for r in self._records(store) if not indexed or r.status is status]
        if after_item is not None:
            candidates = [r for r in candidates if r.stored.item > after_item]
        examined = candidates[:limit]
        more = len(candidates) > limit
        returned = [r for r in examined if status is not StockStatus.OK or r.status is StockStatus.OK]
        last = examined[-1] if more and examined else None
        return ItemPage(
            items=returned,
            scanned=len(examined),
            last_item=last.stored.item if last else None,
            last_status=last.status.value if last and indexed else None,
        )

    def alerts(self, store: str, status: Any) -> list[Any]:
        from inventory.models import StockStatus

        self.alert_queries.append(store)
        wanted = {status} if status else {StockStatus.OUT, StockStatus.LOW}
        return [r for r in self._records(store) if r.status in wanted]


class FakeHistoryReader:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, str]] = []

    def changes(self, store: str, item: str, start: str, end: str, limit: int) -> tuple[list[Any], bool]:
        self.calls.append((store, item, start, end))
        return [], False


class FakeReportBucket:
    """Upload reports in memory, newest first in insertion order reversed."""

    def __init__(self) -> None:
        self.reports: list[Any] = []
        self.read_keys: list[str] = []

    def add(self, key: str, body: dict[str, Any], last_modified: str) -> None:
        from dashboard_api.models.records import Report

        self.reports.append(Report(key, last_modified, body))

    def newest(self, max_listed: int) -> list[Any]:
        from dashboard_api.models.records import ReportObject

        ordered = sorted(self.reports, key=lambda report: report.last_modified, reverse=True)
        return [ReportObject(report.key, report.last_modified) for report in ordered[:max_listed]]

    def read(self, listed: Any) -> Any:
        self.read_keys.append(listed.key)
        return next((report for report in self.reports if report.key == listed.key), None)
