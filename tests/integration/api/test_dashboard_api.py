"""The dashboard API, called as API Gateway calls it, against tables seeded as ingest and alerts write them."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

from tests.integration.api.conftest import ADMIN, BERLIN_MANAGER, INVENTORY, STORES, Answer, ApiWorld

pytestmark = pytest.mark.integration

ITEMS_ROUTE = "/stores/{store}/items"
HISTORY_ROUTE = "/stores/{store}/items/{item}/history"


def items_path(store: str) -> str:
    return f"/stores/{quote(store, safe='')}/items"


def names(answer_items: list[dict[str, object]]) -> list[object]:
    return [entry["item"] for entry in answer_items]


# -- stores -------------------------------------------------------------------------------


def test_admin_sees_every_store_with_its_counts_sorted_by_name(lab: ApiWorld) -> None:
    answer = lab.get("/stores", ADMIN)

    assert answer.status == 200
    assert answer.body == {
        "stores": [
            {
                "store": "Berlin",
                "items": 4,
                "out": 1,
                "low": 2,
                "updated_at": "2026-11-22T03:00:00.000Z",
                "last_upload_at": "2026-11-22T05:00:00.000Z",
                "full_list": False,
            },
            {
                "store": "Karachi",
                "items": 3,
                "out": 1,
                "low": 1,
                "updated_at": "2026-11-22T04:00:00.000Z",
                "last_upload_at": None,  # never sent a file since ingest began recording it
                "full_list": False,
            },
        ]
    }
    assert answer.headers["Cache-Control"] == "no-store"


def test_berlin_manager_sees_only_berlin(lab: ApiWorld) -> None:
    answer = lab.get("/stores", BERLIN_MANAGER)

    assert answer.status == 200
    assert [store["store"] for store in answer.body["stores"]] == ["Berlin"]


def test_user_without_stores_sees_an_empty_list(lab: ApiWorld) -> None:
    from tests.builders import api_claims

    answer = lab.get("/stores", api_claims("nobody"))

    assert answer.status == 200
    assert answer.body == {"stores": []}


SETTINGS_ROUTE = "/stores/{store}/settings"


def put_settings(lab: ApiWorld, store: str, claims: dict[str, Any], body: object) -> Answer:
    path = f"/stores/{quote(store, safe='')}/settings"
    return lab.call("PUT", path, claims, body=json.dumps(body), route=SETTINGS_ROUTE)


def full_lists(lab: ApiWorld, claims: dict[str, Any]) -> dict[str, bool]:
    return {store["store"]: store["full_list"] for store in lab.get("/stores", claims).body["stores"]}


def test_a_stores_user_has_its_files_read_as_full_lists_and_head_office_can_undo_that(lab: ApiWorld) -> None:
    answer = put_settings(lab, "Berlin", BERLIN_MANAGER, {"full_list": True})

    assert answer.status == 200
    assert (answer.body["store"], answer.body["full_list"], answer.body["items"]) == ("Berlin", True, 4)
    assert full_lists(lab, ADMIN) == {"Berlin": True, "Karachi": False}
    stored = lab.dynamodb.get_item(TableName=STORES, Key={"Store": {"S": "Berlin"}})["Item"]
    assert stored["FullList"] == {"BOOL": True}
    assert stored["Items"] == {"N": "4"}  # the totals are kept

    assert put_settings(lab, "Berlin", ADMIN, {"full_list": False}).status == 200
    assert full_lists(lab, BERLIN_MANAGER) == {"Berlin": False}


def test_a_foreign_store_is_403_and_an_unknown_one_404_making_no_row(lab: ApiWorld) -> None:
    foreign = put_settings(lab, "Karachi", BERLIN_MANAGER, {"full_list": True})
    unknown = put_settings(lab, "Lahore", ADMIN, {"full_list": True})

    assert foreign.status == 403
    assert unknown.status == 404
    assert full_lists(lab, ADMIN) == {"Berlin": False, "Karachi": False}


@pytest.mark.parametrize("body", [{}, {"full_list": "yes"}, {"full_list": 1}, {"full_list": True, "other": 1}, []])
def test_bad_settings_are_422_and_change_nothing(lab: ApiWorld, body: object) -> None:
    answer = put_settings(lab, "Berlin", BERLIN_MANAGER, body)

    assert answer.status == 422
    assert full_lists(lab, BERLIN_MANAGER) == {"Berlin": False}


# -- items --------------------------------------------------------------------------------


def test_store_items_carry_count_threshold_status_and_source(lab: ApiWorld) -> None:
    answer = lab.get(items_path("Berlin"), BERLIN_MANAGER, route=ITEMS_ROUTE)

    assert answer.status == 200
    assert answer.body["store"] == "Berlin"
    assert answer.body["next_cursor"] is None
    by_name = {entry["item"]: entry for entry in answer.body["items"]}
    assert names(answer.body["items"]) == ["Amazon Tap", "Echo Dot", "Echo Plus", "Echo Show"]
    assert by_name["Amazon Tap"] == {
        "store": "Berlin",
        "item": "Amazon Tap",
        "count": 15,
        "threshold": 20,
        "status": "low",
        "updated_at": "2026-11-22T03:00:00.000Z",
        "source_key": "uploads/Berlin.csv",
        "days_left": None,  # never seen used (tests/integration/api/test_forecast_api.py has forecasts)
    }
    assert (by_name["Echo Plus"]["status"], by_name["Echo Plus"]["threshold"]) == ("out", None)
    assert by_name["Echo Dot"]["status"] == "ok"


@pytest.mark.parametrize(
    ("status", "expected"),
    [("out", ["Echo Plus"]), ("low", ["Amazon Tap", "Echo Show"]), ("ok", ["Echo Dot"])],
)
def test_status_filter_returns_only_items_with_that_status(lab: ApiWorld, status: str, expected: list[str]) -> None:
    answer = lab.get(items_path("Berlin"), ADMIN, {"status": status}, route=ITEMS_ROUTE)

    assert answer.status == 200
    assert names(answer.body["items"]) == expected
    assert {entry["status"] for entry in answer.body["items"]} == {status}


def test_a_retired_item_is_left_out_of_its_stores_items_and_alerts(lab: ApiWorld) -> None:
    # Given Echo Plus (out of stock) retired as ingest retires it: Retired set, out of the alerts index
    lab.dynamodb.update_item(
        TableName=INVENTORY,
        Key={"Store": {"S": "Berlin"}, "Item": {"S": "Echo Plus"}},
        UpdateExpression="SET #retired = :at REMOVE #status",
        ExpressionAttributeNames={"#retired": "Retired", "#status": "AlertStatus"},
        ExpressionAttributeValues={":at": {"S": "2026-11-23T03:00:00.000Z"}},
    )
    item_route = "/stores/{store}/items/{item}"

    every = lab.get(items_path("Berlin"), ADMIN, route=ITEMS_ROUTE)
    ok = lab.get(items_path("Berlin"), ADMIN, {"status": "ok"}, route=ITEMS_ROUTE)
    out = lab.get(items_path("Berlin"), ADMIN, {"status": "out"}, route=ITEMS_ROUTE)
    one = lab.get(f"{items_path('Berlin')}/Echo%20Plus", ADMIN, route=item_route)
    alerts = lab.get("/alerts", ADMIN, {"status": "out"})

    assert names(every.body["items"]) == ["Amazon Tap", "Echo Dot", "Echo Show"]
    assert names(ok.body["items"]) == ["Echo Dot"]
    assert out.body["items"] == []
    assert one.status == 404
    assert [(alert["store"], alert["item"]) for alert in alerts.body["alerts"]] == [("Karachi", "Echo Dot")]


def test_q_matches_part_of_the_item_name_ignoring_case(lab: ApiWorld) -> None:
    answer = lab.get(items_path("Berlin"), ADMIN, {"q": "ECHO s"}, route=ITEMS_ROUTE)

    assert names(answer.body["items"]) == ["Echo Show"]


def test_berlin_manager_asking_for_karachi_gets_403_and_no_data(lab: ApiWorld) -> None:
    for query in ({}, {"status": "out"}, {"q": "Echo"}):
        answer = lab.get(items_path("Karachi"), BERLIN_MANAGER, query, route=ITEMS_ROUTE)

        assert answer.status == 403
        assert answer.body == {
            "error": {"status": 403, "code": "forbidden", "message": "you do not have access to this store"}
        }


def test_a_store_that_does_not_exist_is_403_for_a_manager_and_404_for_an_admin(lab: ApiWorld) -> None:
    # A manager learns nothing about stores outside their list, not even whether they exist.
    assert lab.get(items_path("Atlantis"), BERLIN_MANAGER, route=ITEMS_ROUTE).status == 403
    answer = lab.get(items_path("Atlantis"), ADMIN, route=ITEMS_ROUTE)
    assert answer.status == 404
    assert answer.body["error"]["code"] == "not_found"


def test_pagination_walks_every_item_once_in_order(api: ApiWorld) -> None:
    api.add_items("Berlin", [(f"Item {n:03d}", n % 7) for n in range(23)])

    seen: list[object] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": "5", **({"cursor": cursor} if cursor else {})}
        answer = api.get(items_path("Berlin"), BERLIN_MANAGER, query, route=ITEMS_ROUTE)
        assert answer.status == 200
        assert len(answer.body["items"]) <= 5
        seen += names(answer.body["items"])
        pages += 1
        cursor = answer.body["next_cursor"]
        if cursor is None:
            break

    assert seen == [f"Item {n:03d}" for n in range(23)]
    assert pages == 5  # 5 + 5 + 5 + 5 + 3, and the last page says so without an empty extra page


def test_pagination_of_a_filtered_listing_keeps_the_filter(api: ApiWorld) -> None:
    api.add_items("Berlin", [(f"Item {n:03d}", 0 if n % 3 == 0 else 50) for n in range(30)])
    expected = [f"Item {n:03d}" for n in range(30) if n % 3 == 0]

    for status in ("out", "ok"):
        seen: list[object] = []
        cursor = None
        while True:
            query = {"limit": "4", "status": status, **({"cursor": cursor} if cursor else {})}
            answer = api.get(items_path("Berlin"), ADMIN, query, route=ITEMS_ROUTE)
            assert answer.status == 200, answer.body
            seen += names(answer.body["items"])
            cursor = answer.body["next_cursor"]
            if cursor is None:
                break
        wanted = expected if status == "out" else [f"Item {n:03d}" for n in range(30) if n % 3]
        assert seen == wanted


def test_a_cursor_cannot_be_replayed_against_another_store_or_filter(lab: ApiWorld) -> None:
    first = lab.get(items_path("Berlin"), ADMIN, {"limit": "1"}, route=ITEMS_ROUTE)
    cursor = first.body["next_cursor"]
    assert cursor

    other_store = lab.get(items_path("Karachi"), ADMIN, {"limit": "1", "cursor": cursor}, route=ITEMS_ROUTE)
    other_filter = lab.get(items_path("Berlin"), ADMIN, {"cursor": cursor, "status": "out"}, route=ITEMS_ROUTE)

    for answer in (other_store, other_filter):
        assert answer.status == 400
        assert answer.body["error"]["code"] == "invalid_cursor"


def test_a_tampered_cursor_is_refused(lab: ApiWorld) -> None:
    cursor = lab.get(items_path("Berlin"), ADMIN, {"limit": "1"}, route=ITEMS_ROUTE).body["next_cursor"]
    payload, signature = cursor.split(".")
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature

    answer = lab.get(items_path("Berlin"), ADMIN, {"cursor": tampered}, route=ITEMS_ROUTE)

    assert answer.status == 400
    assert answer.body["error"]["code"] == "invalid_cursor"


# -- names that need encoding ---------------------------------------------------------------

AWKWARD_NAMES = [
    ("Kraków Główny", "Żubrówka 0,5 l"),
    ("Store A/B", 'Cable 1/2" #3'),
    ("東京 #1", "ノート+ペン"),
    ("São Paulo 50%", "Café 100% / Arábica"),
]


@pytest.mark.parametrize(("store", "item"), AWKWARD_NAMES)
@pytest.mark.parametrize("gateway", ["route", "catch-all"])
def test_names_with_slashes_hashes_and_any_script_round_trip(
    api: ApiWorld, store: str, item: str, gateway: str
) -> None:
    """Both event forms: API Gateway's (route key, decoded path and parameters) and a
    catch-all adapter's (percent-encoded rawPath)."""
    api.add_items(store, [(item, 0), ("Other", 9)])
    api.add_change(store, item, "2026-11-22T02:00:00.000Z", None, 4, "1")
    api.add_change(store, item, "2026-11-22T03:00:00.000Z", 4, 0, "2")
    api.add_upload(store, f"g/{item[:3]}.csv", received_at="2026-11-22T03:00:01.000Z")
    manager = __import__("tests.builders", fromlist=["api_claims"]).api_claims("m", stores=[store])
    route = gateway == "route"

    listing = api.get(items_path(store), manager, {"q": item[:4]}, route=ITEMS_ROUTE if route else None)
    history = api.get(
        f"{items_path(store)}/{quote(item, safe='')}/history", manager, route=HISTORY_ROUTE if route else None
    )
    stores = api.get("/stores", manager)
    alerts = api.get("/alerts", manager)
    uploads = api.get("/uploads", manager, {"store": store})

    assert listing.status == 200, listing.body
    assert listing.body["store"] == store
    assert [(entry["store"], entry["item"]) for entry in listing.body["items"]] == [(store, item)]
    assert history.status == 200, history.body
    assert (history.body["store"], history.body["item"]) == (store, item)
    assert [point["count"] for point in history.body["points"]] == [4, 0]
    assert stores.body["stores"][0]["store"] == store
    assert [(alert["store"], alert["item"]) for alert in alerts.body["alerts"]] == [(store, item)]
    assert uploads.status == 200, uploads.body
    assert [(u["store"], u["stores"]) for u in uploads.body["uploads"]] == [(store, [store])]


# -- alerts -------------------------------------------------------------------------------


def test_admin_alerts_cover_every_store_newest_first(lab: ApiWorld) -> None:
    answer = lab.get("/alerts", ADMIN)

    assert answer.status == 200
    assert [(alert["store"], alert["item"], alert["status"]) for alert in answer.body["alerts"]] == [
        ("Karachi", "Echo Dot", "out"),
        ("Karachi", "Echo Look", "low"),
        ("Berlin", "Amazon Tap", "low"),
        ("Berlin", "Echo Plus", "out"),
        ("Berlin", "Echo Show", "low"),
    ]
    assert answer.body["alerts"][0] == {
        "store": "Karachi",
        "item": "Echo Dot",
        "count": 0,
        "threshold": None,
        "status": "out",
        "updated_at": "2026-11-22T04:00:00.000Z",
    }


def test_berlin_manager_alerts_hold_no_karachi_item(lab: ApiWorld) -> None:
    answer = lab.get("/alerts", BERLIN_MANAGER)

    assert {alert["store"] for alert in answer.body["alerts"]} == {"Berlin"}
    assert len(answer.body["alerts"]) == 3


def test_alerts_status_filter(lab: ApiWorld) -> None:
    answer = lab.get("/alerts", ADMIN, {"status": "out"})

    assert [(alert["store"], alert["item"]) for alert in answer.body["alerts"]] == [
        ("Karachi", "Echo Dot"),
        ("Berlin", "Echo Plus"),
    ]


def test_alerts_read_only_the_alerts_index_never_the_whole_table(lab: ApiWorld) -> None:
    calls = lab.handler_calls("dynamodb")

    lab.get("/alerts", ADMIN)

    scans = [params["TableName"] for operation, params in calls if operation == "Scan"]
    queries = [(params["TableName"], params.get("IndexName")) for operation, params in calls if operation == "Query"]
    assert scans == ["inventory-ingest-test-stores"]  # the store list, one row per store
    assert queries == [("inventory-ingest-test-inventory", "AlertsByStore")] * 2


EXPRESSIONS = ("KeyConditionExpression", "FilterExpression", "ProjectionExpression", "ConditionExpression",
               "UpdateExpression")  # fmt: skip
# A bare name in an expression: not a #placeholder, a :value, a function call or an operator.
BARE_NAME = re.compile(r"(?<![#:\w])([A-Za-z_]\w*)(?!\w*\s*\()")
OPERATORS = {"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "ADD", "REMOVE", "DELETE"}


def test_items_and_alerts_name_no_reserved_word_bare_in_any_expression(lab: ApiWorld) -> None:
    """DynamoDB refuses a reserved word (Store, Item, Count...) used bare in any expression, key
    conditions included, with a ValidationException; moto checks key conditions for none of them."""
    reserved = {word.upper() for word in ReservedKeywords.get_reserved_keywords()}
    calls = lab.handler_calls("dynamodb")

    lab.get(items_path("Berlin"), ADMIN, route=ITEMS_ROUTE)
    for status in ("out", "low", "ok"):
        lab.get(items_path("Berlin"), ADMIN, {"status": status, "limit": "1"}, route=ITEMS_ROUTE)
    lab.get("/alerts", ADMIN)
    lab.get("/alerts", ADMIN, {"status": "low"})

    expressions = [params[key] for _, params in calls for key in EXPRESSIONS if key in params]
    assert any("#store" in expression for expression in expressions)
    bare = {
        name
        for expression in expressions
        for name in BARE_NAME.findall(expression)
        if name.upper() in reserved and name.upper() not in OPERATORS
    }
    assert not bare, f"reserved words used bare: {sorted(bare)}"


# -- history ------------------------------------------------------------------------------


def test_history_returns_changes_oldest_first_within_the_range(lab: ApiWorld) -> None:
    for n, (time, old, new) in enumerate(
        [
            ("2026-11-20T10:00:00.000Z", None, 10),
            ("2026-11-21T10:00:00.000Z", 10, 4),
            ("2026-11-21T10:00:00.000Z", 4, 2),  # same instant, later stream record
            ("2026-11-22T10:00:00.000Z", 2, 0),
        ]
    ):
        lab.add_change("Berlin", "Echo Plus", time, old, new, f"{n:05d}")
    path = "/stores/Berlin/items/Echo%20Plus/history"

    everything = lab.get(path, BERLIN_MANAGER, route=HISTORY_ROUTE)
    window = lab.get(
        path, BERLIN_MANAGER, {"from": "2026-11-21T10:00:00Z", "to": "2026-11-21T10:00:00Z"}, route=HISTORY_ROUTE
    )

    assert everything.status == 200
    assert everything.body["points"] == [
        {"time": "2026-11-20T10:00:00.000Z", "count": 10, "previous": None},
        {"time": "2026-11-21T10:00:00.000Z", "count": 4, "previous": 10},
        {"time": "2026-11-21T10:00:00.000Z", "count": 2, "previous": 4},
        {"time": "2026-11-22T10:00:00.000Z", "count": 0, "previous": 2},
    ]
    assert [point["count"] for point in window.body["points"]] == [4, 2]


def test_history_of_another_store_is_403(lab: ApiWorld) -> None:
    lab.add_change("Karachi", "Echo Dot", "2026-11-21T10:00:00.000Z", 3, 0, "1")

    answer = lab.get("/stores/Karachi/items/Echo%20Dot/history", BERLIN_MANAGER, route=HISTORY_ROUTE)

    assert answer.status == 403
    assert "points" not in answer.body


@pytest.mark.parametrize(
    "query",
    [{"from": "yesterday"}, {"to": "2026-13-40"}, {"from": "2026-11-22T00:00:00Z", "to": "2026-11-21T00:00:00Z"}],
)
def test_history_refuses_bad_times(lab: ApiWorld, query: dict[str, str]) -> None:
    answer = lab.get("/stores/Berlin/items/Echo%20Plus/history", ADMIN, query, route=HISTORY_ROUTE)

    assert answer.status == 400
    assert answer.body["error"]["code"] == "invalid_time"
    assert answer.body["error"]["message"]


# -- the contract ---------------------------------------------------------------------------


def test_local_prefix_api_is_accepted(lab: ApiWorld) -> None:
    assert lab.get("/api/stores", ADMIN).status == 200
