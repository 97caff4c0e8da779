"""Reorder and transfer suggestions through the real API handler, from Forecast rows and Inventory items
as alerts and ingest write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from inventory.models import Ordering, iso_utc

from tests.builders import api_claims
from tests.integration.api.conftest import ADMIN, BERLIN_MANAGER, ApiWorld

pytestmark = pytest.mark.integration

BOTH = api_claims("regional", stores=["Berlin", "Karachi"])


def ago(days: float) -> str:
    return iso_utc(datetime.now(UTC) - timedelta(days=days))


@pytest.fixture
def stocked(api: ApiWorld) -> ApiWorld:
    """Berlin and Karachi uploaded an hour ago; forecasts as of each item's last change."""
    api.add_items(
        "Berlin", [("Echo Dot", 20), ("Echo Show", 500), ("Kindle", 40), ("Tap", 6)], last_upload_at=ago(0.04)
    )
    api.add_items("Karachi", [("Echo Dot", 900), ("Tap", 2)], last_upload_at=ago(0.04))
    api.add_forecast("Berlin", "Echo Dot", 20, 10, ago(1))  # 2 days of cover: order now
    api.add_forecast("Berlin", "Echo Show", 500, 2, ago(1))  # 250 days: nothing to order this cycle
    api.add_forecast("Berlin", "Kindle", 40, None, ago(5))  # not being used up: no suggestion
    api.add_forecast("Berlin", "Tap", 6, 1, ago(1))  # 6 days of cover: order within the cycle
    api.add_forecast("Karachi", "Echo Dot", 900, 5, ago(1))  # far more than its own lead time and cycle need
    api.add_forecast("Karachi", "Tap", 2, 1, ago(1))
    api.set_ordering("Berlin", "Echo Dot", Ordering(lead_time_days=5, pack_size=24, supplier="Amazon EU"))
    return api


def test_a_stores_orders_come_soonest_first_with_quantity_date_supplier_and_why(stocked: ApiWorld) -> None:
    answer = stocked.get("/stores/Berlin/reorder", BERLIN_MANAGER, route="/stores/{store}/reorder")

    assert answer.status == 200, answer.body
    assert (answer.body["store"], answer.body["cycle_days"], answer.body["service_level"]) == ("Berlin", 7, 0.95)
    items = answer.body["items"]
    assert [entry["item"] for entry in items] == ["Echo Dot", "Tap"]
    assert items[0]["order_by"] <= items[1]["order_by"]
    dot = items[0]
    assert (dot["supplier"], dot["lead_time_days"], dot["pack_size"]) == ("Amazon EU", 5, 24)
    assert dot["order_by"] <= iso_utc(datetime.now(UTC))  # already below its reorder point
    assert "order" in dot["why"]
    assert items[1]["supplier"] is None
    assert items[1]["pack_size"] == 1


def test_pack_sizes_are_respected(stocked: ApiWorld) -> None:
    items = stocked.get("/stores/Berlin/reorder", BERLIN_MANAGER, route="/stores/{store}/reorder").body["items"]

    dot = next(entry for entry in items if entry["item"] == "Echo Dot")
    assert dot["quantity"] % 24 == 0
    assert dot["order_up_to"] - dot["on_hand"] <= dot["quantity"] < dot["order_up_to"] - dot["on_hand"] + 24


def test_an_item_with_no_forecast_gets_no_suggestion(stocked: ApiWorld) -> None:
    stocked.add_items("Berlin", [("New gadget", 0)], last_upload_at=ago(0.04))  # no Forecast row at all

    items = stocked.get("/stores/Berlin/reorder", ADMIN, route="/stores/{store}/reorder").body["items"]

    assert not {"Kindle", "New gadget"} & {entry["item"] for entry in items}


def test_a_store_that_is_not_yours_is_refused(stocked: ApiWorld) -> None:
    answer = stocked.get("/stores/Karachi/reorder", BERLIN_MANAGER, route="/stores/{store}/reorder")

    assert answer.status == 403
    assert answer.body["error"]["code"] == "forbidden"


def test_a_store_that_does_not_exist_is_not_found_for_head_office(stocked: ApiWorld) -> None:
    answer = stocked.get("/stores/Atlantis/reorder", ADMIN, route="/stores/{store}/reorder")

    assert answer.status == 404


def test_orders_across_stores_cover_only_the_callers_stores(stocked: ApiWorld) -> None:
    mine = stocked.get("/reorder", BERLIN_MANAGER, route="/reorder")
    both = stocked.get("/reorder", BOTH, route="/reorder")

    assert mine.status == 200, mine.body
    assert {entry["store"] for entry in mine.body["items"]} == {"Berlin"}
    assert {(entry["store"], entry["item"]) for entry in both.body["items"]} >= {("Berlin", "Tap"), ("Karachi", "Tap")}
    dates = [entry["order_by"] for entry in both.body["items"]]
    assert dates == sorted(dates)


def test_head_office_sees_a_transfer_from_the_store_with_surplus_to_the_one_running_out(stocked: ApiWorld) -> None:
    answer = stocked.get("/transfers", ADMIN, route="/transfers")

    assert answer.status == 200, answer.body
    moves = [(m["item"], m["source"], m["target"]) for m in answer.body["items"]]
    assert ("Echo Dot", "Karachi", "Berlin") in moves
    days = [m["runs_out_in_days"] for m in answer.body["items"]]
    assert days == sorted(days)


def test_transfers_are_for_head_office_only(stocked: ApiWorld) -> None:
    answer = stocked.get("/transfers", BOTH, route="/transfers")

    assert answer.status == 403
