"""In-memory stand-ins for integrations, handed to logic in unit tests instead of mocks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from dashboard_api.models.records import IndexPage, ItemPage, ItemRecord, SignedPost, UploadPosition, UploadStream
    from inventory.history import HistoryEntry
    from inventory.models import StockStatus
    from inventory.report import UploadReport
    from inventory.stores import StoreSummary
    from inventory.table import StoredItem
    from inventory.uploads import UploadEntry


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


# -- alerts: the History table and the alerts topic ------------------------------------


class FakeHistory:
    """The History table's writer in memory, with the same dedupe condition as the real one.

    ``fail_writes`` makes the next row writes fail; ``fail_marks`` the next announcement marks.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.fail_writes = 0
        self.fail_marks = 0

    @staticmethod
    def _key(entry: Any) -> tuple[str, str]:
        return (f"{entry.store}\x1f{entry.item}", f"{entry.time}#{entry.sequence}")

    def record(self, entry: Any) -> bool:
        from alerts.models.errors import HistoryUnavailable

        if self.fail_writes:
            self.fail_writes -= 1
            raise HistoryUnavailable("History write failed: throttled")
        key = self._key(entry)
        if "announced_at" in self.rows.get(key, {}):
            return False
        self.rows[key] = {"entry": entry}
        return True

    def mark_announced(self, entry: Any, alert: Any, announced_at: str) -> None:
        from alerts.models.errors import HistoryUnavailable

        if self.fail_marks:
            self.fail_marks -= 1
            raise HistoryUnavailable("History write failed: throttled")
        self.rows[self._key(entry)] = {"entry": entry, "alert": alert, "announced_at": announced_at}

    def entries(self) -> list[Any]:
        return [row["entry"] for row in self.rows.values()]


class FakeTopic:
    """The alerts topic in memory: keeps every published digest; ``fail_stores`` refuse to publish."""

    def __init__(self) -> None:
        self.published: list[Any] = []
        self.fail_stores: set[str] = set()

    def publish(self, digest: Any) -> None:
        from alerts.models.errors import PublishFailed

        if digest.store in self.fail_stores:
            raise PublishFailed(f"SNS publish for {digest.store!r} failed: service unavailable")
        self.published.append(digest)

    def stores(self) -> list[str]:
        return [digest.store for digest in self.published]


# -- dashboard API: the readers behind the API's logic ----------------------------------
# Each one satisfies a Protocol of dashboard_api.logic (checked by mypy where the logic is built
# with it in tests/unit/api).


class FakeStoreDirectory:
    """The Stores table in memory: store name -> StoreSummary (``StoreSource``)."""

    def __init__(self, summaries: list[StoreSummary] | None = None) -> None:
        self.summaries = {summary.store: summary for summary in summaries or []}
        self.scans = 0

    def get(self, store: str) -> StoreSummary | None:
        return self.summaries.get(store)

    def all(self) -> list[StoreSummary]:
        self.scans += 1
        return list(self.summaries.values())


class FakeItemReader:
    """The Inventory table and its alerts index in memory, paged like DynamoDB Query (``ItemSource``):
    ``limit`` items examined per page, ``scanned`` counting items examined before a filter."""

    def __init__(self, default_threshold: int = 5) -> None:
        self.items: dict[str, dict[str, StoredItem]] = {}
        self.default_threshold = default_threshold
        self.pages: list[dict[str, Any]] = []
        self.alert_queries: list[str] = []

    def add(self, store: str, item: str, count: int, threshold: int | None = None, updated_at: str = "") -> None:
        from inventory.models import SourceVersion
        from inventory.table import StoredItem

        stored = StoredItem(store, item, count, threshold, updated_at or "2026-11-22T03:00:00.000Z",
                            SourceVersion("2026-11-22T03:00:00.000Z", f"uploads/{store}.csv"))  # fmt: skip
        self.items.setdefault(store, {})[item] = stored

    def _records(self, store: str) -> list[ItemRecord]:
        from dashboard_api.models.records import ItemRecord

        return [
            ItemRecord(stored, stored.status(self.default_threshold))
            for _, stored in sorted(self.items.get(store, {}).items())
        ]

    def page(
        self,
        store: str,
        *,
        status: StockStatus | None,
        limit: int,
        after_item: str | None = None,
        after_status: str | None = None,
    ) -> ItemPage:
        from dashboard_api.models.records import ItemPage
        from inventory.models import StockStatus

        assert limit >= 1, "DynamoDB refuses a Limit below 1"
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

    def alerts(self, store: str, status: StockStatus | None) -> list[ItemRecord]:
        from inventory.models import StockStatus

        self.alert_queries.append(store)
        wanted = {status} if status else {StockStatus.OUT, StockStatus.LOW}
        return [r for r in self._records(store) if r.status in wanted]


class FakeHistoryReader:
    """The History table, empty (``HistorySource``): records what was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, str]] = []

    def changes(self, store: str, item: str, start: str, end: str, limit: int) -> tuple[list[HistoryEntry], bool]:
        self.calls.append((store, item, start, end))
        return [], False


class FakeUploadIndex:
    """The uploads index in memory (``UploadIndexSource``), queried like its two GSIs: by Scope or by
    Feed, newest ReceivedAt first, ties in table-key order, ``ExclusiveStartKey`` resuming right after
    a row. ``queries`` records every Query (stream partition and Limit)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.queries: list[tuple[str, int]] = []

    def add(self, entry: UploadEntry) -> None:
        self.rows[(entry.key, entry.version)] = entry.to_item()

    def add_raw(self, item: dict[str, Any]) -> None:
        """A row as some other writer left it (a claim without its summary, say)."""
        self.rows[(item["Key"]["S"], item["Version"]["S"])] = item

    def _stream(self, stream: UploadStream) -> list[dict[str, Any]]:
        attribute = "Scope" if stream.index == "UploadsByScope" else "Feed"
        rows = [row for row in self.rows.values() if row.get(attribute, {}).get("S") == stream.partition]
        rows.sort(key=lambda row: (row["ReceivedAt"]["S"], row["Key"]["S"], row["Version"]["S"]), reverse=True)
        return rows

    def page(
        self,
        stream: UploadStream,
        *,
        limit: int,
        after: UploadPosition | None = None,
        older_than: str | None = None,
        inclusive: bool = False,
    ) -> IndexPage:
        from dashboard_api.dal.uploads import summary
        from dashboard_api.models.records import IndexedUpload, IndexPage, UploadPosition

        assert limit >= 1, "DynamoDB refuses a Limit below 1"
        self.queries.append((stream.partition, limit))
        rows = self._stream(stream)

        def position(row: dict[str, Any]) -> UploadPosition:
            return UploadPosition(stream.partition, row["ReceivedAt"]["S"], row["Key"]["S"], row["Version"]["S"])

        if after is not None:
            marks = [position(row) for row in rows]
            rows = rows[marks.index(after) + 1 :]
        elif older_than is not None:
            rows = [
                r
                for r in rows
                if r["ReceivedAt"]["S"] < older_than or (inclusive and r["ReceivedAt"]["S"] == older_than)
            ]
        taken = rows[:limit]
        return IndexPage(
            rows=[IndexedUpload(position(row), summary(row)) for row in taken],
            last=position(taken[-1]) if len(rows) > limit else None,
        )

    def versions(self, key: str, max_rows: int) -> list[UploadEntry]:
        from dashboard_api.dal.uploads import summary

        found = [summary(row) for (row_key, _), row in self.rows.items() if row_key == key][:max_rows]
        return [entry for entry in found if entry is not None]


class FakeReports:
    """Whole upload reports by report key (``ReportSource``); records which were read."""

    def __init__(self) -> None:
        self.reports: dict[str, UploadReport] = {}
        self.read_keys: list[str] = []

    def read(self, report_key: str) -> UploadReport | None:
        self.read_keys.append(report_key)
        return self.reports.get(report_key)


class FakeSigner:
    """Signs nothing (``Signer``): answers a form naming the key, and records what it was asked."""

    def __init__(self) -> None:
        self.signed: list[dict[str, Any]] = []

    def sign(self, key: str, *, max_bytes: int, uploaded_by: str, expires_in: int) -> SignedPost:
        from dashboard_api.models.records import SignedPost

        self.signed.append({"key": key, "max_bytes": max_bytes, "uploaded_by": uploaded_by, "expires_in": expires_in})
        return SignedPost(url="https://bucket.example/", fields={"key": key, "policy": "unsigned"})
