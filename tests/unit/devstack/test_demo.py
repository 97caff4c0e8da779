"""The demo history `make dev` loads: plausible rates and spreads learnt by the forecast model, orders
for the stores, and a transfer from the store with surplus to the one running out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ingest.logic.parser import FileFormat, parse_inventory
from inventory.models import InventoryRow, Ordering, iso_utc
from inventory.reorder import Demand, Holding, Policy, suggest, transfers

from devstack import demo

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)


def test_each_item_has_four_weeks_of_daily_counts_ending_before_now() -> None:
    histories = demo.simulate(NOW)

    assert len(histories) == len(demo.STORES) * len(demo.PRODUCTS)
    for history in histories:
        assert len(history.counts) == demo.DAYS + 1
        times = [moment for moment, _ in history.counts]
        assert times == sorted(times)
        assert times[-1] < NOW
        assert (NOW - times[0]).days >= demo.DAYS - 1


def test_the_model_learns_each_items_rate_from_its_changes() -> None:
    for history in demo.simulate(NOW):
        row, entries = demo.rows(history)
        scale = next(store.scale for store in demo.STORES if store.name == history.store)
        expected = history.product.rate * scale * sum(demo.WEEKLY) / 7

        assert row.forecast is not None, (history.store, history.product.item)
        assert 0.5 * expected < row.forecast.rate_per_day < 2 * expected, (history.store, history.product.item)
        assert row.forecast.daily_sd > 0
        assert row.state.sequence == ""  # the first stream record the row sees is never taken for a replay
        assert row.state.count == history.counts[-1][1]
        # a History row per change, as alerts writes them: only changed counts
        assert [entry.new_count for entry in entries] == [
            count for n, (_, count) in enumerate(history.counts) if n == 0 or count != history.counts[n - 1][1]
        ]


def test_seville_gets_echo_dots_from_valencias_surplus_and_orders_for_its_stores() -> None:
    policy = Policy()
    holdings, orders = [], []
    for history in demo.simulate(NOW):
        row, _ = demo.rows(history)
        assert row.forecast is not None
        on_hand = history.counts[-1][1]
        need = Demand(row.forecast.rate_per_day, row.forecast.daily_sd)
        holdings.append(Holding(history.store, history.product.item, on_hand, need, history.product.lead_days))
        order = suggest(
            on_hand, need, iso_utc(NOW), policy, lead_time_days=history.product.lead_days, pack=history.product.pack
        )
        if order is not None and order.order_by <= iso_utc(NOW):
            orders.append((history.store, history.product.item))

    moves = transfers(holdings, policy)

    assert (moves[0].item, moves[0].source, moves[0].target) == ("Echo Dot", "Valencia", "Seville")
    assert ("Seville", "Echo Dot") in orders
    assert {store for store, _ in orders} >= {"Lisbon", "Seville"}


def test_todays_counts_upload_as_a_file_with_the_ordering_columns() -> None:
    histories = demo.simulate(NOW)

    rows = list(parse_inventory([demo.upload_file(histories)], FileFormat.CSV))

    assert all(isinstance(row, InventoryRow) for row in rows)
    first = rows[0]
    assert isinstance(first, InventoryRow)
    product = histories[0].product
    assert first.count == histories[0].counts[-1][1]
    assert first.ordering == Ordering(product.lead_days, product.pack, product.supplier)
