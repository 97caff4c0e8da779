"""In-memory stand-ins for integrations, handed to logic in unit tests instead of mocks."""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import ClientError

# -- ingest: the Inventory table, its client, and the function's own invoker ---------------


def _code_error(code: str, operation: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, **extra}, operation)


class FakeDynamoDB:
    """A DynamoDB client for the Inventory table's access code: BatchGetItem and TransactWriteItems.

    Conditions are not evaluated (moto does that in the integration tests); instead
    ``unprocessed`` makes the next reads leave half their keys undone, ``throttle`` makes the
    next calls fail as the retry layer gives up on throttling, and ``cancel`` scripts the next
    transactions' cancellation reasons, one code per item (nothing of a cancelled one applies).
    """

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[str] = []
        self.unprocessed = 0
        self.throttle = 0
        self.cancel: list[list[str]] = []

    def _called(self, operation: str) -> None:
        self.calls.append(operation)
        if self.throttle:
            self.throttle -= 1
            raise _code_error("ProvisionedThroughputExceededException", operation)

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self._called("BatchGetItem")
        ((table, request),) = RequestItems.items()
        keys = list(request["Keys"])
        left: list[Any] = []
        if self.unprocessed:
            self.unprocessed -= 1
            keys, left = keys[: len(keys) // 2], keys[len(keys) // 2 :]
        found = [self.items[key] for key in ((k["Store"]["S"], k["Item"]["S"]) for k in keys) if key in self.items]
        return {"Responses": {table: found}, "UnprocessedKeys": {table: {**request, "Keys": left}} if left else {}}

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        self._called("TransactWriteItems")
        assert len(TransactItems) <= 100, "TransactWriteItems takes at most 100 actions"
        items = [action["Put"]["Item"] for action in TransactItems]
        keys = [(item["Store"]["S"], item["Item"]["S"]) for item in items]
        assert len(set(keys)) == len(keys), "TransactWriteItems refuses two actions on one item"
        if self.cancel:
            codes = self.cancel.pop(0)
            reasons = [
                {"Code": code, **({"Item": self.items.get(key)} if code == "ConditionalCheckFailed" else {})}
                for code, key in zip(codes, keys, strict=True)
            ]
            raise _code_error("TransactionCanceledException", "TransactWriteItems", CancellationReasons=reasons)
        for key, item in zip(keys, items, strict=True):
            self.items[key] = item
        return {}


class FakeItemTable:
    """The Inventory table as the loader sees it (``ingest.logic.loader.ItemTable``), in memory.

    Writes follow the newer-upload-wins rule in plain Python: an item lands if the stored one
    came from an older upload or the same one, or has no readable source. ``fail_writes``
    makes the next write batches fail as a table that stays throttled does; ``before_write``
    runs before each write batch (a racing upload lands in between).
    """

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.reads = 0
        self.write_calls = 0
        self.fail_writes = 0
        self.before_write: Any = None
        self._lock = threading.Lock()

    def get_many(self, keys: Any, deadline: float) -> list[dict[str, Any]]:
        with self._lock:
            self.reads += 1
            found = (self.items.get((key["Store"]["S"], key["Item"]["S"])) for key in keys)
            return [dict(item) for item in found if item is not None]

    def write_many(self, writes: Any, deadline: float) -> Any:
        from ingest.dal.inventory import WriteOutcome
        from ingest.models.errors import TableUnavailable

        if self.before_write is not None:
            self.before_write(self)
        with self._lock:
            self.write_calls += 1
            if self.fail_writes:
                self.fail_writes -= 1
                raise TableUnavailable("TransactWriteItems on inventory still failed after every retry")
            outcome = WriteOutcome()
            for write in writes:
                stored = self.items.get(write.key)
                if self.newer_than_stored(stored, write.source, write.line):
                    self.items[write.key] = {**write.attributes, "SourceLine": {"N": str(write.line)}}
                    outcome.written.append(write.key)
                else:
                    outcome.lost[write.key] = dict(stored) if stored else None
            return outcome

    @staticmethod
    def newer_than_stored(stored: dict[str, Any] | None, source: Any, line: int) -> bool:
        """The write's condition: the stored item is from an older upload or this one (lines are the reader's)."""
        del line
        if stored is None or not isinstance(stored.get("SourceTime"), dict):
            return True
        time = stored["SourceTime"].get("S")
        if not isinstance(time, str):
            return True
        theirs = (time, stored.get("SourceKey", {}).get("S", ""), stored.get("SourceSeq", {}).get("S", ""))
        return theirs <= (source.time, source.key, source.sequencer)

    def put(self, store: str, item: str, attributes: dict[str, Any]) -> None:
        """Store an item as it is, however malformed."""
        self.items[(store, item)] = {"Store": {"S": store}, "Item": {"S": item}, **attributes}

    def counts(self) -> dict[str, int]:
        return {item: int(attributes["Count"]["N"]) for (_, item), attributes in self.items.items()}


class FakeInvoker:
    """The function's asynchronous self-invocation, kept instead of sent; ``fail`` refuses the next ones."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.fail = 0

    def invoke_async(self, function_arn: str, event: dict[str, Any]) -> None:
        from ingest.models.errors import ContinuationFailed

        if self.fail:
            self.fail -= 1
            raise ContinuationFailed("could not invoke the function to carry on: TooManyRequestsException")
        self.events.append((function_arn, event))


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
