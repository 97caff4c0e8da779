"""Dashboard API benchmarks: the cross-store alerts query over 100 stores, and a search that matches
nothing (``limit=1&q=...``) on a 3,000-item store.

The API runs as its real handler on HTTP API payload-2.0 events carrying the claims the JWT
authorizer would have verified (an admin), against the emulator. Items examined and bytes
read are counted on the client: moto's ConsumedCapacity is a constant.
"""

from __future__ import annotations

import json
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from bench import workload
from bench.emulator import REGION, Emulator, default_session
from bench.report import Section, Target, table
from bench.standins import Meter
from tests.builders import LambdaContext, api_claims, api_event

SEARCH_STORE = "Store Search"


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


def seed(emu: Emulator, table: str, stores_table: str, stores: list[tuple[str, int]]) -> int:
    """Put items straight into the in-process emulator's storage (setup only: no HTTP, not timed)."""
    from inventory.models import SourceVersion, utc_now
    from inventory.table import StoredItem, to_attributes
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    del emu
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
    return alerting


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
            "AWS_ENDPOINT_URL": emu.endpoint_url,
            "INVENTORY_TABLE": table,
            "STORES_TABLE": stores_table,
            "HISTORY_TABLE": "inventory-bench-history",
            # Empty here: no item has been seen used, so every listed item's days_left is null; what
            # the join reads is measured in the dashboard API's README (one Query of the page's range).
            "FORECAST_TABLE": _table(emu, "alerts", "ForecastTable", f"{table}-forecast"),
            "UPLOAD_BUCKET": "inventory-bench-uploads",
            "UPLOADS_TABLE": "inventory-bench-uploads-index",
            # Every request spends from the caller's bucket in the People table (one UpdateItem, counted);
            # the bench's one admin asks far faster than a person, so its share is set out of reach.
            "PEOPLE_TABLE": _table(emu, "dashboard-api", "PeopleTable", f"{table}-people"),
            "USER_POOL_ID": "unused-by-the-measured-routes",
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


@dataclass
class DashboardResults:
    sizes: DashboardSizes
    alerting: int
    alerts: Measure
    search: Measure


def run_dashboard(sizes: DashboardSizes, log: Any = print) -> DashboardResults:
    from bench.emulator import emulator

    with emulator() as emu:
        table, stores_table = "inventory-dash", "inventory-dash-stores"
        emu.create_inventory_table(table)
        emu.create_stores_table(stores_table)
        log(f"dashboard: {sizes.stores} stores x {sizes.items_per_store:,} items into the emulator (setup)")
        alerting = seed(
            emu, table, stores_table, [(f"Store {n:04d}", sizes.items_per_store) for n in range(sizes.stores)]
        )
        log("dashboard: GET /alerts")
        with Api(emu, table, stores_table) as api:
            alerts = api.alerts()
        search = run_search(emu, sizes.search_items, log)
    return DashboardResults(sizes, alerting, alerts, search)


def run_search(emu: Emulator, items: int, log: Any = print) -> Measure:
    """One request for ``limit=1&q=<no match>`` on a store of its own table."""
    table, stores_table = "inventory-dash-search", "inventory-dash-search-stores"
    emu.create_inventory_table(table)
    emu.create_stores_table(stores_table)
    log(f"dashboard: a search with no match on a {items:,}-item store")
    seed(emu, table, stores_table, [(SEARCH_STORE, items)])
    with Api(emu, table, stores_table) as api:
        return api.search(SEARCH_STORE)


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
    }
    return Section("dashboard", "Dashboard API", values, targets)
