"""``inventory.fast_calls``: the endpoint's parameters, the user agent and the prepared request as botocore
builds them, for less CPU.

Two real clients make the same calls, one with the fast steps and one with botocore's; a ``before-send``
hook takes each request where the network would, so what is compared is what would go over the wire
(URL, headers, the user agent with the features each call used, the signature).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from typing import Any

import boto3
import botocore
import botocore.auth
import pytest
from botocore import useragent
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.endpoint import Endpoint
from botocore.regions import EndpointRulesetResolver
from inventory import fast_calls
from inventory.fast_calls import Prepare, ProviderParams, UserAgent, use_fast_calls
from inventory.fast_signing import FastAuthInstances

pytestmark = pytest.mark.unit

#: Headers botocore adds per call after signing (unsigned): a new id each call.
PER_CALL = {"amz-sdk-invocation-id"}
KEY = {"Store": {"S": "Berlin"}, "Item": {"S": "Echo Dot"}}


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both clients sign at the same moment, so their signatures can be compared."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: datetime.datetime(2026, 11, 22, 3, 0, 7))


class _Body:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.content


class Wire:
    """The end of the wire: keeps each request and answers it."""

    def __init__(self, client: Any) -> None:
        self.requests: list[Any] = []
        self.throttle = 0  # calls answered "throttled" first
        client.meta.events.register("before-send", self._send)

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        self.requests.append(request)
        if self.throttle:
            self.throttle -= 1
            body = b'{"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "slow down"}'
            return AWSResponse(request.url, 400, {"content-type": "application/x-amz-json-1.0"}, _Body(body))
        if "sns" in request.url:
            body = b"<PublishResponse><PublishResult><MessageId>m</MessageId></PublishResult></PublishResponse>"
            return AWSResponse(request.url, 200, {"content-type": "text/xml"}, _Body(body))
        return AWSResponse(request.url, 200, {"content-type": "application/x-amz-json-1.0"}, _Body(b"{}"))

    def sent(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            (request.url, {name: value for name, value in request.headers.items() if name not in PER_CALL})
            for request in self.requests
        ]


def _clients(service: str = "dynamodb", **options: Any) -> tuple[Any, Wire, Any, Wire]:
    """A client with the fast steps and one with botocore's, each with its wire."""
    made = []
    for fast in (True, False):
        session = boto3.Session(region_name="eu-central-1", aws_access_key_id="AKIDTEST", aws_secret_access_key="s")
        client = session.client(service, config=Config(retries={"mode": "standard"}), **options)
        if fast:
            assert use_fast_calls(client)
            assert isinstance(client._ruleset_resolver._get_provider_params, ProviderParams)
            assert isinstance(client._user_agent_creator.to_string, UserAgent)
            assert isinstance(client._endpoint.prepare_request, Prepare)
        made.append((client, Wire(client)))
    (fast_client, fast_wire), (plain, plain_wire) = made
    return fast_client, fast_wire, plain, plain_wire


def _dynamodb_calls(client: Any) -> None:
    client.put_item(
        TableName="History",
        Item=KEY,
        ConditionExpression="attribute_not_exists(#k)",
        ExpressionAttributeNames={"#k": "Store"},
    )
    client.get_item(TableName="arn:aws:dynamodb:eu-central-1:123456789012:table/Forecast", Key=KEY)
    client.batch_get_item(RequestItems={"Forecast": {"Keys": [KEY]}, "Inventory": {"Keys": [KEY]}})
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "History", "Item": KEY}},
            {
                "Update": {
                    "TableName": "Stores",
                    "Key": KEY,
                    "UpdateExpression": "SET #a = :a",
                    "ExpressionAttributeNames": {"#a": "A"},
                    "ExpressionAttributeValues": {":a": {"N": "1"}},
                }
            },
        ],
        ClientRequestToken="token-1",
    )
    client.query(TableName="History", KeyConditionExpression="#k = :k", ExpressionAttributeNames={"#k": "Store"},
                 ExpressionAttributeValues={":k": {"S": "Berlin"}})  # fmt: skip


@pytest.mark.parametrize("endpoint_url", [None, "http://127.0.0.1:4566"])
def test_dynamodb_calls_go_out_as_botocore_sends_them(endpoint_url: str | None) -> None:
    """On AWS and on the local emulator (``AWS_ENDPOINT_URL``): the same URLs and headers, the user agent
    with the same features and the signature included."""
    fast, fast_wire, plain, plain_wire = _clients(endpoint_url=endpoint_url)
    for client in (fast, plain):
        _dynamodb_calls(client)
        _dynamodb_calls(client)  # the second time from what was kept
    assert fast_wire.sent() == plain_wire.sent()
    assert len(fast_wire.sent()) == 10
    assert fast_wire.sent()[0][0] == f"{endpoint_url or 'https://dynamodb.eu-central-1.amazonaws.com'}/"


def test_sns_publishes_go_out_as_botocore_sends_them() -> None:
    fast, fast_wire, plain, plain_wire = _clients("sns")
    for client in (fast, plain):
        client.publish(TopicArn="arn:aws:sns:eu-central-1:123456789012:alerts", Message="Out: Echo Dot")
    assert fast_wire.sent() == plain_wire.sent()
    assert fast_wire.sent()[0][0] == "https://sns.eu-central-1.amazonaws.com/"


def test_a_handler_that_moves_the_endpoint_per_call_still_does() -> None:
    """``before-endpoint-resolution`` runs on every call, with the fast parameters too (here: another region)."""
    fast, fast_wire, plain, plain_wire = _clients()

    def to_paris(builtins: dict[str, Any], **_: Any) -> None:
        builtins["AWS::Region"] = "eu-west-3"

    for client in (fast, plain):
        client.get_item(TableName="History", Key=KEY)
        client.meta.events.register("before-endpoint-resolution.dynamodb", to_paris)
        client.get_item(TableName="History", Key=KEY)
    assert fast_wire.sent() == plain_wire.sent()
    assert [url for url, _ in fast_wire.sent()] == [
        "https://dynamodb.eu-central-1.amazonaws.com/",
        "https://dynamodb.eu-west-3.amazonaws.com/",
    ]


def test_features_a_call_uses_are_named_in_its_user_agent() -> None:
    """The user agent's ``m/...`` part follows each call's features (here one that only some calls use)."""
    fast, fast_wire, plain, plain_wire = _clients()
    for client in (fast, plain):
        client.get_item(TableName="History", Key=KEY)
        with botocore.context.start_as_current_context():
            useragent.register_feature_id("WAITER")
            client.get_item(TableName="History", Key=KEY)
    assert fast_wire.sent() == plain_wire.sent()
    first, second = (headers["User-Agent"] for _, headers in fast_wire.sent())
    assert first != second


def test_a_customized_user_agent_hook_gets_botocores_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """``botocore.useragent.modify_components`` (a hook to edit the components): applied on every call."""
    fast, fast_wire, plain, plain_wire = _clients()
    monkeypatch.setattr(useragent, "modify_components", lambda components: components[:1])
    for client in (fast, plain):
        client.get_item(TableName="History", Key=KEY)
    assert fast_wire.sent() == plain_wire.sent()
    assert fast_wire.sent()[0][1]["User-Agent"].startswith(b"Boto3/1.44.5 PT/")  # Powertools' part follows


def _client_context_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(EndpointRulesetResolver, "_resolve_param_from_context", lambda self, *args, **kwargs: None)


def _features_renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    original = useragent.UserAgentString._build_feature_metadata

    def renamed(self: Any) -> Any:
        return [part._replace(prefix="metrics") for part in original(self)]

    monkeypatch.setattr(useragent.UserAgentString, "_build_feature_metadata", renamed)


def _headers_left_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Endpoint, "_encode_headers", lambda self, headers: None)


def test_the_alerts_dynamodb_client_sends_what_botocore_alone_sends_retries_included(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every fast step together (JSON, endpoint, user agent, preparing, signing) against a client of the
    same settings with botocore's steps only; throttled twice, each retry prepared and signed anew."""
    from alerts.dal.clients import DYNAMODB_CONFIG, Clients

    monkeypatch.setattr(time, "sleep", lambda _: None)  # botocore's backoff between tries
    session = boto3.Session(region_name="eu-central-1", aws_access_key_id="AKIDTEST", aws_secret_access_key="s")
    fast = Clients(session).dynamodb()
    plain = session.client("dynamodb", config=DYNAMODB_CONFIG)
    wires = [Wire(fast), Wire(plain)]
    for client, wire in zip((fast, plain), wires, strict=True):
        wire.throttle = 2
        _dynamodb_calls(client)
    assert wires[0].sent() == wires[1].sent()
    assert len(wires[0].sent()) == 7
    assert wires[0].requests[2].headers["amz-sdk-request"] == b"attempt=3; max=6"


@pytest.mark.parametrize("botocore_change", [_client_context_ignored, _features_renamed, _headers_left_as_text])
def test_a_botocore_that_differs_keeps_its_own_steps(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, botocore_change: Any
) -> None:
    # Given a botocore that gathers the endpoint's parameters or writes the features otherwise
    botocore_change(monkeypatch)
    session = boto3.Session(region_name="eu-central-1", aws_access_key_id="AKIDTEST", aws_secret_access_key="s")
    client = session.client("dynamodb")

    # When the fast steps are asked for, the self-check refuses them, and says so
    assert not use_fast_calls(client)
    assert "Calls keep botocore's own steps" in caplog.text

    # And the client is as botocore made it
    assert not isinstance(client._ruleset_resolver._get_provider_params, ProviderParams)
    assert not isinstance(client._user_agent_creator.to_string, UserAgent)
    assert not isinstance(client._endpoint.prepare_request, Prepare)


def test_the_alerts_clients_take_the_fast_steps_and_sign_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    from alerts.dal.clients import Clients

    for name, value in {
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    clients = Clients()
    for client in (clients.dynamodb(), clients.sns()):
        assert isinstance(client._ruleset_resolver._get_provider_params, ProviderParams)
        assert isinstance(client._request_signer.get_auth_instance, FastAuthInstances)


def test_the_self_check_covers_every_operation_the_services_call() -> None:
    """Each DynamoDB operation the fast JSON serializes or reads, and SNS Publish."""
    from inventory import fast_json

    checked = {operation for operation, _ in fast_calls.SAMPLES["dynamodb"]}
    assert checked >= fast_json.REQUESTS | fast_json.READS
    assert {operation for operation, _ in fast_calls.SAMPLES["sns"]} == {"Publish"}


def test_the_fast_calls_are_taken_on_the_botocore_they_were_proven_against() -> None:
    """On a botocore upgrade: re-run this file and bench's alerts CPU row, then move the pin."""
    assert botocore.__version__ == fast_calls.PROVEN_BOTOCORE
    session = boto3.Session(region_name="eu-central-1", aws_access_key_id="AKIDTEST", aws_secret_access_key="s")
    for service in ("dynamodb", "sns"):
        assert use_fast_calls(session.client(service)) is True
