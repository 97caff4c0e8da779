"""In-memory stand-ins for integrations, handed to logic in unit tests instead of mocks."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from alerts.logic.alerting import ChangeLog, Notifier
from alerts.logic.forecasting import ForecastStore
from alerts.logic.recount_pass import PassProgress, StoreRecounter
from alerts.models.digest import Digest
from alerts.models.forecast import ItemKey, StoredForecast
from alerts.models.history import Recorded, Written
from alerts.models.recount import StoreRecount, Totals, Verdict
from alerts.models.recount_pass import RecountPass
from botocore.exceptions import ClientError
from inventory.history import HistoryEntry, history_key, history_sort_key
from inventory.people import PersonAccess
from inventory.stores import StoreChange

if TYPE_CHECKING:
    from collections.abc import Callable

    from dashboard_api.models.records import (
        ForecastRows,
        IndexPage,
        ItemPage,
        ItemRecord,
        SignedPost,
        StreamRead,
        UploadPosition,
        UploadStream,
    )
    from dashboard_api.models.subscriptions import (
        Listed,
        PendingCode,
        RecordPage,
        SnsSubscription,
        State,
        SubscriptionRecord,
    )
    from dashboard_api.models.users import UserListing, UserRecord
    from inventory.models import Ordering, StockStatus
    from inventory.report import UploadReport
    from inventory.stores import StoreSummary
    from inventory.table import StoredItem
    from inventory.uploads import UploadEntry

# -- ingest: the Inventory table, its client, and the function's own invoker ---------------


def _code_error(code: str, operation: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, **extra}, operation)


class FakeDynamoDB:
    """A DynamoDB client for the Inventory table's access code: BatchGetItem and TransactWriteItems.

    Conditions are not evaluated (moto does that in the integration tests); instead
    ``unprocessed`` makes the next reads leave half their keys undone, ``throttle`` makes the
    next calls fail as the retry layer gives up on throttling, and ``cancel`` scripts the next
    transactions' cancellation reasons, one code per action (nothing of a cancelled one applies).
    """

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[str] = []
        self.unprocessed = 0
        self.throttle = 0
        self.cancel: list[list[str]] = []
        self.fences: list[dict[str, Any]] = []  # the ConditionChecks of the last transaction

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
        updates = [action["Update"] for action in TransactItems if "Update" in action]
        keys = [(update["Key"]["Store"]["S"], update["Key"]["Item"]["S"]) for update in updates]
        assert len(set(keys)) == len(keys), "TransactWriteItems refuses two actions on one item"
        self.fences = [action["ConditionCheck"] for action in TransactItems if "ConditionCheck" in action]
        if self.cancel:
            codes = self.cancel.pop(0)  # one per action, the fence's last
            reasons = [
                {"Code": code, **({"Item": self.items.get(key)} if key and code == "ConditionalCheckFailed" else {})}
                for code, key in zip(codes, [*keys, None][: len(codes)], strict=True)
            ]
            raise _code_error("TransactionCanceledException", "TransactWriteItems", CancellationReasons=reasons)
        for key, update in zip(keys, updates, strict=True):
            self.items[key] = _updated(self.items.get(key, dict(update["Key"])), update)
        return {}


def _updated(item: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``item`` after an update of the form ingest writes: ``SET #a = :a, ... [REMOVE #b, ...]``."""
    names, values = update["ExpressionAttributeNames"], update["ExpressionAttributeValues"]
    assignments, _, removals = update["UpdateExpression"].removeprefix("SET ").partition(" REMOVE ")
    item = dict(item)
    for assignment in assignments.split(", "):
        name, value = assignment.split(" = ")
        item[names[name]] = values[value]
    for name in filter(None, removals.split(", ")):
        item.pop(names[name], None)
    return item


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

    def write_many(self, writes: Any, deadline: float, fence: Any = None) -> Any:
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


class FakeIam:
    """IAM's GetRole for one role; ``down`` makes it refuse, as IAM does to a function without the permission."""

    def __init__(self, role_name: str, role_id: str) -> None:
        self.role_name, self.role_id = role_name, role_id
        self.down = False
        self.calls = 0

    def get_role(self, *, RoleName: str) -> dict[str, Any]:
        self.calls += 1
        if self.down or RoleName != self.role_name:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "GetRole")
        return {"Role": {"RoleName": RoleName, "RoleId": self.role_id}}


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


# -- alerts: the History rows with the store totals, and the alerts topic --------------


class FakeChangeLog(ChangeLog):
    """History rows and Stores totals in memory, with the real once-only rule: a change whose
    row exists counts nothing and reports whether it was announced; and the real batching: each
    store's rows go ``rows_per_transaction`` at a time, in order, a chunk landing whole or not at
    all, and a store's later chunks not tried after one fails.

    ``fail_writes`` makes the next chunks fail (throttled past the retries), ``fail_changes``
    the chunk holding the first write of each given (item, new count); ``fail_marks`` the next
    calls to mark announcements. ``attempts`` lists the items of every row attempted, in order.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], HistoryEntry] = {}
        self.totals: dict[str, StoreChange] = {}
        self.rows_per_transaction = 99
        self.fail_writes = 0
        self.fail_changes: set[tuple[str, int]] = set()
        self.fail_marks = 0
        self.fail_digest_records = 0
        self.digests: list[tuple[str, str, set[tuple[str, str]]]] = []  # (store, published at, row keys)
        self.writes = 0
        self.attempts: list[str] = []

    @staticmethod
    def _key(entry: HistoryEntry) -> tuple[str, str]:
        return (history_key(entry.store, entry.item), history_sort_key(entry.time, entry.sequence))

    def write_all(self, changes: Any) -> list[Any]:
        from alerts.models.errors import HistoryUnavailable

        outcomes: list[Any] = [None] * len(changes)
        by_store: dict[str, list[int]] = {}
        for index, (entry, _) in enumerate(changes):
            by_store.setdefault(entry.store, []).append(index)
        for indices in by_store.values():
            size = self.rows_per_transaction
            failed: HistoryUnavailable | None = None
            for start in range(0, len(indices), size):
                chunk = indices[start : start + size]
                if failed is None:
                    self.attempts.extend(changes[index][0].item for index in chunk)
                    hit = {(changes[i][0].item, changes[i][0].new_count) for i in chunk} & self.fail_changes
                    if self.fail_writes or hit:
                        self.fail_writes = max(0, self.fail_writes - 1)
                        self.fail_changes -= hit
                        failed = HistoryUnavailable("History and totals not written (ThrottlingError)")
                if failed is not None:
                    for index in chunk:
                        outcomes[index] = failed
                    continue
                for index in chunk:
                    outcomes[index] = self._write(*changes[index])
        return outcomes

    def _write(self, entry: HistoryEntry, totals: StoreChange | None) -> Written:
        existing = self.rows.get(self._key(entry))
        if existing is not None:
            found = Recorded.UNANNOUNCED if existing.announced_at is None else Recorded.ANNOUNCED
            return Written(found, existing.alert)
        self.writes += 1
        self.rows[self._key(entry)] = entry
        if totals is not None:
            self.totals.setdefault(entry.store, StoreChange()).add(totals)
        return Written(Recorded.NEW, entry.alert)

    def record_digest(self, store: str, entries: Any, published_at: str) -> None:
        from alerts.models.errors import HistoryUnavailable

        if self.fail_digest_records:
            self.fail_digest_records -= 1
            raise HistoryUnavailable("published digest not recorded: throttled")
        self.digests.append((store, published_at, {self._key(entry) for entry in entries}))

    def announced_rows(self, store: str, since: str) -> set[tuple[str, str]]:
        return {key for name, at, keys in self.digests if name == store and at >= since for key in keys}

    def alerted_after(self, entry: HistoryEntry) -> bool:
        partition, after = self._key(entry)
        return any(key[0] == partition and key[1] > after and row.alert for key, row in self.rows.items())

    def mark_all(self, entries: Any, announced_at: str) -> None:
        from alerts.models.errors import HistoryUnavailable

        if self.fail_marks:
            self.fail_marks -= 1
            raise HistoryUnavailable("History rows not marked announced: throttled")
        for entry in entries:  # on rows that exist only, as the conditional updates do
            if self._key(entry) in self.rows:
                self.rows[self._key(entry)] = replace(self.rows[self._key(entry)], announced_at=announced_at)

    def entries(self) -> list[HistoryEntry]:
        return list(self.rows.values())

    def store_totals(self, store: str) -> tuple[int, int, int]:
        """(items, out, low) of a store, as the Stores row would hold them."""
        totals = self.totals.get(store, StoreChange())
        return (totals.items, totals.out, totals.low)


class FakeForecastTable(ForecastStore):
    """The Forecast table in memory, with the real write condition: the row must still be as read.

    ``fail_reads`` makes the next reads fail (throttled past the retries), ``fail_writes`` the
    next writes; ``before_write`` runs before each write (a concurrent writer lands in between).
    ``reads`` and ``written`` record the keys of every read and write, in order.
    """

    def __init__(self) -> None:
        from inventory.forecast import ForecastRow

        self.rows: dict[ItemKey, ForecastRow] = {}
        self.reads: list[list[ItemKey]] = []
        self.written: list[ItemKey] = []
        self.fail_reads = 0
        self.fail_writes = 0
        self.before_write: Any = None

    def read(self, keys: Any) -> dict[ItemKey, StoredForecast]:
        from alerts.models.errors import ForecastUnavailable

        wanted = list(dict.fromkeys(keys))
        self.reads.append(wanted)
        if self.fail_reads:
            self.fail_reads -= 1
            raise ForecastUnavailable("Forecast rows not readable: ProvisionedThroughputExceededException")
        return {
            key: StoredForecast(self.rows[key], exists=True, sequence=self.rows[key].state.sequence)
            for key in wanted
            if key in self.rows
        }

    def write(self, row: Any, read: StoredForecast) -> bool:
        from alerts.models.errors import ForecastUnavailable

        if self.before_write is not None:
            self.before_write(self, row)
        if self.fail_writes:
            self.fail_writes -= 1
            raise ForecastUnavailable("Forecast row not written: ProvisionedThroughputExceededException")
        key = (row.store, row.item)
        stored = self.rows.get(key)
        if (stored is None) != (not read.exists) or (stored is not None and stored.state.sequence != read.sequence):
            return False
        self.rows[key] = row
        self.written.append(key)
        return True


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


# -- alerts: the recount's daily pass -------------------------------------------------------


class FakeRecountProgress(PassProgress):
    """The recount's progress item in memory, taken and saved on the same conditions as the table's."""

    def __init__(self) -> None:
        self.progress = RecountPass()
        self.owner: str | None = None
        self.held_until: str | None = None

    def take(self, owner: str, until: str, now: str) -> RecountPass | None:
        if self.held_until is not None and self.held_until >= now:
            return None
        self.owner, self.held_until = owner, until
        return self.progress

    def save(self, owner: str, progress: RecountPass) -> bool:
        if self.owner != owner:
            return False
        self.progress = progress
        return True

    def release(self, owner: str) -> None:
        if self.owner == owner:
            self.owner = self.held_until = None


class TimedRecounter(StoreRecounter):
    """Recounts a store by moving ``clock`` on by ``seconds`` (what one store costs) and noting when."""

    def __init__(self, clock: SteppingClock, seconds: float) -> None:
        self._clock = clock
        self._step = timedelta(seconds=seconds)
        self.recounted: list[tuple[str, datetime]] = []

    def recount(self, store: str) -> StoreRecount:
        self._clock.now += self._step
        self.recounted.append((store, self._clock.now))
        return StoreRecount(store, Verdict.MATCHED, Totals(), Totals())


class SteppingClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


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

    def add(
        self,
        store: str,
        item: str,
        count: int,
        threshold: int | None = None,
        updated_at: str = "",
        ordering: Ordering | None = None,
    ) -> None:
        from inventory.models import NO_ORDERING, SourceVersion
        from inventory.table import StoredItem

        stored = StoredItem(store, item, count, threshold, updated_at or "2026-11-22T03:00:00.000Z",
                            SourceVersion("2026-11-22T03:00:00.000Z", f"uploads/{store}.csv"),
                            ordering or NO_ORDERING)  # fmt: skip
        self.items.setdefault(store, {})[item] = stored

    def orderings(self, store: str, max_rows: int) -> dict[str, Ordering]:
        from inventory.models import NO_ORDERING

        return {name: s.ordering for name, s in self.items.get(store, {}).items() if s.ordering != NO_ORDERING}

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

    def one(self, store: str, item: str) -> ItemRecord | None:
        return next((r for r in self._records(store) if r.stored.item == item), None)

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


class FakeForecastReader:
    """The Forecast table and its RunningOut index in memory (``ForecastSource``), read as DynamoDB would:
    a store's rows in item order, the index in order of cover. ``reads`` records each read's kind."""

    def __init__(self) -> None:
        from inventory.forecast import ForecastRow

        self.table: dict[str, dict[str, ForecastRow]] = {}
        self.reads: list[tuple[str, str]] = []

    def add(
        self, store: str, item: str, count: int, rate_per_day: float | None, at: str, daily_sd: float = 0.0
    ) -> None:
        """A row as alerts writes it: ``count`` seen at ``at``, used at ``rate_per_day`` (``None``: not used up)."""
        from datetime import timedelta

        from inventory.forecast import Forecast, ForecastRow, ModelState, parse_time
        from inventory.models import iso_utc

        used = rate_per_day or 0.0
        state = ModelState(count, at, "1", consumed=used, elapsed=1.0 if used else 0.0)
        forecast = None
        if used:
            days = count / used
            forecast = Forecast(count, used, days, iso_utc(parse_time(at) + timedelta(days=days)), daily_sd)
        self.table.setdefault(store, {})[item] = ForecastRow(store, item, state, forecast)

    def _sorted(self, store: str) -> list[Any]:
        return [row for _, row in sorted(self.table.get(store, {}).items())]

    def store_rows(self, store: str, max_rows: int) -> ForecastRows:
        from dashboard_api.models.records import ForecastRows

        self.reads.append(("store_rows", store))
        rows = self._sorted(store)
        examined = rows[:max_rows]
        return ForecastRows([r for r in examined if r.forecast], len(examined), len(rows) <= max_rows)

    def running_out(self, store: str, max_days: float, limit: int) -> ForecastRows:
        from dashboard_api.models.records import ForecastRows

        self.reads.append(("running_out", store))
        indexed = [r for r in self._sorted(store) if r.running_out_in is not None and r.running_out_in <= max_days]
        indexed.sort(key=lambda r: r.running_out_in)
        return ForecastRows(indexed[:limit], min(limit, len(indexed)), len(indexed) <= limit)

    def between(self, store: str, first: str, last: str, max_rows: int) -> ForecastRows:
        from dashboard_api.models.records import ForecastRows

        self.reads.append(("between", store))
        rows = [r for r in self._sorted(store) if first <= r.item <= last]
        return ForecastRows(rows[:max_rows], min(max_rows, len(rows)), len(rows) <= max_rows)

    def keyed(self, keys: Any, what: str = "") -> ForecastRows:
        from dashboard_api.models.records import ForecastRows

        self.reads.append(("keyed", ""))
        found = [self.table[store][item] for store, item in keys if item in self.table.get(store, {})]
        return ForecastRows(found, len(found), True)

    def rows(self, store: str, items: Any) -> ForecastRows:
        from dashboard_api.models.records import ForecastRows

        self.reads.append(("rows", store))
        stored = self.table.get(store, {})
        found = [stored[item] for item in items if item in stored]
        return ForecastRows(found, len(found), True)


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

    def page(self, read: StreamRead, limit: int) -> IndexPage:
        from dashboard_api.dal.uploads import summary
        from dashboard_api.models.records import IndexedUpload, IndexPage, UploadPosition

        stream, after, older_than, inclusive = read.stream, read.after, read.older_than, read.inclusive
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

    def sign(
        self,
        key: str,
        *,
        max_bytes: int,
        uploaded_by: str,
        expires_in: int,
        full_list: bool = False,
        dry_run: bool = False,
    ) -> SignedPost:
        from dashboard_api.models.records import SignedPost

        self.signed.append({"key": key, "max_bytes": max_bytes, "uploaded_by": uploaded_by, "expires_in": expires_in})
        if full_list:
            self.signed[-1]["full_list"] = True
        if dry_run:
            self.signed[-1]["dry_run"] = True
        return SignedPost(url="https://bucket.example/", fields={"key": key, "policy": "unsigned"})


# -- dashboard API: the alerts topic's subscriptions and the People table ------------------


class FakeAlertsTopic:
    """SNS subscriptions on the alerts topic in memory, as SNS behaves (not as moto does):

    - subscribing the same protocol and endpoint again answers the existing ARN, or refuses
      when the attributes differ;
    - email and https subscriptions stay pending until :meth:`confirm`; SNS refuses to
      unsubscribe a pending one (and, with ``refuse_pending_changes``, to change it).

    Faults: ``fail_subscribe`` (SNS unavailable, nothing made), ``lose_answer`` (made, but the
    answer never arrives), ``refused`` (endpoints SNS rejects), ``fail_calls`` (any call fails).
    Races: ``before[name]`` runs once, as the next call of that name (``Subscribe``, ...) begins.
    """

    TOPIC = "arn:aws:sns:us-east-1:123456789012:inventory-alerts-test-no-stock"

    def __init__(self) -> None:
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.fail_subscribe = 0
        self.lose_answer = 0
        self.fail_calls = 0
        self.refused: set[str] = set()
        self.refuse_pending_changes = False
        self.before: dict[str, Callable[[], Any]] = {}
        self._next = 0

    def _call(self, name: str) -> None:
        from dashboard_api.models.errors import Unavailable

        self.calls.append(name)
        race = self.before.pop(name, None)
        if race is not None:
            race()
        if self.fail_calls:
            self.fail_calls -= 1
            raise Unavailable(f"{name} failed (Throttling); try again shortly")

    def subscribe(self, protocol: str, endpoint: str, filter_policy: dict[str, list[str]]) -> str:
        from dashboard_api.models.errors import BadRequest, Conflict, Unavailable

        self._call("Subscribe")
        if self.fail_subscribe:
            self.fail_subscribe -= 1
            raise Unavailable("subscribing failed (ServiceUnavailable); try again shortly")
        if endpoint in self.refused:
            raise BadRequest("SNS refused the endpoint: Invalid parameter: Endpoint", "invalid_endpoint")
        for arn, existing in self.subscriptions.items():
            if (existing["protocol"], existing["endpoint"]) == (protocol, endpoint):
                if existing["policy"] != filter_policy:
                    raise Conflict("this address is already subscribed to the alerts topic with other settings")
                return arn
        self._next += 1
        arn = f"{self.TOPIC}:{self._next:08d}-0000-0000-0000-000000000000"
        pending = protocol in ("email", "https")
        self.subscriptions[arn] = {
            "protocol": protocol,
            "endpoint": endpoint,
            "policy": filter_policy,
            "pending": pending,
        }
        if self.lose_answer:
            self.lose_answer -= 1
            raise Unavailable("subscribing failed (timeout); try again shortly")
        return arn

    def confirm(self, arn: str) -> None:
        self.subscriptions[arn]["pending"] = False

    def listed(self) -> list[Listed]:
        from dashboard_api.models.subscriptions import Listed

        self._call("ListSubscriptionsByTopic")
        return [
            Listed(arn, entry["protocol"], entry["endpoint"])
            for arn, entry in self.subscriptions.items()
            if not entry["pending"]  # SNS lists a pending one as "PendingConfirmation", no ARN
        ]

    def describe(self, subscription_arn: str) -> SnsSubscription | None:
        from dashboard_api.models.subscriptions import SnsSubscription

        self._call("GetSubscriptionAttributes")
        found = self.subscriptions.get(subscription_arn)
        return SnsSubscription(found["pending"], dict(found["policy"])) if found else None

    def set_filter(self, subscription_arn: str, filter_policy: dict[str, list[str]]) -> str:
        self._call("SetSubscriptionAttributes")
        found = self.subscriptions.get(subscription_arn)
        if found is None:
            return "gone"
        if found["pending"] and self.refuse_pending_changes:
            return "pending"
        found["policy"] = filter_policy
        return "updated"

    def unsubscribe(self, subscription_arn: str) -> str:
        self._call("Unsubscribe")
        found = self.subscriptions.get(subscription_arn)
        if found is None:
            return "gone"
        if found["pending"]:
            return "pending"
        del self.subscriptions[subscription_arn]
        return "removed"

    def policies(self) -> list[dict[str, list[str]]]:
        return [entry["policy"] for entry in self.subscriptions.values()]


class FakeTexts:
    """Texts to phone numbers, kept in order: (number, text)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, number: str, text: str) -> None:
        self.sent.append((number, text))

    def last_code(self, number: str) -> str:
        import re

        text = next(text for to, text in reversed(self.sent) if to == number)
        match = re.search(r"\b(\d{6})\b", text)
        assert match, text
        return match.group(1)


class FakeSubscriptionRows:
    """The People table's subscription rows, address claims and counters in memory, with the
    same all-or-nothing reserve and delete as the DynamoDB transactions.

    Faults: ``fail_activate`` / ``fail_delete`` / ``fail_set_stores`` make the next such writes fail.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], SubscriptionRecord] = {}
        self.claims: dict[str, tuple[str, str]] = {}
        self.endpoint_keys: dict[tuple[str, str], str] = {}
        self.counts: dict[str, int] = {}
        self.fail_activate = 0
        self.fail_delete = 0
        self.fail_set_stores = 0

    @staticmethod
    def _failed(what: str) -> Exception:
        from dashboard_api.models.errors import Unavailable

        return Unavailable(f"{what} failed; try again shortly")

    def reserve(
        self, record: SubscriptionRecord, endpoint_key: str, cap: int, *, issued_at: int | None, admin: bool
    ) -> None:
        del issued_at, admin  # the owner's standing is the DynamoDB condition's (tests/integration/api)
        from dashboard_api.models.errors import EndpointTaken, TooManySubscriptions
        from dashboard_api.models.subscriptions import State

        claims = record.state is not State.VERIFYING  # a number awaiting its code claims nothing
        if claims and endpoint_key in self.claims:
            owner, subscription_id = self.claims[endpoint_key]
            raise EndpointTaken("this address is subscribed already", owner, subscription_id)
        if self.counts.get(record.owner, 0) >= cap:
            raise TooManySubscriptions(f"you have {cap} subscriptions, the most allowed; delete one first")
        if claims:
            self.claims[endpoint_key] = (record.owner, record.id)
        self.rows[(record.owner, record.id)] = record
        self.endpoint_keys[(record.owner, record.id)] = endpoint_key
        self.counts[record.owner] = self.counts.get(record.owner, 0) + 1

    def get(self, owner: str, subscription_id: str) -> SubscriptionRecord | None:
        return self.rows.get((owner, subscription_id))

    def claim(self, record: SubscriptionRecord, endpoint_key: str) -> None:
        from dashboard_api.models.errors import Conflict, EndpointTaken
        from dashboard_api.models.subscriptions import State

        if endpoint_key in self.claims:
            owner, subscription_id = self.claims[endpoint_key]
            raise EndpointTaken("this address is subscribed already", owner, subscription_id)
        current = self.rows.get((record.owner, record.id))
        if current is None or current.state is not State.VERIFYING:
            raise Conflict("this subscription is not awaiting a code", "not_awaiting_code")
        self.claims[endpoint_key] = (record.owner, record.id)
        self._replace(record, state=State.CREATING, code=None)

    def spend_attempt(self, record: SubscriptionRecord, most: int) -> bool:
        from dataclasses import replace

        current = self.rows.get((record.owner, record.id))
        code = current.code if current else None
        if code is None or record.code is None or code.digest != record.code.digest or code.attempts >= most:
            return False
        self._replace(record, code=replace(code, attempts=code.attempts + 1))
        return True

    def set_code(self, record: SubscriptionRecord, code: PendingCode) -> None:
        from dashboard_api.models.errors import Conflict
        from dashboard_api.models.subscriptions import State

        current = self.rows.get((record.owner, record.id))
        if current is None or current.state is not State.VERIFYING:
            raise Conflict("this subscription is not awaiting a code", "not_awaiting_code")
        self._replace(record, code=code)

    def _replace(self, record: SubscriptionRecord, **changes: Any) -> None:
        from dataclasses import replace

        key = (record.owner, record.id)
        if key in self.rows:
            self.rows[key] = replace(self.rows[key], **changes)

    def activate(self, record: SubscriptionRecord, arn: str) -> bool:
        from dashboard_api.models.subscriptions import State

        if self.fail_activate:
            self.fail_activate -= 1
            raise self._failed("saving the subscription")
        current = self.rows.get((record.owner, record.id))
        if current is None or not (
            current.state is State.CREATING or (current.state is State.ACTIVE and current.arn == arn)
        ):
            return False
        self._replace(record, state=State.ACTIVE, arn=arn)
        return True

    def mark_removing(self, record: SubscriptionRecord) -> None:
        from dashboard_api.models.subscriptions import State

        if record.arn is None:
            self._replace(record, state=State.REMOVING)
        else:
            self._replace(record, state=State.REMOVING, arn=record.arn)

    def set_stores(self, record: SubscriptionRecord, stores: tuple[str, ...]) -> None:
        if self.fail_set_stores:
            self.fail_set_stores -= 1
            raise self._failed("saving the subscription")
        self._replace(record, stores=stores)

    def claim_of(self, endpoint_key: str) -> tuple[str, str] | None:
        return self.claims.get(endpoint_key)

    def delete(self, record: SubscriptionRecord, *, state: State | None = None) -> None:
        if self.fail_delete:
            self.fail_delete -= 1
            raise self._failed("removing the subscription")
        key = (record.owner, record.id)
        if key not in self.rows or (state is not None and self.rows[key].state is not state):
            return
        del self.rows[key]
        endpoint_key = self.endpoint_keys.pop(key)
        if self.claims.get(endpoint_key) == key:
            del self.claims[endpoint_key]
        self.counts[record.owner] -= 1

    def of_owner(self, owner: str) -> list[SubscriptionRecord]:
        return [record for (row_owner, _), record in sorted(self.rows.items()) if row_owner == owner]

    def page_all(self, limit: int, after: tuple[str, str] | None) -> RecordPage:
        from dashboard_api.models.subscriptions import RecordPage

        keys = sorted(self.rows)
        if after is not None:
            keys = [key for key in keys if key > after]
        chosen = keys[:limit]
        return RecordPage([self.rows[key] for key in chosen], chosen[-1] if len(chosen) == limit else None)


class FakeUserDirectory:
    """The user pool in memory (``logic.people.Directory``), as Cognito behaves for what People uses:
    usernames match in any case, a disabled user cannot be signed out, a user still on their first
    temporary password cannot be reset by email. ``events`` records every change in order."""

    def __init__(self) -> None:
        self.users: dict[str, UserRecord] = {}
        self.passwords: dict[str, str] = {}
        self.events: list[tuple[str, str]] = []

    def add(self, username: str, *, stores: str = "", admin: bool = False, email: str | None = None,
            status: str = "CONFIRMED", mfa: bool = False) -> None:  # fmt: skip
        from dashboard_api.models.users import UserRecord

        self.users[username.casefold()] = UserRecord(
            username, email, email is not None, True, status, admin, stores or None, "2026-11-22T03:00:00.000Z", mfa
        )

    def _user(self, username: str) -> UserRecord:
        from dashboard_api.models.errors import NotFound

        if username.casefold() not in self.users:
            raise NotFound(f"no such user: {username}")
        return self.users[username.casefold()]

    def _change(self, event: str, username: str, **changes: Any) -> None:
        from dataclasses import replace

        user = self._user(username)
        self.events.append((event, user.username))
        self.users[username.casefold()] = replace(user, **changes)

    def get(self, username: str) -> UserRecord:
        return self._user(username)

    def mfa_enabled(self, username: str) -> bool:
        return bool(self._user(username).mfa_enabled)

    def page(self, limit: int, token: str | None) -> UserListing:
        from dashboard_api.models.users import UserListing

        start = int(token or 0)
        users = sorted(self.users.values(), key=lambda user: user.username)
        more = len(users) > start + limit
        return UserListing(users[start : start + limit], str(start + limit) if more else None)

    def create(
        self, username: str, temporary_password: str, stores_attribute: str, admin: bool, email: str | None = None
    ) -> None:
        from dashboard_api.models.errors import Conflict

        if username.casefold() in self.users:
            raise Conflict(f"user {username!r} already exists (UsernameExistsException)", "user_exists")
        self.add(username, stores=stores_attribute, admin=admin, email=email, status="FORCE_CHANGE_PASSWORD")
        self.passwords[username] = temporary_password
        self.events.append(("create", username))

    def set_access(self, username: str, stores_attribute: str, admin: bool) -> None:
        self._change("set_access", username, stores_attribute=stores_attribute, admin=admin)

    def disable(self, username: str) -> None:
        self._change("disable", username, enabled=False)

    def enable(self, username: str) -> None:
        self._change("enable", username, enabled=True)

    def delete(self, username: str) -> None:
        user = self._user(username)
        self.events.append(("delete", user.username))
        del self.users[username.casefold()]

    def sign_out_everywhere(self, username: str) -> None:
        from dashboard_api.models.errors import BadRequest

        if not self._user(username).enabled:
            raise BadRequest("Cognito refused the change: User is disabled.", "refused")
        self._change("sign_out", username)

    def reset_password(self, username: str) -> None:
        from dashboard_api.models.errors import BadRequest

        if self._user(username).status == "FORCE_CHANGE_PASSWORD":
            raise BadRequest("User password cannot be reset in the current state.", "refused")
        self._change("reset_password", username, status="RESET_REQUIRED")

    def set_temporary_password(self, username: str, password: str) -> None:
        self._change("set_temporary_password", username, status="FORCE_CHANGE_PASSWORD")
        self.passwords[self._user(username).username] = password


class FakeRevocations:
    """RevokedBefore per user in memory, only ever moving forward (``logic.people.Revoker``)."""

    def __init__(self) -> None:
        self.before: dict[str, int] = {}
        self.access: dict[str, PersonAccess] = {}
        self.mfa_enrolled_at: dict[str, int] = {}
        self.ended: dict[str, dict[str, int]] = {}

    def record_access(self, username: str, access: PersonAccess) -> None:
        self.access[username] = access

    def record_mfa_enrolment(self, username: str, at: int) -> None:
        self.mfa_enrolled_at[username] = at

    def end_session(self, username: str, session: str, *, until: int, now: int) -> None:
        del now
        self.ended.setdefault(username, {})[session] = until

    def revoke(self, username: str, before: int) -> None:
        self.before[username] = max(before, self.before.get(username, 0))

    def revoked_before(self, username: str) -> int | None:
        return self.before.get(username)
