"""The recount's daily pass: short scheduled runs that together recount every store once a day."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from alerts.logic.recount_pass import DailyPass
from alerts.models.recount_pass import RecountPass
from inventory.models import iso_utc

from tests.fakes.alerts import FakeRecountProgress, SteppingClock, TimedRecounter

pytestmark = pytest.mark.unit

#: Lambda's limit for one run, and what the handler keeps back to report (RESERVE_SECONDS).
TIMEOUT = timedelta(seconds=900)
RESERVE = timedelta(seconds=30)
FIRST_RUN = datetime(2026, 12, 7, 0, 5, tzinfo=UTC)


class Stores:
    def __init__(self, names: list[str]) -> None:
        self.names = names

    def stores(self) -> list[str]:
        return list(self.names)


def store_names(count: int) -> list[str]:
    return [f"Store {number:05d}" for number in range(count)]


class Schedule:
    """The pass with its fakes, run as the schedule runs it: each run until its time is nearly up."""

    def __init__(self, stores: list[str], seconds_per_store: float) -> None:
        self.clock = SteppingClock(FIRST_RUN)
        self.progress = FakeRecountProgress()
        self.recounter = TimedRecounter(self.clock, seconds_per_store)
        self.stores = Stores(stores)
        self.walk = DailyPass(recounter=self.recounter, stores=self.stores, progress=self.progress, clock=self.clock)
        self.longest = timedelta(0)

    def run_at(self, start: datetime, owner: str = "run") -> list[str]:
        """One run started at ``start``: the stores it recounted."""
        self.clock.now = start
        deadline = start + TIMEOUT
        run = self.walk.run(owner, deadline, keep_going=lambda: deadline - self.clock.now > RESERVE)
        self.longest = max(self.longest, self.clock.now - start)
        return [result.store for result in run.results]

    def hourly(self, days: int) -> None:
        for hour in range(24 * days):
            self.run_at(FIRST_RUN + timedelta(hours=hour), owner=f"run {hour}")


@pytest.mark.parametrize(
    ("seconds_per_store", "runs_per_pass"),
    [
        (0.09, 2),  # as measured: 10,000 stores took about the whole 900 s of one run
        (0.3, 4),
        (2.0, 23),  # over 20 times slower still fits the day's 24 runs
    ],
)
def test_hourly_runs_recount_each_of_10000_stores_once_a_day_each_within_its_time(
    seconds_per_store: float, runs_per_pass: int
):
    # Given 10,000 stores, each costing a run some time, and the schedule's hourly runs for three days
    schedule = Schedule(store_names(10_000), seconds_per_store)

    # When every run continues the pass until its time is nearly up
    schedule.hourly(days=3)

    # Then each UTC day every store was recounted exactly once ...
    by_day = Counter((store, moment.date()) for store, moment in schedule.recounter.recounted)
    days = {moment.date() for _, moment in schedule.recounter.recounted}
    assert len(days) == 3
    assert set(by_day.values()) == {1}
    assert len(by_day) == 3 * 10_000
    # ... about 24 hours after the time before, by as many runs as the stores need ...
    last_seen: dict[str, datetime] = {}
    gaps = []
    for store, moment in schedule.recounter.recounted:
        if store in last_seen:
            gaps.append(moment - last_seen[store])
        last_seen[store] = moment
    assert max(gaps) <= timedelta(hours=24, minutes=1)
    first_day = [moment for _, moment in schedule.recounter.recounted if moment.date() == FIRST_RUN.date()]
    assert max(first_day) - FIRST_RUN < timedelta(hours=runs_per_pass)
    assert max(first_day) - FIRST_RUN > timedelta(hours=runs_per_pass - 1)
    # ... and no run outlasted Lambda's limit.
    assert schedule.longest < TIMEOUT


def test_the_next_run_continues_after_the_last_store_and_a_new_day_starts_again_from_the_first():
    schedule = Schedule(["Berlin", "Lyon", "Madrid", "Paris", "Rome"], seconds_per_store=450)

    first = schedule.run_at(FIRST_RUN)  # 450 s a store: two fit in a run
    second = schedule.run_at(FIRST_RUN + timedelta(hours=1))
    third = schedule.run_at(FIRST_RUN + timedelta(hours=2))
    later_that_day = schedule.run_at(FIRST_RUN + timedelta(hours=3))
    next_day = schedule.run_at(FIRST_RUN + timedelta(days=1))

    assert (first, second, third) == (["Berlin", "Lyon"], ["Madrid", "Paris"], ["Rome"])
    assert later_that_day == []  # today's pass is done
    assert next_day == ["Berlin", "Lyon"]
    assert schedule.progress.owner is None  # every run let go of the pass


def test_a_store_added_or_removed_mid_pass_does_not_move_the_others():
    schedule = Schedule(["Berlin", "Lyon", "Madrid", "Paris", "Rome"], seconds_per_store=450)
    assert schedule.run_at(FIRST_RUN) == ["Berlin", "Lyon"]

    schedule.stores.names = ["Athens", "Berlin", "Madrid", "Oslo", "Paris", "Rome"]  # Lyon gone, two new

    assert schedule.run_at(FIRST_RUN + timedelta(hours=1)) == ["Madrid", "Oslo"]
    assert schedule.run_at(FIRST_RUN + timedelta(hours=2)) == ["Paris", "Rome"]  # Athens: in tomorrow's pass


def test_a_run_while_another_holds_the_pass_recounts_nothing_and_a_dead_runs_hold_ends_at_its_deadline():
    schedule = Schedule(["Berlin", "Lyon", "Madrid"], seconds_per_store=1)
    schedule.run_at(FIRST_RUN)  # the whole pass: done for today
    # A run of the next day took the pass, recounted Berlin and died without letting go.
    crashed_at = FIRST_RUN + timedelta(days=1)
    assert schedule.progress.take("crashed", iso_utc(crashed_at + TIMEOUT), iso_utc(crashed_at)) is not None
    assert schedule.progress.save("crashed", RecountPass(iso_utc(crashed_at), "Berlin"))

    overlapping = schedule.walk.run("overlapping", crashed_at + timedelta(minutes=5) + TIMEOUT, lambda: True)
    assert (overlapping.results, overlapping.progress) == ([], None)

    after_its_deadline = schedule.run_at(crashed_at + timedelta(hours=1))
    assert after_its_deadline == ["Lyon", "Madrid"]


def test_a_run_that_lost_the_pass_stops_at_once():
    schedule = Schedule(["Berlin", "Lyon", "Madrid"], seconds_per_store=1)

    def taken_over() -> bool:
        # Past this run's hold, another run took the pass after Berlin.
        if schedule.recounter.recounted:
            schedule.progress.owner = "another run"
        return True

    schedule.clock.now = FIRST_RUN
    run = schedule.walk.run("slow", FIRST_RUN + TIMEOUT, keep_going=taken_over)

    assert [result.store for result in run.results] == ["Berlin", "Lyon"]  # Lyon's progress was refused
    assert schedule.progress.progress.after == "Berlin"
