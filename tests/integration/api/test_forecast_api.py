"""Stockout forecasts through the real API handler, against Forecast rows as the alerts service writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from inventory.models import iso_utc

from tests.builders import api_claims
from tests.integration.api.conftest import ADMIN, BERLIN_MANAGER, FORECAST, INVENTORY, ApiWorld

pytestmark = pytest.mark.integration

STORE_ROUTE = "/stores/{store}/forecast"
ITEMS_ROUTE = "/stores/{store}/items"
ITEM_ROUTE = "/stores/{store}/items/{item}"


def ago(days: float) -> str:
    return iso_utc(datetime.now(UTC) - timedelta(days=days))


def forecast_path(store: str) -> str:
    return f"/stores/{quote(store, safe='')}/forecast"


@pytest.fixture
def stocked(api: ApiWorld) -> ApiWorld:
    """Berlin sent its full list an hour ago, Karachi three days ago; each item's forecast as of its last change."""
    berlin, karachi = ago(1 / 24), ago(3)
    api.add_items(
        "Berlin",
        [("Echo Dot", 20), ("Echo Show", 60), ("Kindle", 40), ("Echo Look", 3), ("Amazon Tap", 9)],
        last_upload_at=berlin,
        last_full_list_at=berlin,
    )
    api.add_items("Karachi", [("Echo Dot", 10), ("Tap", 80)], last_upload_at=karachi, last_full_list_at=karachi)
    api.add_forecast("Berlin", "Echo Dot", 20, 10, ago(1))  # 2 days of cover: under 2 days left now
    api.add_forecast("Berlin", "Echo Show", 60, 2, ago(1))  # 30 days
    api.add_forecast("Berlin", "Kindle", 40, None, ago(5))  # not being used up
    api.add_forecast("Berlin", "Echo Look", 3, 1, ago(2))  # low, 3 days of cover
    api.add_forecast("Karachi", "Echo Dot", 10, 2, ago(4))  # 5 days of cover, known to hold 3 days ago: 2 left
    api.add_forecast("Karachi", "Tap", 80, 2, ago(4))  # 40 days: beyond the index's horizon
    return api


def test_a_stores_forecast_lists_items_being_used_up_soonest_first(stocked: ApiWorld) -> None:
    answer = stocked.get(forecast_path("Berlin"), BERLIN_MANAGER, route=STORE_ROUTE)

    assert answer.status == 200, answer.body
    assert answer.body["store"] == "Berlin"
    assert answer.body["truncated"] is False
    items = answer.body["items"]
    assert [entry["item"] for entry in items] == ["Echo Dot", "Echo Look", "Echo Show"]  # Kindle left out
    dot = items[0]
    assert set(dot) == {"item", "count", "rate_per_day", "days_left", "runs_out_at"}
    assert (dot["count"], dot["rate_per_day"]) == (20, 10)
    assert dot["days_left"] == pytest.approx(2 - 1 / 24, abs=0.01)  # from its count an hour ago, at the upload
    assert dot["runs_out_at"] > iso_utc(datetime.now(UTC))


def test_a_stores_forecast_follows_the_store_rules(stocked: ApiWorld) -> None:
    refused = stocked.get(forecast_path("Karachi"), BERLIN_MANAGER, route=STORE_ROUTE)
    missing = stocked.get(forecast_path("Atlantis"), ADMIN, route=STORE_ROUTE)
    nobody = stocked.get(forecast_path("Atlantis"), BERLIN_MANAGER, route=STORE_ROUTE)

    assert refused.status == 403
    assert refused.body["error"]["code"] == "forbidden"
    assert "items" not in refused.body
    assert (missing.status, missing.body["error"]["code"]) == (404, "not_found")
    assert nobody.status == 403  # a manager learns nothing about stores outside their list


def test_a_stores_forecast_is_one_query_of_its_rows(stocked: ApiWorld) -> None:
    calls = stocked.handler_calls("dynamodb")

    stocked.get(forecast_path("Berlin"), ADMIN, route=STORE_ROUTE)

    forecast_calls = [(op, params.get("IndexName")) for op, params in calls if params.get("TableName") == FORECAST]
    assert forecast_calls == [("Query", None)]
    assert all(operation != "Scan" for operation, _ in calls)


def test_across_stores_items_running_out_within_the_window_soonest_first(stocked: ApiWorld) -> None:
    answer = stocked.get("/forecast", ADMIN, {"within_days": "4"})

    assert answer.status == 200, answer.body
    assert answer.body["within_days"] == 4
    assert answer.body["truncated"] is False
    assert [(entry["store"], entry["item"]) for entry in answer.body["items"]] == [
        ("Berlin", "Echo Dot"),  # ~1.96 days
        ("Karachi", "Echo Dot"),  # 5 days at its last count; its store's last upload was 3 days ago: ~2
        ("Berlin", "Echo Look"),  # ~3 (held until the upload an hour ago)
    ]
    (_, karachi, _) = answer.body["items"]
    assert karachi["days_left"] == pytest.approx(2, abs=0.01)
    assert set(karachi) == {"store", "item", "count", "rate_per_day", "days_left", "runs_out_at"}


def test_across_stores_a_manager_hears_only_of_their_stores(stocked: ApiWorld) -> None:
    answer = stocked.get("/forecast", BERLIN_MANAGER, {"within_days": "30"})
    nobody = stocked.get("/forecast", api_claims("nobody"))

    assert [(entry["store"], entry["item"]) for entry in answer.body["items"]] == [
        ("Berlin", "Echo Dot"),
        ("Berlin", "Echo Look"),
        ("Berlin", "Echo Show"),
    ]
    assert (nobody.status, nobody.body["items"]) == (200, [])


def test_across_stores_is_one_query_of_the_running_out_index_per_store_never_a_scan(stocked: ApiWorld) -> None:
    calls = stocked.handler_calls("dynamodb")

    stocked.get("/forecast", ADMIN, {"within_days": "7"})

    forecast_calls = [(op, params.get("IndexName")) for op, params in calls if params.get("TableName") == FORECAST]
    assert forecast_calls == [("Query", "RunningOut")] * 2
    scans = [params["TableName"] for operation, params in calls if operation == "Scan"]
    assert scans == ["inventory-ingest-test-stores"]  # the admin's store list, as /alerts reads it


@pytest.mark.parametrize("days", ["31", "-1", "soon"])
def test_a_window_beyond_the_index_or_not_a_number_is_422(stocked: ApiWorld, days: str) -> None:
    answer = stocked.get("/forecast", ADMIN, {"within_days": days})

    assert answer.status == 422
    assert answer.body["error"]["code"] == "invalid_parameter"
    assert "within_days" in answer.body["error"]["message"]


def test_the_items_page_carries_days_left_and_null_where_unknown(stocked: ApiWorld) -> None:
    answer = stocked.get("/stores/Berlin/items", BERLIN_MANAGER, route=ITEMS_ROUTE)

    assert answer.status == 200, answer.body
    days = {entry["item"]: entry["days_left"] for entry in answer.body["items"]}
    assert days["Echo Dot"] == pytest.approx(2 - 1 / 24, abs=0.01)
    assert days["Echo Show"] == pytest.approx(30 - 1 / 24, abs=0.01)
    assert days["Kindle"] is None  # not being used up
    assert days["Amazon Tap"] is None  # no forecast row: never seen used


def test_the_items_page_joins_forecasts_with_the_cheaper_read(stocked: ApiWorld) -> None:
    calls = stocked.handler_calls("dynamodb")

    stocked.get("/stores/Berlin/items", ADMIN, route=ITEMS_ROUTE)  # dense: a Query of the page's range
    dense = [(op, params) for op, params in calls if params.get("TableName") == FORECAST or FORECAST in str(params)]
    calls.clear()
    low = stocked.get("/stores/Berlin/items", ADMIN, {"status": "low"}, route=ITEMS_ROUTE)  # the alerts index
    sparse = [op for op, params in calls if FORECAST in str(params)]

    ((operation, params),) = dense
    assert operation == "Query"
    assert params["ExpressionAttributeValues"][":first"] == {"S": "Amazon Tap"}
    assert params["ExpressionAttributeValues"][":last"] == {"S": "Kindle"}
    assert sparse == ["BatchGetItem"]
    assert {entry["item"]: entry["days_left"] for entry in low.body["items"]} == {
        "Echo Look": pytest.approx(3 - 1 / 24, abs=0.01)
    }


def item_path(store: str, item: str) -> str:
    return f"/stores/{quote(store, safe='')}/items/{quote(item, safe='')}"


def test_one_item_answers_the_item_with_its_forecast_from_one_query_of_each_table(stocked: ApiWorld) -> None:
    calls = stocked.handler_calls("dynamodb")

    answer = stocked.get(item_path("Berlin", "Echo Dot"), BERLIN_MANAGER, route=ITEM_ROUTE)

    assert answer.status == 200, answer.body
    body = answer.body
    assert (body["store"], body["item"], body["count"], body["status"]) == ("Berlin", "Echo Dot", 20, "ok")
    assert set(body["forecast"]) == {"item", "count", "rate_per_day", "days_left", "runs_out_at"}
    assert (body["forecast"]["count"], body["forecast"]["rate_per_day"]) == (20, 10)
    assert body["days_left"] == body["forecast"]["days_left"] == pytest.approx(2 - 1 / 24, abs=0.01)
    reads = [(op, params["TableName"], params.get("Limit")) for op, params in calls if op != "GetItem"]
    assert sorted(reads, key=str) == sorted([("Query", FORECAST, 1), ("Query", INVENTORY, None)], key=str)
    keys = [params["ExpressionAttributeValues"] for _, params in calls if params["TableName"] == INVENTORY]
    assert keys == [{":store": {"S": "Berlin"}, ":item": {"S": "Echo Dot"}}]  # its key, not the store's items


def test_one_item_not_being_used_up_has_a_null_forecast(stocked: ApiWorld) -> None:
    kindle = stocked.get(item_path("Berlin", "Kindle"), BERLIN_MANAGER, route=ITEM_ROUTE)
    tap = stocked.get(item_path("Berlin", "Amazon Tap"), BERLIN_MANAGER, route=ITEM_ROUTE)  # no Forecast row

    assert (kindle.status, kindle.body["forecast"], kindle.body["days_left"]) == (200, None, None)
    assert (tap.status, tap.body["forecast"]) == (200, None)


def test_one_item_follows_the_store_rules_and_a_missing_item_is_404(stocked: ApiWorld) -> None:
    refused = stocked.get(item_path("Karachi", "Echo Dot"), BERLIN_MANAGER, route=ITEM_ROUTE)
    missing = stocked.get(item_path("Berlin", "Echo Dott"), BERLIN_MANAGER, route=ITEM_ROUTE)

    assert (refused.status, refused.body["error"]["code"]) == (403, "forbidden")
    assert "count" not in refused.body
    assert (missing.status, missing.body["error"]["code"]) == (404, "not_found")


def test_a_store_name_that_needs_encoding_round_trips_through_the_forecast_route(api: ApiWorld) -> None:
    store = "Store A/B #1"
    api.add_items(store, [("Café 100% / Arábica", 5)], last_upload_at=ago(0))
    api.add_forecast(store, "Café 100% / Arábica", 5, 1, ago(0))
    manager = api_claims("m", stores=[store])

    for route in (STORE_ROUTE, None):
        answer = api.get(forecast_path(store), manager, route=route)
        assert answer.status == 200, answer.body
        assert (answer.body["store"], [entry["item"] for entry in answer.body["items"]]) == (
            store,
            ["Café 100% / Arábica"],
        )
    for route in (ITEM_ROUTE, None):
        one = api.get(item_path(store, "Café 100% / Arábica"), manager, route=route)
        assert one.status == 200, one.body
        assert (one.body["store"], one.body["item"], one.body["forecast"]["count"]) == (store, "Café 100% / Arábica", 5)
