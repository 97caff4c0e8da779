"""A stream batch end to end through Powertools' batch processing, with fake table and topic."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tests.builders import count_change, inventory_image, stream_record
from tests.unit.alerts.conftest import AlertsWorld

pytestmark = pytest.mark.unit


def test_one_digest_per_store_carrying_every_transition_of_that_store(world: AlertsWorld):
    failed = world.deliver(
        count_change("Berlin", "Echo Plus", 3, 0),
        count_change("Paris", "Echo Dot", 12, 4),
        count_change("Berlin", "Echo Dot", 12, 2),
        count_change("Berlin", "Echo Show", 20, 18),  # a count change, no status change
        count_change("Paris", "Echo Look", 0, 7),
    )
    assert failed == []
    assert sorted(world.topic.stores()) == ["Berlin", "Paris"]
    assert world.lines("Berlin") == [["OUT Echo Plus: 3 -> 0", "LOW Echo Dot: 12 -> 2"]]
    assert world.lines("Paris") == [["LOW Echo Dot: 12 -> 4", "RESTOCKED Echo Look: 0 -> 7"]]
    subjects = {digest.store: digest.subject for digest in world.topic.published}
    assert subjects == {"Berlin": "Berlin: 1 out of stock, 1 low", "Paris": "Paris: 1 low, 1 restocked"}


def test_every_count_change_is_recorded_with_old_and_new_count(world: AlertsWorld):
    world.deliver(
        count_change("Berlin", "Echo Plus", None, 0),
        count_change("Berlin", "Echo Show", 20, 18),
        count_change("Berlin", "Echo Dot", 12, 12),
    )
    rows = {(entry.item, entry.old_count, entry.new_count) for entry in world.history.entries()}
    assert rows == {("Echo Plus", None, 0), ("Echo Show", 20, 18)}
    (entry,) = (e for e in world.history.entries() if e.item == "Echo Show")
    assert entry.time == "2026-11-22T03:00:00.000Z"
    assert entry.expires_at == 1795316400 + 90 * 86400


def test_a_write_that_changes_nothing_announces_and_records_nothing(world: AlertsWorld):
    # moto (unlike DynamoDB) emits MODIFY with identical images for an unchanged put.
    image = inventory_image("Berlin", "Echo Plus", 0)
    assert world.deliver(stream_record(image, dict(image))) == []
    assert world.topic.published == []
    assert world.history.rows == {}


def test_only_new_alerts_are_sent_an_item_staying_out_is_not_announced_again(world: AlertsWorld):
    world.deliver(count_change("Berlin", "Echo Plus", 3, 0))
    world.deliver(count_change("Berlin", "Echo Plus", 0, 0), count_change("Berlin", "Echo Dot", 4, 3))
    assert world.lines("Berlin") == [["OUT Echo Plus: 3 -> 0"]]


def test_a_removed_item_is_skipped(world: AlertsWorld):
    assert world.deliver(stream_record(None, inventory_image("Berlin", "Echo Plus", 0))) == []
    assert world.topic.published == []


def test_a_malformed_record_fails_alone_and_the_rest_goes_through(world: AlertsWorld):
    bad = count_change("Berlin", "Echo Dot", 12, 4, sequence="500")
    bad["dynamodb"]["NewImage"]["Count"] = {"N": "lots"}
    no_image = count_change("Berlin", "Echo Look", 9, 1, sequence="501")
    del no_image["dynamodb"]["NewImage"]
    failed = world.deliver(count_change("Berlin", "Echo Plus", 3, 0), bad, no_image, count_change("Paris", "Tap", 9, 0))
    assert failed == ["500", "501"]
    assert sorted(world.topic.stores()) == ["Berlin", "Paris"]
    assert world.lines("Berlin") == [["OUT Echo Plus: 3 -> 0"]]


def test_a_malformed_record_logs_why_it_failed(world: AlertsWorld, caplog: pytest.LogCaptureFixture):
    bad = count_change("Berlin", "Echo Dot", 12, 4, sequence="777")
    bad["dynamodb"]["NewImage"]["Count"] = {"N": "lots"}
    world.deliver(bad, count_change("Berlin", "Echo Plus", 3, 0))
    (logged,) = (record for record in caplog.records if record.getMessage() == "Malformed stream record")
    assert logged.levelname == "WARNING"
    assert logged.reason == "NewImage Count is not a whole number of 0 or more: 'lots'"  # type: ignore[attr-defined]
    assert logged.sequence == "777"  # type: ignore[attr-defined]


def test_a_failed_publish_fails_exactly_that_stores_announced_records(world: AlertsWorld):
    world.topic.fail_stores = {"Berlin"}
    failed = world.deliver(
        count_change("Berlin", "Echo Plus", 3, 0, sequence="601"),
        count_change("Paris", "Echo Dot", 12, 4, sequence="602"),
        count_change("Berlin", "Echo Show", 20, 18, sequence="603"),  # history only: done
        count_change("Berlin", "Echo Dot", 12, 2, sequence="604"),
    )
    assert failed == ["601", "604"]
    assert world.topic.stores() == ["Paris"]


def test_a_retried_batch_announces_only_what_was_not_announced(world: AlertsWorld):
    batch = [
        count_change("Berlin", "Echo Plus", 3, 0),
        count_change("Paris", "Echo Dot", 12, 4),
        count_change("Berlin", "Echo Dot", 12, 2),
    ]
    world.topic.fail_stores = {"Berlin"}
    assert len(world.deliver(*batch)) == 2

    # Lambda retries from the first failed record; here, as it may, the whole batch again.
    world.topic.fail_stores = set()
    assert world.deliver(*batch) == []
    world.deliver(*batch)  # and once more, as a replay after a timeout would

    assert world.topic.stores() == ["Paris", "Berlin"]
    assert world.lines("Berlin") == [["OUT Echo Plus: 3 -> 0", "LOW Echo Dot: 12 -> 2"]]
    assert len(world.history.rows) == 3


def test_an_item_announced_before_a_later_failure_is_not_announced_on_retry(world: AlertsWorld):
    first = count_change("Berlin", "Echo Plus", 3, 0)
    broken = count_change("Berlin", "Echo Dot", 12, 4)
    broken["dynamodb"]["NewImage"]["Count"] = {"N": "?"}
    assert world.deliver(first, broken) == [broken["dynamodb"]["SequenceNumber"]]
    broken["dynamodb"]["NewImage"]["Count"] = {"N": "4"}  # as if the record now read fine
    assert world.deliver(first, broken) == []
    assert world.lines("Berlin") == [["OUT Echo Plus: 3 -> 0"], ["LOW Echo Dot: 12 -> 4"]]


def test_a_failed_history_write_fails_that_record_and_it_is_not_announced(world: AlertsWorld):
    world.history.fail_writes = 1
    failed = world.deliver(
        count_change("Berlin", "Echo Plus", 3, 0, sequence="801"), count_change("Berlin", "Echo Dot", 9, 4)
    )
    assert failed == ["801"]
    assert world.lines("Berlin") == [["LOW Echo Dot: 9 -> 4"]]


def test_an_unmarked_announcement_still_counts_as_done(world: AlertsWorld):
    world.history.fail_marks = 1
    assert world.deliver(count_change("Berlin", "Echo Plus", 3, 0)) == []
    assert world.topic.stores() == ["Berlin"]


def test_a_batch_where_every_record_fails_raises_so_lambda_bisects_it(world: AlertsWorld):
    world.topic.fail_stores = {"Berlin"}
    with pytest.raises(BatchProcessingError):
        world.deliver(count_change("Berlin", "Echo Plus", 3, 0), count_change("Berlin", "Echo Dot", 9, 4))


def test_the_stage_default_threshold_applies_to_items_without_their_own(world: AlertsWorld):
    world.default_threshold = 10
    world.deliver(
        count_change("Berlin", "Echo Dot", 12, 10), count_change("Berlin", "Echo Show", 12, 10, new_threshold=3)
    )
    assert world.lines("Berlin") == [["LOW Echo Dot: 12 -> 10"]]
