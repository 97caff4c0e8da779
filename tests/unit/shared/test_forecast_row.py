"""The Forecast row: written by alerts, read by the dashboard API; pinned by round trips."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from inventory.forecast import INDEX_HORIZON_DAYS, Forecast, ForecastRow, Listing, ModelState, running_out_week
from inventory.models import MAX_NAME_LENGTH, Alert

pytestmark = pytest.mark.unit

names = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=MAX_NAME_LENGTH).filter(
    lambda name: name.strip() == name
)
weights = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)

STATE = ModelState(
    count=12,
    at="2026-11-22T03:00:00.000Z",
    sequence="4100000000012345678901",
    consumed=17.25,
    elapsed=6.5,
    step=9.75,
    steps=3.2,
)
FORECAST = Forecast(
    count=12, rate_per_day=17.25 / 6.5, days_left=12 / (17.25 / 6.5), runs_out_at="2026-11-26T13:13:02.608Z"
)


def test_a_row_with_a_forecast_and_a_soon_state_reads_back_as_written() -> None:
    row = ForecastRow("Berlin", "Echo Dot", STATE, FORECAST, soon_since="4100000000012345678901")

    item = row.to_item()

    assert ForecastRow.from_item(item) == row
    assert item["RunsOutAt"] == {"S": "2026-11-26T13:13:02.608Z"}
    assert item["SoonSince"] == {"S": "4100000000012345678901"}
    assert ForecastRow.from_item(item).soon


def test_a_retired_row_reads_back_retired() -> None:
    row = ForecastRow("Berlin", "Echo Dot", STATE, retired=True)

    item = row.to_item()

    assert item["Retired"] == {"BOOL": True}
    assert ForecastRow.from_item(item) == row
    assert "Retired" not in ForecastRow("Berlin", "Echo Dot", STATE).to_item()


def test_a_row_without_a_forecast_has_no_forecast_attributes() -> None:
    row = ForecastRow("Berlin", "Echo Dot", STATE)

    item = row.to_item()

    assert not {"RatePerDay", "DaysLeft", "RunsOutAt", "RunningOutIn", "SoonSince"} & set(item)
    assert ForecastRow.from_item(item) == row
    assert not row.soon


@pytest.mark.parametrize(("days_left", "indexed"), [(0.0, True), (INDEX_HORIZON_DAYS, True), (30.01, False)])
def test_only_items_running_out_within_the_horizon_are_in_the_index(days_left: float, indexed: bool) -> None:
    forecast = Forecast(count=12, rate_per_day=1.0, days_left=days_left, runs_out_at="2026-12-01T00:00:00.000Z")

    item = ForecastRow("Berlin", "Echo Dot", STATE, forecast).to_item()

    assert ("RunningOutIn" in item) is indexed


def test_the_index_keeps_the_week_an_item_runs_out_so_an_item_selling_as_forecast_keeps_its_entry() -> None:
    """A daily upload that finds the item sold its forecast moves the row, not the index entry's key:
    DynamoDB then writes the index entry once (its projected attributes), not twice (a delete and a put)."""
    monday = ForecastRow(
        "Berlin", "Echo Dot", replace(STATE, count=40, at="2026-11-23T09:00:00.000Z"),
        Forecast(40, 4.0, 10.0, "2026-12-03T09:00:00.000Z"),
    )  # fmt: skip
    tuesday = ForecastRow(
        "Berlin", "Echo Dot", replace(STATE, count=36, at="2026-11-24T09:00:00.000Z"),
        Forecast(36, 4.0, 9.0, "2026-12-03T09:00:00.000Z"),
    )  # fmt: skip

    assert monday.to_item()["RunningOutIn"] == tuesday.to_item()["RunningOutIn"] == {"N": "2970"}
    assert running_out_week("2026-12-03T09:00:00.000Z") == 2970  # 1970-01-01 plus 2,970 weeks: 2026-12-03 on
    assert running_out_week("2026-12-02T23:59:59.999Z") == 2969  # weeks start on Thursdays (1970-01-01 was one)


@given(names, names, weights, weights, weights, weights, st.integers(0, 999_999_999))
def test_any_names_and_numbers_read_back_exactly(
    store: str, item: str, consumed: float, elapsed: float, step: float, steps: float, count: int
) -> None:
    state = ModelState(count, "2026-11-22T03:00:00.000Z", "9", consumed, elapsed, step, steps)
    row = ForecastRow(store, item, state)

    again = ForecastRow.from_item(row.to_item())

    for name in ("consumed", "elapsed", "step", "steps"):
        value = getattr(state, name)
        assert getattr(again.state, name) == (0.0 if value < 1e-100 else value)
    assert (again.store, again.item, again.state.count) == (store, item, count)


@given(weights)
def test_every_number_is_one_dynamodb_accepts(value: float) -> None:
    text = ForecastRow("s", "i", ModelState(1, "2026-11-22T03:00:00.000Z", "1", consumed=value)).to_item()["Consumed"][
        "N"
    ]

    number = Decimal(text)
    assert number == 0 or Decimal("1E-130") <= number < Decimal("1E126")
    assert len(number.as_tuple().digits) <= 38


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_number_that_is_not_finite_is_refused(value: float) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        ForecastRow("s", "i", ModelState(1, "2026-11-22T03:00:00.000Z", "1", consumed=value)).to_item()


# -- what a reader shows ------------------------------------------------------------------

#: The days after which an item not listed is no longer forecast (a stage's ``forecastStaleDays``).
STALE_DAYS = 14.0
ROW = ForecastRow(
    "Berlin",
    "Echo Dot",
    ModelState(20, "2026-11-22T00:00:00.000Z", "1", consumed=5.0, elapsed=1.0),
    Forecast(count=20, rate_per_day=5.0, days_left=4.0, runs_out_at="2026-11-26T00:00:00.000Z"),
)


def test_a_count_that_still_holds_keeps_its_cover() -> None:
    shown = ROW.outlook("2026-11-24T00:00:00.000Z")

    assert shown is not None
    assert shown.days_left == 4.0
    assert shown.runs_out_at == "2026-11-28T00:00:00.000Z"


def test_a_store_that_stopped_uploading_runs_down_from_its_last_full_list() -> None:
    shown = ROW.outlook("2026-11-25T00:00:00.000Z", Listing("2026-11-23T00:00:00.000Z", STALE_DAYS))
    gone = ROW.outlook("2026-12-05T00:00:00.000Z", Listing("2026-11-23T00:00:00.000Z", STALE_DAYS))

    assert shown is not None
    assert gone is not None
    assert shown.days_left == 2.0
    assert shown.runs_out_at == "2026-11-27T00:00:00.000Z"
    assert gone.days_left == 0.0


def test_an_upload_before_the_change_or_after_now_does_not_move_the_forecast_back_or_ahead() -> None:
    before = ROW.outlook("2026-11-22T12:00:00.000Z", Listing("2026-11-20T00:00:00.000Z", STALE_DAYS))
    ahead = ROW.outlook("2026-11-23T00:00:00.000Z", Listing("2026-11-30T00:00:00.000Z", STALE_DAYS))

    assert before is not None
    assert ahead is not None
    assert before.runs_out_at == "2026-11-26T00:00:00.000Z"
    assert ahead.runs_out_at == "2026-11-27T00:00:00.000Z"


def test_without_a_full_list_the_count_holds_only_until_the_item_was_last_changed() -> None:
    # Given partial files since the change (they named other items): nothing says this count held
    shown = ROW.outlook("2026-11-24T00:00:00.000Z", Listing(None, STALE_DAYS))

    assert shown is not None
    assert shown.days_left == 2.0
    assert shown.runs_out_at == "2026-11-26T00:00:00.000Z"


def test_an_item_not_listed_for_longer_than_the_stale_days_is_not_forecast() -> None:
    listing = Listing("2026-11-23T00:00:00.000Z", stale_days=5)

    assert ROW.outlook("2026-11-28T00:00:00.000Z", listing) is not None  # listed 5 days ago
    assert ROW.outlook("2026-11-28T00:00:01.000Z", listing) is None
    assert ROW.outlook("2026-11-27T00:00:01.000Z", Listing(None, stale_days=5)) is None  # changed 5 days ago


@pytest.mark.parametrize(
    "listing",
    [None, *(Listing(at, STALE_DAYS) for at in (None, "2026-11-23T00:00:00.000Z", "2026-11-30T00:00:00.000Z"))],
)
def test_a_reader_never_sees_an_item_run_out_before_the_week_its_index_entry_names(listing: Listing | None) -> None:
    """Readers query the index up to the week of the moment they care about and filter the rows: that
    finds every item only while the count held until it was last listed never runs out earlier."""
    shown = ROW.outlook("2026-11-30T12:00:00.000Z", listing)

    assert shown is not None
    assert ROW.running_out_in is not None
    assert running_out_week(shown.runs_out_at) >= ROW.running_out_in


def test_a_row_without_a_forecast_shows_none() -> None:
    assert ForecastRow("Berlin", "Echo Dot", STATE).outlook("2026-11-24T00:00:00.000Z") is None


def test_soon_ranks_below_low_and_above_restocked() -> None:
    assert Alert.OUT.rank > Alert.LOW.rank > Alert.SOON.rank > Alert.RESTOCKED.rank
    assert Alert("soon") is Alert.SOON


def test_the_spread_of_demand_reads_back_as_written() -> None:
    row = ForecastRow("Berlin", "Echo Dot", replace(STATE, spread=41.5), replace(FORECAST, daily_sd=2.53))

    item = row.to_item()

    assert item["Spread"] == {"N": "41.5"}
    assert item["DailySd"] == {"N": "2.53"}
    assert ForecastRow.from_item(item) == row


def test_a_count_awaiting_its_interval_reads_back_and_a_row_without_one_reads_as_none() -> None:
    pending = replace(STATE, count=5, base_count=12, base_at="2026-11-22T02:59:00.000Z")
    row = ForecastRow("Berlin", "Echo Dot", pending, replace(FORECAST, count=5))

    item = row.to_item()

    assert (item["BaseCount"], item["BaseAt"]) == ({"N": "12"}, {"S": "2026-11-22T02:59:00.000Z"})
    assert ForecastRow.from_item(item) == row
    written_before = ForecastRow("Berlin", "Echo Dot", STATE, FORECAST).to_item()
    assert "BaseCount" not in written_before
    assert ForecastRow.from_item(written_before).state.base_count is None


def test_the_largest_row_stays_under_one_kilobyte() -> None:
    """DynamoDB bills a write per KB of the item: its attribute names and values (UTF-8), counted here
    generously (a number as its text, about twice what DynamoDB counts)."""
    name = "x" * MAX_NAME_LENGTH
    longest = "2026-11-22T02:59:00.000+00:00"
    state = ModelState(9_999_999, longest, "9" * 40, *([1 / 3] * 5), base_count=9_999_999, base_at=longest)
    forecast = Forecast(9_999_999, 1 / 3, 1 / 3, longest, 1 / 3)
    item = ForecastRow(name, name, state, forecast, soon_since="9" * 40, retired=True).to_item()

    size = sum(
        len(key.encode()) + sum(len(str(value).encode()) for value in attr.values()) for key, attr in item.items()
    )

    assert size < 1024
