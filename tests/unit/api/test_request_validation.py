"""Query and path parameters are checked before any read, and every refusal has the stable shape."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from dashboard_api.handlers import alerts, history, stores, uploads
from dashboard_api.handlers.api import handler, routed

from tests.builders import LambdaContext, api_claims, api_event

pytestmark = pytest.mark.unit

MANAGER = api_claims("berlin-manager", stores=["Berlin"])


class RecordingDashboard:
    """Stands in for the wired dashboard: records what reached the logic, answers empty."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            from dashboard_api.models.api import HistoryResponse, ItemsPage, UploadGrant, UploadsPage

            self.calls.append((name, args, kwargs))
            if name == "items":
                return ItemsPage(store=args[1], items=[], next_cursor=None)
            if name == "history":
                return HistoryResponse(store=args[1], item=args[2], points=[])
            if name in ("uploads", "upload"):
                return UploadsPage(uploads=[], next_cursor=None, report=None)
            if name in ("for_store", "for_head_office"):
                return UploadGrant(url="u", fields={}, key="k", expires_at="t", max_bytes=1)
            return []

        return call


@dataclass
class RecordingServices:
    uploads: RecordingDashboard
    grants: RecordingDashboard


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> RecordingDashboard:
    fake = RecordingDashboard()
    for module in (stores, alerts, history):
        monkeypatch.setattr(module, "dashboard", lambda: fake)
    monkeypatch.setattr(uploads, "services", lambda: RecordingServices(fake, fake))
    return fake


def call(
    path: str,
    query: dict[str, str] | None = None,
    route: str | None = None,
    *,
    method: str = "GET",
    body: str | None = None,
) -> tuple[int, dict[str, Any]]:
    event = api_event(path, claims=MANAGER, query=query, route=route, method=method)
    if body is not None:
        event["body"] = body
        event["headers"]["content-type"] = "application/json"
    response = handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"status": "broken"}, "status"),
        ({"q": "q" * 201}, "q"),
        ({"cursor": "c" * 4097}, "cursor"),
    ],
)
def test_bad_item_parameters_are_422_before_the_logic_runs(
    recorded: RecordingDashboard, query: dict[str, str], parameter: str
) -> None:
    status, body = call("/stores/Berlin/items", query)

    assert status == 422
    assert body["error"]["code"] == "invalid_parameter"
    assert f"`{parameter}`" in body["error"]["message"]
    assert recorded.calls == []


def test_good_parameters_reach_the_logic_decoded(recorded: RecordingDashboard) -> None:
    status, _ = call("/stores/A%2FB%20%23%C3%BC/items", {"status": "low", "q": "echo", "limit": "500"})

    assert status == 200
    name, args, kwargs = recorded.calls[0]
    assert (name, args[1]) == ("items", "A/B #ü")
    assert (kwargs["status"].value, kwargs["query"], kwargs["limit"], kwargs["cursor"]) == ("low", "echo", 500, None)


def test_history_from_and_to_arrive_under_their_public_names(recorded: RecordingDashboard) -> None:
    status, _ = call("/stores/Berlin/items/Echo%2B/history", {"from": "2026-11-01", "to": "2026-11-02"})

    assert status == 200
    assert recorded.calls[0][1][1:] == ("Berlin", "Echo+", "2026-11-01", "2026-11-02")


def test_routing_uses_the_route_key_when_api_gateway_decoded_the_path() -> None:
    event = api_event("/stores/A%2FB/items/C%2FD/history", claims=MANAGER, route="/stores/{store}/items/{item}/history")
    assert event["rawPath"] == "/stores/A/B/items/C/D/history"  # what an HTTP API hands over

    assert routed(event)["rawPath"] == "/stores/A%2FB/items/C%2FD/history"


def test_catch_all_events_keep_their_encoded_path() -> None:
    event = api_event("/api/stores/A%2FB/items", claims=MANAGER)

    assert routed(event) is event


def test_an_unexpected_failure_is_a_json_500_without_a_trace(
    recorded: RecordingDashboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode() -> Any:
        raise RuntimeError("secret internals /var/task/x.py")

    monkeypatch.setattr(stores, "dashboard", explode)

    status, body = call("/stores")

    assert status == 500
    assert body == {
        "error": {"status": 500, "code": "internal_error", "message": "the request failed; it has been logged"}
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{}", "filename"),
        ('{"filename": "a.csv"}', "size"),
        ('{"filename": "a.csv", "size": 0}', "size"),
        ('{"filename": "a.csv", "size": -5}', "size"),
        ('{"filename": "a.csv", "size": "12"}', "size"),
        ('{"filename": "a.csv", "size": true}', "size"),
        ('{"filename": "a.csv", "size": 1.5}', "size"),
        ('{"filename": "", "size": 10}', "filename"),
        ('{"filename": 7, "size": 10}', "filename"),
        ('{"filename": "' + "x" * 300 + '.csv", "size": 10}', "filename"),
    ],
)
def test_a_grant_request_of_the_wrong_shape_is_422_naming_the_field(
    recorded: RecordingDashboard, body: str, field: str
) -> None:
    for path in ("/stores/Berlin/uploads", "/uploads"):
        status, answer = call(path, method="POST", body=body)

        assert status == 422, (path, answer)
        assert answer["error"]["code"] == "invalid_parameter"
        assert f"`{field}`" in answer["error"]["message"]
    assert recorded.calls == []


@pytest.mark.parametrize("body", ["", "not json", "[1, 2]", '{"filename": "a.csv", "size": 10'])
def test_a_grant_request_that_is_not_a_json_object_is_4xx_with_a_message(
    recorded: RecordingDashboard, body: str
) -> None:
    status, answer = call("/stores/Berlin/uploads", method="POST", body=body)

    assert 400 <= status < 500
    assert answer["error"]["message"]
    assert recorded.calls == []


def test_a_good_grant_request_reaches_the_logic_with_the_decoded_store(recorded: RecordingDashboard) -> None:
    status, _ = call("/stores/A%2FB%20%23%C3%BC/uploads", method="POST", body='{"filename": "x.csv", "size": 10}')

    assert status == 201
    name, args, _ = recorded.calls[0]
    assert (name, args[1:]) == ("for_store", ("A/B #ü", "x.csv", 10))


@pytest.mark.parametrize(
    "query",
    [{"key": "uploads/x.csv", "cursor": "c"}, {"key": "uploads/x.csv", "store": "Berlin"}, {"version": "v"}],
)
def test_uploads_parameters_that_do_not_go_together_are_400(
    recorded: RecordingDashboard, query: dict[str, str]
) -> None:
    status, answer = call("/uploads", query)

    assert status == 400
    assert answer["error"]["code"] == "invalid_parameter_combination"
    assert recorded.calls == []
