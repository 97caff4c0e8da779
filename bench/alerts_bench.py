"""Alerts benchmark: 10,000 Inventory stream records of mixed changes through the alerts handler,
in Lambda-sized batches; and one store's stream at a simulated 20 ms a call.

Both run with real boto3 clients whose DynamoDB and SNS calls a stand-in answers at once (after
botocore has built each request): what is measured is the handlers' own CPU time and the calls
they make, not an emulator's speed. (On the emulator the run took minutes, most of it moto's.)
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import statistics
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse

from bench.emulator import default_session, environment
from bench.report import Section, Target, table
from bench.standins import Meter
from devstack.definitions import service_definition
from tests.builders import (
    LambdaContext,
    count_change,
    function_environment,
    inventory_image,
    stream_event,
    stream_record,
)

#: What a DynamoDB or SNS call costs in the simulated-latency run (a typical in-region round trip).
SIMULATED_LATENCY = 0.020
#: How fast ingest can write one store's items: a store's items share a partition, which takes
#: 1,000 write units a second, and ingest's conditional puts go in transactions (2 units an item).
INGEST_ITEMS_PER_SECOND = 500

#: The stage default low-stock threshold (alerts' serverless.yml), which the bench's records straddle.
DEFAULT_THRESHOLD = int(function_environment("alerts", "alertsStream")["LOW_STOCK_DEFAULT"])
#: Records per CPU measure (a few Lambda batches), and how many times each variant runs them.
CPU_RECORDS = 1_500
CPU_REPEATS = 5
#: The most CPU one stream record may take (issue 19).
CPU_TARGET = 400e-6
#: The share of each kind of change among the records (fixed seed).
MIX = {
    "ok -> ok (count changes, status does not)": 0.35,
    "-> out (count drops to 0)": 0.10,
    "-> low (falls to or below the threshold)": 0.10,
    "out -> restocked": 0.05,
    "low -> lower (still low)": 0.05,
    "0 -> 0 (still out; a re-upload's identical image)": 0.10,
    "unchanged image (moto's no-op MODIFY)": 0.10,
    "new item, ok": 0.10,
    "new item at 0": 0.05,
}
#: When the "ok -> ok" changes' previous counts were set (the changes themselves are on 2026-11-22).
A_YEAR_BEFORE = "2025-11-22T03:00:00.000Z"
TRANSITIONS = {
    "-> out (count drops to 0)",
    "-> low (falls to or below the threshold)",
    "out -> restocked",
    "new item at 0",
}


def batch_size() -> int:
    """The stream event source's batch size in services/alerts/serverless.yml."""
    for function in service_definition("alerts")["functions"].values():
        for event in function.get("events", []):
            stream = event.get("stream") if isinstance(event, dict) else None
            if isinstance(stream, dict) and "batchSize" in stream:
                return int(stream["batchSize"])
    return 100


@dataclass
class Change:
    kind: str
    store: str
    record: dict[str, Any]


def changes(count: int, stores: int = 50, seed: int = 7) -> list[Change]:
    """``count`` stream records, each a distinct item, kinds in :data:`MIX` proportions, shuffled."""
    rand = random.Random(seed)
    kinds = [kind for kind, share in MIX.items() for _ in range(round(share * count))]
    kinds = (kinds + ["ok -> ok (count changes, status does not)"] * count)[:count]
    rand.shuffle(kinds)
    made = []
    for index, kind in enumerate(kinds):
        store, item = f"Store {index % stores:04d}", f"Item {index:05d}"
        ok_a, ok_b = rand.randint(6, 500), rand.randint(6, 500)
        low = rand.randint(1, DEFAULT_THRESHOLD)
        if kind.startswith("ok -> ok"):
            # The old count a year old: sold slowly, so no item is projected to run out soon.
            record = count_change(store, item, ok_a, ok_b + (ok_b == ok_a), old_at=A_YEAR_BEFORE)
        elif kind.startswith("-> out"):
            record = count_change(store, item, rand.choice([ok_a, low]), 0)
        elif kind.startswith("-> low"):
            record = count_change(store, item, ok_a, low)
        elif kind == "out -> restocked":
            record = count_change(store, item, 0, rand.choice([ok_a, low]))
        elif kind.startswith("low -> lower"):
            record = count_change(store, item, DEFAULT_THRESHOLD, low - (low == DEFAULT_THRESHOLD))
        elif kind.startswith("0 -> 0"):
            record = count_change(store, item, 0, 0)
        elif kind.startswith("unchanged"):
            image = inventory_image(store, item, ok_a)
            record = stream_record(image, dict(image), event_name="MODIFY")
        elif kind == "new item, ok":
            record = count_change(store, item, None, ok_a)
        else:
            record = count_change(store, item, None, 0)
        made.append(Change(kind, store, record))
    return made


@dataclass
class AlertsRun:
    name: str
    records: int
    batches: int
    cpu_seconds: float
    wall_seconds: float
    publishes_per_batch: list[int] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    failures: int = 0

    @property
    def publishes(self) -> int:
        return sum(self.publishes_per_batch)

    def count(self, *operations: str) -> int:
        return sum(self.calls[operation] for operation in operations)


def _run(name: str, handler: Any, batches: list[list[Change]], env: dict[str, str]) -> AlertsRun:
    run = AlertsRun(name, sum(map(len, batches)), len(batches), 0.0, 0.0)
    meter = Meter(answer=True)
    with default_session(meter, {**COMMON_ENV, **env}), open(os.devnull, "w") as sink:
        for batch in batches:
            before = meter.calls["Publish"]
            event = stream_event(*(change.record for change in batch))
            cpu, wall = time.thread_time(), time.perf_counter()
            with contextlib.redirect_stdout(sink):
                answer = handler(event, LambdaContext())
            run.cpu_seconds += time.thread_time() - cpu
            run.wall_seconds += time.perf_counter() - wall
            run.publishes_per_batch.append(meter.calls["Publish"] - before)
            if isinstance(answer, dict):
                run.failures += len(answer.get("batchItemFailures", []))
        run.calls = Counter(meter.calls)
    return run


#: No call may leave the process: an endpoint nothing listens on, should the stand-in ever be bypassed.
COMMON_ENV = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}


@dataclass
class PaceRun:
    """One store's stream through the alerts flow at simulated latency."""

    records: int
    seconds: float
    calls: Counter[str]
    failures: int

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


@dataclass
class AlertsResults:
    records: int
    batch_size: int
    transition_stores_per_batch: list[int]
    transitions: int
    zero_records: int
    ours: AlertsRun
    pace: PaceRun
    cpu: RecordCpu


def run_alerts(
    records: int = 10_000, log: Any = print, pace: int = 2_000, cpu: tuple[int, int] = (CPU_RECORDS, CPU_REPEATS)
) -> AlertsResults:
    size = batch_size()
    made = changes(records)
    batches = [made[i : i + size] for i in range(0, len(made), size)]
    per_batch = [len({c.store for c in batch if c.kind in TRANSITIONS}) for batch in batches]
    zero = sum(c.record["dynamodb"]["NewImage"]["Count"]["N"] == "0" for c in made)
    ours = _ours(batches, log)
    transitions = sum(c.kind in TRANSITIONS for c in made)
    pace_run = _pace(pace, size, log)
    cpu_run = run_record_cpu(*cpu, log=log)
    gc.unfreeze()  # the handler froze the heap (once, as on Lambda): the suites after this one run as before
    return AlertsResults(records, size, per_batch, transitions, zero, ours, pace_run, cpu_run)


def _pace(records: int, size: int, log: Any) -> PaceRun:
    """One store's records through the alerts flow on clients the stand-in answers after 20 ms a call."""
    import boto3
    from alerts.dal.changes import ChangeLedger
    from alerts.dal.clients import Clients
    from alerts.dal.forecasts import ForecastTable
    from alerts.dal.topic import DigestTopic
    from alerts.handlers.stream import process_stream_batch
    from alerts.logic.alerting import AlertService
    from alerts.logic.batch_forecasts import WRITERS, Forecasting
    from inventory.models import utc_now

    log(f"alerts: {records:,} records of one store at {SIMULATED_LATENCY * 1000:.0f} ms a call")
    made = changes(records, stores=1)
    meter = Meter(latency=SIMULATED_LATENCY, answer=True)
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench")
    meter.attach(session.events)
    clients = Clients(session, endpoint_url=COMMON_ENV["AWS_ENDPOINT_URL"])
    dynamodb = clients.dynamodb()
    service = AlertService(
        changes=ChangeLedger(dynamodb, "history", "stores", utc_now),
        notifier=DigestTopic(clients.sns(), "arn:aws:sns:us-east-1:123456789012:bench"),
        forecasting=Forecasting(ForecastTable(dynamodb, "forecast"), 3.0, writers=WRITERS),
        default_threshold=DEFAULT_THRESHOLD,
        retention_days=90,
        clock=utc_now,
    )
    failures = 0
    context: Any = LambdaContext()  # the parts of Lambda's context the flow reads
    started = time.perf_counter()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        for start in range(0, len(made), size):
            event = stream_event(*(change.record for change in made[start : start + size]))
            failures += len(process_stream_batch(event, service, context)["batchItemFailures"])
    return PaceRun(records, time.perf_counter() - started, Counter(meter.calls), failures)


def _ours(batches: list[list[Change]], log: Any) -> AlertsRun:
    env = _stream_env(POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_LOG_LEVEL="WARNING")
    with environment(env):  # Powertools reads its settings when the handler module is imported
        from alerts.handlers.stream import alert_service, handler

    log(f"alerts: ours, {sum(map(len, batches)):,} records in {len(batches)} batches")
    alert_service.cache_clear()
    try:
        return _run("ours (alerts handler)", handler, batches, env)
    finally:
        alert_service.cache_clear()


HEADER = [
    "Handler",
    "Records",
    "CPU per record",
    "Wall time",
    "SNS publishes",
    "Most in one batch",
    "DynamoDB writes (History rows alone or with their totals in transactions, forecast rows, marks)",
    "AWS calls",
    "Failed records",
]


def alerts_section(r: AlertsResults) -> Section:
    over = [
        (index, published, allowed)
        for index, (published, allowed) in enumerate(
            zip(r.ours.publishes_per_batch, r.transition_stores_per_batch, strict=True)
        )
        if published > allowed
    ]
    targets = [
        Target(
            f"Alerts: SNS publishes per batch ({r.records:,} records)",
            "<= one per store with a transition",
            f"{r.ours.publishes:,} publishes for {sum(r.transition_stores_per_batch):,} store-batches with a "
            f"transition; {len(over)} batches over",
            not over and r.ours.failures == 0,
        )
    ]
    run = r.ours
    row = [
        run.name,
        f"{run.records:,}",
        f"{run.cpu_seconds / run.records * 1e6:,.0f} µs",
        f"{run.wall_seconds:,.1f} s",
        f"{run.publishes:,}",
        f"{max(run.publishes_per_batch):,}",
        f"{run.count('PutItem', 'UpdateItem', 'BatchWriteItem', 'TransactWriteItems'):,}",
        ", ".join(f"{n:,} {name}" for name, n in sorted(run.calls.items())),
        f"{run.failures:,}",
    ]
    pace = r.pace
    targets.append(
        Target(
            f"Alerts: one store's stream at {SIMULATED_LATENCY * 1000:.0f} ms a call",
            f">= {INGEST_ITEMS_PER_SECOND} records/s (ingest's most for one store)",
            f"{pace.per_second:,.0f} records/s",
            pace.per_second >= INGEST_ITEMS_PER_SECOND and pace.failures == 0,
        )
    )
    cpu = r.cpu
    targets.append(
        Target(
            "Alerts: CPU per stream record",
            f"<= {CPU_TARGET * 1e6:,.0f} µs",
            f"{cpu.text(cpu.ours)} (the former path {cpu.text(cpu.before)}; load {cpu.load})",
            statistics.median(cpu.ours) <= CPU_TARGET,
        )
    )
    pace_row = [
        f"{pace.records:,}",
        f"{pace.seconds:,.1f} s",
        f"{pace.per_second:,.0f}",
        f"{sum(pace.calls.values()) / pace.records * 1000:,.0f}",
        ", ".join(f"{n:,} {op}" for op, n in sorted(pace.calls.items())),
        f"{pace.failures:,}",
    ]
    return Section(
        "alerts",
        "Alerts",
        {
            "latency_ms": f"{SIMULATED_LATENCY * 1000:.0f}",
            "ingest_rate": f"{INGEST_ITEMS_PER_SECOND:,}",
            "pace_table": table(
                ["Records", "Seconds", "Records/s", "Calls per 1,000 records", "Calls", "Failed records"], [pace_row]
            ),
            "records": f"{r.records:,}",
            "batch_size": r.batch_size,
            "mix": table(
                ["Change", "Records"], [[kind, f"{round(share * r.records):,}"] for kind, share in MIX.items()]
            ),
            "transitions": f"{r.transitions:,}",
            "zero_records": f"{r.zero_records:,}",
            "table": table(HEADER, [row]),
            "transition_stores": f"{sum(r.transition_stores_per_batch):,}",
            "cpu_records": f"{cpu.records:,}",
            "cpu_repeats": cpu.repeats,
            "cpu_load": cpu.load,
            "cpu_calls": ", ".join(f"{n:,} {op}" for op, n in sorted(cpu.calls.items())),
            "cpu_table": table(
                ["Path", "CPU per record (median)", "Each repeat"],
                [
                    [name, cpu.text(runs), ", ".join(f"{each * 1e6:,.0f} µs" for each in runs)]
                    for name, runs in (("ours", cpu.ours), ("former path", cpu.before))
                ],
            ),
        },
        targets,
    )


# -- CPU per stream record, every call signed, sent to a stand-in and its answer parsed -----------

_PUBLISHED = (
    b'<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>'
    b"<MessageId>00000000-0000-0000-0000-000000000000</MessageId></PublishResult>"
    b"<ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></PublishResponse>"
)


class _Body:
    """An answer's bytes, as botocore reads a response body (``raw.stream()``)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


class Wire:
    """Answers every DynamoDB and SNS call at ``before-send`` (once botocore has built, serialized and
    signed it) with bytes botocore then parses as usual: the client's whole cost is counted, no server's.

    Writes succeed. A Forecast read finds the rows in :attr:`rows` (by store and item): while
    :attr:`keeping`, each Forecast row written is kept there, and each distinct read's answer is
    built once and kept by its request bytes, so the measured runs only look it up."""

    def __init__(self, forecast_table: str) -> None:
        self.forecast_table = forecast_table
        self.keeping = True
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.reads: dict[bytes, bytes] = {}
        self.calls: Counter[str] = Counter()

    def attach(self, events: Any) -> Wire:
        events.register("before-send.dynamodb", self._dynamodb)
        events.register("before-send.sns", self._sns)
        return self

    def _dynamodb(self, request: Any, **_: Any) -> AWSResponse:
        import json

        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else target).rpartition(".")[2]
        self.calls[operation] += 1
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        answer = b"{}"
        if operation == "BatchGetItem":
            answer = self.reads.get(body) or self._read(json.loads(body))
            if self.keeping:
                self.reads[body] = answer
        elif self.keeping and operation == "PutItem":
            put = json.loads(body)
            if put["TableName"] == self.forecast_table:
                item = put["Item"]
                self.rows[(item["Store"]["S"], item["Item"]["S"])] = item
        # As DynamoDB answers: with the body's CRC32 (botocore checks it on every answer).
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-RequestId": "bench",
            "x-amz-crc32": str(zlib.crc32(answer)),
        }
        return AWSResponse(request.url, 200, headers, _Body(answer))

    def _read(self, request: dict[str, Any]) -> bytes:
        import json

        responses = {
            table: [row for key in asked["Keys"] if (row := self.rows.get((key["Store"]["S"], key["Item"]["S"])))]
            for table, asked in request["RequestItems"].items()
        }
        return json.dumps({"Responses": responses, "UnprocessedKeys": {}}).encode()

    def _sns(self, request: Any, **_: Any) -> AWSResponse:
        self.calls["Publish"] += 1
        return AWSResponse(request.url, 200, {"Content-Type": "text/xml"}, _Body(_PUBLISHED))


@dataclass
class RecordCpu:
    records: int
    repeats: int
    ours: list[float]  # CPU seconds per record, one per repeat
    before: list[float]  # the same on the former path
    calls: Counter[str]  # per run of the records
    load: str  # the 1-minute load average over the CPUs, at the end

    @staticmethod
    def text(runs: list[float]) -> str:
        return f"{statistics.median(runs) * 1e6:,.0f} µs"


def _stream_env(**given: str) -> dict[str, str]:
    """The stream function's settings: the stage parameters' defaults, the bench's tables and topic, tracing
    off (no X-Ray daemon), then ``given``."""
    return function_environment(
        "alerts",
        "alertsStream",
        ALERTS_TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:inventory-alerts-bench-no-stock",
        HISTORY_TABLE="inventory-alerts-bench-history",
        STORES_TABLE="inventory-ingest-bench-stores",
        FORECAST_TABLE="inventory-alerts-bench-forecast",
        POWERTOOLS_SERVICE_NAME="alerts",
        POWERTOOLS_METRICS_NAMESPACE="Inventory",
        POWERTOOLS_TRACE_DISABLED="true",
        **given,
    )


def _lambda_env() -> dict[str, str]:
    """The stream function's settings as on Lambda (metrics on, INFO logs)."""
    return _stream_env(
        AWS_ENDPOINT_URL=COMMON_ENV["AWS_ENDPOINT_URL"], AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench"
    )


def run_record_cpu(records: int = CPU_RECORDS, repeats: int = CPU_REPEATS, log: Any = print) -> RecordCpu:
    """CPU (``process_time``: the forecast writers' threads included) per stream record of a warm
    function: the real handler on Lambda-sized batches of :func:`changes`, every item's Forecast row
    already there (written by an earlier pass of the same items), each call answered by :class:`Wire`.
    Ours and the former path take turns, each on a handler wired afresh before its turn."""
    import boto3

    from bench.emulator import REGION

    env = _lambda_env()
    wire = Wire(env["FORECAST_TABLE"])
    size = batch_size()

    def events(made: list[Change]) -> list[dict[str, Any]]:
        return [stream_event(*(c.record for c in made[i : i + size])) for i in range(0, len(made), size)]

    first, measured = events(changes(records)), events(changes(records))  # the same items, later records
    log(f"alerts: CPU per stream record, {records:,} records in batches of {size}, {repeats} repeats")
    runs: dict[str, list[float]] = {"ours": [], "before": []}
    with environment(env), open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        from alerts.handlers.stream import alert_service, handler
        from inventory.observability import logger, metrics

        # As on Lambda, whatever an earlier suite imported them with: metrics on, INFO logs.
        namespace, level = metrics.namespace, logger.log_level
        metrics.namespace = env["POWERTOOLS_METRICS_NAMESPACE"]
        logger.setLevel("INFO")
        stream = logger.registered_handler.setStream(sink)  # type: ignore[attr-defined]
        boto3.setup_default_session(region_name=REGION)
        wire.attach(boto3.DEFAULT_SESSION.events)  # type: ignore[attr-defined]
        try:
            for batches, keep in ((first, True), (measured, True)):  # rows, then the reads' answers
                wire.keeping = keep
                alert_service.cache_clear()
                for event in batches:
                    _no_failures(handler(event, LambdaContext()))
            wire.keeping = False
            for _ in range(repeats):
                for name, variant in (("ours", contextlib.nullcontext), ("before", former_path)):
                    with variant():
                        alert_service.cache_clear()
                        _no_failures(handler(measured[0], LambdaContext()))  # wired and warm
                        wire.calls.clear()
                        started = time.process_time()
                        for event in measured:
                            _no_failures(handler(event, LambdaContext()))
                        runs[name].append((time.process_time() - started) / records)
        finally:
            alert_service.cache_clear()
            boto3.DEFAULT_SESSION = None
            metrics.namespace = namespace
            logger.setLevel(level)
            logger.registered_handler.setStream(stream)  # type: ignore[attr-defined]
    from bench.report import load_average

    return RecordCpu(records, repeats, runs["ours"], runs["before"], Counter(wire.calls), load_average())


def _no_failures(answer: Any) -> None:
    if answer.get("batchItemFailures"):
        raise RuntimeError(f"the alerts handler failed records: {answer['batchItemFailures'][:3]}")


@contextlib.contextmanager
def former_path() -> Any:
    """The handler as it was before this CPU work: each stream record read by Powertools alone, the
    DynamoDB client validating, serializing and parsing every request and answer by its shapes, and
    botocore's own signer, endpoint parameters and user agent on each call, the whole heap in every
    garbage collection, the partial batch response built by Powertools' batch processor."""
    from unittest import mock

    from alerts.dal.clients import CONFIG
    from alerts.models.change import StockChange, StreamChangeRecord, sequence_of
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import StreamRecord
    from inventory.observability import count

    class ReadByPowertools(StreamChangeRecord):
        """Read afresh at every ask (twice a batch), each value through Powertools' deserializer."""

        __slots__ = ()

        def change(self) -> StockChange | None:
            return StockChange.read(self)

    def response_by_the_batch_processor(records: list[StreamChangeRecord], failed: dict[str, Exception]) -> Any:
        """Each record wrapped by the processor and handed to a record handler that raises its verdict."""

        def report(record: Any) -> None:
            error = failed.get(sequence_of(record.raw_event))
            if error is not None:
                raise error

        processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
        event = {"Records": [record.raw for record in records]}
        response = process_partial_response(event, report, processor, LambdaContext())  # type: ignore[arg-type]
        if processor.success_messages:
            count("RecordsProcessed", len(processor.success_messages))
        return response

    with (
        mock.patch("alerts.handlers.stream.StreamChangeRecord", ReadByPowertools),
        mock.patch("alerts.handlers.stream.partial_batch_response", response_by_the_batch_processor),
        mock.patch(
            "alerts.models.change.attribute_values",
            lambda attributes: StreamRecord({"Image": attributes})._deserialize_dynamodb_dict("Image"),
        ),
        mock.patch("alerts.dal.clients.DYNAMODB_CONFIG", CONFIG),
        mock.patch("alerts.dal.clients.use_fast_json", return_value=True),
        mock.patch("alerts.dal.clients.use_fast_signing", return_value=False),
        mock.patch("alerts.dal.clients.use_fast_calls", return_value=False),
    ):
        gc.unfreeze()  # the former path's collector walks the whole heap
        try:
            yield
        finally:
            gc.freeze()  # and ours' leaves out what was there at its cold start (and since)
