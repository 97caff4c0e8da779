"""Reorder and transfer suggestions: how many to order, by when, and which store can help which."""

from __future__ import annotations

import math

import pytest
from inventory.reorder import Demand, Holding, Policy, suggest, transfers

pytestmark = pytest.mark.unit

NOW = "2026-12-07T09:00:00.000Z"
POLICY = Policy(lead_time_days=4, cycle_days=7, service_level=0.95)
Z = 1.6448536269514722  # the standard normal quantile of 0.95


def test_the_safety_factor_is_the_normal_quantile_of_the_service_level() -> None:
    assert POLICY.z == pytest.approx(Z)
    assert Policy(service_level=0.5).z == pytest.approx(0.0)


def test_stock_below_the_reorder_point_orders_now_up_to_the_order_up_to_level() -> None:
    demand = Demand(rate=10.0, daily_sd=5.0)

    order = suggest(20, demand, NOW, POLICY)

    assert order is not None
    assert order.reorder_point == pytest.approx(10 * 4 + Z * 5 * 2)
    assert order.order_up_to == pytest.approx(10 * 11 + Z * 5 * math.sqrt(11))
    assert order.order_by == NOW
    assert order.quantity == math.ceil(order.order_up_to - 20)
    assert "reorder point" in order.why
    assert f"order {order.quantity}" in order.why


def test_stock_above_the_reorder_point_orders_when_it_gets_there() -> None:
    demand = Demand(rate=10.0, daily_sd=0.0)  # sd taken as Poisson's: sqrt(10)
    point = 40 + Z * math.sqrt(10) * 2

    order = suggest(point + 25, demand, NOW, POLICY)

    assert order is not None
    assert order.order_by == "2026-12-09T21:00:00.000Z"  # 25 units at 10 a day: 2.5 days
    assert order.quantity == math.ceil(order.order_up_to - point)


@pytest.mark.parametrize("pack", [6, 12, 50])
def test_the_quantity_is_whole_packs_covering_the_need(pack: int) -> None:
    demand = Demand(rate=7.0, daily_sd=3.0)

    order = suggest(5, demand, NOW, POLICY, pack=pack)

    assert order is not None
    assert order.quantity % pack == 0
    assert order.order_up_to - 5 <= order.quantity < order.order_up_to - 5 + pack
    assert f"packs of {pack}" in order.why


def test_an_item_with_no_forecast_gets_no_suggestion() -> None:
    assert suggest(0, None, NOW, POLICY) is None


def test_the_items_own_lead_time_overrides_the_stages() -> None:
    demand = Demand(rate=10.0, daily_sd=0.0)

    short = suggest(0, demand, NOW, POLICY, lead_time_days=1)
    long = suggest(0, demand, NOW, POLICY, lead_time_days=14)

    assert short is not None
    assert long is not None
    assert long.quantity - short.quantity >= 10 * 13


def test_a_policy_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="service level"):
        Policy(service_level=1.0)
    with pytest.raises(ValueError, match="order cycle"):
        Policy(cycle_days=0)


def test_a_store_running_out_before_an_order_could_arrive_gets_stock_from_one_with_surplus() -> None:
    demand = Demand(rate=10.0, daily_sd=0.0)
    holdings = [
        Holding("Berlin", "Echo Dot", 15, demand),  # 1.5 days of cover, the order takes 4
        Holding("Hamburg", "Echo Dot", 400, demand),  # needs about 122 for lead time and cycle
        Holding("Munich", "Echo Dot", 120, demand),  # no more than it needs
    ]

    moves = transfers(holdings, POLICY)

    assert len(moves) == 1
    move = moves[0]
    assert (move.source, move.target, move.item) == ("Hamburg", "Berlin", "Echo Dot")
    assert move.quantity == math.ceil(demand.need(4, Z) - 15)
    assert move.runs_out_in_days == pytest.approx(1.5)


def test_the_most_urgent_store_comes_first_and_no_store_gives_more_than_its_surplus() -> None:
    demand = Demand(rate=10.0, daily_sd=0.0)
    spare = 60  # Köln needs 46, Berlin 31
    holdings = [
        Holding("Berlin", "Echo Dot", 20, demand),
        Holding("Köln", "Echo Dot", 5, demand),
        Holding("Hamburg", "Echo Dot", math.ceil(demand.need(11, Z)) + spare, demand),
    ]

    moves = transfers(holdings, POLICY)

    assert [move.target for move in moves] == ["Köln", "Berlin"]
    assert sum(move.quantity for move in moves) <= spare
    assert moves[0].quantity == math.ceil(demand.need(4, Z) - 5)


def test_a_store_where_the_item_does_not_sell_can_give_all_of_it() -> None:
    holdings = [Holding("Berlin", "Echo Dot", 0, Demand(5.0, 0.0)), Holding("Outlet", "Echo Dot", 8, None)]

    moves = transfers(holdings, POLICY)

    assert [(move.source, move.quantity) for move in moves] == [("Outlet", 8)]


def test_no_transfer_between_different_items() -> None:
    holdings = [Holding("Berlin", "Echo Dot", 0, Demand(5.0, 0.0)), Holding("Hamburg", "Kindle", 500, None)]

    assert transfers(holdings, POLICY) == []
