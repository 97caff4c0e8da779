"""Batched table access: every item lands despite DynamoDB leaving work undone or throttling."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from ingest.dal.inventory import Backoff, InventoryTable, TableUnavailable
from inventory.models import SourceVersion, StockStatus
from inventory.table import StoredItem, from_attributes, to_attributes

from tests.fakes import FakeDynamoDB

pytestmark = pytest.mark.unit


def item(n: int) -> dict:
    return to_attributes(StoredItem("Berlin", f"item {n}", n, None, "t", SourceVersion("t", "k")), 5)


def quiet_backoff(waits: list[float] | None = None, attempts: int = 10) -> Backoff:
    return Backoff(
        base=0.05, cap=1.0, max_attempts=attempts, sleep=(waits if waits is not None else []).append, rand=lambda: 1.0
    )


def test_writes_go_in_calls_of_at_most_25() -> None:
    db = FakeDynamoDB()

    calls = InventoryTable(db, "t", quiet_backoff()).put_many(item(n) for n in range(60))

    assert calls == 3
    assert len(db.items) == 60


def test_unprocessed_items_are_retried_with_growing_waits_until_all_land() -> None:
    db, waits = FakeDynamoDB(), []
    db.unprocessed = 3

    InventoryTable(db, "t", quiet_backoff(waits)).put_many(item(n) for n in range(25))

    assert len(db.items) == 25
    assert waits == [0.05, 0.1, 0.2]


def test_throttling_errors_are_retried_with_backoff() -> None:
    db, waits = FakeDynamoDB(), []
    db.throttle = 2

    InventoryTable(db, "t", quiet_backoff(waits)).put_many([item(1)])

    assert len(db.items) == 1
    assert waits == [0.05, 0.1]


def test_backoff_is_capped_and_jittered() -> None:
    waits: list[float] = []
    backoff = Backoff(base=0.05, cap=1.0, sleep=waits.append, rand=lambda: 0.5)

    for attempt in (0, 3, 10):
        backoff.wait(attempt)

    assert waits == [0.025, 0.2, 0.5]


def test_giving_up_raises_table_unavailable() -> None:
    db = FakeDynamoDB()
    db.throttle = 100

    with pytest.raises(TableUnavailable):
        InventoryTable(db, "t", quiet_backoff(attempts=3)).put_many([item(1)])


def test_other_errors_are_not_retried() -> None:
    class Refusing(FakeDynamoDB):
        def batch_write_item(self, RequestItems: dict) -> dict:
            raise ClientError({"Error": {"Code": "ValidationException"}}, "BatchWriteItem")

    with pytest.raises(ClientError):
        InventoryTable(Refusing(), "t", quiet_backoff()).put_many([item(1)])


def test_item_mapping_round_trips_and_marks_only_alerting_items() -> None:
    low = StoredItem("Köln #1", "a/b", 3, 4, "2026-01-01T00:00:00.000Z", SourceVersion("t", "uploads/x.csv", "0A"))
    ok = StoredItem("B", "c", 30, None, "t", SourceVersion("t", "k"))

    assert from_attributes(to_attributes(low, 5)) == low
    assert to_attributes(low, 5)["AlertStatus"] == {"S": StockStatus.LOW.value}
    assert "AlertStatus" not in to_attributes(ok, 5)
    assert "Threshold" not in to_attributes(ok, 5)
