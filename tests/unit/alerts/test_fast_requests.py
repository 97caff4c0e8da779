"""DynamoDB requests serialized by ``alerts.dal.fast_requests``: byte for byte what botocore would have sent."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from alerts.dal import fast_requests
from alerts.dal.clients import DYNAMODB_CONFIG, Clients
from alerts.dal.fast_requests import FastSerializer, serialize_fast
from botocore.config import Config
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.unit

texts = st.text(max_size=8)
numbers = st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)
#: Attribute values as boto3 takes them (binary as bytes), nested ones included.
values = st.recursive(
    st.one_of(
        texts.map(lambda text: {"S": text}),
        numbers.map(lambda number: {"N": number}),
        st.binary(max_size=8).map(lambda data: {"B": data}),
        st.lists(texts, min_size=1, max_size=3, unique=True).map(lambda texts: {"SS": texts}),
        st.lists(st.binary(max_size=4), min_size=1, max_size=3, unique=True).map(lambda blobs: {"BS": blobs}),
        st.just({"NULL": True}),
        st.booleans().map(lambda flag: {"BOOL": flag}),
    ),
    lambda inner: st.one_of(
        st.dictionaries(texts, inner, max_size=3).map(lambda members: {"M": members}),
        st.lists(inner, max_size=3).map(lambda elements: {"L": elements}),
    ),
    max_leaves=6,
)
items = st.dictionaries(texts, values, min_size=1, max_size=5)


def _client(validating: bool = False) -> Any:
    config = Config(parameter_validation=validating)
    return boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t").client(
        "dynamodb", config=config
    )


def _both(operation: str, parameters: dict[str, Any]) -> tuple[Any, Any]:
    client = _client()
    botocore = client._serializer
    fast = FastSerializer(botocore)
    model = client.meta.service_model.operation_model(operation)
    fast.serialize_to_request(parameters, model)  # the operation's first request is botocore's own
    return fast.serialize_to_request(parameters, model), botocore.serialize_to_request(parameters, model)


@settings(max_examples=40, deadline=None)
@given(item=items, condition=st.booleans())
def test_any_item_put_is_sent_as_botocore_would_send_it(item: dict[str, Any], condition: bool):
    request: dict[str, Any] = {"TableName": "inventory-alerts-test-forecast", "Item": item}
    if condition:
        request |= {"ConditionExpression": "#s = :s", "ExpressionAttributeNames": {"#s": "Sequence"},
                    "ExpressionAttributeValues": {":s": {"S": "4960"}}}  # fmt: skip
    ours, botocore = _both("PutItem", request)
    assert ours == botocore


@settings(max_examples=20, deadline=None)
@given(rows=st.lists(items, min_size=1, max_size=4))
def test_any_transaction_is_sent_as_botocore_would_send_it(rows: list[dict[str, Any]]):
    request = {"TransactItems": [{"Put": {"TableName": "History", "Item": row}} for row in rows]}
    ours, botocore = _both("TransactWriteItems", request)
    assert ours == botocore


def test_a_plain_request_is_serialized_without_botocore(monkeypatch: pytest.MonkeyPatch):
    client = _client()
    assert serialize_fast(client)
    request = {"TableName": "Forecast", "Item": {"Store": {"S": "Berlin"}, "Count": {"N": "3"}}}
    model = client.meta.service_model.operation_model("PutItem")
    client._serializer.serialize_to_request(request, model)  # the first: botocore's
    monkeypatch.setattr(client._serializer, "_botocore", None)  # any further call to botocore would fail
    assert client._serializer.serialize_to_request(request, model)["body"].startswith(b'{"TableName": "Forecast"')


def test_the_alerts_dynamodb_client_serializes_fast_and_does_not_validate():
    client = Clients(
        boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    ).dynamodb()
    assert isinstance(client._serializer, FastSerializer)
    assert DYNAMODB_CONFIG.parameter_validation is False


def test_a_validating_client_keeps_botocore_serializer():
    client = _client(validating=True)
    assert not serialize_fast(client)
    assert not isinstance(client._serializer, FastSerializer)


def test_a_botocore_that_serializes_differently_keeps_its_own_serializer(monkeypatch: pytest.MonkeyPatch):
    client = _client()
    original = client._serializer.serialize_to_request

    def compact(parameters: Any, model: Any) -> Any:
        request = original(parameters, model)
        return {**request, "body": request["body"].replace(b": ", b":")}

    monkeypatch.setattr(client._serializer, "serialize_to_request", compact)
    assert not serialize_fast(client)
    assert not isinstance(client._serializer, FastSerializer)


def test_the_self_check_covers_every_operation_taken():
    assert {operation for operation, _ in fast_requests.SAMPLES} == fast_requests.OPERATIONS
