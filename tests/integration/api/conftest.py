"""The Inventory, Stores, History, Forecast and uploads index tables and the upload bucket in moto,
seeded the way ingest and alerts write them, and the real dashboard API handler wired to them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from inventory.history import history_key, history_sort_key
from inventory.models import Ordering, RowError, SourceVersion, StockStatus
from inventory.report import ReportStatus, RowCounts, UploadReport, UploadSource
from inventory.table import StoredItem, from_attributes, to_attributes
from inventory.uploads import UPLOADS_BY_SCOPE, UPLOADS_BY_TIME, UploadEntry, report_key, store_prefix
from moto import mock_aws

from devstack.definitions import create_table, service_definition
from tests.builders import LambdaContext, api_claims, api_event, function_environment
from tests.integration.api.people_world import PeopleWorld

INVENTORY = "inventory-ingest-test-inventory"
STORES = "inventory-ingest-test-stores"
HISTORY = "inventory-alerts-test-history"
FORECAST = "inventory-alerts-test-forecast"
UPLOADS = "inventory-ingest-test-uploads-index"
BUCKET = "inventory-ingest-test-uploads"
DEFAULT_THRESHOLD = 5

MAX_UPLOAD_BYTES = 1_000_000
#: Ingest's function, which the API invokes for held uploads (the ``invoked`` fixture keeps the events).
INGEST_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:ingest"

ADMIN = api_claims("head-office", admin=True)
BERLIN_MANAGER = api_claims("berlin-manager", stores=["Berlin"])


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class ApiWorld:
    dynamodb: Any
    s3: Any
    people: PeopleWorld

    def add_items(
        self,
        store: str,
        items: list[tuple[str, int] | tuple[str, int, int | None]],
        *,
        updated_at: str = "2026-11-22T03:00:00.000Z",
        source_key: str = "",
        last_upload_at: str | None = None,
        last_full_list_at: str | None = None,
    ) -> None:
        """Write items as ingest does (inventory.table helpers), then the store's summary row."""
        source = SourceVersion(time=updated_at, key=source_key or f"uploads/{store}.csv")
        written = [
            to_attributes(
                StoredItem(store, row[0], row[1], row[2] if len(row) > 2 else None, updated_at, source),  # type: ignore[misc]
                DEFAULT_THRESHOLD,
            )
            for row in items
        ]
        for start in range(0, len(written), 25):  # BatchWriteItem takes 25 at a time
            requests = [{"PutRequest": {"Item": item}} for item in written[start : start + 25]]
            self.dynamodb.batch_write_item(RequestItems={INVENTORY: requests})
        self._summarise(store, updated_at, last_upload_at, last_full_list_at)

    def _summarise(
        self, store: str, updated_at: str, last_upload_at: str | None, last_full_list_at: str | None = None
    ) -> None:
        stored = [from_attributes(item) for item in self._all_items(store)]
        statuses = [item.status(DEFAULT_THRESHOLD) for item in stored]
        row: dict[str, Any] = {
            "Store": {"S": store},
            "Items": {"N": str(len(stored))},
            "Out": {"N": str(statuses.count(StockStatus.OUT))},
            "Low": {"N": str(statuses.count(StockStatus.LOW))},
            "UpdatedAt": {"S": updated_at},
        }
        if last_upload_at:
            row["LastUploadAt"] = {"S": last_upload_at}
        if last_full_list_at:
            row["LastFullListAt"] = {"S": last_full_list_at}
        self.dynamodb.put_item(TableName=STORES, Item=row)

    def _all_items(self, store: str) -> list[dict[str, Any]]:
        paginator = self.dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=INVENTORY,
            KeyConditionExpression="#store = :s",
            ExpressionAttributeNames={"#store": "Store"},
            ExpressionAttributeValues={":s": {"S": store}},
        )
        return [item for page in pages for item in page["Items"]]

    def add_change(self, store: str, item: str, time: str, old: int | None, new: int, sequence: str) -> None:
        """One History row, as alerts writes it."""
        row: dict[str, Any] = {
            "StoreItem": {"S": history_key(store, item)},
            "At": {"S": history_sort_key(time, sequence)},
            "Store": {"S": store},
            "Item": {"S": item},
            "Time": {"S": time},
            "NewCount": {"N": str(new)},
            "ExpiresAt": {"N": "1900000000"},
        }
        if old is not None:
            row["OldCount"] = {"N": str(old)}
        self.dynamodb.put_item(TableName=HISTORY, Item=row)

    def set_ordering(self, store: str, item: str, ordering: Ordering) -> None:
        """An item's ordering values, as ingest writes them from an upload's columns."""
        key = {"Store": {"S": store}, "Item": {"S": item}}
        stored = from_attributes(self.dynamodb.get_item(TableName=INVENTORY, Key=key)["Item"])
        updated = StoredItem(stored.store, stored.item, stored.count, stored.threshold, stored.updated_at,
                             stored.source, ordering)  # fmt: skip
        self.dynamodb.put_item(TableName=INVENTORY, Item=to_attributes(updated, DEFAULT_THRESHOLD))

    def add_forecast(self, store: str, item: str, count: int, rate_per_day: float | None, at: str) -> None:
        """An item's Forecast row as alerts writes it (``inventory.forecast.ForecastRow``): ``count`` set
        at ``at`` and used at ``rate_per_day`` units a day (``None``: not being used up)."""
        from datetime import timedelta

        from inventory.forecast import Forecast, ForecastRow, ModelState, parse_time
        from inventory.models import iso_utc

        used = rate_per_day or 0.0
        state = ModelState(count, at, "49600000000000000000000000001", used * 4, 4.0 if used else 0.0, 1.0, 1.0)
        forecast = None
        if used:
            days = count / used
            forecast = Forecast(count, used, days, iso_utc(parse_time(at) + timedelta(days=days)))
        row = ForecastRow(store, item, state, forecast)
        self.dynamodb.put_item(TableName=FORECAST, Item=row.to_item())

    def add_upload(
        self,
        store: str | None,
        name: str,
        *,
        received_at: str,
        status: str = "ok",
        version: str = "v1",
        stores: list[str] | None = None,
        errors: list[RowError] | None = None,
        uploaded_by: str | None = "berlin-manager",
        reason: str | None = None,
        write_report: bool = True,
    ) -> UploadEntry:
        """An upload as ingest records it: its report in the bucket and its row in the uploads index."""
        key = f"{store_prefix(store) if store else 'uploads/head-office/'}{name}"
        report = UploadReport(
            source=UploadSource(BUCKET, key, etag="etag", version_id=version),
            store=store,
            uploaded_by=uploaded_by,
            status=ReportStatus(status),
            reason=reason,
            rows=RowCounts(read=6 + len(errors or []), accepted=6, written=6),
            started_at=received_at,
            finished_at=received_at,
        )
        for error in errors or []:
            report.reject(error)
        report.rows.rejected = len(errors or [])
        for named in stores if stores is not None else ([store] if store else []):
            report.saw_store(named)
        location = report_key(key, version)
        if write_report:
            self.s3.put_object(Bucket=BUCKET, Key=location, Body=json.dumps(report.to_json()).encode())
        entry = UploadEntry.of(report, version=version, received_at=received_at, report_key=location)
        self.dynamodb.put_item(TableName=UPLOADS, Item=entry.to_item())
        return entry

    def seed_uploads(self, entries: list[UploadEntry]) -> None:
        """Index rows written straight into the emulator's storage (fast setup for big listings)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        for entry in entries:
            backend.put_item(UPLOADS, entry.to_item())

    def get(
        self,
        path: str,
        claims: dict[str, Any] | None,
        query: dict[str, str] | None = None,
        route: str | None = None,
    ) -> Answer:
        """Call the real handler with the event API Gateway would build for ``GET path?query``."""
        return self.call("GET", path, claims, query=query, route=route)

    def post(self, path: str, claims: dict[str, Any] | None, body: Any, route: str | None = None) -> Answer:
        """``POST path`` with a JSON body, as API Gateway passes it on."""
        return self.call("POST", path, claims, body=json.dumps(body), route=route)

    def call(
        self,
        method: str,
        path: str,
        claims: dict[str, Any] | None,
        *,
        query: dict[str, str] | None = None,
        route: str | None = None,
        body: str | None = None,
    ) -> Answer:
        from dashboard_api.handlers.api import handler

        event = api_event(path, claims=claims, query=query, route=route, method=method)
        if body is not None:
            event["body"] = body
            event["headers"]["content-type"] = "application/json"
        response = handler(event, LambdaContext())
        headers = response.get("headers") or {}
        assert "application/json" in headers.get("Content-Type", ""), response
        return Answer(response["statusCode"], json.loads(response["body"]), headers)

    def handler_calls(self, service: str) -> list[tuple[str, dict[str, Any]]]:
        """Every call the handler's own ``dynamodb`` or ``s3`` client sends from now on: (operation, params)."""
        from dashboard_api.handlers.context import services

        self.get("/stores", ADMIN)  # builds the handler's clients, once per execution environment
        wired: Any = services()
        client = {"dynamodb": wired.dashboard._items._client, "s3": wired.grants._signer._client}[service]
        calls: list[tuple[str, dict[str, Any]]] = []

        def record(model: Any, params: dict[str, Any], **_: Any) -> None:
            # before-call: sent requests only (presigning emits parameter events but sends nothing).
            body = params.get("body") or b""
            calls.append((model.name, json.loads(body) if service == "dynamodb" and body else {}))

        client.meta.events.register(f"before-call.{service}", record)
        return calls


def create_uploads_table(dynamodb: Any) -> None:
    """The uploads index as ingest's serverless.yml defines it; until that definition exists, as
    the shared contract describes it (``inventory.uploads``: Key/Version, UploadsByScope, UploadsByTime)."""
    resources = service_definition("ingest")["resources"]["Resources"]
    if "UploadsTable" in resources:
        create_table(dynamodb, "ingest", "UploadsTable", UPLOADS)
        return
    strings = ["Key", "Version", "Scope", "Feed", "ReceivedAt"]
    dynamodb.create_table(
        TableName=UPLOADS,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "Key", "KeyType": "HASH"}, {"AttributeName": "Version", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in strings],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": partition, "KeyType": "HASH"},
                    {"AttributeName": "ReceivedAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, partition in ((UPLOADS_BY_SCOPE, "Scope"), (UPLOADS_BY_TIME, "Feed"))
        ],
    )


@contextmanager
def _api_world() -> Iterator[ApiWorld]:
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        # The function's environment as serverless.yml sets it (stage parameters at their defaults),
        # with what is made here; the secret and the People settings follow once they exist.
        for name, value in function_environment(
            "dashboard-api",
            "api",
            INVENTORY_TABLE=INVENTORY,
            STORES_TABLE=STORES,
            HISTORY_TABLE=HISTORY,
            FORECAST_TABLE=FORECAST,
            UPLOADS_TABLE=UPLOADS,
            UPLOAD_BUCKET=BUCKET,
            INGEST_FUNCTION_ARN=INGEST_FUNCTION_ARN,
            MAX_UPLOAD_BYTES=str(MAX_UPLOAD_BYTES),
            POWERTOOLS_SERVICE_NAME="dashboard-api",
        ).items():
            monkeypatch.setenv(name, value)
        from dashboard_api.handlers.context import clear_wiring

        clear_wiring()
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        s3 = boto3.client("s3", region_name="us-east-1")
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        create_table(dynamodb, "ingest", "InventoryTable", INVENTORY)
        create_table(dynamodb, "ingest", "StoresTable", STORES)
        create_table(dynamodb, "alerts", "HistoryTable", HISTORY)
        create_table(dynamodb, "alerts", "ForecastTable", FORECAST)
        create_uploads_table(dynamodb)
        s3.create_bucket(Bucket=BUCKET)
        secret = secrets.create_secret(Name="cursor-key", SecretString=secrets.get_random_password()["RandomPassword"])
        monkeypatch.setenv("CURSOR_SECRET_ARN", secret["ARN"])
        people = PeopleWorld.create(monkeypatch, dynamodb)
        people.add_user("head-office", admin=True, mfa=True)  # ADMIN: an admin only with MFA enrolled
        try:
            yield ApiWorld(dynamodb, s3, people)
        finally:
            clear_wiring()


@pytest.fixture
def api() -> Iterator[ApiWorld]:
    with _api_world() as world:
        yield world


def _seed_lab(api: ApiWorld) -> ApiWorld:
    api.add_items(
        "Berlin",
        [("Echo Dot", 12), ("Echo Plus", 0), ("Echo Show", 3), ("Amazon Tap", 15, 20)],
        updated_at="2026-11-22T03:00:00.000Z",
        last_upload_at="2026-11-22T05:00:00.000Z",
    )
    api.add_items(
        "Karachi",
        [("Echo Dot", 0), ("Echo Look", 2), ("Kindle", 40)],
        updated_at="2026-11-22T04:00:00.000Z",
    )
    return api


@pytest.fixture
def lab(api: ApiWorld) -> ApiWorld:
    """The lab's stores: Berlin (Echo Plus out of stock) and Karachi, with one low item each."""
    return _seed_lab(api)


@pytest.fixture(scope="module")
def shared_lab() -> Iterator[ApiWorld]:
    """The lab's stores, shared by a module's tests that only read."""
    with _api_world() as world:
        yield _seed_lab(world)


@pytest.fixture
def fresh_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request reads the revocation time, as in an execution environment whose few seconds
    of cache have passed (tests/unit/api/test_sessions.py covers the cache)."""
    from dashboard_api.logic import sessions

    monkeypatch.setattr(sessions, "REVOCATION_TTL_SECONDS", 0.0)


@pytest.fixture
def invoked(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The events the API would send ingest's function (which cannot run under moto: Lambda needs Docker)."""
    from dashboard_api.dal.ingest import IngestFunction

    events: list[dict[str, Any]] = []
    monkeypatch.setattr(IngestFunction, "invoke_async", lambda _self, event: events.append(event))
    return events


def index_row(api: ApiWorld, entry: UploadEntry) -> dict[str, Any]:
    """An upload's row in the uploads index, as stored."""
    item = api.dynamodb.get_item(TableName=UPLOADS, Key={"Key": {"S": entry.key}, "Version": {"S": entry.version}})
    return dict(item["Item"])
