"""Stockout forecasts in the API's logic, with in-memory readers: per store, across stores, and on the items page."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from dashboard_api.logic.cursor import CursorCodec
from dashboard_api.logic.dashboard import Dashboard
from dashboard_api.logic.permissions import Caller
from dashboard_api.models.errors import NotAllowed, Unknown
from inventory.models import StockStatus
from inventory.stores import StoreSummary

from tests.fakes.api import FakeForecastReader, FakeHistoryReader, FakeItemReader, FakeStoreDirectory

pytestmark = pytest.mark.unit

ADMIN = Caller("a", "admin", admin=True, stores=frozenset())
BERLIN = Caller("b", "berlin", admin=False, stores=frozenset({"Berlin"}))
NOW = "2026-11-22T12:00:00.000Z"


@dataclass
class World:
    dashboard: Dashboard
    items: FakeItemReader
    stores: FakeStoreDirectory
    forecasts: FakeForecastReader


@pytest.fixture
def world() -> World:
    items, forecasts = FakeItemReader(), FakeForecastReader()
    stores = FakeStoreDirectory(
        [
            # Berlin sent its full list at noon: every count it did not change is known to hold until then.
            StoreSummary("Berlin", 3, 0, 0, *["2026-11-22T12:00:00.000Z"] * 3),
            # Karachi last sent one two days ago.
            StoreSummary("Karachi", 2, 0, 0, *["2026-11-20T12:00:00.000Z"] * 3),
        ]
    )
    dashboard = Dashboard(
        stores=stores,
        items=items,
        history=FakeHistoryReader(),
        forecasts=forecasts,
        cursors=CursorCodec(b"k"),
        mapper=lambda function, values: [function(value) for value in values],
        clock=lambda: NOW,
        stale_days=14,
    )
    return World(dashboard, items, stores, forecasts)


def seed(world: World) -> None:
    add = world.forecasts.add
    add("Berlin", "Echo Dot", 20, 10, "2026-11-21T12:00:00.000Z")  # 2 days from noon
    add("Berlin", "Echo Show", 60, 2, "2026-11-20T12:00:00.000Z")  # 30 days
    add("Berlin", "Kindle", 40, None, "2026-11-20T12:00:00.000Z")  # not being used up
    add("Karachi", "Echo Dot", 10, 2, "2026-11-19T12:00:00.000Z")  # 5 days from its last upload: 3 from now
    add("Karachi", "Tap", 80, 2, "2026-11-19T12:00:00.000Z")  # 40 days: beyond the index


def test_a_stores_forecast_lists_items_being_used_up_soonest_first(world: World) -> None:
    seed(world)

    answer = world.dashboard.store_forecast(BERLIN, "Berlin")

    assert answer.store == "Berlin"
    assert [(view.item, view.count, view.rate_per_day, view.days_left, view.runs_out_at) for view in answer.items] == [
        ("Echo Dot", 20, 10.0, 2.0, "2026-11-24T12:00:00.000Z"),
        ("Echo Show", 60, 2.0, 30.0, "2026-12-22T12:00:00.000Z"),
    ]
    assert answer.truncated is False


def test_days_left_count_from_the_stores_last_full_list_not_from_the_last_change(world: World) -> None:
    seed(world)

    (dot, _tap) = world.dashboard.store_forecast(ADMIN, "Karachi").items

    # 5 days of cover from its last count; the count still held at the upload two days ago.
    assert (dot.item, dot.days_left, dot.runs_out_at) == ("Echo Dot", 3.0, "2026-11-25T12:00:00.000Z")


def test_another_stores_forecast_is_403_and_a_store_that_does_not_exist_404(world: World) -> None:
    seed(world)

    with pytest.raises(NotAllowed):
        world.dashboard.store_forecast(BERLIN, "Karachi")
    with pytest.raises(Unknown):
        world.dashboard.store_forecast(ADMIN, "Atlantis")
    assert world.forecasts.reads == [("store_rows", "Atlantis")]  # nothing read for the refused one


def test_across_stores_only_items_within_the_window_soonest_first(world: World) -> None:
    seed(world)

    answer = world.dashboard.forecast(ADMIN, 7, limit=100)

    assert [(view.store, view.item, view.days_left) for view in answer.items] == [
        ("Berlin", "Echo Dot", 2.0),
        ("Karachi", "Echo Dot", 3.0),  # 5 days of cover at its last count: 3 from now
    ]
    assert answer.within_days == 7
    assert answer.truncated is False
    assert sorted(world.forecasts.reads) == [("running_out", "Berlin"), ("running_out", "Karachi")]


def test_across_stores_a_manager_hears_only_of_their_stores(world: World) -> None:
    seed(world)

    answer = world.dashboard.forecast(BERLIN, 30, limit=100)

    assert {view.store for view in answer.items} == {"Berlin"}
    assert world.forecasts.reads == [("running_out", "Berlin")]


def test_across_stores_the_limit_keeps_the_soonest_and_says_more_were_left_out(world: World) -> None:
    seed(world)

    answer = world.dashboard.forecast(ADMIN, 30, limit=1)

    assert [(view.store, view.item) for view in answer.items] == [("Berlin", "Echo Dot")]
    assert answer.truncated is True


def test_an_item_still_within_the_window_after_its_store_stopped_uploading_is_found(world: World) -> None:
    # 9 days of cover at its last count, but the count is known to hold only until Karachi's upload
    # two days ago: 7 days from now. A query on the cover alone (<= 7) would miss it.
    world.forecasts.add("Karachi", "Kindle", 18, 2, "2026-11-19T12:00:00.000Z")

    answer = world.dashboard.forecast(ADMIN, 7, limit=100)

    assert [(view.item, view.days_left) for view in answer.items] == [("Kindle", 7.0)]


def test_a_partial_file_since_the_change_does_not_hold_the_count(world: World) -> None:
    # Given Lahore sent a file at noon that named other items, and no full list ever
    world.stores.summaries["Lahore"] = StoreSummary("Lahore", 1, 0, 0, NOW, last_upload_at=NOW)
    world.forecasts.add("Lahore", "Echo Dot", 20, 10, "2026-11-21T12:00:00.000Z")  # 2 days of cover a day ago

    # When its forecast is read
    (dot,) = world.dashboard.store_forecast(ADMIN, "Lahore").items

    # Then the count is known to hold only until it was set: 1 day left, not 2
    assert (dot.days_left, dot.runs_out_at) == (1.0, "2026-11-23T12:00:00.000Z")


def test_items_no_file_listed_for_the_stages_stale_days_are_not_forecast(world: World) -> None:
    seed(world)
    strict = Dashboard(
        stores=world.stores,
        items=world.items,
        history=FakeHistoryReader(),
        forecasts=world.forecasts,
        cursors=CursorCodec(b"k"),
        mapper=lambda function, values: [function(value) for value in values],
        clock=lambda: NOW,
        stale_days=1.5,
    )

    # Karachi's items were last listed two days ago, Berlin's at noon
    assert strict.store_forecast(ADMIN, "Karachi").items == []
    assert [view.item for view in strict.store_forecast(ADMIN, "Berlin").items] == ["Echo Dot", "Echo Show"]
    assert {view.store for view in strict.forecast(ADMIN, 30, limit=100).items} == {"Berlin"}


# -- days_left on the items page ------------------------------------------------------------------


def test_each_listed_item_carries_its_days_left_or_null(world: World) -> None:
    seed(world)
    for item, count in (("Echo Dot", 20), ("Echo Look", 7), ("Echo Show", 60), ("Kindle", 40)):
        world.items.add("Berlin", item, count)

    page = world.dashboard.items(BERLIN, "Berlin", status=None, query=None, limit=10, cursor=None)

    assert [(view.item, view.days_left) for view in page.items] == [
        ("Echo Dot", 2.0),
        ("Echo Look", None),  # no Forecast row: never seen used
        ("Echo Show", 30.0),
        ("Kindle", None),  # not being used up
    ]
    assert world.forecasts.reads == [("between", "Berlin")]  # a dense page: one Query of its range


@pytest.mark.parametrize(
    ("status", "query"),
    [(StockStatus.OUT, None), (None, "dot")],
    ids=["the alerts index", "a search matching few of many"],
)
def test_a_sparse_page_reads_just_its_items_rows(world: World, status: StockStatus | None, query: str | None) -> None:
    seed(world)
    for n in range(200):
        world.items.add("Berlin", f"Item {n:03d}", 50)
    world.items.add("Berlin", "Echo Dot", 0)
    world.forecasts.add("Berlin", "Echo Dot", 0, 10, "2026-11-22T11:00:00.000Z")

    page = world.dashboard.items(BERLIN, "Berlin", status=status, query=query, limit=10, cursor=None)

    assert [(view.item, view.days_left) for view in page.items] == [("Echo Dot", 0.0)]  # out: no cover left
    assert world.forecasts.reads == [("rows", "Berlin")]


def test_one_item_carries_its_forecast_from_the_stores_last_full_list(world: World) -> None:
    seed(world)
    world.items.add("Karachi", "Echo Dot", 10)

    answer = world.dashboard.item(ADMIN, "Karachi", "Echo Dot")

    assert (answer.item, answer.count, answer.days_left) == ("Echo Dot", 10, 3.0)
    assert answer.forecast is not None
    assert (answer.forecast.days_left, answer.forecast.runs_out_at) == (3.0, "2026-11-25T12:00:00.000Z")
    assert world.forecasts.reads == [("between", "Karachi")]  # its own row, not the store's


def test_one_item_not_being_used_up_or_never_seen_used_has_no_forecast(world: World) -> None:
    seed(world)
    world.items.add("Berlin", "Kindle", 40)
    world.items.add("Berlin", "Echo Look", 7)

    assert world.dashboard.item(BERLIN, "Berlin", "Kindle").forecast is None
    assert world.dashboard.item(BERLIN, "Berlin", "Echo Look").forecast is None


def test_one_item_of_another_store_is_403_and_a_missing_one_404(world: World) -> None:
    world.items.add("Berlin", "Echo Dot", 20)

    with pytest.raises(NotAllowed):
        world.dashboard.item(BERLIN, "Karachi", "Echo Dot")
    with pytest.raises(Unknown):
        world.dashboard.item(BERLIN, "Berlin", "Echo Dott")
    assert world.forecasts.reads == []  # nothing read for the refused or missing one
