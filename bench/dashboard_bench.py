"""Dashboard API benchmarks: the cross-store alerts query over 100 stores, a search that matches
nothing (``limit=1&q=...``) on a 3,000-item store, and the CPU one ``GET /stores/{store}/items`` costs.

The API runs as its real handler on HTTP API payload-2.0 events carrying the claims the JWT
authorizer would have verified (an admin), against the emulator. Items examined and bytes
read are counted on the client: moto's ConsumedCapacity is a constant.
"""

from __future__ import annotations

import json
import statistics
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from botocore.awsrequest import AWSResponse

from bench import workload
from bench.emulator import REGION, Emulator, default_session
from bench.report import Section, Target, table
from bench.standins import Meter
from tests.builders import LambdaContext, api_claims, api_event, function_environment

SEARCH_STORE = "Store Search"
CPU_STORE = "Store Cpu"


@dataclass
class Measure:
    name: str
    seconds: float
    returned: int  # items the caller gets
    examined: int
    bytes_read: int
    requests: int
    calls: Counter[str] = field(default_factory=Counter)
    note: str = ""


def seed(emu: Emulator, table: str, stores: list[tuple[str, int]]) -> tuple[str, str, int]:
    """Tables ``table`` and ``<table>-stores``, their items put straight into the in-process emulator's storage
    (setup only: no HTTP, not timed); the tables' names and the items out or low."""
    from inventory.models import SourceVersion, utc_now
    from inventory.table import StoredItem, to_attributes
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    stores_table = emu.create_stores_table(f"{table}-stores")
    emu.create_inventory_table(table)
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    now = utc_now()
    source = SourceVersion(now, "uploads/bench/seed.csv")
    alerting = 0
    for store, items in stores:
        out = low = 0
        for index, count in enumerate(workload.levels(items, seed=zlib.crc32(store.encode()))):
            attributes = to_attributes(StoredItem(store, f"Item {index:05d}", count, None, now, source), 5)
            backend.put_item(table, attributes)
            status = attributes.get("AlertStatus", {}).get("S")
            out += status == "out"
            low += status == "low"
        alerting += out + low
        backend.put_item(
            stores_table,
            {
                "Store": {"S": store},
                "Items": {"N": str(items)},
                "Out": {"N": str(out)},
                "Low": {"N": str(low)},
                "UpdatedAt": {"S": now},
            },
        )
    return table, stores_table, alerting


class _OpenGate:
    """Admits every caller as their claims say (see ``Api.__enter__``)."""

    def admit(self, caller: Any) -> Any:
        return caller


def _table(emu: Emulator, service: str, logical_id: str, name: str) -> str:
    """A table as services/<service>/serverless.yml defines it (once per name)."""
    from devstack.definitions import create_table

    client = emu.client("dynamodb")
    if name not in client.list_tables()["TableNames"]:
        create_table(client, service, logical_id, name)
    return name


class Api:
    """The dashboard API's real handler, wired to the emulator, called as an admin.

    Used as a context manager: the handler's clients are built once (a warm function), and
    every DynamoDB call they make is counted; each measurement starts from zero.
    """

    def __init__(self, emu: Emulator, table: str, stores_table: str) -> None:
        self.env = {
            **function_environment("dashboard-api", "api"),  # the stage parameters' defaults
            "AWS_ENDPOINT_URL": emu.endpoint_url,
            "INVENTORY_TABLE": table,
            "STORES_TABLE": stores_table,
            "HISTORY_TABLE": "inventory-bench-history",
            # Empty here: no item has been seen used, so every listed item's days_left is null; what
            # the join reads is described in docs/api.md (one Query of the page's range).
            "FORECAST_TABLE": _table(emu, "alerts", "ForecastTable", f"{table}-forecast"),
            "UPLOAD_BUCKET": "inventory-bench-uploads",
            "UPLOADS_TABLE": "inventory-bench-uploads-index",
            # Every request spends from the caller's bucket in the People table (one UpdateItem, counted);
            # the bench's one admin asks far faster than a person, so its share is set out of reach.
            "PEOPLE_TABLE": _table(emu, "dashboard-api", "PeopleTable", f"{table}-people"),
            "USER_POOL_ID": "unused-by-the-measured-routes",
            "INGEST_FUNCTION_ARN": f"arn:aws:lambda:{REGION}:123456789012:function:unused",
            "ALERTS_TOPIC_ARN": f"arn:aws:sns:{REGION}:123456789012:unused",
            "API_USER_RATE": "1000000",
            "API_USER_BURST": "1000000",
            "POWERTOOLS_SERVICE_NAME": "dashboard-api",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
        self.claims = api_claims("bench-admin", admin=True)
        self.meter = Meter()
        # The stack generates the cursor key as a secret; the function reads it at cold start.
        secrets = emu.client("secretsmanager")
        name = "inventory-bench-cursor-key"
        try:
            arn = secrets.describe_secret(SecretId=name)["ARN"]
        except secrets.exceptions.ResourceNotFoundException:
            arn = secrets.create_secret(Name=name, SecretString="b" * 64)["ARN"]
        self.env["CURSOR_SECRET_ARN"] = arn
        self._session = default_session(self.meter, self.env)

    def __enter__(self) -> Api:
        self._session.__enter__()
        from dashboard_api.handlers import context

        context.clear_wiring()
        # What is compared here is the dashboard's reads. The session check in front of every
        # route (one GetItem per user per 5 s, one AdminGetUser per admin per minute, see
        # dashboard_api.logic.sessions) is the same for every read pattern: it lets the caller through.
        self._gate = context.access_gate
        context.access_gate = _OpenGate  # type: ignore[assignment]
        self.get("/stores", "/stores")  # warm up: imports, clients, connections
        return self

    def __exit__(self, *exc: object) -> None:
        from dashboard_api.handlers import context

        context.access_gate = self._gate  # type: ignore[method-assign]
        context.clear_wiring()
        self._session.__exit__(None, None, None)

    def get(self, path: str, route: str, query: dict[str, str] | None = None) -> dict[str, Any]:
        from dashboard_api.handlers.api import handler

        response = handler(api_event(path, claims=self.claims, query=query, route=route), LambdaContext())
        if response["statusCode"] != 200:
            raise RuntimeError(f"GET {path} answered {response['statusCode']}: {response['body'][:300]}")
        return json.loads(response["body"])  # type: ignore[no-any-return]

    def _measured(self, name: str, read: Any) -> Measure:
        self.meter.reset()
        started = time.perf_counter()
        returned = read()
        return _measure(name, time.perf_counter() - started, returned, self.meter)

    def alerts(self) -> Measure:
        return self._measured("API: GET /alerts (every store)", lambda: len(self.get("/alerts", "/alerts")["alerts"]))

    def search(self, store: str) -> Measure:
        """One request for ``limit=1&q=<no match>``: what a user (or a script) can make it read."""

        def read() -> int:
            query = {"limit": "1", "q": "no such item"}
            return len(self.get(f"/stores/{quote(store)}/items", "/stores/{store}/items", query)["items"])

        return self._measured("API: `limit=1&q=<no match>`, one request", read)


def _measure(name: str, seconds: float, returned: int, meter: Meter) -> Measure:
    note = "; ".join(
        f"{table_name}: {meter.examined[table_name]:,} examined, {meter.bytes[table_name] / 1024:,.0f} KiB"
        for table_name in sorted(meter.bytes)
    )
    examined, read = sum(meter.examined.values()), sum(meter.bytes.values())
    return Measure(name, seconds, returned, examined, read, meter.requests, Counter(meter.calls), note)


@dataclass(frozen=True)
class DashboardSizes:
    """Sizes of the dashboard runs; the page says why the alerts stores hold 100 items by default."""

    stores: int = 100
    items_per_store: int = 100
    search_items: int = 3_000
    cpu_items: int = 1_000  # the store one page (the default 100 items) is asked of
    cpu_requests: int = 200  # per repeat
    cpu_repeats: int = 5


@dataclass
class DashboardResults:
    sizes: DashboardSizes
    alerting: int
    alerts: Measure
    search: Measure
    cpu: CpuMeasure


def run_dashboard(sizes: DashboardSizes, log: Any = print) -> DashboardResults:
    from bench.emulator import emulator

    with emulator() as emu:
        log(f"dashboard: {sizes.stores} stores x {sizes.items_per_store:,} items into the emulator (setup)")
        stores = [(f"Store {n:04d}", sizes.items_per_store) for n in range(sizes.stores)]
        table, stores_table, alerting = seed(emu, "inventory-dash", stores)
        log("dashboard: GET /alerts")
        with Api(emu, table, stores_table) as api:
            alerts = api.alerts()
        search = run_search(emu, sizes.search_items, log)
        cpu = run_request_cpu(emu, sizes.cpu_items, sizes.cpu_requests, sizes.cpu_repeats, log)
    return DashboardResults(sizes, alerting, alerts, search, cpu)


def run_search(emu: Emulator, items: int, log: Any = print) -> Measure:
    """One request for ``limit=1&q=<no match>`` on a store of its own table."""
    log(f"dashboard: a search with no match on a {items:,}-item store")
    table, stores_table, _ = seed(emu, "inventory-dash-search", [(SEARCH_STORE, items)])
    with Api(emu, table, stores_table) as api:
        return api.search(SEARCH_STORE)


class _Recorded:
    """An answer's bytes, as botocore reads a response body (``raw.stream()``)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


class Replay:
    """The emulator's own answers, played back without it.

    While ``recording``, calls go to the emulator and each answer (status, headers, bytes) is kept by
    operation and table. Afterwards every call is answered at ``before-send`` (once botocore has built,
    serialized and signed it) with the bytes kept for its operation and table, which botocore then
    parses as usual: the client's whole cost is counted, the emulator's none.
    """

    def __init__(self, tables: list[str]) -> None:
        self.tables = [(name, f'"TableName": "{name}"'.encode()) for name in tables]
        self.recording = True
        self.answers: dict[tuple[str, str], tuple[int, dict[str, str], bytes]] = {}
        self.unanswered: Counter[str] = Counter()

    def attach(self, events: Any) -> Replay:
        events.register("before-send.dynamodb", self._send)
        events.register("after-call.dynamodb", self._keep)
        return self

    def _key(self, request: Any) -> tuple[str, str]:
        operation = dict(request.headers).get("X-Amz-Target", b"")
        operation = (operation.decode() if isinstance(operation, bytes) else operation).rpartition(".")[2]
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        return operation, next((name for name, mark in self.tables if mark in body), "")

    def _send(self, request: Any, **_: Any) -> AWSResponse | None:
        key = self._key(request)
        if self.recording:
            self._pending = key
            return None
        if key not in self.answers:
            self.unanswered[f"{key[0]} {key[1]}"] += 1
            return None
        status, headers, body = self.answers[key]
        return AWSResponse(request.url, status, headers, _Recorded(body))

    def _keep(self, http_response: Any, **_: Any) -> None:
        if self.recording:
            self.answers[self._pending] = (
                http_response.status_code,
                dict(http_response.headers),
                http_response.content,
            )


@dataclass
class CpuMeasure:
    items: int  # in the store
    page: int  # items in the answer
    requests: int  # per repeat
    ours: list[float]  # CPU seconds per request, one per repeat
    botocore: list[float]  # the same with botocore parsing the answers' items (the former code path)
    calls: list[str]  # the calls one request makes (operation and table), the session check's included

    def row(self, name: str, runs: list[float]) -> list[str]:
        each = ", ".join(f"{seconds * 1000:.2f}" for seconds in runs)
        return [name, f"{statistics.median(runs) * 1000:.2f} ms", f"{min(runs) * 1000:.2f} ms", each]


def seed_forecasts(table: str, store: str, items: int) -> None:
    """A Forecast row for each item of ``store`` (every item being used up), straight into the emulator."""
    from datetime import timedelta

    from inventory.forecast import Forecast, ForecastRow, ModelState, parse_time
    from inventory.models import iso_utc, utc_now
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    at = utc_now()
    for index, count in enumerate(workload.levels(items, seed=zlib.crc32(store.encode()))):
        used = 1.0 + index % 7
        state = ModelState(count, at, "49600000000000000000000000001", used * 4, 4.0, 1.0, 1.0, 0.5)
        days = count / used
        forecast = Forecast(count, used, days, iso_utc(parse_time(at) + timedelta(days=days)), 0.7)
        backend.put_item(table, ForecastRow(store, f"Item {index:05d}", state, forecast).to_item())


@contextmanager
def replayed(env: dict[str, str], replay: Replay) -> Iterator[None]:
    """boto3's default session in ``env`` with ``replay`` on it, the handler's wiring built afresh."""
    from dashboard_api.handlers import context

    with default_session(replay, env):
        context.clear_wiring()
        try:
            yield
        finally:
            context.clear_wiring()


@contextmanager
def botocore_parse() -> Iterator[None]:
    """The handler's DynamoDB clients as before ``inventory.fast_json``: botocore parses every answer."""
    from unittest import mock

    with mock.patch("dashboard_api.dal.clients.use_fast_json", return_value=True):
        yield


def run_request_cpu(emu: Emulator, items: int, requests: int = 200, repeats: int = 5, log: Any = print) -> CpuMeasure:
    """CPU per ``GET /stores/{store}/items`` (the default page) as a store manager (not an admin) asks
    it of a warm function: the real handler, with the per-user throttle, the session check and the
    forecast join, every call built, signed and parsed by botocore and answered by :class:`Replay`.
    Ours and the former parse take turns, each on clients of its own made before its turn."""
    from contextlib import nullcontext

    from dashboard_api.handlers import context
    from dashboard_api.handlers.api import handler

    log(f"dashboard: CPU per GET /stores/{{store}}/items on a {items:,}-item store")
    table, stores_table, _ = seed(emu, "inventory-dash-cpu", [(CPU_STORE, items)])
    env = Api(emu, table, stores_table).env
    seed_forecasts(env["FORECAST_TABLE"], CPU_STORE, items)
    replay = Replay([table, stores_table, env["FORECAST_TABLE"], env["PEOPLE_TABLE"]])
    claims = api_claims("bench-manager", stores=[CPU_STORE])
    event = api_event(f"/stores/{quote(CPU_STORE)}/items", claims=claims, route="/stores/{store}/items")

    def ask() -> dict[str, Any]:
        response = handler(event, LambdaContext())
        if response["statusCode"] != 200:
            raise RuntimeError(f"the items request answered {response['statusCode']}: {response['body'][:300]}")
        return json.loads(response["body"])  # type: ignore[no-any-return]

    measured: dict[str, list[float]] = {"ours": [], "botocore": []}
    with replayed(env, replay):
        recorded = ask()  # from the emulator: imports, the cursor key, the session check
        replay.recording = False
        for _ in range(repeats):
            for name, variant in (("ours", nullcontext), ("botocore", botocore_parse)):
                with variant():
                    context.clear_wiring()
                    if ask() != recorded or replay.unanswered:  # warm: clients, connections
                        raise RuntimeError(f"the replayed answer differs from the emulator's ({replay.unanswered})")
                    started = time.process_time()
                    for _ in range(requests):
                        ask()
                    measured[name].append((time.process_time() - started) / requests)
    if replay.unanswered:  # went to the emulator, whose work would have been counted
        raise RuntimeError(f"calls the replay could not answer: {dict(replay.unanswered)}")
    calls = sorted(f"{operation} {name}" for operation, name in replay.answers)
    return CpuMeasure(items, len(recorded["items"]), requests, measured["ours"], measured["botocore"], calls)


def _row(m: Measure) -> list[str]:
    per_returned = f"{m.examined / m.returned:.2f}" if m.returned else "-"
    return [
        m.name,
        f"{m.seconds * 1000:,.0f} ms",
        f"{m.returned:,}",
        f"{m.examined:,}",
        per_returned,
        f"{m.bytes_read / 1024:,.0f} KiB",
        f"{m.requests:,} ({', '.join(f'{n:,} {op}' for op, n in sorted(m.calls.items()))})",
    ]


def dashboard_section(r: DashboardResults) -> Section:
    header = ["Read", "Latency", "Items returned", "Items examined", "Examined per returned", "Bytes read", "Requests"]
    ratio = r.alerts.examined / max(1, r.alerts.returned)
    cpu_ms = statistics.median(r.cpu.ours) * 1000
    targets = [
        Target(
            f"Dashboard API: /alerts over {r.sizes.stores} stores x {r.sizes.items_per_store:,} items",
            "examines <= 2x the items it returns",
            f"{ratio:.2f}x ({r.alerts.examined:,} examined, {r.alerts.returned:,} returned)",
            ratio <= 2,
        ),
        Target(
            f"Dashboard API: `limit=1&q=<no match>` on a {r.sizes.search_items:,}-item store",
            "a handful of Queries (<= 5) per request",
            f"{r.search.calls.get('Query', 0)} Queries, {r.search.examined:,} items examined",
            r.search.calls.get("Query", 0) <= 5,
        ),
        Target(
            f"Dashboard API: CPU per `GET /stores/{{store}}/items` ({r.cpu.page} of {r.cpu.items:,} items)",
            "<= 7 ms",
            f"{cpu_ms:.1f} ms (botocore's parse: {statistics.median(r.cpu.botocore) * 1000:.1f} ms)",
            cpu_ms <= 7,
        ),
    ]
    total = r.sizes.stores * r.sizes.items_per_store
    values = {
        "stores": r.sizes.stores,
        "items_per_store": f"{r.sizes.items_per_store:,}",
        "total": f"{total:,}",
        "alerting": f"{r.alerting:,}",
        "alerts_table": table(header, [_row(r.alerts)]),
        "alerts_note": r.alerts.note,
        "search_items": f"{r.sizes.search_items:,}",
        "search_table": table(header, [_row(r.search)]),
        "cpu_items": f"{r.cpu.items:,}",
        "cpu_page": r.cpu.page,
        "cpu_requests": f"{r.cpu.requests:,}",
        "cpu_repeats": len(r.cpu.ours),
        "cpu_calls": ", ".join(r.cpu.calls),
        "cpu_table": table(
            ["Parse of the answers' items", "CPU per request (median)", "Least", "Each repeat (ms)"],
            [
                r.cpu.row("ours: `inventory.fast_json`", r.cpu.ours),
                r.cpu.row("botocore's (before)", r.cpu.botocore),
            ],
        ),
    }
    return Section("dashboard", "Dashboard API", values, targets)
