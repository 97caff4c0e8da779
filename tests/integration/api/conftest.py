"""The Inventory, Stores and History tables and the upload bucket in moto, seeded the way
ingest and alerts write them, and the real dashboard API handler wired to them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from ingest.dal.inventory import InventoryTable
from inventory.history import history_key, history_sort_key
from inventory.models import SourceVersion, StockStatus
from inventory.table import StoredItem, from_attributes, to_attributes
from moto import mock_aws

from devstack.definitions import create_table
from tests.builders import LambdaContext, api_claims, api_event
from tests.integration.api.people_world import PeopleWorld

INVENTORY = "inventory-ingest-test-inventory"
STORES = "inventory-ingest-test-stores"
HISTORY = "inventory-alerts-test-history"
BUCKET = "inventory-ingest-test-uploads"
DEFAULT_THRESHOLD = 5

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
    ) -> None:
        """Write items as ingest does (inventory.table helpers), then the store's summary row."""
        source = SourceVersion(time=updated_at, key=source_key or f"uploads/{store}.csv")
        table = InventoryTable(self.dynamodb, INVENTORY)
        table.put_many(
            to_attributes(
                StoredItem(store, row[0], row[1], row[2] if len(row) > 2 else None, updated_at, source),  # type: ignore[misc]
                DEFAULT_THRESHOLD,
            )
            for row in items
        )
        self._summarise(store, updated_at)

    def _summarise(self, store: str, updated_at: str) -> None:
        stored = [from_attributes(item) for item in self._all_items(store)]
        statuses = [item.status(DEFAULT_THRESHOLD) for item in stored]
        self.dynamodb.put_item(
            TableName=STORES,
            Item={
                "Store": {"S": store},
                "Items": {"N": str(len(stored))},
                "Out": {"N": str(statuses.count(StockStatus.OUT))},
                "Low": {"N": str(statuses.count(StockStatus.LOW))},
                "UpdatedAt": {"S": updated_at},
            },
        )

    def _all_items(self, store: str) -> list[dict[str, Any]]:
        paginator = self.dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=INVENTORY,
            KeyConditionExpression="Store = :s",
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

    def add_report(
        self, upload_key: str, *, status: str = "ok", stores: list[str], finished_at: str, **extra: Any
    ) -> None:
        """A report as ingest writes it under reports/<upload key>.json."""
        body = {
            "source": {"bucket": BUCKET, "key": upload_key, "etag": "etag", "version_id": None},
            "status": status,
            "reason": extra.pop("reason", None),
            "rows": extra.pop(
                "rows",
                {"read": 6, "accepted": 6, "rejected": 0, "written": 6, "unchanged": 0, "stale": 0, "duplicates": 0},
            ),
            "errors": extra.pop("errors", []),
            "stores": stores,
            "started_at": finished_at,
            "finished_at": finished_at,
        }
        self.s3.put_object(Bucket=BUCKET, Key=f"reports/{upload_key}.json", Body=json.dumps(body).encode())

    def get(
        self,
        path: str,
        claims: dict[str, Any] | None,
        query: dict[str, str] | None = None,
        route: str | None = None,
    ) -> Answer:
        """Call the real handler with the event API Gateway would build for ``GET path?query``."""
        from dashboard_api.handlers.api import handler

        response = handler(api_event(path, claims=claims, query=query, route=route), LambdaContext())
        headers = response.get("headers") or {}
        assert "application/json" in headers.get("Content-Type", ""), response
        return Answer(response["statusCode"], json.loads(response["body"]), headers)


@contextmanager
def _api_world() -> Iterator[ApiWorld]:
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        for name, value in {
            "INVENTORY_TABLE": INVENTORY,
            "STORES_TABLE": STORES,
            "HISTORY_TABLE": HISTORY,
            "UPLOAD_BUCKET": BUCKET,
            "REPORTS_PREFIX": "reports/",
            "ALERTS_INDEX": "AlertsByStore",
            "CURSOR_KEY": "test-cursor-key",
            "POWERTOOLS_SERVICE_NAME": "dashboard-api",
        }.items():
            monkeypatch.setenv(name, value)
        from dashboard_api.handlers.context import clear_wiring

        clear_wiring()
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        s3 = boto3.client("s3", region_name="us-east-1")
        create_table(dynamodb, "ingest", "InventoryTable", INVENTORY)
        create_table(dynamodb, "ingest", "StoresTable", STORES)
        create_table(dynamodb, "alerts", "HistoryTable", HISTORY)
        s3.create_bucket(Bucket=BUCKET)
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
