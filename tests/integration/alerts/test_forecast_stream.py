"""Forecasts kept current from the Inventory stream, and the ``soon`` alert, end to end in moto:
counts written to the table, the stream's records handed to the real handler, the Forecast row and
its index read back after each, digests read from a subscribed queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from inventory.forecast import RUNNING_OUT_INDEX, running_out_week
from inventory.models import iso_utc

from tests.integration.alerts.conftest import FORECAST, AlertsWorld, drain

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def day(n: float) -> str:
    return iso_utc(START + timedelta(days=n))


def upload(world: AlertsWorld, *counts: tuple[str, int, float], threshold: int | None = None) -> dict[str, Any]:
    """Write (item, count, day) to Berlin as ingest would, then deliver the stream's new records as one batch."""
    for item, count, when in counts:
        world.put("Berlin", item, count, updated_at=day(when), threshold=threshold)
    return world.deliver()


def soon_lines(world: AlertsWorld) -> list[str]:
    return [
        line for note in world.notifications() for line in note["Message"].splitlines()[1:] if line.startswith("SOON")
    ]


def running_out(world: AlertsWorld, store: str, by: str) -> list[tuple[str, int]]:
    """The RunningOut index as the dashboard API queries it: a store's items that may run out by ``by``,
    with their keys (the week each runs out at its last count)."""
    found = world.dynamodb.query(
        TableName=FORECAST,
        IndexName=RUNNING_OUT_INDEX,
        KeyConditionExpression="#store = :store AND #week <= :week",
        ExpressionAttributeNames={"#store": "Store", "#week": "RunningOutIn"},
        ExpressionAttributeValues={":store": {"S": store}, ":week": {"N": str(running_out_week(by))}},
    )["Items"]
    return [(row["Item"]["S"], int(row["RunningOutIn"]["N"])) for row in found]


def test_each_upload_moves_the_items_forecast_row_and_its_place_in_the_index(world: AlertsWorld):
    upload(world, ("Echo Dot", 100, 0), ("Echo Show", 500, 0))
    row = world.forecast("Berlin", "Echo Dot")
    assert (row.state.count, row.state.at, row.forecast) == (100, day(0), None)  # seen once: nothing to go on

    upload(world, ("Echo Dot", 90, 1), ("Echo Show", 499, 1))
    row = world.forecast("Berlin", "Echo Dot")
    assert row.state.count == 90
    assert row.forecast.rate_per_day == pytest.approx(10)
    assert row.forecast.days_left == pytest.approx(9)
    assert row.forecast.runs_out_at == day(10)
    show = world.forecast("Berlin", "Echo Show")
    assert show.forecast.days_left == pytest.approx(499)
    assert show.running_out_in is None  # beyond the index's 30 days: not in it

    upload(world, ("Echo Dot", 70, 2))  # a faster day
    row = world.forecast("Berlin", "Echo Dot")
    assert row.forecast.rate_per_day > 10
    assert running_out(world, "Berlin", day(32)) == [("Echo Dot", running_out_week(row.forecast.runs_out_at))]

    upload(world, ("Echo Dot", 600, 3))  # a delivery: the rate holds, the cover grows past the horizon
    row = world.forecast("Berlin", "Echo Dot")
    assert row.state.count == 600
    assert row.forecast.days_left > 30
    assert running_out(world, "Berlin", day(33)) == []  # left the sparse index


def test_a_redelivered_late_or_replayed_record_does_not_move_the_forecast_twice(world: AlertsWorld):
    upload(world, ("Echo Dot", 100, 0))
    for when, count in ((1, 90), (2, 80)):
        world.put("Berlin", "Echo Dot", count, updated_at=day(when))
    records = world.new_records()
    world.deliver(records)
    settled = world.forecast("Berlin", "Echo Dot")

    world.deliver(records)
    world.deliver(records[::-1])
    world.deliver(records[:1])

    assert world.forecast("Berlin", "Echo Dot") == settled
    assert settled.forecast.rate_per_day == pytest.approx(10)


def test_soon_is_announced_once_on_entering_and_filterable_by_severity(world: AlertsWorld):
    queue_url = world.subscribe_queue("soon-only", {"store": ["Berlin"], "severities": ["soon"]})
    for when, count in enumerate((100, 90, 80, 70, 60, 50, 40)):
        upload(world, ("Echo Dot", count, when))
    assert world.notifications() == []

    upload(world, ("Echo Dot", 30, 7))  # 3 days of cover
    upload(world, ("Echo Dot", 20, 8))
    upload(world, ("Echo Dot", 10, 9))

    assert soon_lines(world) == ["SOON Echo Dot: 30 left, runs out in ~3 days (Thu 08:00 UTC)"]
    (heard,) = drain(world.sqs, queue_url)
    assert heard["Subject"] == "Berlin: 1 item running out soon"
    assert json.loads(heard["MessageAttributes"]["severities"]["Value"]) == ["soon"]
    (row,) = [r for r in world.history("Berlin", "Echo Dot") if r["NewCount"]["N"] == "30"]
    assert row["Alert"] == {"S": "soon"}
    assert "AnnouncedAt" in row


@pytest.mark.parametrize(("last", "threshold", "expected"), [(0, None, "OUT"), (30, 35, "LOW")])
def test_an_item_already_out_or_low_is_not_also_announced_soon(
    world: AlertsWorld, last: int, threshold: int | None, expected: str
):
    for when, count in enumerate((100, 90, 80, 70, 60, 50, 40)):
        upload(world, ("Echo Dot", count, when), threshold=threshold)
    world.notifications()

    upload(world, ("Echo Dot", last, 7), threshold=threshold)

    (note,) = world.notifications()
    assert [line.split(" ")[0] for line in note["Message"].splitlines()[1:]] == [expected]
    assert world.forecast("Berlin", "Echo Dot").soon is False


def test_cover_wobbling_around_the_line_is_announced_once_and_again_only_after_clearly_leaving(world: AlertsWorld):
    for when, count in enumerate((100, 90, 80, 70, 60, 50, 40)):
        upload(world, ("Echo Dot", count, when))
    # 3.0, 3.5, 2.8, 3.8 days of cover: in, and kept in (it leaves only above 4 days) ...
    for when, count in ((7, 30), (7.5, 35), (8, 28), (8.5, 38)):
        upload(world, ("Echo Dot", count, when))
    assert len(soon_lines(world)) == 1
    assert world.forecast("Berlin", "Echo Dot").soon

    # ... then a delivery of six days' worth takes it clearly out; selling down again brings it back.
    upload(world, ("Echo Dot", 60, 9))
    assert not world.forecast("Berlin", "Echo Dot").soon
    for when, count in ((10, 50), (11, 40), (12, 30)):
        upload(world, ("Echo Dot", count, when))
    (again,) = soon_lines(world)
    assert again.startswith("SOON Echo Dot: 30 left, runs out in ~3 days")


def test_unprocessed_keys_are_asked_again(world: AlertsWorld):
    upload(world, ("Echo Dot", 100, 0), ("Echo Show", 50, 0))
    calls = {"n": 0}

    def leave_everything_unprocessed_once(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # as DynamoDB may under load: nothing read, every key handed back
            table = next(iter(parsed.get("Responses") or {FORECAST: []}))
            keys = [{"Store": r["Store"], "Item": r["Item"]} for r in parsed["Responses"][table]]
            parsed["UnprocessedKeys"] = {table: {"Keys": keys, "ConsistentRead": True}}
            parsed["Responses"] = {table: []}

    world.hook("after-call.dynamodb.BatchGetItem", leave_everything_unprocessed_once)
    assert upload(world, ("Echo Dot", 90, 1), ("Echo Show", 45, 1)) == {"batchItemFailures": []}

    assert calls["n"] == 2
    # Had the rows been taken as absent, the writes' condition would have failed and no forecast exist.
    assert world.forecast("Berlin", "Echo Dot").forecast.rate_per_day == pytest.approx(10)
    assert world.forecast("Berlin", "Echo Show").forecast.rate_per_day == pytest.approx(5)


def test_a_forecast_row_that_cannot_be_written_fails_its_records_and_the_retry_applies_them_once(
    world: AlertsWorld,
):
    for when, count in enumerate((100, 90, 80, 70, 60, 50, 40)):
        upload(world, ("Echo Dot", count, when))
    world.put("Berlin", "Echo Show", 4, updated_at=day(7))  # low on arrival
    world.put("Berlin", "Echo Dot", 30, updated_at=day(7))
    records = world.new_records()
    refuse = {"left": 1}

    def throttle_echo_dot(params: dict[str, Any], **_: Any) -> None:
        if params["TableName"] == FORECAST and params["Item"]["Item"]["S"] == "Echo Dot" and refuse["left"]:
            refuse["left"] -= 1
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "PutItem"
            )

    world.hook("before-parameter-build.dynamodb.PutItem", throttle_echo_dot)
    answer = world.deliver(records)

    assert [failure["itemIdentifier"] for failure in answer["batchItemFailures"]] == [
        records[1]["dynamodb"]["SequenceNumber"]
    ]
    assert [line.split(":")[0] for note in world.notifications() for line in note["Message"].splitlines()[1:]] == [
        "LOW Echo Show"
    ]
    assert world.forecast("Berlin", "Echo Dot").state.count == 40

    assert world.deliver(records[1:]) == {"batchItemFailures": []}  # Lambda resends from the failed record
    assert world.forecast("Berlin", "Echo Dot").state.count == 30
    assert soon_lines(world) == ["SOON Echo Dot: 30 left, runs out in ~3 days (Thu 08:00 UTC)"]
    assert world.forecast("Berlin", "Echo Dot").forecast.rate_per_day == pytest.approx(10)


def test_an_unreadable_forecast_row_is_started_over_not_retried_forever(world: AlertsWorld):
    upload(world, ("Echo Dot", 100, 0))
    world.dynamodb.update_item(  # a hand edit gone wrong
        TableName=FORECAST,
        Key={"Store": {"S": "Berlin"}, "Item": {"S": "Echo Dot"}},
        UpdateExpression="SET #count = :text",
        ExpressionAttributeNames={"#count": "Count"},
        ExpressionAttributeValues={":text": {"S": "a hundred"}},
    )

    assert upload(world, ("Echo Dot", 90, 1)) == {"batchItemFailures": []}
    assert upload(world, ("Echo Dot", 80, 2)) == {"batchItemFailures": []}

    row = world.forecast("Berlin", "Echo Dot")
    assert row.state.count == 80
    # Started over from the first change after the edit (its old image said 100 on day 0).
    assert row.forecast.rate_per_day == pytest.approx(10)


def test_a_row_is_written_only_if_it_is_still_as_it_was_read(world: AlertsWorld):
    from dataclasses import replace

    from alerts.dal.forecasts import ForecastTable
    from alerts.models.stored_forecast import ABSENT

    upload(world, ("Echo Dot", 100, 0))
    table = ForecastTable(world.dynamodb, FORECAST)
    key = ("Berlin", "Echo Dot")
    read = table.read([key, ("Berlin", "Nothing")])
    assert set(read) == {key}  # an item without a row is left out
    stored = read[key]
    assert stored.row is not None
    later = replace(stored.row, state=replace(stored.row.state, count=90, sequence="9" * 30))

    assert table.write(later, stored)  # still as read
    assert not table.write(later, stored)  # not any more: another writer's row is kept
    show = replace(later, item="Echo Show")
    assert table.write(show, ABSENT)  # a row read as absent ...
    assert not table.write(show, ABSENT)  # ... must still be absent
    assert world.forecast("Berlin", "Echo Dot").state.count == 90
