"""``inventory.fast_json``: DynamoDB's requests and answers without botocore's walks, to the same bytes and results.

The tests drive two real boto3 clients, one with the fast JSON and one with botocore's steps only; a
``before-send`` hook takes each signed request where the network would and answers it, so what is
compared is what would go over the wire and what the caller gets back.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import boto3
import botocore
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ParamValidationError
from botocore.parsers import BaseJSONParser
from botocore.regions import EndpointRulesetResolver
from botocore.serialize import JSONSerializer
from botocore.validate import ParamValidationDecorator
from hypothesis import given, settings
from hypothesis import strategies as st
from inventory import fast_json
from inventory.fast_json import FastSerializer, TableNames, use_fast_json

pytestmark = pytest.mark.unit

#: Headers that differ from one call to the next whatever builds the request.
PER_CALL = {"X-Amz-Date", "Authorization", "amz-sdk-invocation-id", "amz-sdk-request"}
KEY = {"Store": {"S": "Berlin"}, "Item": {"S": "Echo Dot"}}

texts = st.text(max_size=8)
numbers = st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)


def _values(blob: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Attribute values of every kind, nested ones included, with binary ones drawn from ``blob``."""
    return st.recursive(
        st.one_of(
            texts.map(lambda text: {"S": text}),
            numbers.map(lambda number: {"N": number}),
            blob.map(lambda data: {"B": data}),
            st.lists(texts, min_size=1, max_size=3, unique=True).map(lambda texts: {"SS": texts}),
            st.lists(numbers, min_size=1, max_size=3, unique=True).map(lambda numbers: {"NS": numbers}),
            st.lists(blob, min_size=1, max_size=3, unique=True).map(lambda blobs: {"BS": blobs}),
            st.just({"NULL": True}),
            st.booleans().map(lambda flag: {"BOOL": flag}),
        ),
        lambda inner: st.one_of(
            st.dictionaries(texts, inner, max_size=3).map(lambda members: {"M": members}),
            st.lists(inner, max_size=3).map(lambda elements: {"L": elements}),
        ),
        max_leaves=6,
    )


#: Items as boto3 takes them (binary as bytes) and as DynamoDB answers them (binary as base64 text).
items = st.dictionaries(texts, _values(st.binary(max_size=8)), min_size=1, max_size=5)
wire_items = st.dictionaries(
    texts, _values(st.binary(max_size=8).map(lambda data: base64.b64encode(data).decode())), min_size=1, max_size=5
)
tables = st.sampled_from(["History", "arn:aws:dynamodb:us-east-1:123456789012:table/Forecast"])


class _Body:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.content


class Wire:
    """The end of the wire: keeps each signed request and answers with ``answer`` as JSON."""

    def __init__(self, client: Any) -> None:
        self.answer: Any = {}
        self.requests: list[Any] = []
        client.meta.events.register("before-send.dynamodb", self._send)

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        self.requests.append(request)
        headers = {"x-amzn-requestid": "test", "content-type": "application/x-amz-json-1.0"}
        body = json.dumps(self.answer, separators=(",", ":"), ensure_ascii=False).encode()
        return AWSResponse(request.url, 200, headers, _Body(body))

    def sent(self) -> tuple[str, str, bytes, dict[str, Any]]:
        """The last request; botocore's idempotency token (a new one per call) in the body made a constant."""
        request = self.requests[-1]
        headers = {name: value for name, value in request.headers.items() if name not in PER_CALL}
        # The features the user agent names (m/...) come from a set: the same ones in either order.
        headers["User-Agent"] = re.sub(
            rb"m/([\w,]+)", lambda found: b"m/" + b",".join(sorted(found[1].split(b","))), headers["User-Agent"]
        )
        body = re.sub(rb'"ClientRequestToken": "[0-9a-f-]{36}"', b'"ClientRequestToken": "token"', request.body)
        return request.method, request.url, body, headers


def _client(*, validating: bool = False) -> Any:
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    return session.client("dynamodb", config=Config(parameter_validation=validating))


@cache
def _pair() -> tuple[tuple[Any, Wire], tuple[Any, Wire]]:
    """(a client with the fast JSON, one with botocore's steps only), each with its wire."""
    fast, plain = _client(), _client()
    assert use_fast_json(fast)
    assert isinstance(fast._serializer, FastSerializer)  # the self-check passed and the steps were taken
    return (fast, Wire(fast)), (plain, Wire(plain))


def _both(call: Callable[[Any], Any], answer: Any = None) -> tuple[Any, Any]:
    """What ``call`` returns from either client, after checking both sent the same signed request."""
    results = []
    for client, wire in _pair():
        wire.answer = {} if answer is None else answer
        results.append(call(client))
    (_, fast), (_, plain) = _pair()
    assert fast.sent() == plain.sent()
    return results[0], results[1]


@settings(max_examples=60, deadline=None)
@given(item=items, table=tables, condition=st.booleans())
def test_any_item_put_is_sent_as_botocore_sends_it(item: dict[str, Any], table: str, condition: bool) -> None:
    request: dict[str, Any] = {"TableName": table, "Item": item}
    if condition:
        request |= {"ConditionExpression": "#s = :s", "ExpressionAttributeNames": {"#s": "Sequence"},
                    "ExpressionAttributeValues": {":s": {"S": "4960"}}}  # fmt: skip
    _both(lambda client: client.put_item(**request))


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(st.tuples(items, tables), min_size=1, max_size=4))
def test_any_transaction_is_sent_as_botocore_sends_it(rows: list[tuple[dict[str, Any], str]]) -> None:
    # Given a transaction of puts, checks, updates and deletes, on tables named or given by ARN
    actions: list[dict[str, Any]] = []
    for row, table in rows:
        actions += [
            {"Put": {"TableName": table, "Item": row}},
            {"ConditionCheck": {"TableName": table, "Key": KEY, "ConditionExpression": "attribute_exists(#k)",
                                "ExpressionAttributeNames": {"#k": "Store"}}},
            {"Update": {"TableName": "Stores", "Key": KEY, "UpdateExpression": "ADD #c :one",
                        "ExpressionAttributeNames": {"#c": "Count"},
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Delete": {"TableName": table, "Key": KEY}},
        ]  # fmt: skip

    # Then the signed request (body, endpoint, headers) is botocore's
    _both(lambda client: client.transact_write_items(TransactItems=actions))


@settings(max_examples=100, deadline=None)
@given(st.lists(wire_items, max_size=4), st.one_of(st.none(), wire_items))
def test_any_query_answer_reads_as_botocore_parses_it(found: list[dict[str, Any]], last: dict[str, Any] | None) -> None:
    # Given a Query answer of any items, binary, sets, maps and lists included
    answer: dict[str, Any] = {"Items": found, "Count": len(found), "ScannedCount": len(found) + 2}
    if last is not None:
        answer["LastEvaluatedKey"] = last

    # When either client reads it
    fast, plain = _both(
        lambda client: client.query(
            TableName="Inventory",
            KeyConditionExpression="#store = :store",
            ExpressionAttributeNames={"#store": "Store"},
            ExpressionAttributeValues={":store": {"S": "Berlin"}},
        ),
        answer,
    )

    # Then the caller gets exactly botocore's parse (bytes for binary, not base64 text)
    assert fast == plain


@settings(max_examples=50, deadline=None)
@given(wire_items, st.lists(wire_items, max_size=3))
def test_get_item_scan_and_batch_get_item_answers_read_as_botocore_parses_them(
    item: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    fast, plain = _both(lambda client: client.get_item(TableName="T", Key=KEY), {"Item": item})
    assert fast == plain

    fast, plain = _both(lambda client: client.scan(TableName="T"), {"Items": rows, "Count": len(rows)})
    assert fast == plain

    request = {"Forecast": {"Keys": [KEY], "ConsistentRead": True}}
    answer = {"Responses": {"Forecast": rows}, "UnprocessedKeys": request, "ConsumedCapacity": [{"CapacityUnits": 1}]}
    fast, plain = _both(lambda client: client.batch_get_item(RequestItems=request), answer)
    assert fast == plain


def test_plain_requests_and_answers_skip_botocores_walks(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the equality tests compare is the fast path: with botocore's walks broken, a plain call still works."""
    (fast, wire), _ = _pair()
    wire.answer = {"Items": [KEY], "Count": 1, "ScannedCount": 1}
    for _ in range(2):  # each operation's first request is botocore's own, and lends its frame to the rest
        fast.put_item(TableName="Forecast", Item=KEY)
        fast.query(TableName="Forecast", KeyConditionExpression="#s = :s")

    def broken(*_: Any) -> Any:
        raise AssertionError("botocore's walk")

    monkeypatch.setattr(JSONSerializer, "_serialize", broken)
    monkeypatch.setattr(BaseJSONParser, "_handle_list", broken)
    fast.put_item(TableName="Forecast", Item=KEY)
    assert json.loads(wire.requests[-1].body) == {"TableName": "Forecast", "Item": KEY}
    assert fast.query(TableName="Forecast", KeyConditionExpression="#s = :s")["Items"] == [KEY]


def test_binary_values_go_to_botocore() -> None:
    """DynamoDB takes and sends binary values in base64, which botocore converts and plain JSON would not
    (given as bytes or as text, which botocore also encodes)."""
    for photo in (b"hello", "hello"):
        item = {**KEY, "Photo": {"B": photo}}
        _both(lambda client, item=item: client.put_item(TableName="t", Item=item))
        put = {"Put": {"TableName": "t", "Item": item}}
        _both(lambda client, put=put: client.transact_write_items(TransactItems=[put]))

    answer = {"Responses": {"t": [{**KEY, "Photo": {"B": "aGVsbG8="}, "Tags": {"BS": ["aGk="]}}]}}
    fast, plain = _both(lambda client: client.batch_get_item(RequestItems={"t": {"Keys": [KEY]}}), answer)
    assert fast == plain
    assert fast["Responses"]["t"][0]["Photo"] == {"B": b"hello"}


def test_a_validating_client_keeps_botocores_serializer() -> None:
    """Validation is botocore's serializer's first step: a client that wants it still gets it (its answers
    and table names are read the fast way, which validation does not touch)."""
    client = _client(validating=True)
    assert use_fast_json(client)
    assert isinstance(client._serializer, ParamValidationDecorator)
    with pytest.raises(ParamValidationError):
        client.put_item(TableName="Forecast", Item={"Store": "Berlin"})


def _compact_body(monkeypatch: pytest.MonkeyPatch) -> None:
    original = JSONSerializer.serialize_to_request

    def compact(self: JSONSerializer, parameters: Any, model: Any) -> Any:
        request = original(self, parameters, model)
        return {**request, "body": request["body"].replace(b": ", b":")}

    monkeypatch.setattr(JSONSerializer, "serialize_to_request", compact)


def _tuples_for_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    original = BaseJSONParser._handle_list
    monkeypatch.setattr(BaseJSONParser, "_handle_list", lambda self, shape, value: tuple(original(self, shape, value)))


def _tables_sorted(monkeypatch: pytest.MonkeyPatch) -> None:
    original = EndpointRulesetResolver._resolve_param_as_operation_context_param
    monkeypatch.setattr(
        EndpointRulesetResolver,
        "_resolve_param_as_operation_context_param",
        lambda self, *args: sorted(names) if isinstance(names := original(self, *args), list) else names,
    )


@pytest.mark.parametrize("botocore_change", [_compact_body, _tuples_for_lists, _tables_sorted])
def test_a_botocore_that_differs_in_any_step_keeps_all_of_its_steps(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, botocore_change: Callable[..., None]
) -> None:
    # Given a botocore that serializes, parses or finds the table names otherwise
    botocore_change(monkeypatch)
    client = _client()
    serializer, resolve = client._serializer, client._ruleset_resolver._resolve_param_as_operation_context_param

    # When the fast JSON is asked for, the self-check refuses it, and says so
    assert not use_fast_json(client)
    assert "DynamoDB calls keep botocore's steps" in caplog.text

    # And the client is as botocore made it
    assert client._serializer is serializer
    assert not isinstance(client._ruleset_resolver._resolve_param_as_operation_context_param, TableNames)
    assert client._ruleset_resolver._resolve_param_as_operation_context_param == resolve
    wire = Wire(client)
    wire.answer = {"Items": [KEY], "Count": 1}
    assert client.scan(TableName="T")["Items"] == ([KEY] if botocore_change is not _tuples_for_lists else (KEY,))


def _ingest_client() -> Any:
    from ingest.dal.clients import dynamodb_client

    return dynamodb_client(4)


def _alerts_client() -> Any:
    from alerts.dal.clients import Clients

    return Clients().dynamodb()


def _api_client() -> Any:
    from dashboard_api.dal.clients import aws_clients

    return aws_clients().dynamodb


@pytest.mark.parametrize(
    ("service_client", "validating"), [(_ingest_client, False), (_alerts_client, False), (_api_client, True)]
)
def test_each_services_dynamodb_client_takes_the_fast_json(
    monkeypatch: pytest.MonkeyPatch, service_client: Callable[[], Any], validating: bool
) -> None:
    """ingest and alerts build their own requests (DynamoDB validates them again), the API validates what
    its users send: their clients serialize fast or validate, and all of them read answers fast."""
    for name, value in {
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    client = service_client()
    assert isinstance(client._serializer, ParamValidationDecorator if validating else FastSerializer)
    assert isinstance(client._ruleset_resolver._resolve_param_as_operation_context_param, TableNames)


def test_the_self_check_covers_every_step_taken() -> None:
    assert {operation for operation, _ in fast_json.REQUEST_SAMPLES} == fast_json.REQUESTS
    assert {operation for operation, _ in fast_json.ANSWER_SAMPLES} == fast_json.READS


def test_the_fast_json_is_taken_on_the_botocore_it_was_proven_against() -> None:
    """On a botocore upgrade: re-run this file and bench's CPU rows (ingest, alerts, API), then move the pin."""
    assert botocore.__version__ == fast_json.PROVEN_BOTOCORE
    assert use_fast_json(_client()) is True
