"""Reorder and transfer suggestions in the API's logic, with in-memory readers: what each caller gets and
what each answer reads."""

from __future__ import annotations

from dataclasses import replace

import pytest
from dashboard_api.logic.permissions import Caller
from dashboard_api.logic.reorder import Reorders
from dashboard_api.models.errors import NotAllowed
from inventory.models import Ordering
from inventory.reorder import Policy
from inventory.stores import StoreSummary

from tests.fakes.api import FakeForecastReader, FakeItemReader, FakeStoreDirectory

pytestmark = pytest.mark.unit

ADMIN = Caller("a", "admin", admin=True, stores=frozenset())
BERLIN = Caller("b", "berlin", admin=False, stores=frozenset({"Berlin"}))
NOW = "2026-11-22T12:00:00.000Z"
UPLOADED = "2026-11-22T11:00:00.000Z"


World = tuple[Reorders, FakeForecastReader, FakeItemReader]


@pytest.fixture
def world() -> World:
    items, forecasts = FakeItemReader(), FakeForecastReader()
    stores = FakeStoreDirectory([StoreSummary(name, 2, 0, 0, UPLOADED, UPLOADED) for name in ("Berlin", "Karachi")])
    forecasts.add("Berlin", "Echo Dot", 10, 10, UPLOADED, daily_sd=3)  # 1 day of cover: order now, and short
    forecasts.add("Berlin", "Kindle", 40, None, UPLOADED)  # not being used up
    forecasts.add("Karachi", "Echo Dot", 500, None, UPLOADED)  # idle stock
    forecasts.add("Karachi", "Tap", 300, 1, UPLOADED)  # 300 days of cover: nothing to order this cycle
    items.add("Berlin", "Echo Dot", 10, ordering=Ordering(lead_time_days=5, pack_size=24, supplier="Acme"))
    reorders = Reorders(
        stores=stores,
        items=items,
        forecasts=forecasts,
        policy=Policy(lead_time_days=3, cycle_days=7),
        mapper=lambda function, values: [function(value) for value in values],
        clock=lambda: NOW,
        stale_days=14,
    )
    return reorders, forecasts, items


def test_a_store_gets_orders_in_whole_packs_from_its_items_supplier_and_lead_time(world: World) -> None:
    reorders, _, _ = world

    answer = reorders.store(BERLIN, "Berlin")

    (dot,) = answer.items  # the Kindle is not being used up: no suggestion
    assert (dot.item, dot.supplier, dot.lead_time_days, dot.pack_size) == ("Echo Dot", "Acme", 5, 24)
    assert dot.quantity % 24 == 0
    assert dot.order_by == NOW


def test_a_foreign_store_is_refused_before_anything_is_read(world: World) -> None:
    reorders, forecasts, _ = world

    with pytest.raises(NotAllowed):
        reorders.store(BERLIN, "Karachi")
    assert forecasts.reads == []


def test_across_stores_a_manager_gets_only_their_stores(world: World) -> None:
    reorders, forecasts, _ = world

    answer = reorders.across(BERLIN)

    assert {view.store for view in answer.items} == {"Berlin"}
    assert {store for _, store in forecasts.reads} == {"Berlin"}


def test_transfers_are_for_head_office_and_read_no_whole_partition(world: World) -> None:
    reorders, forecasts, _ = world

    with pytest.raises(NotAllowed):
        reorders.transfers(BERLIN)
    answer = reorders.transfers(ADMIN)

    (move,) = answer.items
    assert (move.item, move.source, move.target) == ("Echo Dot", "Karachi", "Berlin")
    assert move.runs_out_in_days == pytest.approx(1 - 1 / 24, abs=0.01)  # counted an hour ago
    assert sorted({kind for kind, _ in forecasts.reads}) == ["keyed", "running_out"]


def test_a_retired_item_is_no_stock_to_move(world: World) -> None:
    # Given a full list of Karachi omitted its Echo Dot (alerts cleared its row and marked it retired)
    reorders, forecasts, _ = world
    row = forecasts.table["Karachi"]["Echo Dot"]
    forecasts.table["Karachi"]["Echo Dot"] = replace(row, retired=True)

    assert reorders.transfers(ADMIN).items == []
