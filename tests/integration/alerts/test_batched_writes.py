"""One store's batch written many rows at a time: transactions of up to 99 History rows that move their
store's totals, with the totals; rows that move none put alone; marks in transactions of up to 100
conditional updates; faults injected through botocore hooks on moto."""

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


def recount(world: AlertsWorld) -> list[dict[str, Any]]:
    """After :func:`load`: every item's count changes again; the tenth ones (at 0) are restocked, which
    moves the store's out total, the others go from 50 to 40 and stay in stock, which moves none."""
    world.notifications()
    for n in range(ITEMS):
        world.put("Berlin", f"Item {n:03d}", 50 if n % 10 == 0 else 40, updated_at="2026-11-23T03:00:00.000Z")
    return world.new_records()


def history_puts(world: AlertsWorld) -> list[str]:
    """Items whose History row is put by a PutItem of its own (not a published digest's record)."""
    puts: list[str] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        if params["TableName"] == HISTORY and "Item" in params["Item"]:
            puts.append(params["Item"]["Item"]["S"])

    world.hook("before-parameter-build.dynamodb.PutItem", count)
    return puts


def test_changes_that_move_no_total_are_put_alone_and_a_resend_writes_nothing_twice(world: AlertsWorld):
    """Of a store's 150 changes, the 15 restocks go in one transaction with the totals (2 write units a
    row); the 135 in-stock count changes are one conditional PutItem each (1 unit), no transaction."""
    assert world.deliver(load(world)) == {"batchItemFailures": []}
    records = recount(world)
    transactions: list[int] = []
    world.hook(
        "before-parameter-build.dynamodb.TransactWriteItems",
        lambda params, **_: transactions.append(len(params["TransactItems"])),
    )
    puts = history_puts(world)
    stores_updates: list[str] = []
    world.hook(
        "before-parameter-build.dynamodb.UpdateItem",
        lambda params, **_: stores_updates.append(params["TableName"]),
    )

    assert world.deliver(records) == {"batchItemFailures": []}
    assert transactions == [15 + 1, 15]  # the restocks and the totals; then the 15 restocks' marks
    assert sorted(puts) == [f"Item {n:03d}" for n in range(ITEMS) if n % 10]
    assert stores_updates == []  # the transaction set the store's UpdatedAt
    assert world.totals("Berlin") == (ITEMS, 0, 0)
    (note,) = world.notifications()
    assert note["MessageAttributes"]["items"]["Value"] == str(ITEMS // 10)
    written = sorted(rows(world), key=lambda row: (row["StoreItem"]["S"], row["At"]["S"]))
    assert len(written) == 2 * ITEMS

    # The same batch again: every row is found, nothing is written, added or announced twice.
    transactions.clear()
    puts.clear()
    assert world.deliver(records) == {"batchItemFailures": []}
    assert transactions == [15 + 1]  # cancelled: every row found
    assert len(puts) == ITEMS - ITEMS // 10  # each refused by its condition
    assert stores_updates == []
    assert world.totals("Berlin") == (ITEMS, 0, 0)
    assert sorted(rows(world), key=lambda row: (row["StoreItem"]["S"], row["At"]["S"])) == written
    assert world.notifications() == []


def test_a_store_whose_changes_move_no_total_gets_its_updated_at_from_one_update(world: AlertsWorld):
    from inventory.stores import StoreSummary

    from tests.integration.alerts.conftest import STORES

    world.set_totals("Paris", 2, 0, 0, "2026-11-01T00:00:00.000Z")
    for item in ("Tap", "Sink"):
        world.put("Paris", item, 40, updated_at="2026-10-01T03:00:00.000Z")
    world.new_records()
    world.put("Paris", "Tap", 38)  # sold slowly: neither low nor running out soon
    world.put("Paris", "Sink", 39)
    records = world.new_records()
    transactions: list[int] = []
    world.hook(
        "before-parameter-build.dynamodb.TransactWriteItems",
        lambda params, **_: transactions.append(len(params["TransactItems"])),
    )

    def updated_at() -> str | None:
        item = world.dynamodb.get_item(TableName=STORES, Key={"Store": {"S": "Paris"}}, ConsistentRead=True)["Item"]
        return StoreSummary.from_item(item).updated_at

    assert world.deliver(records) == {"batchItemFailures": []}
    assert transactions == []
    assert world.totals("Paris") == (2, 0, 0)
    first = updated_at()
    assert first is not None
    assert first > "2026-11-01T00:00:00.000Z"

    assert world.deliver(records) == {"batchItemFailures": []}  # found: no new row, no update
    assert updated_at() == first


def test_a_throttled_lone_row_is_sent_again_and_written_once(world: AlertsWorld):
    """botocore's standard mode retries a throttled PutItem: the throttling answer is injected where the
    request would go out (before moto answers it), so the retry logic sees it as from DynamoDB."""
    import boto3
    from alerts.handlers.stream import alert_service
    from botocore.awsrequest import AWSResponse

    assert world.deliver(load(world)) == {"batchItemFailures": []}
    records = recount(world)
    throttled: list[str] = []

    class Body:
        def stream(self) -> Any:
            yield (
                b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
                b'"message":"slow down"}'
            )

    def throttle_once(request: Any, **_: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        if b"PutItem" in target and b"Item 001" in request.body and not throttled:
            throttled.append("Item 001")
            return AWSResponse(request.url, 400, {}, Body())
        return None

    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register_first("before-send.dynamodb.PutItem", throttle_once)
    alert_service.cache_clear()

    assert world.deliver(records) == {"batchItemFailures": []}
    assert throttled == ["Item 001"]
    assert [row["NewCount"]["N"] for row in world.history("Berlin", "Item 001")] == ["50", "40"]
    assert world.totals("Berlin") == (ITEMS, 0, 0)


def test_after_a_failed_transaction_the_stores_later_lone_rows_wait_and_the_resend_counts_each_once(
    world: AlertsWorld,
):
    assert world.deliver(load(world)) == {"batchItemFailures": []}
    records = recount(world)[1:]  # Item 001 to 009 move no total, Item 010 (a restock) does, ...
    refuse = {"on": True}

    def throttle(params: dict[str, Any], **_: Any) -> None:
        if refuse["on"] and any("Put" in action for action in params["TransactItems"]):
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                "TransactWriteItems",
            )

    world.hook("before-parameter-build.dynamodb.TransactWriteItems", throttle)
    puts = history_puts(world)

    assert failed(world.deliver(records)) == [sequence(record) for record in records[9:]]
    assert sorted(puts) == [f"Item {n:03d}" for n in range(1, 10)]  # the rows before it; none after
    assert world.totals("Berlin") == (ITEMS, ITEMS // 10, 0)

    refuse["on"] = False
    assert world.deliver(records[9:]) == {"batchItemFailures": []}
    assert world.totals("Berlin") == (ITEMS, 1, 0)  # Item 000 is still out: its record was not sent
    assert len(rows(world)) == 2 * ITEMS - 1
    assert world.deliver(records) == {"batchItemFailures": []}  # Lambda may send them all again
    assert world.totals("Berlin") == (ITEMS, 1, 0)
    assert len(rows(world)) == 2 * ITEMS - 1
