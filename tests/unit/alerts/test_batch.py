"""A stream batch end to end through the flow and the handler's answer to Lambda, with fake History/Stores and topic."""

from __future__ import annotations

from typing import Any

import pytest
from alerts.handlers.stream import BatchFailed

from tests.builders import count_change, inventory_image, stream_record
from tests.unit.alerts.conftest import AlertsWorld, counted

pytestmark = pytest.mark.unit


def sequences(*records: dict[str, Any]) -> list[str]:
    return [record["dynamodb"]["SequenceNumber"] for record in records]


def test_one_digest_per_store_carrying_every_transition_of_that_store_in_the_order_they_happened(
    world: AlertsWorld,
):
    failed = world.deliver(
        count_change("Berlin", "Echo Dot", 12, 2),
        count_change("Paris", "Echo Look", 0, 7),
        count_change("Berlin", "Echo Plus", 3, 0),
        count_change("Berlin", "Echo Show", 20, 18),  # a count change, no status change
        count_change("Paris", "Echo Dot", 12, 4),
    )
    assert failed == []
    assert world.topic.stores() == ["Berlin", "Paris"]
    # Not ranked by severity: LOW first because it happened first.
    assert world.lines("Berlin") == [["LOW Echo Dot: 12 -> 2", "OUT Echo Plus: 3 -> 0"]]
    assert world.lines("Paris") == [["RESTOCKED Echo Look: 0 -> 7", "LOW Echo Dot: 12 -> 4"]]
    subjects = {digest.store: digest.subject for digest in world.topic.published}
    assert subjects == {"Berlin": "Berlin: 1 out of stock, 1 low", "Paris": "Paris: 1 low, 1 restocked"}


def test_every_change_of_count_or_status_is_recorded_with_old_and_new_count(world: AlertsWorld):
    world.deliver(
        count_change("Berlin", "Echo Plus", None, 0),
        count_change("Berlin", "Echo Show", 20, 18),
        count_change("Berlin", "Echo Dot", 12, 12),  # nothing changed
        # The threshold moves the status (ok -> low) while the count stays: recorded and counted.
        count_change("Berlin", "Echo Look", 8, 8, old_threshold=5, new_threshold=10),
        # The threshold moves, the status does not: nothing to record.
        count_change("Berlin", "Echo Spot", 50, 50, old_threshold=5, new_threshold=6),
    )
    rows = {(entry.item, entry.old_count, entry.new_count, entry.alert) for entry in world.changes.entries()}
    assert rows == {("Echo Plus", None, 0, "out"), ("Echo Show", 20, 18, None), ("Echo Look", 8, 8, "low")}
    (entry,) = (e for e in world.changes.entries() if e.item == "Echo Show")
    assert entry.time == "2026-11-22T03:00:00.000Z"
    assert entry.expires_at == 1795316400 + 90 * 86400


def test_each_change_moves_its_stores_totals(world: AlertsWorld):
    world.deliver(
        count_change("Berlin", "Echo Plus", None, 0),  # new, out
        count_change("Berlin", "Echo Dot", None, 3),  # new, low
        count_change("Berlin", "Echo Show", None, 30),  # new, ok
        count_change("Paris", "Tap", None, 9),
    )
    assert world.changes.store_totals("Berlin") == (3, 1, 1)
    world.deliver(
        count_change("Berlin", "Echo Plus", 0, 4),  # out -> low
        count_change("Berlin", "Echo Dot", 3, 12),  # low -> ok
        count_change("Berlin", "Echo Show", 30, 0),  # ok -> out
    )
    assert world.changes.store_totals("Berlin") == (3, 1, 1)
    assert world.changes.store_totals("Paris") == (1, 0, 0)


def test_a_write_that_changes_nothing_announces_and_records_nothing(world: AlertsWorld):
    # moto (unlike DynamoDB) emits MODIFY with identical images for an unchanged put.
    image = inventory_image("Berlin", "Echo Plus", 0)
    assert world.deliver(stream_record(image, dict(image))) == []
    assert world.topic.published == []
    assert world.changes.rows == {}
    assert world.changes.totals == {}


def test_only_new_alerts_are_sent_an_item_staying_out_is_not_announced_again(world: AlertsWorld):
    world.deliver(count_change("Berlin", "Echo Plus", 3, 0))
    world.deliver(count_change("Berlin", "Echo Plus", 0, 0), count_change("Berlin", "Echo Dot", 4, 3))
    assert world.lines("Berlin") == [["OUT Echo Plus: 3 -> 0"]]


def test_a_removed_item_is_skipped(world: AlertsWorld):
    assert world.deliver(stream_record(None, inventory_image("Berlin", "Echo Plus", 0))) == []
    assert world.topic.published == []


# -- order: after the first failed record, nothing later happens before it --------------------------


def test_an_item_that_runs_out_and_comes_back_is_announced_out_then_restocked_even_when_the_first_fails(
    world: AlertsWorld,
):
    world.deliver(count_change("Berlin", "Echo Plus", None, 3))
    other = count_change("Berlin", "Echo Show", None, 20)
    out = count_change("Berlin", "Echo Plus", 3, 0)
    back = count_change("Berlin", "Echo Plus", 0, 8)
    world.changes.rows_per_transaction = 1  # a transaction boundary between every two records
    world.changes.fail_changes = {("Echo Plus", 0)}

    # The first change of Echo Plus fails; the second must not overtake it.
    assert world.deliver(other, out, back) == sequences(out, back)
    assert world.lines("Berlin") == [["LOW Echo Plus: new -> 3"]]  # the seed's, nothing since
    assert world.changes.store_totals("Berlin") == (2, 0, 1)  # Echo Plus still low at 3

    # Lambda resends from the failed record.
    assert world.deliver(out, back) == []
    assert world.lines("Berlin")[1:] == [["OUT Echo Plus: 3 -> 0", "RESTOCKED Echo Plus: 0 -> 8"]]
    plus = [(e.old_count, e.new_count) for e in world.changes.entries() if e.item == "Echo Plus"]
    assert plus == [(None, 3), (3, 0), (0, 8)]
    assert world.changes.store_totals("Berlin") == (2, 0, 0)  # Echo Plus at 8: neither out nor low


def test_a_batch_whose_first_record_fails_fails_whole_so_lambda_bisects_it_in_order(world: AlertsWorld):
    world.changes.fail_writes = 1
    with pytest.raises(BatchFailed):
        world.deliver(count_change("Berlin", "Echo Plus", 3, 0), count_change("Berlin", "Echo Plus", 0, 8))
    assert world.topic.published == []
    assert world.changes.rows == {}


def test_records_after_a_failed_one_are_reported_failed_whatever_their_store_and_count_once_when_resent(
    world: AlertsWorld,
):
    first = count_change("Berlin", "Echo Plus", 3, 0)
    failing = count_change("Berlin", "Echo Dot", 9, 4)
    later = [count_change("Paris", "Tap", None, 0), count_change("Berlin", "Echo Show", 20, 18)]
    world.changes.rows_per_transaction = 1  # a transaction boundary between every two records
    world.changes.fail_changes = {("Echo Dot", 4)}

    failed = world.deliver(first, failing, *later)

    assert failed == sequences(failing, *later)
    # The store's later rows were not tried; another store's rows went at the same time.
    assert world.changes.attempts == ["Echo Plus", "Echo Dot", "Tap"]
    # What came before the failure is done and announced; Lambda will not resend it.
    assert world.lines("Berlin") == [["OUT Echo Plus: 3 -> 0"]]
    assert world.topic.stores() == ["Berlin"]  # Tap is announced when its record comes again
    assert counted("RecordsLeftForRetry") == 2
    assert counted("RecordsFailed") == 1

    # Lambda resends from the failed record: Tap's row is found, counted once, announced once.
    assert world.deliver(failing, *later) == []
    assert world.changes.store_totals("Paris") == (1, 1, 0)
    assert world.lines("Paris") == [["OUT Tap: new -> 0"]]
    assert world.lines("Berlin")[1:] == [["LOW Echo Dot: 9 -> 4"]]


def test_a_throttled_transaction_fails_its_chunk_and_the_stores_later_chunks_not_what_came_before(
    world: AlertsWorld,
):
    world.changes.rows_per_transaction = 2
    records = [count_change("Berlin", f"Item {n}", None, 0) for n in range(5)]
    world.changes.fail_changes = {("Item 2", 0)}  # the second chunk: items 2 and 3

    assert world.deliver(*records) == sequences(*records[2:])
    assert world.lines("Berlin") == [["OUT Item 0: new -> 0", "OUT Item 1: new -> 0"]]
    assert world.changes.store_totals("Berlin") == (2, 2, 0)

    assert world.deliver(*records[2:]) == []
    assert world.lines("Berlin")[1:] == [["OUT Item 2: new -> 0", "OUT Item 3: new -> 0", "OUT Item 4: new -> 0"]]
    assert world.changes.store_totals("Berlin") == (5, 5, 0)


def test_a_failed_publish_fails_that_digests_records_and_every_record_after_the_first_of_them(world: AlertsWorld):
    world.topic.fail_stores = {"Berlin"}
    records = [
        count_change("Paris", "Echo Look", 0, 7),
        count_change("Berlin", "Echo Plus", 3, 0),
        count_change("Paris", "Echo Dot", 12, 4),
        count_change("Berlin", "Echo Show", 20, 18),  # history only
        count_change("Berlin", "Echo Dot", 12, 2),
    ]
    assert world.deliver(*records) == sequences(*records[1:])
    assert world.topic.stores() == ["Paris"]

    # Lambda resends from the first failed record: Paris is not announced again, Berlin once.
    world.topic.fail_stores = set()
    assert world.deliver(*records[1:]) == []
    assert world.topic.stores() == ["Paris", "Berlin"]
    assert world.lines("Berlin") == [["OUT Echo Plus: 3 -> 0", "LOW Echo Dot: 12 -> 2"]]
    assert world.lines("Paris") == [["RESTOCKED Echo Look: 0 -> 7", "LOW Echo Dot: 12 -> 4"]]
    assert len(world.changes.rows) == 5
    # Counted once despite the retry: Echo Plus low -> out, Echo Dot ok -> low.
    assert world.changes.store_totals("Berlin") == (0, 1, 0)


def test_a_retried_or_repeated_batch_counts_and_announces_each_change_once(world: AlertsWorld):
    batch = [
        count_change("Paris", "Echo Dot", None, 4),
        count_change("Berlin", "Echo Plus", None, 0),
        count_change("Berlin", "Echo Dot", None, 2),
    ]
    world.topic.fail_stores = {"Berlin"}
    assert world.deliver(*batch) == sequences(*batch[1:])

    world.topic.fail_stores = set()
    assert world.deliver(*batch) == []  # as Lambda may: the whole batch again
    world.deliver(*batch)  # and once more, as a replay after a timeout would
    world.deliver(batch[2], batch[1])  # and late, out of order

    assert world.topic.stores() == ["Paris", "Berlin"]
    assert world.lines("Berlin") == [["OUT Echo Plus: new -> 0", "LOW Echo Dot: new -> 2"]]
    assert len(world.changes.rows) == 3
    assert world.changes.store_totals("Berlin") == (2, 1, 1)
    assert world.changes.store_totals("Paris") == (1, 0, 1)


def test_a_record_delivered_twice_in_one_batch_counts_once(world: AlertsWorld):
    record = count_change("Berlin", "Echo Plus", None, 0)
    assert world.deliver(record, record) == []
    assert world.changes.store_totals("Berlin") == (1, 1, 0)
    assert world.lines("Berlin") == [["OUT Echo Plus: new -> 0"]]


def test_a_late_record_still_moves_the_totals_exactly_once(world: AlertsWorld):
    # Echo Plus: new at 6 (ok), then 6 -> 0, then 0 -> 9. The middle record arrives last.
    insert = count_change("Berlin", "Echo Plus", None, 6)
    out = count_change("Berlin", "Echo Plus", 6, 0)
    back = count_change("Berlin", "Echo Plus", 0, 9)
    world.deliver(insert, back)
    assert world.changes.store_totals("Berlin") == (1, -1, 0)  # back counted; out still on its way
    world.deliver(out)
    world.deliver(out)
    assert world.changes.store_totals("Berlin") == (1, 0, 0)


def test_an_unmarked_announcement_still_counts_as_done(world: AlertsWorld):
    world.changes.fail_marks = 1
    assert world.deliver(count_change("Berlin", "Echo Plus", 3, 0)) == []
    assert world.topic.stores() == ["Berlin"]


def test_a_batch_where_every_record_fails_raises_so_lambda_bisects_it(world: AlertsWorld):
    world.topic.fail_stores = {"Berlin"}
    with pytest.raises(BatchFailed):
        world.deliver(count_change("Berlin", "Echo Plus", 3, 0), count_change("Berlin", "Echo Dot", 9, 4))


def test_records_are_left_for_the_retry_when_the_functions_time_runs_short(world: AlertsWorld):
    class ShortContext:
        def __init__(self) -> None:
            self.calls = 0

        def get_remaining_time_in_millis(self) -> int:
            self.calls += 1
            return 60_000 if self.calls <= 2 else 5_000

    records = [count_change("Berlin", f"Item {n}", None, 0) for n in range(4)]
    assert world.deliver(*records, context=ShortContext()) == sequences(*records[2:])
    assert world.lines("Berlin") == [["OUT Item 0: new -> 0", "OUT Item 1: new -> 0"]]
    assert len(world.changes.rows) == 2


def test_the_stage_default_threshold_applies_to_items_without_their_own(world: AlertsWorld):
    world.default_threshold = 10
    world.deliver(
        count_change("Berlin", "Echo Dot", 12, 10), count_change("Berlin", "Echo Show", 12, 10, new_threshold=3)
    )
    assert world.lines("Berlin") == [["LOW Echo Dot: 12 -> 10"]]


# -- malformed records: counted and skipped, never retried forever --------------------------------


def test_a_record_whose_new_image_cannot_be_read_is_counted_and_skipped_not_retried(world: AlertsWorld):
    bad = count_change("Berlin", "Echo Dot", 12, 4)
    bad["dynamodb"]["NewImage"]["Count"] = {"N": "lots"}
    text = count_change("Berlin", "Echo Look", 9, 1)
    text["dynamodb"]["NewImage"]["Count"] = {"S": "1"}
    no_image = count_change("Berlin", "Echo Spot", 9, 1)
    del no_image["dynamodb"]["NewImage"]

    failed = world.deliver(
        count_change("Berlin", "Echo Plus", 3, 0), bad, text, no_image, count_change("Paris", "Tap", 9, 0)
    )

    assert failed == []
    assert counted("RecordsMalformed") == 3
    assert world.topic.stores() == ["Berlin", "Paris"]
    assert world.lines("Berlin") == [["OUT Echo Plus: 3 -> 0"]]
    assert {entry.item for entry in world.changes.entries()} == {"Echo Plus", "Tap"}


def test_a_malformed_record_logs_why_it_was_skipped(world: AlertsWorld, caplog: pytest.LogCaptureFixture):
    bad = count_change("Berlin", "Echo Dot", 12, 4, sequence="777")
    bad["dynamodb"]["NewImage"]["Count"] = {"N": "-3"}
    world.deliver(bad, count_change("Berlin", "Echo Plus", 3, 0))
    (logged,) = (record for record in caplog.records if record.getMessage() == "Malformed stream record skipped")
    assert logged.levelname == "WARNING"
    assert logged.reason == "NewImage Count is not a whole number of 0 or more: '-3'"  # type: ignore[attr-defined]
    assert logged.sequence == "777"  # type: ignore[attr-defined]


def test_a_fixed_item_is_not_poisoned_by_its_unreadable_old_image(world: AlertsWorld):
    world.deliver(count_change("Berlin", "Echo Plus", None, 6))
    assert world.changes.store_totals("Berlin") == (1, 0, 0)
    broken = count_change("Berlin", "Echo Plus", 6, 0)
    broken["dynamodb"]["NewImage"]["Count"] = {"S": "zero"}  # someone wrote text
    fixed = count_change("Berlin", "Echo Plus", 0, 0)
    fixed["dynamodb"]["OldImage"]["Count"] = {"S": "zero"}

    assert world.deliver(broken) == []
    assert world.deliver(fixed) == []

    assert counted("OldImagesUnreadable") == 1
    # Announced as if the item were new (its previous state is unknown) ...
    assert world.lines("Berlin") == [["OUT Echo Plus: new -> 0"]]
    # ... and its totals left for the recount rather than guessed (no double count of the item).
    assert world.changes.store_totals("Berlin") == (1, 0, 0)


def test_a_batch_resent_after_its_digest_went_out_but_before_its_rows_were_marked_is_not_announced_again(
    world: AlertsWorld,
):
    batch = [count_change("Berlin", "Echo Plus", 3, 0), count_change("Berlin", "Echo Dot", 9, 4)]
    world.changes.fail_marks = 1  # as if the invocation had died right after the publish
    assert world.deliver(*batch) == []
    assert all(entry.announced_at is None for entry in world.changes.entries())

    assert world.deliver(*batch) == []  # Lambda sends the batch again

    assert world.lines("Berlin") == [["OUT Echo Plus: 3 -> 0", "LOW Echo Dot: 9 -> 4"]]
    assert all(entry.announced_at for entry in world.changes.entries())  # marked by the resend
    assert counted("AlertsAlreadyAnnounced") == 2


def test_a_resent_batch_announces_only_the_changes_no_published_digest_carried(world: AlertsWorld):
    out = count_change("Berlin", "Echo Plus", 3, 0)
    low = count_change("Berlin", "Echo Dot", 9, 4)
    world.changes.fail_marks = 1
    world.deliver(out)  # published, not marked
    world.topic.fail_stores = {"Berlin"}
    other = count_change("Paris", "Tap", None, 9)
    assert world.deliver(other, out, low) == sequences(out, low)  # recorded, the digest refused
    world.topic.fail_stores = set()

    assert world.deliver(out, low) == []

    assert world.lines("Berlin") == [["OUT Echo Plus: 3 -> 0"], ["LOW Echo Dot: 9 -> 4"]]


def test_an_items_forecast_row_keeps_only_the_changes_recorded_before_the_first_failed_one(world: AlertsWorld):
    world.changes.rows_per_transaction = 1  # a transaction boundary between every two records
    first = count_change("Berlin", "Echo Plus", 40, 30, at="2026-11-22T03:00:00.000Z")
    second = count_change("Berlin", "Echo Plus", 30, 20, old_at="2026-11-22T03:00:00.000Z",
                          at="2026-11-23T03:00:00.000Z")  # fmt: skip
    world.changes.fail_changes = {("Echo Plus", 20)}

    assert world.deliver(first, second) == sequences(second)
    row = world.forecasts.rows[("Berlin", "Echo Plus")]
    assert (row.state.count, row.state.sequence) == (30, sequences(first)[0])

    assert world.deliver(second) == []
    row = world.forecasts.rows[("Berlin", "Echo Plus")]
    assert (row.state.count, row.state.sequence) == (20, sequences(second)[0])


def test_a_batch_counts_its_records_rows_and_forecasts_in_one_value_each(world: AlertsWorld):
    """Sums as before (one per record, row, forecast row), added once a batch: a value per record cost
    Powertools a few µs each and a flush of the metric set every 100 values."""
    from inventory.observability import metrics

    records = [count_change("Berlin", f"Item {index:03d}", 50, 40) for index in range(150)]
    assert world.deliver(*records) == []
    assert world.deliver(*records) == []  # a repeat: found, counted as such
    for name in ("RecordsProcessed", "HistoryRowsWritten", "ChangesAlreadyRecorded", "ForecastRowsWritten"):
        assert metrics.metric_set[name]["Value"] == [150.0] * (2 if name == "RecordsProcessed" else 1), name
