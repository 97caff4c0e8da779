"""Inventory writes -> stream records -> the alerts handler -> SNS -> an SQS subscriber, History rows and
the Stores totals; faults injected through botocore event hooks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alerts.handlers.stream import BatchFailed
from botocore.exceptions import ClientError

from tests.builders import LambdaContext, lambda_stream_event
from tests.integration.alerts.conftest import HISTORY, AlertsWorld, drain

pytestmark = pytest.mark.integration

BERLIN = [("Echo Dot", 12), ("Echo (2nd Gen)", 19), ("Echo Show", 18), ("Echo Plus", 0), ("Echo Look", 10)]


def load_berlin(world: AlertsWorld, **changes: int) -> None:
    for item, count in BERLIN:
        world.put("Berlin", item, changes.get(item.replace(" ", "_"), count))


def failed(response: dict[str, Any]) -> list[str]:
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def sequence(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": f"Transaction cancelled [{', '.join(codes)}]"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


def history_items(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The History rows a transaction puts (one store's, many to a transaction)."""
    return [action["Put"]["Item"] for action in params["TransactItems"] if "Put" in action]


def test_a_new_store_file_yields_one_digest_with_filterable_attributes(world: AlertsWorld):
    load_berlin(world)
    assert world.deliver() == {"batchItemFailures": []}

    (note,) = world.notifications()
    assert note["Subject"] == "Berlin: 1 item out of stock"
    assert note["Message"] == "Berlin: 1 item out of stock\nOUT Echo Plus: new -> 0"
    attributes = {name: (value["Type"], value["Value"]) for name, value in note["MessageAttributes"].items()}
    assert attributes == {
        "store": ("String", "Berlin"),
        "severity": ("String", "out"),
        "severities": ("String.Array", '["out"]'),
        "items": ("Number", "1"),
    }


def test_a_subscription_filtering_on_severities_hears_every_digest_that_carries_that_severity(world: AlertsWorld):
    # A subscriber for low stock: the digest also carries an outage, so its `severity` is
    # "out"; the `severities` array still lets this filter match it.
    queue_url = world.subscribe_queue("low-stock-only", {"store": ["Berlin"], "severities": ["low"]})
    world.put("Berlin", "Echo Plus", 0)
    world.put("Paris", "Echo Dot", 3)
    world.deliver()
    world.put("Berlin", "Echo Dot", 3)
    world.put("Berlin", "Echo Show", 0)
    world.deliver()

    (heard,) = drain(world.sqs, queue_url)
    assert heard["Message"].splitlines()[1:] == ["LOW Echo Dot: new -> 3", "OUT Echo Show: new -> 0"]
    assert json.loads(heard["MessageAttributes"]["severities"]["Value"]) == ["out", "low"]


def test_the_stores_totals_follow_the_changes(world: AlertsWorld):
    load_berlin(world)
    world.deliver()
    assert world.totals("Berlin") == (5, 1, 0)

    load_berlin(world, Echo_Dot=0, Echo_Plus=4, Echo_Look=3)
    world.deliver()
    assert world.totals("Berlin") == (5, 1, 2)
    row = world.dynamodb.get_item(TableName="inventory-ingest-test-stores", Key={"Store": {"S": "Berlin"}})["Item"]
    assert row["UpdatedAt"]["S"] > "2026-11-22T03:00:00.000Z"  # when the totals changed


def test_every_change_is_in_the_history_readable_by_store_and_item(world: AlertsWorld):
    load_berlin(world)
    world.deliver()
    (row,) = world.history("Berlin", "Echo Plus")
    assert row["Store"] == {"S": "Berlin"}
    assert row["Item"] == {"S": "Echo Plus"}
    assert row["Time"] == {"S": "2026-11-22T03:00:00.000Z"}
    assert row["NewCount"] == {"N": "0"}
    assert "OldCount" not in row  # a new item
    assert int(row["ExpiresAt"]["N"]) == 1795316400 + 90 * 86400
    assert row["Alert"] == {"S": "out"}
    assert "AnnouncedAt" in row
    assert all(len(world.history("Berlin", item)) == 1 for item, _ in BERLIN)


def test_history_over_a_time_range_returns_the_changes_in_it_oldest_first(world: AlertsWorld):
    for hour, count in [(1, 20), (2, 15), (3, 9), (4, 4), (5, 30)]:
        world.put("Berlin", "Echo Dot", count, updated_at=f"2026-11-22T0{hour}:00:00.000Z")
    world.deliver()
    rows = world.history("Berlin", "Echo Dot", "2026-11-22T02:00:00.000Z", "2026-11-22T04:00:00.000Z~")
    assert [(row["Time"]["S"][11:13], row["OldCount"]["N"], row["NewCount"]["N"]) for row in rows] == [
        ("02", "20", "15"),
        ("03", "15", "9"),
        ("04", "9", "4"),
    ]


def test_an_unchanged_reupload_announces_records_and_counts_nothing(world: AlertsWorld):
    load_berlin(world)
    world.deliver()
    world.notifications()

    load_berlin(world)  # moto streams these as MODIFY records with identical images
    records = world.new_records()
    assert {record["eventName"] for record in records} == {"MODIFY"}
    assert world.deliver(records) == {"batchItemFailures": []}
    assert world.notifications() == []
    assert len(world.history("Berlin", "Echo Plus")) == 1
    assert world.totals("Berlin") == (5, 1, 0)


def test_a_redelivered_or_late_batch_is_neither_announced_nor_counted_again(world: AlertsWorld):
    load_berlin(world)
    records = world.new_records()
    world.deliver(records)
    world.deliver(records)
    world.deliver(records[::-1])
    assert len(world.notifications()) == 1
    assert len(world.history("Berlin", "Echo Plus")) == 1
    assert world.totals("Berlin") == (5, 1, 0)


# -- faults -------------------------------------------------------------------------------------------


def test_echo_plus_out_then_back_in_one_batch_is_announced_in_order_after_its_failed_record_is_retried(
    world: AlertsWorld,
):
    world.put("Berlin", "Echo Dot", 12)
    world.put("Berlin", "Echo Plus", 3)
    world.deliver()
    world.notifications()
    world.put("Paris", "Echo Show", 20)  # another store's change, before the failure: done
    # Days apart: 3 sold in three days, so the 8 delivered last (no `soon` line here).
    world.put("Berlin", "Echo Plus", 0, updated_at="2026-11-25T03:00:00.000Z")
    world.put("Berlin", "Echo Plus", 8, updated_at="2026-11-26T03:00:00.000Z")
    _, out, back = records = world.new_records()
    fail = {"next": True}

    def refuse_the_outage(params: dict[str, Any], **_: Any) -> None:
        outage = [i for i in history_items(params) if i["Item"]["S"] == "Echo Plus" and i["NewCount"]["N"] == "0"]
        if outage and fail["next"]:
            fail["next"] = False
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "try again"}}, "TransactWriteItems")

    world.hook("before-parameter-build.dynamodb.TransactWriteItems", refuse_the_outage)

    # The outage's record fails: the restock behind it must not overtake it.
    assert failed(world.deliver(records)) == [sequence(out), sequence(back)]
    assert world.notifications() == []
    assert world.totals("Berlin") == (2, 0, 1)  # Echo Plus still counted low, at 3
    assert world.totals("Paris") == (1, 0, 0)

    # Lambda resends from the failed record.
    assert world.deliver([out, back]) == {"batchItemFailures": []}
    (note,) = world.notifications()
    assert note["Message"].splitlines()[1:] == ["OUT Echo Plus: 3 -> 0", "RESTOCKED Echo Plus: 0 -> 8"]
    assert [row["NewCount"]["N"] for row in world.history("Berlin", "Echo Plus")] == ["3", "0", "8"]
    assert world.totals("Berlin") == (2, 0, 0)


def test_a_transaction_conflict_is_tried_again_and_counted_once(world: AlertsWorld):
    conflicts = {"left": 2}

    def conflict(**_: Any) -> None:
        if conflicts["left"]:
            conflicts["left"] -= 1
            raise cancelled("None", "TransactionConflict")

    world.hook("before-parameter-build.dynamodb.TransactWriteItems", conflict)
    world.put("Berlin", "Echo Plus", 0)
    assert world.deliver() == {"batchItemFailures": []}
    assert world.totals("Berlin") == (1, 1, 0)
    assert len(world.notifications()) == 1


def test_a_conflict_that_persists_fails_the_record_and_the_retry_counts_it_once(world: AlertsWorld):
    conflicts = {"on": True}

    def conflict(params: dict[str, Any], **_: Any) -> None:
        if conflicts["on"] and any(item["Item"]["S"] == "Echo Dot" for item in history_items(params)):
            raise cancelled("None", "TransactionConflict")

    world.hook("before-parameter-build.dynamodb.TransactWriteItems", conflict)
    world.put("Paris", "Echo Plus", 0)
    world.put("Berlin", "Echo Dot", 2)
    world.put("Berlin", "Echo Show", 0)
    _, dot, show = records = world.new_records()
    assert failed(world.deliver(records)) == [sequence(dot), sequence(show)]
    assert world.totals("Paris") == (1, 1, 0)
    assert world.totals("Berlin") == (0, 0, 0)  # the store's rows and totals land together or not at all

    conflicts["on"] = False
    assert world.deliver([dot, show]) == {"batchItemFailures": []}
    assert world.deliver(records) == {"batchItemFailures": []}  # and the whole batch once more
    assert world.totals("Paris") == (1, 1, 0)
    assert world.totals("Berlin") == (2, 1, 1)
    lines = [note["Message"].splitlines()[1:] for note in world.notifications()]
    assert lines == [["OUT Echo Plus: new -> 0"], ["LOW Echo Dot: new -> 2", "OUT Echo Show: new -> 0"]]


def test_when_the_topic_refuses_the_records_fail_and_a_retry_announces_them_once(world: AlertsWorld):
    refuse = {"on": True}

    def unavailable(**_: Any) -> None:
        if refuse["on"]:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "unavailable"}}, "Publish")

    world.hook("before-call.sns.Publish", unavailable)
    world.put("Paris", "Echo Dot", 12)  # no alert, recorded: before the digest's records, so done
    world.put("Berlin", "Echo Plus", 0)
    world.put("Berlin", "Echo Dot", 12)  # no alert, but after the failed digest's first record
    _, plus, dot = records = world.new_records()
    assert failed(world.deliver(records)) == [sequence(plus), sequence(dot)]
    assert world.notifications() == []
    assert world.totals("Berlin") == (2, 1, 0)  # recorded once, whatever the digest did

    refuse["on"] = False
    assert world.deliver([plus, dot]) == {"batchItemFailures": []}
    (note,) = world.notifications()
    assert note["Message"].splitlines()[1:] == ["OUT Echo Plus: new -> 0"]
    assert world.totals("Berlin") == (2, 1, 0)
    assert world.history("Berlin", "Echo Plus")[0]["AnnouncedAt"]


def test_a_batch_that_fails_whole_raises_so_lambda_bisects_it(world: AlertsWorld):
    def down(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "TransactWriteItems")

    world.hook("before-parameter-build.dynamodb.TransactWriteItems", down)
    world.put("Berlin", "Echo Plus", 0)
    world.put("Berlin", "Echo Dot", 3)
    with pytest.raises(BatchFailed):
        world.deliver()
    assert world.totals("Berlin") == (0, 0, 0)


# -- malformed stored items ------------------------------------------------------------------------------


def test_an_item_stored_with_a_text_count_is_counted_and_skipped_and_its_fix_is_not_poisoned(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 6)
    world.deliver()
    world.put("Berlin", "Echo Plus", "zero", count_type="S", updated_at="2026-11-22T04:00:00.000Z")
    world.put("Berlin", "Echo Dot", 0)  # an ordinary change behind it in the same batch
    assert world.deliver() == {"batchItemFailures": []}  # skipped, not retried forever
    assert [note["Message"].splitlines()[1:] for note in world.notifications()] == [["OUT Echo Dot: new -> 0"]]

    world.put("Berlin", "Echo Plus", 0, updated_at="2026-11-22T05:00:00.000Z")  # ingest fixes the item
    assert world.deliver() == {"batchItemFailures": []}
    (note,) = world.notifications()
    assert note["Message"].splitlines()[1:] == ["OUT Echo Plus: new -> 0"]  # previous state unknown
    assert [row["NewCount"]["N"] for row in world.history("Berlin", "Echo Plus")] == ["6", "0"]
    # The fix is not guessed into the totals (Echo Plus may or may not have been counted as it
    # was); the recount repairs the one status it left behind.
    assert world.totals("Berlin") == (2, 1, 0)


def test_the_real_handler_answers_a_batch_of_only_malformed_records_without_failing(world: AlertsWorld):
    from alerts.handlers.stream import handler

    world.put("Berlin", "Echo Plus", 0)
    (record,) = world.new_records()
    record["dynamodb"]["NewImage"]["Count"] = {"N": "none"}
    assert handler(lambda_stream_event([record], world.stream_arn), LambdaContext()) == {"batchItemFailures": []}
    assert world.notifications() == []
    assert world.dynamodb.scan(TableName=HISTORY)["Items"] == []


def test_an_item_named_like_a_scam_reaches_email_as_a_line_and_sms_not_at_all(
    world: AlertsWorld, monkeypatch: pytest.MonkeyPatch
):
    """The digest is published with MessageStructure=json: SNS sends `sms` subscribers the `sms` text and
    every other protocol (email, this SQS subscriber) `default`. The published message is read from the
    emulator's record of the topic, since moto keeps what it would text to a subscribed phone to itself."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    monkeypatch.setenv("DASHBOARD_URL", "https://dashboard.example.com")
    hostile = "Parcel held. Pay fee: https://evil.example/pay"
    world.put("Berlin", hostile, 0)
    assert world.deliver() == {"batchItemFailures": []}

    (note,) = world.notifications()
    assert note["Message"].splitlines()[1:] == [f"OUT {hostile}: new -> 0"]
    (published,) = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].topics[world.topic_arn].sent_notifications
    texts = json.loads(published[1])
    assert texts["email"] == texts["default"] == note["Message"]
    assert texts["sms"] == "Stock alert: 1 item out of stock. Details: https://dashboard.example.com/#/alerts"
    assert [word for word in ("Parcel", "evil.example", "Berlin") if word in texts["sms"]] == []
