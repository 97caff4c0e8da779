"""Alerts benchmark: 10,000 Inventory stream records of mixed changes through the alerts handler,
in Lambda-sized batches; and one store's stream at a simulated 20 ms a call.

Both run with real boto3 clients whose DynamoDB and SNS calls a stand-in answers at once (after
botocore has built each request): what is measured is the handlers' own CPU time and the calls
they make, not an emulator's speed. (On the emulator the run took minutes, most of it moto's.)
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.emulator import default_session, environment
from bench.report import Section, Target, table
from bench.standins import Meter
from devstack.definitions import service_definition
from tests.builders import LambdaContext, count_change, inventory_image, stream_event, stream_record

#: What a DynamoDB or SNS call costs in the simulated-latency run (a typical in-region round trip).
SIMULATED_LATENCY = 0.020
#: How fast ingest can write one store's items: a store's items share a partition, which takes
#: 1,000 write units a second, and ingest's conditional puts go in transactions (2 units an item).
INGEST_ITEMS_PER_SECOND = 500

DEFAULT_THRESHOLD = 5
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


def run_alerts(records: int = 10_000, log: Any = print, pace: int = 2_000) -> AlertsResults:
    size = batch_size()
    made = changes(records)
    batches = [made[i : i + size] for i in range(0, len(made), size)]
    per_batch = [len({c.store for c in batch if c.kind in TRANSITIONS}) for batch in batches]
    zero = sum(c.record["dynamodb"]["NewImage"]["Count"]["N"] == "0" for c in made)
    ours = _ours(batches, log)
    transitions = sum(c.kind in TRANSITIONS for c in made)
    return AlertsResults(records, size, per_batch, transitions, zero, ours, _pace(pace, size, log))


def _pace(records: int, size: int, log: Any) -> PaceRun:
    """One store's records through the alerts flow on clients the stand-in answers after 20 ms a call."""
    import boto3
    from alerts.dal.changes import ChangeLedger
    from alerts.dal.clients import Clients
    from alerts.dal.forecasts import ForecastTable
    from alerts.dal.topic import AlertsTopic
    from alerts.logic.alerting import AlertService
    from alerts.logic.batch import process_stream_batch
    from alerts.logic.forecasting import WRITERS, Forecasting
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
        notifier=AlertsTopic(clients.sns(), "arn:aws:sns:us-east-1:123456789012:bench"),
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
    env = {
        "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:inventory-alerts-bench-no-stock",
        "HISTORY_TABLE": "inventory-alerts-bench-history",
        "STORES_TABLE": "inventory-ingest-bench-stores",
        "FORECAST_TABLE": "inventory-alerts-bench-forecast",
        "SOON_DAYS": "3",
        "LOW_STOCK_DEFAULT": str(DEFAULT_THRESHOLD),
        "HISTORY_RETENTION_DAYS": "90",
        "POWERTOOLS_SERVICE_NAME": "alerts",
        "POWERTOOLS_METRICS_NAMESPACE": "Inventory",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
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
    "DynamoDB writes (History + totals transactions, forecast rows, marks)",
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
        },
        targets,
    )
