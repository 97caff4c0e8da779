"""Inventory writes -> stream records -> the alerts handler -> SNS -> an SQS subscriber, and History rows."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tests.builders import lambda_stream_event
from tests.integration.alerts.conftest import AlertsWorld

pytestmark = pytest.mark.integration

BERLIN = [("Echo Dot", 12), ("Echo (2nd Gen)", 19), ("Echo Show", 18), ("Echo Plus", 0), ("Echo Look", 10)]


def load_berlin(world: AlertsWorld, **changes: int) -> None:
    for item, count in BERLIN:
        world.put("Berlin", item, changes.get(item.replace(" ", "_"), count))


def test_a_new_store_file_yields_one_digest_with_filterable_attributes(world: AlertsWorld):
    load_berlin(world)
    assert world.deliver() == {"batchItemFailures": []}

    (note,) = world.notifications()
    assert note["Subject"] == "Berlin: 1 item out of stock"
    assert note["Message"] == "Berlin: 1 item out of stock\nOUT Echo Plus: new -> 0"
    attributes = {name: (value["Type"], value["Value"]) for name, value in note["MessageAttributes"].items()}
    assert attributes == {"store": ("String", "Berlin"), "severity": ("String", "out"), "items": ("Number", "1")}


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


def test_an_unchanged_reupload_announces_and_records_nothing(world: AlertsWorld):
    load_berlin(world)
    world.deliver()
    world.notifications()

    load_berlin(world)  # moto streams these as MODIFY records with identical images
    records = world.new_records()
    assert {record["eventName"] for record in records} == {"MODIFY"}
    assert world.deliver(records) == {"batchItemFailures": []}
    assert world.notifications() == []
    assert len(world.history("Berlin", "Echo Plus")) == 1


def test_an_item_running_out_yields_a_digest_naming_only_that_item(world: AlertsWorld):
    load_berlin(world)
    world.deliver()
    world.notifications()

    load_berlin(world, Echo_Dot=0)
    world.deliver()
    (note,) = world.notifications()
    assert note["Subject"] == "Berlin: 1 item out of stock"
    assert note["Message"].splitlines()[1:] == ["OUT Echo Dot: 12 -> 0"]
    assert [row["NewCount"]["N"] for row in world.history("Berlin", "Echo Dot")] == ["12", "0"]


def test_a_redelivered_batch_is_not_announced_again(world: AlertsWorld):
    load_berlin(world)
    records = world.new_records()
    world.deliver(records)
    world.deliver(records)
    assert len(world.notifications()) == 1
    assert len(world.history("Berlin", "Echo Plus")) == 1


def test_when_the_topic_refuses_the_records_fail_and_a_retry_announces_them_once(
    world: AlertsWorld, monkeypatch: pytest.MonkeyPatch
):
    from alerts.handlers.stream import alert_service

    world.put("Berlin", "Echo Plus", 0)
    world.put("Berlin", "Echo Dot", 12)  # no alert: not part of the digest
    records = world.new_records()
    monkeypatch.setenv("ALERTS_TOPIC_ARN", world.topic_arn + "-missing")
    alert_service.cache_clear()
    response = world.deliver(records)
    assert response == {"batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]}
    assert world.notifications() == []

    monkeypatch.setenv("ALERTS_TOPIC_ARN", world.topic_arn)
    alert_service.cache_clear()
    assert world.deliver(records) == {"batchItemFailures": []}
    (note,) = world.notifications()
    assert note["Message"].splitlines()[1:] == ["OUT Echo Plus: new -> 0"]


def test_a_batch_of_only_malformed_records_fails_as_a_whole(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0)
    (record,) = world.new_records()
    record["dynamodb"]["NewImage"]["Count"] = {"N": "none"}
    from alerts.handlers.stream import handler

    from tests.builders import LambdaContext

    with pytest.raises(BatchProcessingError):
        handler(lambda_stream_event([record], world.stream_arn), LambdaContext())
