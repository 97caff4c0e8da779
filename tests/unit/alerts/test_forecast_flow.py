"""Forecasts kept current from stream batches, and the ``soon`` alert, through the real batch flow with fakes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alerts.handlers.stream import BatchFailed
from inventory.forecast import ForecastRow, running_out_week
from inventory.models import iso_utc

from tests.builders import count_change, function_environment
from tests.unit.alerts.conftest import AlertsWorld, counted

pytestmark = pytest.mark.unit

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def at(day: float) -> str:
    return iso_utc(START + timedelta(days=day))


@dataclass
class Shelf:
    """One item's counts over time, as stream records (each record's old image is the previous count)."""

    store: str
    item: str
    count: int | None = None
    day: float = 0.0

    def to(self, count: int, day: float, threshold: int | None = None) -> dict[str, Any]:
        record = count_change(
            self.store, self.item, self.count, count, old_at=at(self.day), at=at(day), new_threshold=threshold,
            old_threshold=threshold,
        )  # fmt: skip
        self.count, self.day = count, day
        return record


def row(world: AlertsWorld, shelf: Shelf) -> ForecastRow:
    return world.forecasts.rows[(shelf.store, shelf.item)]


def selling_ten_a_day(world: AlertsWorld, shelf: Shelf, *counts: int) -> None:
    """Deliver one change a day, one batch each, starting from day 0."""
    for day, count in enumerate(counts):
        assert world.deliver(shelf.to(count, day)) == []


def sequences(*records: dict[str, Any]) -> list[str]:
    return [record["dynamodb"]["SequenceNumber"] for record in records]


# -- kept current ---------------------------------------------------------------------------------


def test_each_change_moves_the_items_forecast_one_read_per_batch_and_one_write_per_item(world: AlertsWorld):
    dot, show = Shelf("Berlin", "Echo Dot"), Shelf("Berlin", "Echo Show")
    world.deliver(dot.to(100, 0), show.to(50, 0))
    batch = [dot.to(90, 1), show.to(45, 1), dot.to(80, 2), show.to(40, 2)]

    assert world.deliver(*batch) == []

    assert world.forecasts.reads[-1] == [("Berlin", "Echo Dot"), ("Berlin", "Echo Show")]  # one read, both items
    assert world.forecasts.written[-2:] == [("Berlin", "Echo Dot"), ("Berlin", "Echo Show")]  # one write each
    dot_row, show_row = row(world, dot), row(world, show)
    assert (dot_row.state.count, dot_row.state.at, dot_row.state.sequence) == (80, at(2), sequences(batch[2])[0])
    assert dot_row.forecast is not None
    assert show_row.forecast is not None
    assert dot_row.forecast.rate_per_day == pytest.approx(10)
    assert dot_row.forecast.days_left == pytest.approx(8)
    assert dot_row.forecast.runs_out_at == at(10)
    assert show_row.forecast.days_left == pytest.approx(8)
    assert dot_row.running_out_in == running_out_week(at(10))  # within the index's horizon: the week it runs out


def test_an_item_seen_first_mid_life_starts_from_its_previous_count(world: AlertsWorld):
    # Its old image says it held 100 two days before: the first change seen is already an interval.
    assert world.deliver(count_change("Berlin", "Echo Dot", 100, 80, old_at=at(0), at=at(2))) == []

    forecast = row(world, Shelf("Berlin", "Echo Dot")).forecast
    assert forecast is not None
    assert (forecast.rate_per_day, forecast.days_left) == (pytest.approx(10), pytest.approx(8))


def test_a_new_item_has_no_forecast_until_it_is_seen_used(world: AlertsWorld):
    dot = Shelf("Berlin", "Echo Dot")
    world.deliver(dot.to(100, 0))
    assert row(world, dot).forecast is None
    world.deliver(dot.to(130, 1))  # a delivery: not consumption
    assert row(world, dot).forecast is None


def test_a_repeated_or_late_batch_does_not_move_the_forecast_again(world: AlertsWorld):
    dot = Shelf("Berlin", "Echo Dot")
    world.deliver(dot.to(100, 0))
    batch = [dot.to(90, 1), dot.to(80, 2)]
    world.deliver(*batch)
    settled = row(world, dot)
    writes = len(world.forecasts.written)

    assert world.deliver(*batch) == []  # Lambda may send the same batch again
    assert world.deliver(batch[1], batch[0]) == []  # or records late and out of order

    assert row(world, dot) == settled
    assert len(world.forecasts.written) == writes  # a replay writes nothing


def test_a_change_of_threshold_alone_does_not_count_as_an_observation(world: AlertsWorld):
    dot = Shelf("Berlin", "Echo Dot")
    selling_ten_a_day(world, dot, 100, 90, 80)
    before = row(world, dot)
    # The threshold rises past the count (ok -> low): recorded, but the count held, nothing was sold.
    record = count_change("Berlin", "Echo Dot", 80, 80, old_at=at(2), at=at(3), new_threshold=90)

    assert world.deliver(record) == []

    after = row(world, dot)
    assert (after.state.count, after.state.consumed, after.state.elapsed) == (
        80,
        before.state.consumed,
        before.state.elapsed,
    )
    assert after.state.sequence == sequences(record)[0]  # a later replay of it is recognised


# -- soon -----------------------------------------------------------------------------------------


def test_an_item_entering_soon_is_announced_once_in_its_stores_digest(world: AlertsWorld):
    dot = Shelf("Berlin", "Echo Dot")
    selling_ten_a_day(world, dot, 100, 90, 80, 70, 60, 50, 40)
    assert world.topic.published == []

    world.deliver(dot.to(30, 7))  # three days of cover left
    world.deliver(dot.to(20, 8))
    world.deliver(dot.to(12, 9))  # still ok (threshold 5), still soon

    (digest,) = world.topic.published
    assert digest.subject == "Berlin: 1 item running out soon"
    assert digest.body.splitlines()[1:] == ["SOON Echo Dot: 30 left, runs out in ~3 days (Thu 08:00 UTC)"]
    assert [alert.value for alert in digest.severities] == ["soon"]
    assert json.loads(digest.attributes()["severities"]["StringValue"]) == ["soon"]
    (entry,) = (e for e in world.changes.entries() if e.new_count == 30)
    assert (entry.alert, entry.announced_at) == ("soon", "2026-11-22T03:00:05.000Z")
    assert row(world, dot).soon_since == entry.sequence


@pytest.mark.parametrize(("threshold", "status"), [(None, "out"), (35, "low")])
def test_an_item_out_or_low_is_not_also_soon(world: AlertsWorld, threshold: int | None, status: str):
    dot = Shelf("Berlin", "Echo Dot")
    for day, count in enumerate((100, 90, 80, 70, 60, 50, 40)):
        world.deliver(dot.to(count, day, threshold))
    world.deliver(dot.to(30 if status == "low" else 0, 7, threshold))

    lines = [line for digest in world.topic.published for line in digest.body.splitlines()[1:]]
    assert lines == (["OUT Echo Dot: 40 -> 0"] if status == "out" else ["LOW Echo Dot: 40 -> 30"])
    assert row(world, dot).soon_since is None


def test_cover_wobbling_around_the_line_is_announced_once(world: AlertsWorld):
    # 10 a day; soonDays 3 enters at 3 days of cover and leaves only above 4 (hysteresis).
    dot = Shelf("Berlin", "Echo Dot")
    selling_ten_a_day(world, dot, 100, 90, 80, 70, 60, 50, 40)
    for day, count in ((7, 30), (7.5, 35), (8, 28), (8.5, 38), (9, 29)):  # 3.0, 3.5, 2.8, 3.8, 2.9 days
        world.deliver(dot.to(count, day))

    assert [d.body.splitlines()[1:] for d in world.topic.published] == [
        ["SOON Echo Dot: 30 left, runs out in ~3 days (Thu 08:00 UTC)"]
    ]


def test_an_item_that_clearly_leaves_soon_and_comes_back_is_announced_again(world: AlertsWorld):
    dot = Shelf("Berlin", "Echo Dot")
    selling_ten_a_day(world, dot, 100, 90, 80, 70, 60, 50, 40)
    world.deliver(dot.to(30, 7))  # in
    world.deliver(dot.to(60, 7.5))  # a delivery: 6 days of cover, clearly out of it
    assert row(world, dot).soon_since is None
    world.deliver(dot.to(50, 8.5))
    world.deliver(dot.to(40, 9.5))
    world.deliver(dot.to(30, 10.5))  # in again

    lines = [d.body.splitlines()[1] for d in world.topic.published]
    assert [line.split(":")[0] for line in lines] == ["SOON Echo Dot", "SOON Echo Dot"]


def test_a_restock_that_will_not_last_is_announced_restocked_and_soon_from_one_history_row(world: AlertsWorld):
    plus = Shelf("Berlin", "Echo Plus")
    selling_ten_a_day(world, plus, 100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 0)
    world.topic.published.clear()
    batch = [plus.to(20, 11)]  # 2 days of cover

    assert world.deliver(*batch) == []
    assert world.deliver(*batch) == []  # and a repeat announces nothing

    (digest,) = world.topic.published
    assert digest.body.splitlines() == [
        "Berlin: 1 running out soon, 1 restocked",  # the subject counts the most severe first
        "RESTOCKED Echo Plus: 0 -> 20",
        "SOON Echo Plus: 20 left, runs out in ~2 days (Sun 08:00 UTC)",
    ]
    assert [alert.value for alert in digest.severities] == ["soon", "restocked"]
    assert digest.severity.value == "soon"
    (entry,) = (e for e in world.changes.entries() if e.new_count == 20 and e.old_count == 0)
    assert entry.alert == "soon"  # the higher-ranked; the restock is in the row's counts


def test_soon_is_announced_once_when_its_digest_failed_and_the_batch_is_retried(world: AlertsWorld):
    dot = Shelf("Berlin", "Echo Dot")
    selling_ten_a_day(world, dot, 100, 90, 80, 70, 60, 50, 40)
    batch = [count_change("Paris", "Tap", 9, 0), dot.to(30, 7), dot.to(25, 7.5)]
    world.topic.fail_stores = {"Berlin"}

    assert world.deliver(*batch) == sequences(*batch[1:])
    assert row(world, dot).soon_since == sequences(batch[1])[0]  # the forecast was kept meanwhile

    world.topic.fail_stores = set()
    assert world.deliver(*batch[1:]) == []
    assert world.deliver(*batch) == []
    assert world.lines("Berlin") == [["SOON Echo Dot: 30 left, runs out in ~3 days (Thu 08:00 UTC)"]]


# -- faults ---------------------------------------------------------------------------------------


def test_forecast_rows_that_cannot_be_read_fail_the_whole_batch_untouched(world: AlertsWorld):
    world.forecasts.fail_reads = 1
    records = [count_change("Berlin", "Echo Plus", 3, 0), count_change("Berlin", "Echo Dot", 9, 4)]

    with pytest.raises(BatchFailed):  # every record failed: Lambda retries (bisecting)
        world.deliver(*records)

    assert world.changes.attempts == []
    assert world.topic.published == []
    assert world.deliver(*records) == []  # the retry reads them
    assert world.lines("Berlin") == [["OUT Echo Plus: 3 -> 0", "LOW Echo Dot: 9 -> 4"]]


def test_a_row_that_is_not_written_fails_its_items_records_and_every_later_one_then_the_retry_applies_them_once(
    world: AlertsWorld,
):
    dot, show = Shelf("Berlin", "Echo Dot"), Shelf("Berlin", "Echo Show")
    world.deliver(show.to(100, 0))
    selling_ten_a_day(world, dot, 100, 90, 80, 70, 60, 50, 40)
    out = count_change("Berlin", "Echo Plus", 3, 0)
    batch = [out, dot.to(30, 7), show.to(90, 7), dot.to(20, 8)]

    def refuse_echo_dot(table: Any, written: ForecastRow) -> None:
        if written.item == "Echo Dot":
            table.fail_writes = 1
            table.before_write = None

    world.forecasts.before_write = refuse_echo_dot
    assert world.deliver(*batch) == sequences(*batch[1:])
    assert world.lines("Berlin") == [["OUT Echo Plus: 3 -> 0"]]  # only what came before it
    assert counted("RecordsFailed") == 1
    assert row(world, dot).state.count == 40

    assert world.deliver(*batch[1:]) == []
    assert row(world, dot).state.count == 20
    assert row(world, show).state.count == 90
    assert world.lines("Berlin")[1:] == [["SOON Echo Dot: 30 left, runs out in ~3 days (Thu 08:00 UTC)"]]
    # Echo Show's row was written by the failed attempt: its record came again and changed nothing.
    assert world.forecasts.written.count(("Berlin", "Echo Show")) == 2


def test_a_row_changed_since_it_was_read_fails_the_items_records_and_the_retry_does_not_apply_them_twice(
    world: AlertsWorld,
):
    dot = Shelf("Berlin", "Echo Dot")
    selling_ten_a_day(world, dot, 100, 90)
    record = dot.to(80, 2)

    def concurrent_invocation(table: Any, written: ForecastRow) -> None:
        # Another invocation applied the same record and wrote first.
        table.before_write = None
        table.rows[(written.store, written.item)] = written

    world.forecasts.before_write = concurrent_invocation
    with pytest.raises(BatchFailed):  # its only record failed
        world.deliver(record)
    assert counted("ForecastRowConflicts") == 1
    applied_once = row(world, dot)

    assert world.deliver(record) == []  # the retry reads the row again: the change is in it already
    assert row(world, dot) == applied_once
    assert applied_once.forecast is not None
    assert applied_once.forecast.rate_per_day == pytest.approx(10)


def test_rows_are_written_a_few_at_a_time_and_a_failed_one_fails_from_its_items_first_record(world: AlertsWorld):
    world.writers = 4  # as deployed
    shelves = [Shelf("Berlin", f"Item {n:02d}") for n in range(20)]
    world.deliver(*(shelf.to(100, 0) for shelf in shelves))
    batch = [shelf.to(90, 1) for shelf in shelves]

    def another_writer_took_item_07(table: Any, written: ForecastRow) -> None:
        if written.item == "Item 07":
            table.rows[("Berlin", "Item 07")] = written

    world.forecasts.before_write = another_writer_took_item_07
    world.forecasts.written.clear()

    assert world.deliver(*batch) == sequences(*batch[7:])
    assert sorted(world.forecasts.written) == [("Berlin", f"Item {n:02d}") for n in range(20) if n != 7]


# -- settings -------------------------------------------------------------------------------------

STREAM_ENV = function_environment(
    "alerts", "alertsStream", ALERTS_TOPIC_ARN="arn", HISTORY_TABLE="h", STORES_TABLE="s", FORECAST_TABLE="f"
)


def test_soon_days_is_the_stage_parameter_and_must_lie_within_the_index_horizon():
    from alerts.settings import AlertSettings

    assert AlertSettings.from_env(STREAM_ENV).soon_days == 3  # the `soonDays` parameter's default
    with pytest.raises(KeyError, match="SOON_DAYS is not set"):  # serverless.yml holds the one default
        AlertSettings.from_env({name: value for name, value in STREAM_ENV.items() if name != "SOON_DAYS"})
    assert AlertSettings.from_env({**STREAM_ENV, "SOON_DAYS": "1.5"}).soon_days == 1.5
    for wrong in ("0", "-2", "31"):
        with pytest.raises(ValueError, match="SOON_DAYS must be more than 0 and at most 30"):
            AlertSettings.from_env({**STREAM_ENV, "SOON_DAYS": wrong})
    with pytest.raises(ValueError, match="could not convert"):
        AlertSettings.from_env({**STREAM_ENV, "SOON_DAYS": "soon"})
    with pytest.raises(KeyError):  # the stream function cannot run without its Forecast table
        AlertSettings.from_env({name: value for name, value in STREAM_ENV.items() if name != "FORECAST_TABLE"})
