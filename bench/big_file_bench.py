"""A 5,000,000-row head-office file, loaded through continuations in simulated time.

The real Ingestor, Loader, parser, uploads index and Stores code run; what is simulated is time
and the Inventory table:

- **time** is virtual. Each thread keeps its own clock, moved only by waiting: every DynamoDB call
  waits :data:`LATENCY` (20 ms), a throttled call waits the backoff botocore's standard mode would,
  the loader's lanes wait in parallel, and a thread that waits for the others (the parser at a
  barrier) takes the latest of their clocks. CPU time is not on the clock (it is reported apart):
  the run shows what the waits alone cost, as Lambda would see them with a fast enough CPU.
- **the Inventory table** is a stand-in in memory (5,000,000 items would not fit in the emulator): it
  answers BatchGetItem, Query and TransactWriteItems, applies the newer-wins condition as
  ``ingest.dal.inventory.newer_wins`` states it, and gives each partition key (``Store``) 1,000 write
  units a second, as a DynamoDB partition has before it splits: a transaction of 100 items costs 200
  units. A call that finds its partitions short of units is throttled and retried as botocore's
  standard mode does (up to its attempts, then the error reaches ingest).
- **Lambda** is the harness: each invocation gets 900 s of virtual time (the context's remaining time),
  a continuation the function asks for is the next invocation, and an invocation that fails is tried
  again as Lambda's retries would.

The uploads index and the Stores table are moto's (every call also waits 20 ms); the file is read
from a file on disk, by byte range, as the continuations ask.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from bench import workload
from bench.standins import FileBucket, Meter, QueuedInvoker, item_of

LATENCY = 0.020
PARTITION_UNITS_PER_SECOND = 1_000.0
BUDGET_SECONDS = 900.0
#: Rows whose count is unreadable, so the report has errors whose lines must survive every part.
BAD_ROW_EVERY = 250_000
EPOCH = 1_800_000_000.0
KEY = "uploads/head-office/5m.csv"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:ingest"
TABLE = "inventory"


class VirtualTime:
    """Per-thread virtual clocks (see the module docstring). The thread that made it is the coordinator:
    it waits for the others, so its clock is the latest of all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clocks: dict[int, float] = {}
        self._main = threading.get_ident()

    def _own(self) -> float:
        ident = threading.get_ident()
        latest = max(self._clocks.values(), default=0.0)
        if ident == self._main:
            self._clocks[ident] = latest
        elif ident not in self._clocks:
            self._clocks[ident] = latest  # a new thread starts now
        return self._clocks[ident]

    def now(self) -> float:
        with self._lock:
            return self._own()

    def wait(self, seconds: float) -> None:
        with self._lock:
            self._clocks[threading.get_ident()] = self._own() + max(0.0, seconds)

    def latest(self) -> float:
        with self._lock:
            return max(self._clocks.values(), default=0.0)

    def align(self) -> None:
        """Every clock to the latest (an invocation starts after the previous one ended)."""
        with self._lock:
            latest = max(self._clocks.values(), default=0.0)
            self._clocks = dict.fromkeys(self._clocks, latest)

    def epoch(self) -> float:
        return EPOCH + self.now()


def _error(code: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, **extra}, "TransactWriteItems")


@dataclass
class PartitionedTable:
    """The Inventory table in memory with per-partition write units (see the module docstring).

    Items are kept compactly: per store, item -> (count, threshold, line, source index).
    """

    clock: VirtualTime
    attempts: int
    rand: random.Random = field(default_factory=lambda: random.Random(7))
    items: dict[str, dict[str, tuple[int, int | None, int, int]]] = field(default_factory=dict)
    sources: list[tuple[str, str, str]] = field(default_factory=list)
    units: dict[str, tuple[float, float]] = field(default_factory=dict)  # store -> (units left, when)
    calls: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    write_units: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.clock.wait(LATENCY)
        ((table, request),) = RequestItems.items()
        found = []
        with self._lock:
            self.calls["BatchGetItem"] += 1
            for key in request["Keys"]:
                store, item = key["Store"]["S"], key["Item"]["S"]
                stored = self.items.get(store, {}).get(item)
                if stored is not None:
                    found.append(self._attributes(store, item, stored))
        return {"Responses": {table: found}, "UnprocessedKeys": {}}

    def query(self, **request: Any) -> dict[str, Any]:
        """A page of one store's items (ingest's Query: its key condition, ``Limit``, ``ExclusiveStartKey``)."""
        self.clock.wait(LATENCY)
        store = request["ExpressionAttributeValues"][":store"]["S"]
        after = request.get("ExclusiveStartKey", {}).get("Item", {}).get("S", "")
        with self._lock:
            self.calls["Query"] += 1
            names = sorted(name for name in self.items.get(store, {}) if name > after)
            page = names[: request.get("Limit", len(names))]
            items = [self._attributes(store, name, self.items[store][name]) for name in page]
        answer: dict[str, Any] = {"Items": items}
        if len(page) < len(names):
            answer["LastEvaluatedKey"] = {"Store": {"S": store}, "Item": {"S": page[-1]}}
        return answer

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        # Ingest's item updates as the items they leave; the fence (a ConditionCheck) always holds here.
        puts = [{"Item": item_of(action["Update"])} for action in TransactItems if "Update" in action]
        needed = Counter(put["Item"]["Store"]["S"] for put in puts)
        for attempt in range(self.attempts):
            self.clock.wait(LATENCY)
            with self._lock:
                self.calls["TransactWriteItems"] += 1
                if self._take_units(needed):
                    return self._apply(puts) | {"ResponseMetadata": {"RetryAttempts": attempt}}
                self.throttled += 1
            if attempt + 1 < self.attempts:  # botocore's standard backoff after throttling
                self.clock.wait(self.rand.random() * min(2.0**attempt, 20.0))
        raise _error("ThrottlingException")

    def _take_units(self, needed: Counter[str]) -> bool:
        # A partition serves its writes in time order: a writer whose clock is behind the partition's
        # last write (it waited for that write's lane in real time) catches up to it first.
        behind = max((self.units[store][1] for store in needed if store in self.units), default=0.0)
        if behind > self.clock.now():
            self.clock.wait(behind - self.clock.now())
        now = self.clock.now()
        available = {}
        for store, items in needed.items():
            left, when = self.units.get(store, (PARTITION_UNITS_PER_SECOND, now))
            left = min(PARTITION_UNITS_PER_SECOND, left + max(0.0, now - when) * PARTITION_UNITS_PER_SECOND)
            if left < 2 * items:  # two write units per item in a transaction
                return False
            available[store] = left - 2 * items
        for store, left in available.items():
            self.units[store] = (left, max(now, self.units.get(store, (0.0, now))[1]))
        self.write_units += 2 * sum(needed.values())
        return True

    def _apply(self, puts: list[dict[str, Any]]) -> dict[str, Any]:
        reasons, landing = [], []
        for put in puts:
            item = put["Item"]
            source = (item["SourceTime"]["S"], item["SourceKey"]["S"], item.get("SourceSeq", {}).get("S", ""))
            store, name = item["Store"]["S"], item["Item"]["S"]
            stored = self.items.get(store, {}).get(name)
            if stored is not None and self.sources[stored[3]] > source:  # newer_wins: stored <= ours
                reasons.append({"Code": "ConditionalCheckFailed", "Item": self._attributes(store, name, stored)})
            else:
                reasons.append({"Code": "None"})
                landing.append((store, name, item, source))
        if len(landing) < len(puts):
            raise _error("TransactionCanceledException", CancellationReasons=reasons)
        for store, name, item, source in landing:
            if source not in self.sources:
                self.sources.append(source)
            threshold = int(item["Threshold"]["N"]) if "Threshold" in item else None
            stored_item = (int(item["Count"]["N"]), threshold, int(item["SourceLine"]["N"]), self.sources.index(source))
            self.items.setdefault(store, {})[name] = stored_item
        return {}

    def _attributes(self, store: str, item: str, stored: tuple[int, int | None, int, int]) -> dict[str, Any]:
        count, threshold, line, source = stored
        time_, key, seq = self.sources[source]
        attributes: dict[str, Any] = {
            "Store": {"S": store},
            "Item": {"S": item},
            "Count": {"N": str(count)},
            "SourceTime": {"S": time_},
            "SourceKey": {"S": key},
            "SourceLine": {"N": str(line)},
        }
        if seq:
            attributes["SourceSeq"] = {"S": seq}
        if threshold is not None:
            attributes["Threshold"] = {"N": str(threshold)}
        return attributes

    def size(self) -> int:
        return sum(len(items) for items in self.items.values())


def rows(count: int, bad_every: int = BAD_ROW_EVERY) -> Iterator[tuple[int, str, str, str]]:
    """(line, store, item, count text) of the generated file: workload.rows, with a bad count every
    ``bad_every`` lines."""
    for index, (store, item, level) in enumerate(workload.rows(count)):
        line = index + 2
        yield line, store, item, ("many" if line % bad_every == 0 else str(level))


def write_file(count: int, path: Path, bad_every: int) -> None:
    with path.open("w") as out:
        out.write("store,item,count\n")
        out.writelines(f"{store},{item},{level}\n" for _, store, item, level in rows(count, bad_every))


@dataclass
class BigFileRun:
    rows: int
    invocations: int
    lambda_retries: int
    simulated_seconds: float
    real_seconds: float
    cpu_seconds: float
    report: dict[str, Any]
    table_matches: bool
    mismatches: int
    stored_items: int
    expected_items: int
    bad_lines: list[int]
    calls: Counter[str]
    throttled: int
    write_units: int
    index_final: bool
    opened_at: list[int]
    file_bytes: int

    @property
    def report_exact(self) -> bool:
        rows_ = self.report["rows"]
        accepted = self.rows - len(self.bad_lines)
        return (
            rows_
            == {
                "read": self.rows,
                "accepted": accepted,
                "rejected": len(self.bad_lines),
                "written": accepted,
                "unchanged": 0,
                "stale": 0,
                "duplicates": 0,
                "retired": 0,
            }
            and [error["line"] for error in self.report["errors"]] == self.bad_lines
            and self.report["status"] == ("partial" if self.bad_lines else "ok")
        )

    @property
    def passed(self) -> bool:
        return self.table_matches and self.report_exact and self.index_final


def run_big_file(
    count: int = 5_000_000, budget: float = BUDGET_SECONDS, log: Any = print, bad_every: int = BAD_ROW_EVERY
) -> BigFileRun:
    """Load a generated ``count``-row file through continuations; see the module docstring."""
    from moto import mock_aws

    from bench.emulator import metered_client
    from devstack.definitions import create_table

    with tempfile.TemporaryDirectory() as scratch, mock_aws():
        path = Path(scratch) / "5m.csv"
        log(f"ingest: writing the {count:,}-row file")
        write_file(count, path, bad_every)
        clock = VirtualTime()
        dynamodb = metered_client(Meter(latency=LATENCY, sleep=clock.wait))
        create_table(dynamodb, "ingest", "UploadsTable", "uploads")
        create_table(dynamodb, "ingest", "StoresTable", "stores")
        table = PartitionedTable(clock, attempts=_table_attempts())
        bucket = FileBucket(path, clock.wait, LATENCY)
        invoker = QueuedInvoker()
        ingestor = _ingestor(clock, table, bucket, invoker, dynamodb)
        log(f"ingest: {count:,} rows through continuations (simulated time)")
        started, cpu = time.perf_counter(), time.process_time()
        invocations, retries = _play_lambda(ingestor, invoker, clock, budget, log)
        real, cpu = time.perf_counter() - started, time.process_time() - cpu
        simulated = clock.latest()
        run = _check(count, table, bucket, dynamodb, invocations, retries, simulated, real, cpu, path, bad_every)
        log(f"  {invocations} invocations, {simulated:,.0f} s simulated, {real:,.0f} s real")
        return run


def _table_attempts() -> int:
    from ingest.dal.clients import TABLE_ATTEMPTS

    return TABLE_ATTEMPTS


def _ingestor(
    clock: VirtualTime, table: PartitionedTable, bucket: FileBucket, invoker: QueuedInvoker, dynamodb: Any
) -> Any:
    from ingest.dal.inventory import InventoryTable
    from ingest.logic.ingest import Timing
    from inventory.leftovers import Backoff

    from bench.ingest_bench import ingestor, write_concurrency

    pacing = Backoff(sleep=clock.wait, monotonic=clock.now)
    return ingestor(
        InventoryTable(table, TABLE, pacing),  # type: ignore[arg-type]
        bucket,
        invoker,
        dynamodb,
        write_concurrency(),
        timing=Timing(),  # the deployed values
        now=clock.epoch,
        monotonic=clock.now,
    )


def _remaining(clock: VirtualTime, start: float, budget: float) -> Any:
    """The context's remaining time: the budget less the simulated time since the invocation started."""
    return lambda: budget - (clock.latest() - start)


def _play_lambda(ingestor: Any, invoker: QueuedInvoker, clock: VirtualTime, budget: float, log: Any) -> tuple[int, int]:
    """Lambda's part: the S3 event, then each continuation asked for, each tried up to three times."""
    from ingest.logic.ingest import Invocation
    from ingest.models.upload import Continuation, Upload

    upload = Upload("bench", KEY, event_time="2026-11-22T03:00:00.000Z", version_id="v1", sequencer="0A")
    pending: list[Any] = [upload]
    invocations = retries = 0
    while pending:
        event = pending.pop(0)
        request = f"request-{invocations}"
        for attempt in range(1, 4):
            clock.align()
            start = clock.latest()
            invocations += 1
            invocation = Invocation(request, FUNCTION_ARN, _remaining(clock, start, budget))
            outcome = (
                ingestor.ingest(event, invocation)
                if isinstance(event, Upload)
                else ingestor.carry_on(event, invocation)
            )
            if outcome.failure is None:
                break
            retries += 1
            log(f"  invocation {invocations} failed (attempt {attempt}): {outcome.failure}")
            clock.wait(60.0)  # Lambda waits a minute before retrying
        pending += [Continuation.from_event(body) for body in invoker.events]
        invoker.events.clear()
        report = outcome.report
        done = report.rows.read if report is not None else 0
        log(f"  invocation {invocations}: {done:,} rows read, {clock.latest():,.0f} s simulated")
    return invocations, retries


def _check(
    count: int,
    table: PartitionedTable,
    bucket: FileBucket,
    dynamodb: Any,
    invocations: int,
    retries: int,
    simulated: float,
    real: float,
    cpu: float,
    path: Path,
    bad_every: int,
) -> BigFileRun:
    from inventory.uploads import report_key, version_tag

    report = bucket.reports[report_key(KEY, version_tag("v1"))]
    bad_lines, mismatches, expected = [], 0, 0
    for line, store, item, level in rows(count, bad_every):
        if not level.isdigit():
            bad_lines.append(line)
            continue
        expected += 1
        stored = table.items.get(store, {}).get(item)
        if stored is None or stored[0] != int(level) or stored[2] != line:
            mismatches += 1
    row = dynamodb.get_item(TableName="uploads", Key={"Key": {"S": KEY}, "Version": {"S": version_tag("v1")}})["Item"]
    return BigFileRun(
        rows=count,
        invocations=invocations,
        lambda_retries=retries,
        simulated_seconds=simulated,
        real_seconds=real,
        cpu_seconds=cpu,
        report=report,
        table_matches=mismatches == 0 and table.size() == expected,
        mismatches=mismatches,
        stored_items=table.size(),
        expected_items=expected,
        bad_lines=bad_lines,
        calls=table.calls,
        throttled=table.throttled,
        write_units=table.write_units,
        index_final=row["Status"]["S"] == report["status"] and "Checkpoint" not in row,
        opened_at=bucket.opened_at,
        file_bytes=os.path.getsize(path),
    )
