"""Records that fail every retry: saved with their bodies from the stream, replayed through the same flow.

The emulator does not deliver a stream event source's on-failure destination, so each test
hands the archiver a stand-in: a failure message in the form Lambda documents for DynamoDB
streams, pointing at records really written to, and fetched back from, moto's stream.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alerts.dal.failed_records import FailedRecords
from alerts.dal.inventory import InventoryItems
from alerts.handlers.stream import alert_service
from alerts.logic.replay import Replayer
from alerts.models.errors import ReplayBusy
from botocore.exceptions import ClientError
from inventory.models import utc_now

from tests.builders import LambdaContext
from tests.integration.alerts.conftest import FAILED, INVENTORY, STORES, AlertsWorld

pytestmark = pytest.mark.integration


def failure_message(
    world: AlertsWorld, records: list[dict[str, Any]], condition: str = "RetryAttemptsExhausted"
) -> str:
    """Lambda's on-failure record for a DynamoDB stream batch (a stand-in: the emulator sends none)."""
    return json.dumps(
        {
            "requestContext": {
                "requestId": "316aa6d0-8154-4a2a-9af7-85d5f4a6bc81",
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:inventory-alerts-test-alertsStream",
                "condition": condition,
                "approximateInvokeCount": 6,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": "2026-11-22T03:25:13.120Z",
            "DDBStreamBatchInfo": {
                "shardId": world.shard_id(),
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": "2026-11-22T03:00:00Z",
                "approximateArrivalOfLastRecord": "2026-11-22T03:00:00Z",
                "batchSize": len(records),
                "streamArn": world.stream_arn,
            },
        }
    )


def sqs_event(*bodies: str) -> dict[str, Any]:
    """The event Lambda's SQS event source delivers from the failure queue."""
    return {
        "Records": [
            {
                "messageId": f"message-{n}",
                "receiptHandle": f"handle-{n}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795316700000"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:inventory-alerts-test-stream-failures",
                "awsRegion": "us-east-1",
            }
            for n, body in enumerate(bodies)
        ]
    }


def archive(*bodies: str) -> dict[str, Any]:
    from alerts.handlers.archive import handler

    return handler(sqs_event(*bodies), LambdaContext())


def saved(world: AlertsWorld) -> list[dict[str, Any]]:
    return world.dynamodb.scan(TableName=FAILED, ConsistentRead=True)["Items"]


def replayer(world: AlertsWorld) -> Replayer:
    return Replayer(
        FailedRecords(world.dynamodb, FAILED),
        alert_service(),
        clock=utc_now,
        current=InventoryItems(world.dynamodb, INVENTORY),
        now=lambda: datetime.now(UTC),
    )


def test_the_archiver_saves_the_records_a_failure_points_to_with_their_bodies(world: AlertsWorld):
    world.put("Berlin", "Echo Dot", 12)  # before the failed range: applied, not saved
    world.put("Berlin", "Echo Plus", 0)
    world.put("Paris", "Echo Look", 2)
    world.put("Berlin", "Echo Show", 18)  # after the failed range
    _, plus, look, _ = world.new_records()

    assert archive(failure_message(world, [plus, look])) == {"batchItemFailures": []}

    rows = sorted(saved(world), key=lambda row: row["Store"]["S"])
    assert [(row["Store"]["S"], row["Failure"]["S"]) for row in rows] == [
        ("Berlin", "RetryAttemptsExhausted"),
        ("Paris", "RetryAttemptsExhausted"),
    ]
    body = json.loads(rows[0]["Record"]["S"])
    assert body["eventName"] == "INSERT"
    assert body["dynamodb"]["NewImage"]["Count"] == {"N": "0"}
    assert body["dynamodb"]["SequenceNumber"] == plus["dynamodb"]["SequenceNumber"]
    assert isinstance(body["dynamodb"]["ApproximateCreationDateTime"], int)  # as Lambda delivers it
    assert body["eventSourceARN"] == world.stream_arn


def test_a_redelivered_failure_message_saves_nothing_twice(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0)
    records = world.new_records()
    message = failure_message(world, records)
    archive(message)
    archive(message)
    assert len(saved(world)) == 1


def test_replay_announces_and_counts_saved_records_once_in_stream_order_however_often_it_runs(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 3, updated_at="2026-11-21T22:00:00.000Z")
    world.deliver()
    world.notifications()
    world.put("Berlin", "Echo Plus", 0, updated_at="2026-11-22T04:00:00.000Z")
    world.put("Berlin", "Echo Plus", 8, updated_at="2026-11-22T05:00:00.000Z")
    world.put("Paris", "Tap", 0)
    failed_batch = world.new_records()  # never delivered: they failed every retry
    archive(failure_message(world, failed_batch))

    results = replayer(world).replay()
    again = replayer(world).replay()

    assert [(result.store, result.replayed, result.failed) for result in results] == [
        ("Berlin", 2, {}),
        ("Paris", 1, {}),
    ]
    assert again == []
    notes = {note["MessageAttributes"]["store"]["Value"]: note for note in world.notifications()}
    # 3 sold in 6 hours, so a restock of 8 lasts hours: restocked, and soon (once, like the rest).
    # The outage is over (Echo Plus is at 8): recorded, not announced.
    assert notes["Berlin"]["Message"].splitlines()[1:] == [
        "RESTOCKED Echo Plus: 0 -> 8",
        "SOON Echo Plus: 8 left, runs out in ~16 hours (Sun 21:00 UTC)",
    ]
    assert notes["Paris"]["Message"].splitlines()[1:] == ["OUT Tap: new -> 0"]
    assert world.totals("Berlin") == (1, 0, 0)
    assert world.totals("Paris") == (1, 1, 0)
    assert [row["NewCount"]["N"] for row in world.history("Berlin", "Echo Plus")] == ["3", "0", "8"]
    assert all("ReplayedAt" in row and "ExpiresAt" in row for row in saved(world))


def test_replaying_records_the_stream_already_applied_announces_and_counts_nothing(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0)
    records = world.new_records()
    world.deliver(records)
    world.notifications()
    archive(failure_message(world, records))  # e.g. a batch that timed out after its writes

    (result,) = replayer(world).replay()
    assert result.replayed == 1
    assert world.notifications() == []
    assert world.totals("Berlin") == (1, 1, 0)


def test_a_replay_that_fails_keeps_the_record_and_what_follows_it_for_the_next_replay(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0)
    world.put("Berlin", "Echo Dot", 2)
    records = world.new_records()
    archive(failure_message(world, records))
    refuse = {"on": True}

    def unavailable(**_: Any) -> None:
        if refuse["on"]:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "unavailable"}}, "Publish")

    world.hook("before-call.sns.Publish", unavailable)
    (first,) = replayer(world).replay()
    assert (first.replayed, len(first.failed)) == (0, 2)
    assert len(FailedRecords(world.dynamodb, FAILED).pending()) == 2

    refuse["on"] = False
    (second,) = replayer(world).replay()
    assert (second.replayed, second.failed) == (2, {})
    (note,) = world.notifications()
    assert note["Message"].splitlines()[1:] == ["OUT Echo Plus: new -> 0", "LOW Echo Dot: new -> 2"]
    assert world.totals("Berlin") == (2, 1, 1)


def test_records_the_stream_no_longer_holds_are_reported_lost_not_retried_forever(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0)
    message = failure_message(world, world.new_records())

    def trimmed(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "TrimmedDataAccessException", "Message": "beyond the trim horizon"}}, "GetShardIterator"
        )

    world.hook("before-parameter-build.dynamodbstreams.GetShardIterator", trimmed)
    assert archive(message) == {"batchItemFailures": []}
    assert saved(world) == []


def test_a_stream_that_cannot_be_read_now_leaves_the_message_on_the_queue(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0)
    message = failure_message(world, world.new_records())

    def throttled(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "LimitExceededException", "Message": "slow down"}}, "GetRecords")

    world.hook("before-parameter-build.dynamodbstreams.GetRecords", throttled)
    with pytest.raises(Exception, match="All records failed"):
        archive(message)
    assert archive(message, "not a failure record") == {"batchItemFailures": [{"itemIdentifier": "message-0"}]}


def test_a_message_that_is_not_a_stream_failure_record_is_dropped_with_an_error(world: AlertsWorld):
    assert archive("{}", "not json") == {"batchItemFailures": []}
    assert saved(world) == []


def test_a_stale_replayed_outage_is_recorded_and_not_announced_when_the_item_was_restocked_since(
    world: AlertsWorld,
):
    world.put("Berlin", "Echo Plus", 3)
    world.deliver()
    world.notifications()
    world.put("Berlin", "Echo Plus", 0, updated_at="2026-11-22T04:00:00.000Z")
    out = world.new_records()
    world.put("Berlin", "Echo Plus", 8, updated_at="2026-11-22T05:00:00.000Z")
    world.deliver()  # the restock went through the stream, announced
    (restock,) = world.notifications()
    assert restock["Message"].splitlines()[1:2] == ["RESTOCKED Echo Plus: 0 -> 8"]
    archive(failure_message(world, out))  # the outage had failed every retry

    (result,) = replayer(world).replay()

    assert (result.replayed, result.failed) == (1, {})
    assert world.notifications() == []  # not "OUT 3 -> 0" about an item at 8
    assert [row["NewCount"]["N"] for row in world.history("Berlin", "Echo Plus")] == ["3", "0", "8"]
    assert world.totals("Berlin") == (1, 0, 0)


def test_two_replays_at_once_publish_one_digest(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0)
    world.put("Berlin", "Echo Dot", 2)
    archive(failure_message(world, world.new_records()))
    second: dict[str, Any] = {}

    def start_another_replay(**_: Any) -> None:
        if not second:  # while the first replay publishes its digest, a second one starts
            second["outcome"] = None
            try:
                second["outcome"] = replayer(world).replay()
            except ReplayBusy as error:
                second["outcome"] = error

    world.hook("before-call.sns.Publish", start_another_replay)
    (first,) = replayer(world).replay()

    assert isinstance(second["outcome"], ReplayBusy)
    assert "another replay is running" in str(second["outcome"])
    assert first.replayed == 2
    (note,) = world.notifications()
    assert note["Message"].splitlines()[1:] == ["OUT Echo Plus: new -> 0", "LOW Echo Dot: new -> 2"]
    assert replayer(world).replay() == []  # the lock is given back; nothing is left to replay
    assert world.notifications() == []


def test_a_replay_lock_left_by_a_replay_that_died_lapses(world: AlertsWorld):
    records = FailedRecords(world.dynamodb, FAILED)
    long_ago = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert records.lock("died", long_ago, timedelta(minutes=15)) is None
    assert records.lock("other", long_ago + timedelta(minutes=5), timedelta(minutes=15)) is not None
    assert records.lock("other", long_ago + timedelta(minutes=16), timedelta(minutes=15)) is None
    assert records.pending() == []  # the lock is no record to replay


def test_a_recount_before_the_failed_record_was_saved_and_the_replay_after_count_the_change_once(
    world: AlertsWorld,
):
    from alerts.dal.clients import Clients
    from alerts.handlers.recount import build_recounter
    from alerts.settings import RecountSettings

    world.put("Berlin", "Echo Dot", 12, updated_at="2026-11-22T03:00:00.000Z")
    world.deliver()
    world.put("Berlin", "Echo Plus", 0, updated_at="2026-11-22T04:00:00.000Z")
    failed_batch = world.new_records()  # failed every retry; not saved yet

    (recounted,) = build_recounter(RecountSettings.from_env(), Clients()).recount_all(["Berlin"])
    assert recounted.verdict.value == "repaired"
    assert world.totals("Berlin") == (2, 1, 0)  # the outage counted, from the items

    archive(failure_message(world, failed_batch))
    (result,) = replayer(world).replay()

    assert (result.replayed, result.failed) == (1, {})
    assert world.totals("Berlin") == (2, 1, 0)  # not Out 2 for 1
    (note,) = world.notifications()
    assert note["Message"].splitlines()[1:] == ["OUT Echo Plus: new -> 0"]  # still out: announced
    # A change made after the recount still moves the totals.
    world.put("Berlin", "Echo Show", 2, updated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    assert world.deliver() == {"batchItemFailures": []}
    assert world.totals("Berlin") == (3, 1, 1)


def test_a_replay_before_the_recount_leaves_the_recount_nothing_to_repair(world: AlertsWorld):
    from alerts.dal.clients import Clients
    from alerts.handlers.recount import build_recounter
    from alerts.settings import RecountSettings

    world.put("Berlin", "Echo Plus", 0, updated_at="2026-11-22T04:00:00.000Z")
    archive(failure_message(world, world.new_records()))
    replayer(world).replay()

    (recounted,) = build_recounter(RecountSettings.from_env(), Clients()).recount_all(["Berlin"])
    assert recounted.verdict.value == "matched"
    assert world.totals("Berlin") == (1, 1, 0)


class WatchedRecords(FailedRecords):
    """The failed-records table, noting each take or renewal of the replay lock."""

    def __init__(self, client: Any, table_name: str) -> None:
        super().__init__(client, table_name)
        self.takes: list[str] = []

    def lock(self, owner: str, now: datetime, hold: timedelta) -> str | None:
        self.takes.append(owner)
        return super().lock(owner, now, hold)


def batched_replayer(world: AlertsWorld, archive: FailedRecords, batch: int) -> Replayer:
    return Replayer(
        archive,
        alert_service(),
        clock=utc_now,
        current=InventoryItems(world.dynamodb, INVENTORY),
        now=lambda: datetime.now(UTC),
        batch=batch,
    )


def test_a_store_with_more_records_than_a_batch_is_replayed_in_batches_each_under_the_renewed_lock(
    world: AlertsWorld,
):
    for n in range(5):
        world.put("Berlin", f"Item {n}", 0)
    archive(failure_message(world, world.new_records()))
    records = WatchedRecords(world.dynamodb, FAILED)

    (result,) = batched_replayer(world, records, batch=2).replay()

    assert (result.replayed, result.failed) == (5, {})
    assert len(records.takes) == 1 + 3  # taken, then renewed before each of the 3 batches
    assert len(set(records.takes)) == 1  # by the one replay
    assert [len(note["Message"].splitlines()) - 1 for note in world.notifications()] == [2, 2, 1]
    assert world.totals("Berlin") == (5, 5, 0)
    assert records.pending() == []


def test_a_replay_whose_lock_lapsed_and_was_taken_stops_before_its_next_batch(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0)
    world.put("Berlin", "Echo Dot", 2)
    archive(failure_message(world, world.new_records()))
    records = FailedRecords(world.dynamodb, FAILED)
    taken: list[str | None] = []

    def another_replay_takes_the_lapsed_lock(**_: Any) -> None:
        if not taken:  # as the first batch publishes, the lock lapses and another replay takes it
            taken.append(records.lock("another", datetime.now(UTC) + timedelta(hours=1), timedelta(minutes=15)))

    world.hook("before-call.sns.Publish", another_replay_takes_the_lapsed_lock)
    with pytest.raises(ReplayBusy):
        batched_replayer(world, records, batch=1).replay()

    assert taken == [None]
    (note,) = world.notifications()
    assert note["Message"].splitlines()[1:] == ["OUT Echo Plus: new -> 0"]  # the second batch never ran
    assert [record.record["dynamodb"]["Keys"]["Item"]["S"] for record in records.pending()] == ["Echo Dot"]


def test_a_replay_that_died_after_its_digest_went_out_is_not_announced_again_by_the_next(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0)
    world.put("Berlin", "Echo Dot", 2)
    archive(failure_message(world, world.new_records()))
    dying = {"on": True}

    def killed(params: dict[str, Any], **_: Any) -> None:
        marks = all(action.get("Update", {}).get("TableName") != STORES for action in params["TransactItems"])
        if dying["on"] and marks:
            raise RuntimeError("the replay was stopped after the publish, before its marks")

    world.hook("before-parameter-build.dynamodb.TransactWriteItems", killed)
    with pytest.raises(RuntimeError):
        replayer(world).replay()
    assert len(world.notifications()) == 1
    assert len(FailedRecords(world.dynamodb, FAILED).pending()) == 2

    dying["on"] = False
    (result,) = replayer(world).replay()

    assert (result.replayed, result.failed) == (2, {})
    assert world.notifications() == []
    assert world.totals("Berlin") == (2, 1, 1)
    assert all("AnnouncedAt" in row for item in ("Echo Plus", "Echo Dot") for row in world.history("Berlin", item))


def test_a_replayed_change_of_an_item_deleted_since_is_recorded_and_not_announced(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0)
    archive(failure_message(world, world.new_records()))
    world.dynamodb.delete_item(TableName=INVENTORY, Key={"Store": {"S": "Berlin"}, "Item": {"S": "Echo Plus"}})
    world.new_records()  # the removal goes its own way on the stream

    (result,) = replayer(world).replay()

    assert (result.replayed, result.failed) == (1, {})
    assert world.notifications() == []
    assert [row["NewCount"]["N"] for row in world.history("Berlin", "Echo Plus")] == ["0"]


def test_a_replayed_outage_is_not_announced_when_a_later_outage_of_the_item_was(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 3)
    world.deliver()
    world.put("Berlin", "Echo Plus", 0, updated_at="2026-11-22T04:00:00.000Z")
    out = world.new_records()  # fails every retry
    world.put("Berlin", "Echo Plus", 8, updated_at="2026-11-22T05:00:00.000Z")
    world.put("Berlin", "Echo Plus", 0, updated_at="2026-11-22T06:00:00.000Z")
    world.deliver()  # restocked, then out again: both announced
    world.notifications()
    archive(failure_message(world, out))

    (result,) = replayer(world).replay()

    assert (result.replayed, result.failed) == (1, {})
    assert world.notifications() == []  # the item is out, but "OUT 8 -> 0" said so already
    assert [row["NewCount"]["N"] for row in world.history("Berlin", "Echo Plus")] == ["3", "0", "8", "0"]


def test_a_replay_that_cannot_read_the_items_later_changes_announces_nothing_and_is_retried(world: AlertsWorld):
    world.put("Berlin", "Echo Plus", 0)
    archive(failure_message(world, world.new_records()))
    refuse = {"on": True}

    def unreadable(params: dict[str, Any], **_: Any) -> None:
        if refuse["on"] and params["KeyConditionExpression"].endswith("#at > :after"):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "Query")

    world.hook("before-parameter-build.dynamodb.Query", unreadable)
    (first,) = replayer(world).replay()
    assert (first.replayed, len(first.failed)) == (0, 1)
    assert world.notifications() == []

    refuse["on"] = False
    (second,) = replayer(world).replay()
    assert (second.replayed, second.failed) == (1, {})
    (note,) = world.notifications()
    assert note["Message"].splitlines()[1:] == ["OUT Echo Plus: new -> 0"]
    assert world.totals("Berlin") == (1, 1, 0)
