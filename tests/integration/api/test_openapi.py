"""The OpenAPI document: valid, every route's success modelled, and true to what the API really answers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from inventory.models import iso_utc
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from tests.integration.api.conftest import ADMIN, BERLIN_MANAGER, ApiWorld, _api_world, _seed_lab

pytestmark = pytest.mark.integration

#: What API Gateway and the local stack's adapter answer by themselves (devstack/web.py sends the same).
GATEWAY_UNAUTHORIZED = {"message": "Unauthorized"}
GATEWAY_THROTTLED = {"message": "Too Many Requests"}


@pytest.fixture(scope="module")
def world() -> Iterator[ApiWorld]:
    with _api_world() as api:
        _seed_lab(api)
        api.add_change("Berlin", "Echo Plus", "2026-11-22T02:00:00.000Z", 3, 0, "1")
        # Counted a day ago: a forecast of an item no file listed for the stage's stale days is none.
        counted = iso_utc(datetime.now(UTC) - timedelta(days=1))
        api.add_forecast("Berlin", "Echo Dot", 12, 4, counted)
        api.add_forecast("Berlin", "Amazon Tap", 15, None, counted)  # a row without a forecast
        api.add_forecast("Karachi", "Echo Dot", 400, None, counted)  # surplus for Berlin
        api.add_upload("Berlin", "g/berlin.csv", received_at="2026-11-22T01:00:00.000Z")
        api.add_upload(None, "g/all.csv", received_at="2026-11-22T02:00:00.000Z", uploaded_by=None)
        yield api


@pytest.fixture(scope="module")
def document(world: ApiWorld) -> dict[str, Any]:
    answer = world.get("/openapi.json", BERLIN_MANAGER)
    assert answer.status == 200
    return answer.body


def schema_for(document: dict[str, Any], path: str, method: str, status: int) -> Draft202012Validator:
    """A validator for one documented response body; references resolve within the document."""
    response = document["paths"][path][method]["responses"][str(status)]
    schema = {**response["content"]["application/json"]["schema"], "components": document["components"]}
    return Draft202012Validator(schema)


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_every_route_documents_its_success_response_with_a_schema(document: dict[str, Any]) -> None:
    operations = {(path, method) for path, item in document["paths"].items() for method in item}

    assert operations == {
        ("/stores", "get"),
        ("/stores/{store}/items", "get"),
        ("/stores/{store}/items/{item}", "get"),
        ("/stores/{store}/settings", "put"),
        ("/stores/{store}/items/{item}/history", "get"),
        ("/alerts", "get"),
        ("/stores/{store}/forecast", "get"),
        ("/forecast", "get"),
        ("/stores/{store}/reorder", "get"),
        ("/reorder", "get"),
        ("/transfers", "get"),
        ("/uploads", "get"),
        ("/uploads", "post"),
        ("/uploads/confirm", "post"),
        ("/uploads/discard", "post"),
        ("/uploads/undo", "post"),
        ("/stores/{store}/uploads", "post"),
        ("/subscriptions", "get"),
        ("/subscriptions", "post"),
        ("/subscriptions/{subscription_id}", "delete"),
        ("/subscriptions/{subscription_id}/verify", "post"),
        ("/subscriptions/{subscription_id}/code", "post"),
        ("/users", "get"),
        ("/users", "post"),
        ("/users/{username}", "get"),
        ("/users/{username}", "delete"),
        ("/users/{username}/access", "put"),
        ("/users/{username}/disable", "post"),
        ("/users/{username}/enable", "post"),
        ("/users/{username}/reset-password", "post"),
        ("/session/sign-out", "post"),
        ("/session/mfa-enrolled", "post"),
    }
    created = {
        ("/uploads", "post"),
        ("/stores/{store}/uploads", "post"),
        ("/subscriptions", "post"),
        ("/users", "post"),
    }
    for path, method in operations:
        responses = document["paths"][path][method]["responses"]
        if path.startswith("/session/"):
            assert responses["204"]["content"] == {}  # done: no body
            continue
        if method == "delete" and path.startswith("/subscriptions"):
            assert responses["204"]["content"] == {}  # unsubscribed: no body
            assert responses["202"]["content"]["application/json"]["schema"]["$ref"]  # SNS holds it pending
            continue
        accepted = path.endswith("/code") or path in {"/uploads/confirm", "/uploads/discard", "/uploads/undo"}
        success = "201" if (path, method) in created else "202" if accepted else "200"
        assert responses[success]["content"]["application/json"]["schema"]["$ref"], (path, method)
        for status in ("401", "429", "500", "503"):
            assert status in responses, (path, method, status)


SUCCESSES = [
    ("get", "/stores", "/stores", {}, None, 200),
    ("get", "/stores/Berlin/items", "/stores/{store}/items", {"limit": "2"}, None, 200),
    ("get", "/stores/Berlin/items/Echo%20Dot", "/stores/{store}/items/{item}", {}, None, 200),
    ("put", "/stores/Berlin/settings", "/stores/{store}/settings", {}, {"full_list": True}, 200),
    ("get", "/stores/Berlin/items/Echo%20Plus/history", "/stores/{store}/items/{item}/history", {}, None, 200),
    ("get", "/alerts", "/alerts", {}, None, 200),
    ("get", "/stores/Berlin/forecast", "/stores/{store}/forecast", {}, None, 200),
    ("get", "/forecast", "/forecast", {"within_days": "30"}, None, 200),
    ("get", "/stores/Berlin/reorder", "/stores/{store}/reorder", {}, None, 200),
    ("get", "/reorder", "/reorder", {}, None, 200),
    ("get", "/transfers", "/transfers", {}, None, 200),
    ("get", "/uploads", "/uploads", {}, None, 200),
    ("get", "/uploads", "/uploads", {"key": "uploads/stores/Berlin/g/berlin.csv"}, None, 200),
    ("post", "/uploads", "/uploads", {}, {"filename": "all.csv", "size": 10}, 201),
    ("post", "/stores/Berlin/uploads", "/stores/{store}/uploads", {}, {"filename": "b.csv", "size": 10}, 201),
    (
        "post",
        "/subscriptions",
        "/subscriptions",
        {},
        {"protocol": "sms", "endpoint": "+4915112345678", "stores": ["Berlin"], "severities": ["out"]},
        201,
    ),
    ("get", "/subscriptions", "/subscriptions", {"all": "true"}, None, 200),
    ("get", "/users", "/users", {}, None, 200),
    # <user>: a user of the case's own (created first where the route needs one), so each case stands alone
    ("post", "/users", "/users", {}, {"username": "<user>", "email": "<user>@example.com", "stores": ["Berlin"]}, 201),
    ("get", "/users/<user>", "/users/{username}", {}, None, 200),
    ("put", "/users/<user>/access", "/users/{username}/access", {}, {"stores": ["Karachi"]}, 200),
    ("post", "/users/<user>/reset-password", "/users/{username}/reset-password", {}, None, 200),
    ("post", "/users/<user>/disable", "/users/{username}/disable", {}, None, 200),
    ("post", "/users/<user>/enable", "/users/{username}/enable", {}, None, 200),
    ("delete", "/users/<user>", "/users/{username}", {}, None, 200),
]


@pytest.mark.parametrize(("method", "path", "route", "query", "body", "status"), SUCCESSES, ids=str)
def test_each_routes_real_success_answer_matches_its_documented_schema(
    world: ApiWorld,
    document: dict[str, Any],
    method: str,
    path: str,
    route: str,
    query: dict[str, str],
    body: dict[str, Any] | None,
    status: int,
) -> None:
    user = f"doc-{uuid.uuid4().hex[:8]}"
    if "<user>" in path:
        person = {"username": user, "email": f"{user}@example.com", "stores": ["Berlin"]}
        created = world.call("POST", "/users", ADMIN, route="/users", body=json.dumps(person))
        assert created.status == 201, created.body
    path = path.replace("<user>", user)
    sent = None if body is None else json.dumps(body).replace("<user>", user)
    answer = world.call(method.upper(), path, ADMIN, query=query, route=route, body=sent)

    assert answer.status == status, answer.body
    errors = sorted(schema_for(document, route, method, status).iter_errors(answer.body), key=str)
    assert not errors, [error.message for error in errors]
    assert answer.body  # an empty object would match a lax schema: the answer must hold data
    if route in ("/stores/{store}/forecast", "/forecast", "/stores/{store}/reorder", "/reorder", "/transfers"):
        assert answer.body["items"]  # an empty list would match any item schema
    if route == "/stores/{store}/items":
        assert any(entry["days_left"] is not None for entry in answer.body["items"])
    if route == "/stores/{store}/items/{item}":
        assert answer.body["forecast"]  # the nullable field is really exercised
    if path == "/uploads" and query.get("key"):
        assert answer.body["report"]  # the nullable field is really exercised


def test_the_documented_error_shapes_are_the_ones_really_sent(world: ApiWorld, document: dict[str, Any]) -> None:
    access_token = {**{k: v for k, v in BERLIN_MANAGER.items() if k != "aud"}, "token_use": "access"}
    forbidden = world.get("/stores/Karachi/items", BERLIN_MANAGER, route="/stores/{store}/items")
    invalid = world.get("/stores/Berlin/items", BERLIN_MANAGER, {"limit": "0"}, route="/stores/{store}/items")
    function_401 = world.get("/stores", access_token)

    assert (forbidden.status, invalid.status, function_401.status) == (403, 422, 401)
    route = "/stores/{store}/items"
    assert schema_for(document, route, "get", 403).is_valid(forbidden.body)
    assert schema_for(document, route, "get", 422).is_valid(invalid.body)
    unauthorized = schema_for(document, "/stores", "get", 401)
    assert unauthorized.is_valid(function_401.body)
    assert unauthorized.is_valid(GATEWAY_UNAUTHORIZED)  # the JWT authorizer's own answer
    assert schema_for(document, "/stores", "get", 429).is_valid(GATEWAY_THROTTLED)
    assert not unauthorized.is_valid({"detail": "Unauthorized"})  # the schema is not a catch-all


def test_a_phone_numbers_code_route_answers_as_documented(world: ApiWorld, document: dict[str, Any]) -> None:
    """Texted, verified (each answer valid against its schema), and a second code too soon: 429 with Retry-After."""
    number = "+4915112349999"
    body = {"protocol": "sms", "endpoint": number, "stores": ["Berlin"], "severities": ["out"]}
    created = world.call("POST", "/subscriptions", ADMIN, route="/subscriptions", body=json.dumps(body))
    subscription = created.body["id"]
    again = world.call(
        "POST", f"/subscriptions/{subscription}/code", ADMIN, route="/subscriptions/{subscription_id}/code"
    )
    code = json.dumps({"code": world.people.texted_code(number)})
    verify = "/subscriptions/{subscription_id}/verify"
    verified = world.call("POST", f"/subscriptions/{subscription}/verify", ADMIN, route=verify, body=code)

    assert (created.status, again.status, verified.status) == (201, 429, 200)
    assert schema_for(document, "/subscriptions", "post", 201).is_valid(created.body)
    assert schema_for(document, "/subscriptions/{subscription_id}/code", "post", 429).is_valid(again.body)
    headers = document["paths"]["/subscriptions/{subscription_id}/code"]["post"]["responses"]["429"]["headers"]
    assert "Retry-After" in headers
    assert int(again.headers["Retry-After"]) >= 1
    assert schema_for(document, verify, "post", 200).is_valid(verified.body)
    assert verified.body["status"] == "confirmed"


def test_the_document_names_the_server_it_was_fetched_from(world: ApiWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard_api.handlers.context import services

    deployed = world.get("/openapi.json", BERLIN_MANAGER).body["servers"]
    monkeypatch.setenv("API_SERVER_URL", "/api")  # the local stack's stage parameter
    services.cache_clear()
    try:
        local = world.get("/openapi.json", BERLIN_MANAGER).body["servers"]
    finally:
        services.cache_clear()

    assert deployed == [{"url": "https://dashboardapi.execute-api.us-east-1.amazonaws.com"}]
    assert local == [{"url": "/api"}]


def test_the_document_is_behind_the_authorizer_too(world: ApiWorld) -> None:
    assert world.get("/openapi.json", None).status == 401
