"""The events the local stack hands functions have the shapes AWS gives them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from werkzeug.test import Client

from devstack.jwt_auth import api_gateway_claims
from devstack.s3_events import lambda_record, next_sequencer
from devstack.web import Route, Site, _compile, _http_response, payload_v2

pytestmark = pytest.mark.unit


def test_s3_records_gain_the_fields_lambda_receives_and_keep_the_encoded_key() -> None:
    moto_record: dict[str, Any] = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-22T04:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "lambda-0",
            "bucket": {"name": "b", "arn": "arn:aws:s3:::b"},
            "object": {"key": "uploads/stock+list%2B1.csv", "size": 3, "eTag": "e", "versionId": "v1"},
        },
    }
    record = lambda_record(moto_record)
    assert record["s3"]["object"]["key"] == "uploads/stock+list%2B1.csv"
    assert record["s3"]["object"]["versionId"] == "v1"
    assert {"userIdentity", "requestParameters", "responseElements"} <= set(record)
    assert "ownerIdentity" in record["s3"]["bucket"]


def test_sequencers_increase_as_fixed_width_hex() -> None:
    first, second = next_sequencer(), next_sequencer()
    assert re.fullmatch(r"[0-9A-F]{16}", first)
    assert second > first


def test_claims_reach_the_function_as_the_http_api_passes_them() -> None:
    claims = {"sub": "u1", "cognito:groups": ["admin", "ops"], "exp": 1795320000, "email_verified": True}
    assert api_gateway_claims(claims) == {
        "sub": "u1",
        "cognito:groups": "[admin ops]",
        "exp": "1795320000",
        "email_verified": "true",
    }


def route(path: str, method: str = "GET") -> Route:
    return Route(method, path, runtime=None, authorizer=None, pattern=_compile(path))  # type: ignore[arg-type]


def test_routes_match_path_parameters_decoded() -> None:
    history = route("/stores/{store}/items/{item}/history")
    assert history.match("GET", "/stores/Berlin/items/Echo%20Dot/history") == {"store": "Berlin", "item": "Echo Dot"}
    assert history.match("POST", "/stores/Berlin/items/Echo%20Dot/history") is None
    assert history.match("GET", "/stores/Berlin/items") is None
    assert route("/{proxy+}", "ANY").match("DELETE", "/a/b") == {"proxy": "a/b"}


def test_literal_routes_win_over_parameters_and_greedy_paths() -> None:
    routes = sorted(
        [route("/{proxy+}", "ANY"), route("/stores/{store}"), route("/stores/openapi")],
        key=lambda r: r.specificity,
        reverse=True,
    )
    assert [r.path for r in routes] == ["/stores/openapi", "/stores/{store}", "/{proxy+}"]


def test_payload_v2_event_carries_route_query_and_jwt_claims() -> None:
    items = route("/stores/{store}/items")
    event = payload_v2(
        items,
        "GET",
        "/stores/Berlin/items",
        "status=out&q=echo&q=dot",
        {"Host": "127.0.0.1:8000", "Authorization": "Bearer t", "Cookie": "a=1; b=2"},
        b"",
        {"store": "Berlin"},
        {"sub": "u1", "cognito:groups": ["admin"]},
        "127.0.0.1",
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /stores/{store}/items"
    assert event["rawPath"] == "/stores/Berlin/items"
    assert event["queryStringParameters"] == {"status": "out", "q": "echo,dot"}
    assert event["pathParameters"] == {"store": "Berlin"}
    assert event["headers"]["authorization"] == "Bearer t"
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["authorizer"]["jwt"]["claims"] == {"sub": "u1", "cognito:groups": "[admin]"}
    assert "body" not in event


def test_function_results_become_responses_by_payload_v2_rules() -> None:
    status, headers, body, cookies = _http_response(
        {"statusCode": 403, "headers": {"Content-Type": "application/json"}, "body": '{"error":1}', "cookies": ["c=1"]}
    )
    assert (status, headers["Content-Type"], body, cookies) == (403, "application/json", b'{"error":1}', ["c=1"])
    assert _http_response({"stores": []})[:3] == (200, {"Content-Type": "application/json"}, b'{"stores": []}')


class EchoFunction:
    """Stands in for a function's execution environments: answers with what its event says of the path."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
        self.events.append(event)
        return {"statusCode": 200, "body": json.dumps({"store": event["pathParameters"]["store"]})}


@pytest.mark.parametrize(
    ("sent", "store"),
    [
        ("/api/stores/Aisle%203%2F4/items", "Aisle 3/4"),
        ("/api/stores/Karachi%2F..%2FBerlin/items", "Karachi/../Berlin"),
        ("/api/stores/%252F/items", "%2F"),  # a literal "%2F" in the name
    ],
)
def test_the_local_api_routes_on_the_path_as_sent_so_an_encoded_slash_stays_in_its_parameter(
    sent: str, store: str
) -> None:
    # Given the local /api with one route, as API Gateway routes: on the still-encoded path
    function = EchoFunction()
    path = "/stores/{store}/items"
    site = Site({}, [Route("GET", path, function, None, _compile(path))], None)  # type: ignore[arg-type]

    # When a store name holding a slash is asked for, encoded as the dashboard encodes it
    response = Client(site).get(sent, headers={"Host": "127.0.0.1:8000"})

    # Then the function answers (not the gateway's 404), with the whole name as the parameter
    assert response.status_code == 200, response.get_data(as_text=True)
    assert json.loads(response.get_data()) == {"store": store}
    assert function.events[0]["rawPath"] == sent.removeprefix("/api")
    assert function.events[0]["routeKey"] == "GET /stores/{store}/items"
