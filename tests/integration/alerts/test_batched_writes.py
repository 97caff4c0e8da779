"""One store's batch written many rows at a time: transactions of up to 99 History rows with their
store's totals, marks in transactions of up to 100 conditional updates; faults injected through
botocore hooks on moto."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from inventory.history import history_key

from tests.integration.alerts.conftest import HISTORY, AlertsWorld

pytestmark = pytest.mark.integration

#: More than one transaction's worth of rows (99) for one store.
ITEMS = 150


def failed(response: dict[str, Any]) -> list[str]:
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def sequence(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def marks(params: dict[str, Any]) -> bool:
    """Whether a TransactWriteItems call is one of announcement marks (updates of History rows only)."""
    return all(action.get("Update", {}).get("TableName") == HISTORY for action in params["TransactItems"])


def cancelled(*codes: str) -> ClientError:
    """The error DynamoDB answers a cancelled transaction with, one reason per action."""
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


def load(world: AlertsWorld) -> list[dict[str, Any]]:
    """ITEMS new items of Berlin, every tenth out of stock; their stream records."""
    for n in range(ITEMS):
        world.put("Berlin", f"Item {n:03d}", 0 if n % 10 == 0 else 50)
    return world.new_records()


def rows(world: AlertsWorld) -> list[dict[str, Any]]:
    """The items' History rows (not the records of published digests, which name no item)."""
    return [row for row in world.dynamodb.scan(TableName=HISTORY)["Items"] if "Item" in row]


def test_a_store_batch_larger_than_one_transaction_is_recorded_counted_and_announced_once_even_when_resent(
    world: AlertsWorld,
):
    records = load(world)
    transactions: list[int] = []
    world.hook(
        "before-parameter-build.dynamodb.TransactWriteItems",
        lambda params, **_: transactions.append(len(params["TransactItems"])),
    )

    assert world.deliver(records) == {"batchItemFailures": []}
    # 99 rows + the totals, then 51 rows + the totals, then the 15 announced rows' marks
    assert transactions == [100, 52, 15]
    assert world.totals("Berlin") == (ITEMS, ITEMS // 10, 0)
    (note,) = world.notifications()
    assert note["MessageAttributes"]["items"]["Value"] == str(ITEMS // 10)
    assert all("AnnouncedAt" in row for row in rows(world) if "Alert" in row)

    # Lambda delivers the same batch again (a timeout after the work was done): nothing doubles.
    assert world.deliver(records) == {"batchItemFailures": []}
    assert world.totals("Berlin") == (ITEMS, ITEMS // 10, 0)
    assert len(rows(world)) == ITEMS
    assert world.notifications() == []


def test_a_failed_transaction_reports_the_batch_from_its_first_record_and_the_resend_completes_it(
    world: AlertsWorld,
):
    records = load(world)
    refuse = {"on": True}

    def throttle_the_second(params: dict[str, Any], **_: Any) -> None:
        items = [action["Put"]["Item"]["Item"]["S"] for action in params["TransactItems"] if "Put" in action]
        if refuse["on"] and "Item 099" in items:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                "TransactWriteItems",
            )

    world.hook("before-parameter-build.dynamodb.TransactWriteItems", throttle_the_second)

    assert failed(world.deliver(records)) == [sequence(record) for record in records[99:]]
    assert world.totals("Berlin") == (99, 10, 0)  # the first transaction's rows, not one more
    (note,) = world.notifications()
    assert note["MessageAttributes"]["items"]["Value"] == "10"

    refuse["on"] = False
    assert world.deliver(records[99:]) == {"batchItemFailures": []}
    assert world.totals("Berlin") == (ITEMS, ITEMS // 10, 0)
    (note,) = world.notifications()
    assert note["Message"].splitlines()[1:] == ["OUT Item 100: new -> 0", "OUT Item 110: new -> 0",
                                                "OUT Item 120: new -> 0", "OUT Item 130: new -> 0",
                                                "OUT Item 140: new -> 0"]  # fmt: skip


def test_marks_cancelled_by_a_conflict_are_sent_again(world: AlertsWorld):
    records = load(world)
    sent: list[int] = []

    def conflict_the_first(params: dict[str, Any], **_: Any) -> None:
        if marks(params):
            sent.append(len(params["TransactItems"]))
            if len(sent) == 1:
                raise cancelled(*["None"] * 3, "TransactionConflict", *["None"] * (len(params["TransactItems"]) - 4))

    world.hook("before-parameter-build.dynamodb.TransactWriteItems", conflict_the_first)

    assert world.deliver(records) == {"batchItemFailures": []}
    assert sent == [ITEMS // 10, ITEMS // 10]  # 15 marks in one transaction, cancelled, sent again
    announced = [row for row in rows(world) if "Alert" in row]
    assert len(announced) == ITEMS // 10
    assert all("AnnouncedAt" in row for row in announced)
    assert len(world.notifications()) == 1
    assert world.deliver(records) == {"batchItemFailures": []}
    assert world.notifications() == []  # marked: a resend announces nothing again


def test_a_row_deleted_before_its_mark_lands_stays_deleted_and_the_others_are_marked(world: AlertsWorld):
    records = load(world)
    deleted: dict[str, Any] = {"StoreItem": {"S": history_key("Berlin", "Item 010")}}

    def delete_one_row(params: dict[str, Any], **_: Any) -> None:
        if marks(params) and "At" not in deleted:  # an operator (or the TTL) removes a row just then
            (row,) = [row for row in rows(world) if row["Item"]["S"] == "Item 010"]
            deleted["At"] = row["At"]
            world.dynamodb.delete_item(TableName=HISTORY, Key=deleted)

    world.hook("before-parameter-build.dynamodb.TransactWriteItems", delete_one_row)

    assert world.deliver(records) == {"batchItemFailures": []}
    assert "Item" not in world.dynamodb.get_item(TableName=HISTORY, Key=deleted, ConsistentRead=True)
    announced = [row for row in rows(world) if "Alert" in row]
    assert len(announced) == ITEMS // 10 - 1
    assert all("AnnouncedAt" in row for row in announced)


def test_marks_that_fail_leave_the_batch_done_and_unmarked(world: AlertsWorld):
    records = load(world)

    def down(params: dict[str, Any], **_: Any) -> None:
        if marks(params):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "TransactWriteItems")

    world.hook("before-parameter-build.dynamodb.TransactWriteItems", down)
    assert world.deliver(records) == {"batchItemFailures": []}  # failing them would announce them twice
    assert len(world.notifications()) == 1
    assert not any("AnnouncedAt" in row for row in rows(world))
    assert world.totals("Berlin") == (ITEMS, ITEMS // 10, 0)


def test_an_invocation_that_dies_after_its_digest_went_out_is_not_announced_again_by_its_retry(
    world: AlertsWorld,
):
    records = load(world)
    dying = {"on": True}

    def killed(params: dict[str, Any], **_: Any) -> None:
        if dying["on"] and marks(params):
            raise RuntimeError("the function was stopped after the publish, before its marks")

    world.hook("before-parameter-build.dynamodb.TransactWriteItems", killed)
    with pytest.raises(RuntimeError):
        world.deliver(records)
    assert len(world.notifications()) == 1
    assert not any("AnnouncedAt" in row for row in rows(world))

    dying["on"] = False
    assert world.deliver(records) == {"batchItemFailures": []}  # Lambda retries the whole batch

    assert world.notifications() == []
    announced = [row for row in rows(world) if "Alert" in row]
    assert len(announced) == ITEMS // 10
    assert all("AnnouncedAt" in row for row in announced)
    assert world.totals("Berlin") == (ITEMS, ITEMS // 10, 0)
