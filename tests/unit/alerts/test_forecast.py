"""The stockout forecast model: one test per pattern of consumption, then its invariants."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from alerts.logic.demand_model import DEFAULT, ModelSettings, Observation, forecast, newer, update
from hypothesis import assume, given
from hypothesis import strategies as st
from inventory.forecast import Forecast, ModelState, days_between
from inventory.models import iso_utc

pytestmark = pytest.mark.unit

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def at(days: float) -> str:
    return iso_utc(START + timedelta(days=days))


def feed(
    points: Iterable[tuple[float, int]], settings: ModelSettings = DEFAULT, state: ModelState | None = None
) -> ModelState:
    """Apply counts at the given days (since START), numbering them as a stream would."""
    first = int(state.sequence) + 1 if state is not None and state.sequence else 1
    for n, (days, count) in enumerate(points, first):
        state = update(state, Observation(at(days), count, str(n)), settings)
    assert state is not None
    return state


def rate_of(state: ModelState) -> float:
    """The model's rate even where it gives no forecast (cover beyond ten years)."""
    return state.consumed / state.elapsed if state.elapsed > 0 else 0.0


def projected(state: ModelState) -> Forecast:
    result = forecast(state, state.at)
    assert result is not None, "expected a forecast"
    return result


def daily(start: int, per_day: Iterable[int], first_day: float = 0.0) -> list[tuple[float, int]]:
    """Counts at one upload a day, the shelf losing ``per_day[n]`` units on day n."""
    points, count = [(first_day, start)], start
    for n, used in enumerate(per_day, 1):
        count -= used
        points.append((first_day + n, count))
    return points


# -- patterns ---------------------------------------------------------------------------


def test_steady_consumption_gives_its_rate_and_the_days_it_lasts() -> None:
    state = feed(daily(200, [5] * 20))

    result = projected(state)

    assert result.rate_per_day == pytest.approx(5.0)
    assert result.count == 100
    assert result.days_left == pytest.approx(20.0)
    assert result.runs_out_at == at(40)


def test_weekly_seasonality_is_averaged_to_the_weeks_rate() -> None:
    week = [3, 3, 3, 4, 5, 8, 4]  # Monday .. Sunday, 30 a week
    state = feed(daily(500, week * 5))

    rate = projected(state).rate_per_day

    # within a quarter of 30/7 on whatever weekday the forecast is made
    assert 30 / 7 * 0.75 < rate < 30 / 7 * 1.25


def test_noisy_days_and_miscounts_stay_near_the_true_rate() -> None:
    rand = random.Random(5)
    shelf, points = 600, [(0.0, 600)]
    for day in range(1, 40):
        shelf -= max(0, round(rand.gauss(10, 5)))
        miscount = rand.choice([-3, 0, 0, 3])  # a third of the counts are a little off
        points.append((day, shelf + miscount))

    rate = projected(feed(points)).rate_per_day

    assert 8 < rate < 12.5


def test_intermittent_sales_give_their_average_rate_and_hold_between_sales() -> None:
    points, count = [(0.0, 100)], 100
    for sale in range(1, 11):
        count -= 6
        points.append((4.0 * sale, count))  # 6 units every 4 days: 1.5 a day
    state = feed(points)

    result = projected(state)
    later = forecast(state, at(43))  # three days on, no sale: the count still holds

    assert 1.2 < result.rate_per_day < 1.8
    assert later is not None
    assert later.days_left == result.days_left
    assert later.runs_out_at == iso_utc(START + timedelta(days=43 + result.days_left))


def test_restocks_do_not_count_as_consumption() -> None:
    points, count = [], 60
    for day in range(40):
        if day and day % 10 == 0:
            count += 100  # a delivery between two counts
        points.append((float(day), count))
        count -= 5

    assert projected(feed(points)).rate_per_day == pytest.approx(5.0, rel=0.05)


def test_a_one_off_write_off_does_not_swing_the_rate() -> None:
    before = feed(daily(400, [5] * 20))
    written_off = feed([(21.0, before.count - 5 - 60)], state=before)  # 60 units found broken
    unclipped = feed([(21.0, before.count - 5 - 60)], replace(DEFAULT, clip=math.inf), state=before)

    rate = projected(before).rate_per_day

    assert projected(written_off).rate_per_day < 1.5 * rate
    assert projected(unclipped).rate_per_day > 2 * rate  # what an unclipped rate would do
    assert projected(written_off).count == before.count - 65  # the count itself is taken as given


def test_a_recount_upwards_is_not_consumption_either() -> None:
    before = feed(daily(400, [5] * 20))
    after = feed([(20.5, before.count + 30)], state=before)

    assert projected(after).rate_per_day <= projected(before).rate_per_day


def test_irregular_spacing_gives_the_same_rate_as_daily_counts() -> None:
    rand = random.Random(9)
    points, moment = [], 0.0
    while moment < 40:
        points.append((moment, math.ceil(1000 - 7.5 * moment)))
        moment += rand.choice([60 / 86_400, 1 / 24, 0.5, 1.0, 3.0])  # a minute to three days

    assert projected(feed(points)).rate_per_day == pytest.approx(7.5, rel=0.1)


SECONDS = 1 / 86_400


def test_counts_seconds_apart_wait_for_an_hour_then_give_their_rate() -> None:
    state = feed([(n * SECONDS, 10 - n) for n in range(3)])  # 10, 9, 8 a second apart

    assert forecast(state, state.at) is None  # seconds say nothing of a day's use
    assert (state.count, state.consumed, state.elapsed) == (8, 0.0, 0.0)

    hours = feed([(h / 24, 8 - h) for h in range(1, 7)], state=state)  # then one an hour, for 6 hours

    # The first hour is judged from the count before the seconds: 10 -> 2 in 6 hours.
    assert projected(hours).rate_per_day == pytest.approx(32.0, rel=0.05)


def test_a_forecast_needs_six_hours_of_counts() -> None:
    hourly = [(h / 24, 100 - 2 * h) for h in range(7)]

    assert forecast(feed(hourly[:6]), at(5 / 24)) is None
    assert projected(feed(hourly)).rate_per_day == pytest.approx(48.0, rel=0.05)


@pytest.mark.parametrize("history", [[], daily(16, [2, 2])], ids=["no history", "two days of history"])
def test_a_file_corrected_seconds_later_is_not_use(history: list[tuple[float, int]]) -> None:
    """12 -> 0 -> 5 within 90 seconds (a store re-uploading a corrected file) once gave 12,120 a day
    and a run-out already past while the item held 5."""
    day = history[-1][0] if history else 0.0
    before = feed(history) if history else None
    state = feed([(day, 12), (day + 45 * SECONDS, 0), (day + 90 * SECONDS, 5)], state=before)

    result = forecast(state, state.at)

    assert state.count == 5
    if before is None:
        assert result is None  # nothing seen yet over time enough to judge
    else:
        assert result is not None
        assert result.rate_per_day == pytest.approx(2.0, rel=0.05)  # what the history says
        assert result.days_left == pytest.approx(2.5, rel=0.05)
        assert days_between(state.at, result.runs_out_at) > 2
        # The next day judges the whole span from the count before the correction.
        assert projected(feed([(day + 1, 3)], state=state)).rate_per_day <= 2 * 3


def test_two_counts_at_the_same_moment_wait_for_time_to_pass() -> None:
    state = feed([(0.0, 10), (0.0, 8)])

    assert forecast(state, state.at) is None
    assert projected(feed([(1.0, 6)], state=state)).rate_per_day == pytest.approx(4.0, rel=0.05)


def test_an_item_with_no_consumption_has_no_forecast() -> None:
    state = feed([(0.0, 10), (1.0, 10), (2.0, 25), (5.0, 25), (9.0, 40)])

    assert forecast(state, at(10)) is None


def test_the_first_count_has_no_forecast() -> None:
    state = update(None, Observation(at(0), 12, "1"))

    assert forecast(state, at(0)) is None
    assert forecast(None, at(0)) is None


def test_a_shelf_that_ran_out_has_no_days_left_then_recovers_its_cover() -> None:
    state = feed(daily(20, [5, 5, 5, 5]))

    emptied = projected(state)
    restocked = projected(feed([(5.0, 50)], state=state))

    assert emptied.count == 0
    assert emptied.days_left == 0
    assert restocked.days_left == pytest.approx(10.0, rel=0.05)


def test_a_change_in_demand_shows_within_weeks() -> None:
    before = feed(daily(2000, [10] * 30))
    after = feed(daily(before.count, [20] * 21, first_day=30.0)[1:], state=before)

    assert projected(after).rate_per_day > 17


def test_a_sale_every_few_days_is_remembered_longer_than_a_daily_one() -> None:
    # the same 2 units a day on average, sold daily or in lumps every 5 days; then one quiet week
    daily_item = feed(daily(400, [2] * 40))
    lumpy_item = feed([(5.0 * n, 400 - 10 * n) for n in range(9)])
    quiet = 7.0

    daily_after = projected(feed([(40 + quiet, daily_item.count)], state=daily_item)).rate_per_day
    lumpy_after = projected(feed([(40 + quiet, lumpy_item.count)], state=lumpy_item)).rate_per_day

    assert lumpy_after > daily_after  # a quiet week is no news for a lumpy seller


def test_cover_beyond_ten_years_is_no_forecast() -> None:
    state = feed([(0.0, 999_999_999), (1.0, 999_999_998)])

    assert forecast(state, at(1)) is None


# -- replays and order --------------------------------------------------------------------


def test_a_replayed_change_changes_nothing() -> None:
    state = feed(daily(100, [5] * 5))

    again = update(state, Observation(at(5), state.count, state.sequence))
    older = update(state, Observation(at(2), 3, "2"))

    assert again == state
    assert older == state


def test_a_newer_change_timed_earlier_takes_its_count_without_time_passing() -> None:
    state = feed(daily(100, [5] * 5))

    later = update(state, Observation(at(4.5), 70, str(int(state.sequence) + 1)))

    assert later.count == 70
    assert later.at == state.at
    assert later.elapsed == state.elapsed


@pytest.mark.parametrize(
    ("sequence", "than", "expected"),
    [("10", "9", True), ("9", "10", False), ("100000000000000000000001", "99", True), ("5", "5", False)],
)
def test_sequence_numbers_compare_as_numbers(sequence: str, than: str, expected: bool) -> None:
    assert newer(sequence, than) is expected


# -- properties -------------------------------------------------------------------------

drops = st.lists(st.tuples(st.floats(1e-5, 5.0), st.integers(0, 50)), min_size=1, max_size=30)


def _run(start: int, steps: list[tuple[float, int]]) -> ModelState:
    points, moment, count = [(0.0, start)], 0.0, start
    for gap, used in steps:
        moment += gap
        count = max(0, count - used)
        points.append((moment, count))
    return feed(points)


@given(st.integers(100, 10_000), drops, st.floats(1e-5, 10.0), st.integers(1, 100_000))
def test_a_restock_never_raises_the_rate(start: int, steps: list[tuple[float, int]], gap: float, units: int) -> None:
    state = _run(start, steps)

    restocked = feed([(days_between(at(0), state.at) + gap, state.count + units)], state=state)

    assert rate_of(restocked) <= rate_of(state) * (1 + 1e-9)


@given(st.integers(0, 10_000), drops, st.floats(0.0, 400.0))
def test_days_left_is_never_negative_and_the_run_out_never_before_now(
    start: int, steps: list[tuple[float, int]], later: float
) -> None:
    state = _run(start, steps)
    now = iso_utc(START + timedelta(days=days_between(at(0), state.at) + later))

    result = forecast(state, now)

    if result is not None:
        assert result.days_left >= 0
        assert result.rate_per_day > 0
        assert result.runs_out_at >= now
        assert result.days_left == pytest.approx(result.count / result.rate_per_day)


@given(st.floats(0.5, 1_000.0), st.lists(st.floats(1 / 86_400, 3.0), min_size=30, max_size=120))
def test_the_rate_is_the_right_order_of_magnitude_whatever_the_spacing(rate: float, gaps: list[float]) -> None:
    points, moment = [], 0.0
    for gap in gaps:
        points.append((moment, math.ceil(rate * 400 - rate * moment)))
        moment += gap
    assume(moment > 30)

    estimate = projected(feed(points)).rate_per_day

    assert rate / 2 < estimate < rate * 2


@given(st.integers(0, 1_000), drops)
def test_the_same_changes_give_the_same_state(start: int, steps: list[tuple[float, int]]) -> None:
    assert _run(start, steps) == _run(start, steps)


# -- the demand's spread, for reorder suggestions ------------------------------------------


def test_steady_daily_demand_has_no_spread_beyond_the_first_day() -> None:
    state = feed(daily(400, [5] * 30))

    # the first interval takes Poisson's variance (5 a day); steady days after it wash it out
    assert projected(state).daily_sd < 0.5


def test_poisson_demand_has_a_daily_spread_near_the_square_root_of_its_rate() -> None:
    rand = random.Random(3)

    def poisson(mean: float) -> int:
        n, total = 0, rand.expovariate(1.0)
        while total < mean:
            n, total = n + 1, total + rand.expovariate(1.0)
        return n

    state = feed(daily(50_000, [poisson(16) for _ in range(200)]))

    assert projected(state).daily_sd == pytest.approx(4.0, rel=0.35)


def test_lumpy_demand_has_a_larger_spread_than_steady_demand_of_the_same_rate() -> None:
    steady = projected(feed(daily(1_000, [4] * 56)))
    lumpy = projected(feed(daily(1_000, [0, 0, 0, 12, 0, 0, 16] * 8)))

    assert lumpy.rate_per_day == pytest.approx(steady.rate_per_day, rel=0.35)
    assert lumpy.daily_sd > 3 * max(steady.daily_sd, 1.0)


def test_counts_hours_apart_give_the_same_daily_spread_as_daily_counts() -> None:
    """The spread is per day however the counts are spaced: 4 units each 6 hours is 16 a day, no spread;
    alternating 0 and 32 a day spreads about 16 either way."""
    hourly = feed([(n / 4, 10_000 - 4 * n) for n in range(4 * 60)])
    alternating = feed(daily(10_000, [0, 32] * 30))

    assert projected(hourly).daily_sd < 1.0
    assert projected(alternating).daily_sd == pytest.approx(16.0, rel=0.35)


def test_a_restock_keeps_the_spread_it_had() -> None:
    before = feed(daily(1_000, [0, 12] * 20))
    after = feed([(41, 2_000)], state=before)

    assert projected(after).daily_sd == pytest.approx(projected(before).daily_sd, rel=0.01)
