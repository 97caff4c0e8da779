"""Table access: what DynamoDB leaves undone is asked again within the batch's deadline, and no longer."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from ingest.dal.inventory import InventoryTable
from ingest.models.claim import Fence
from ingest.models.errors import LeaseLost, TableUnavailable
from ingest.models.writes import ItemWrite
from inventory.leftovers import Backoff
from inventory.models import Ordering, SourceVersion
from inventory.table import StoredItem, item_key, to_attributes

from tests.fakes.ingest import FakeDynamoDB

pytestmark = pytest.mark.unit

SOURCE = SourceVersion("2026-01-05T09:00:00.000Z", "uploads/monday.csv")


class Clock:
    """A monotonic clock that only moves when the table waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += max(seconds, 0.5)


def table(db: FakeDynamoDB, clock: Clock | None = None) -> InventoryTable:
    clock = clock or Clock()
    return InventoryTable(db, "inventory", Backoff(sleep=clock.sleep, monotonic=lambda: clock.now, rand=lambda: 1.0))


def write(n: int) -> ItemWrite:
    stored = StoredItem("Berlin", f"item {n}", n, None, "t", SOURCE)
    return ItemWrite(("Berlin", f"item {n}"), to_attributes(stored, 5), SOURCE, line=n + 2)


def test_every_write_of_a_batch_goes_in_one_transaction_with_its_line() -> None:
    db = FakeDynamoDB()

    outcome = table(db).write_many([write(n) for n in range(100)], deadline=60)

    assert db.calls == ["TransactWriteItems"]
    assert len(outcome.written) == 100
    assert db.items[("Berlin", "item 7")]["SourceLine"] == {"N": "9"}


def test_keys_left_unread_are_asked_for_again_until_all_are_read() -> None:
    db = FakeDynamoDB()
    table(db).write_many([write(n) for n in range(100)], deadline=60)
    db.calls.clear()
    db.unprocessed = 2

    found = table(db).get_many([item_key("Berlin", f"item {n}") for n in range(100)], deadline=60)

    assert len(found) == 100
    assert db.calls == ["BatchGetItem"] * 3


def test_keys_left_unread_past_the_deadline_make_the_table_unavailable() -> None:
    db, clock = FakeDynamoDB(), Clock()
    db.unprocessed = 1_000

    with pytest.raises(TableUnavailable, match="time ran out"):
        table(db, clock).get_many([item_key("Berlin", f"item {n}") for n in range(10)], deadline=5)

    assert clock.now >= 5
    assert len(db.calls) < 20


def test_an_item_whose_condition_fails_is_lost_and_the_others_are_sent_again_at_once() -> None:
    db, clock = FakeDynamoDB(), Clock()
    db.items[("Berlin", "item 1")] = {"Store": {"S": "Berlin"}, "Item": {"S": "item 1"}, "Count": {"N": "99"}}
    db.cancel = [["None", "ConditionalCheckFailed", "None"]]

    outcome = table(db, clock).write_many([write(0), write(1), write(2)], deadline=60)

    assert outcome.written == [("Berlin", "item 0"), ("Berlin", "item 2")]
    assert outcome.lost == {("Berlin", "item 1"): db.items[("Berlin", "item 1")]}
    assert db.items[("Berlin", "item 1")]["Count"] == {"N": "99"}
    assert db.calls == ["TransactWriteItems"] * 2
    assert clock.waits == []


def test_a_transaction_conflict_is_sent_again_after_a_pause() -> None:
    db, clock = FakeDynamoDB(), Clock()
    db.cancel = [["TransactionConflict", "None"], ["ThrottlingError", "None"]]

    outcome = table(db, clock).write_many([write(0), write(1)], deadline=60)

    assert len(outcome.written) == 2
    assert len(db.calls) == 3
    assert len(clock.waits) == 2


def test_conflicts_past_the_deadline_make_the_table_unavailable() -> None:
    db, clock = FakeDynamoDB(), Clock()
    db.cancel = [["TransactionConflict"]] * 1_000

    with pytest.raises(TableUnavailable, match="left 1 items unwritten"):
        table(db, clock).write_many([write(0)], deadline=5)

    assert db.items == {}


def test_throttling_the_retry_layer_gave_up_on_is_not_retried_again() -> None:
    # botocore's standard mode has already retried the call: one retry layer, not two.
    db = FakeDynamoDB()
    db.throttle = 1

    with pytest.raises(TableUnavailable, match="ProvisionedThroughputExceededException"):
        table(db).write_many([write(0)], deadline=60)

    assert db.calls == ["TransactWriteItems"]


def test_a_refusal_that_no_retry_can_fix_is_raised_not_retried() -> None:
    db = FakeDynamoDB()
    db.cancel = [["ValidationError"]]

    with pytest.raises(ValueError, match="ValidationError"):
        table(db).write_many([write(0)], deadline=60)

    assert db.calls == ["TransactWriteItems"]


FENCE = Fence("uploads", {"Key": {"S": "uploads/monday.csv"}, "Version": {"S": "v1"}}, owner="first")


def test_a_fenced_batch_checks_the_upload_row_names_its_owner_in_the_same_transaction() -> None:
    db = FakeDynamoDB()

    table(db).write_many([write(n) for n in range(99)], deadline=60, fence=FENCE)

    assert db.calls == ["TransactWriteItems"]
    assert db.fences == [
        {
            "TableName": "uploads",
            "Key": FENCE.key,
            "ConditionExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": "Owner"},
            "ExpressionAttributeValues": {":owner": {"S": "first"}},
        }
    ]


def test_a_batch_whose_fence_fails_has_lost_the_upload_and_is_not_sent_again() -> None:
    db = FakeDynamoDB()
    db.cancel = [["None", "None", "ConditionalCheckFailed"]]  # another invocation took the upload over

    with pytest.raises(LeaseLost):
        table(db).write_many([write(0), write(1)], deadline=60, fence=FENCE)

    assert db.items == {}
    assert db.calls == ["TransactWriteItems"]


def test_a_rewrite_sets_what_ingest_owns_and_keeps_every_other_attribute() -> None:
    db = FakeDynamoDB()
    db.items[("Berlin", "item 1")] = {
        "Store": {"S": "Berlin"},
        "Item": {"S": "item 1"},
        "Threshold": {"N": "9"},
        "ShelfNote": {"S": "aisle 4"},
    }

    table(db).write_many([write(1)], deadline=60)

    stored = db.items[("Berlin", "item 1")]
    assert stored["ShelfNote"] == {"S": "aisle 4"}
    assert "Threshold" not in stored  # the write names none (the loader decides what it names)
    assert stored["Count"] == {"N": "1"}


def test_a_write_stores_how_the_item_is_reordered() -> None:
    db = FakeDynamoDB()
    stored = StoredItem("Berlin", "item 1", 4, None, "t", SOURCE, Ordering(7, 12, "Acme"))

    table(db).write_many([ItemWrite(("Berlin", "item 1"), to_attributes(stored, 5), SOURCE, line=2)], deadline=60)

    item = db.items[("Berlin", "item 1")]
    assert (item["LeadTimeDays"], item["PackSize"], item["Supplier"]) == ({"N": "7"}, {"N": "12"}, {"S": "Acme"})


class RecordingDynamoDB(FakeDynamoDB):
    def __init__(self) -> None:
        super().__init__()
        self.updates: list[dict[str, Any]] = []

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        self.updates.extend(action["Update"] for action in TransactItems if "Update" in action)
        return super().transact_write_items(TransactItems)


@pytest.mark.parametrize(
    "kind",
    ["over another upload's item", "new item", "this upload's item", "retirement", "undo", "undo retirement"],
)
def test_every_placeholder_a_write_declares_is_used_as_dynamodb_requires(kind: str) -> None:
    """DynamoDB refuses a request with an expression attribute name or value no expression uses
    (moto accepts it in a transaction), so each kind of write is checked on the request it sends."""
    db = RecordingDynamoDB()
    image = {"Count": {"N": "4"}, "SourceTime": {"S": "2026-01-04T09:00:00.000Z"}}
    sequenced = SourceVersion(SOURCE.time, SOURCE.key, "0000000000001000")
    writes = {
        "over another upload's item": dataclasses.replace(write(1), before=image),
        "new item": dataclasses.replace(write(1), before={}),
        "this upload's item": write(1),
        "retirement": ItemWrite(("Berlin", "item 1"), item_key("Berlin", "item 1"), sequenced, 0, "t", before=image),
        "undo": ItemWrite(("Berlin", "item 1"), {**item_key("Berlin", "item 1"), **image}, sequenced, 3, undo=True),
        "undo retirement": ItemWrite(("Berlin", "item 1"), item_key("Berlin", "item 1"), SOURCE, 0, "t", undo=True),
    }

    table(db).write_many([writes[kind]], deadline=60)

    (update,) = db.updates
    expressions = update["UpdateExpression"] + " " + update["ConditionExpression"]
    used = set(re.findall(r"[#:]\w+", expressions))
    assert set(update["ExpressionAttributeNames"]) | set(update["ExpressionAttributeValues"]) == used
    assert ("#before" in used) is (kind != "this upload's item")
