"""DynamoDB read answers decoded by ``inventory.fast_reads``: what botocore would have parsed, or botocore's parse."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.parsers import JSONParser
from hypothesis import given, settings
from hypothesis import strategies as st
from inventory import fast_reads
from inventory.fast_reads import parse_reads_fast

pytestmark = pytest.mark.unit

texts = st.text(max_size=8)
numbers = st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)
blobs = st.binary(max_size=8).map(lambda data: base64.b64encode(data).decode())
#: Attribute values in their wire form (binary as base64 text), nested ones included.
values = st.recursive(
    st.one_of(
        texts.map(lambda text: {"S": text}),
        numbers.map(lambda number: {"N": number}),
        blobs.map(lambda blob: {"B": blob}),
        st.lists(texts, min_size=1, max_size=3, unique=True).map(lambda texts: {"SS": texts}),
        st.lists(numbers, min_size=1, max_size=3, unique=True).map(lambda numbers: {"NS": numbers}),
        st.lists(blobs, min_size=1, max_size=3, unique=True).map(lambda blobs: {"BS": blobs}),
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


class _Body:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def _client(answer: dict[str, Any], *, fast: bool) -> Any:
    """A DynamoDB client whose every call is answered with ``answer``'s bytes (after botocore signed it)."""
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    body = json.dumps(answer).encode()

    def send(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, {"x-amzn-requestid": "test"}, _Body(body))

    client.meta.events.register("before-send.dynamodb", send)
    if fast:
        assert parse_reads_fast(client)
    return client


def _query(client: Any) -> dict[str, Any]:
    return client.query(  # type: ignore[no-any-return]
        TableName="Inventory",
        KeyConditionExpression="#store = :store",
        ExpressionAttributeNames={"#store": "Store"},
        ExpressionAttributeValues={":store": {"S": "Berlin"}},
    )


@settings(max_examples=150)
@given(st.lists(items, max_size=4), st.one_of(st.none(), items))
def test_a_query_answer_reads_as_botocore_parses_it(found: list[dict[str, Any]], last: dict[str, Any] | None) -> None:
    # Given a Query answer of any items, binary, sets, maps and lists included
    answer: dict[str, Any] = {"Items": found, "Count": len(found), "ScannedCount": len(found) + 2}
    if last is not None:
        answer["LastEvaluatedKey"] = last

    # When the client decodes its items itself
    fast = _query(_client(answer, fast=True))

    # Then the caller gets exactly what botocore's parse gives (bytes for binary, not base64 text)
    assert fast == _query(_client(answer, fast=False))


@settings(max_examples=50)
@given(items, st.lists(items, max_size=3))
def test_get_item_and_batch_get_item_answers_read_as_botocore_parses_them(
    item: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    one = {"Item": item}
    batch = {"Responses": {"Forecast": rows}, "UnprocessedKeys": {"Forecast": {"Keys": [{"Store": {"S": "Berlin"}}]}}}
    key = {"Store": {"S": "Berlin"}}

    assert _client(one, fast=True).get_item(TableName="T", Key=key) == _client(one, fast=False).get_item(
        TableName="T", Key=key
    )
    request = {"Forecast": {"Keys": [key]}}
    assert _client(batch, fast=True).batch_get_item(RequestItems=request) == _client(batch, fast=False).batch_get_item(
        RequestItems=request
    )


def test_a_botocore_that_parses_otherwise_keeps_its_own_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a botocore whose parse differs from the fast one (binary left as base64 text)
    monkeypatch.setattr(fast_reads, "create_parser", lambda protocol: JSONParser(blob_parser=lambda text: text))
    answer = {"Items": [{"Store": {"S": "Berlin"}, "Photo": {"B": base64.b64encode(b"\x00\x01").decode()}}]}
    client = _client(answer, fast=False)

    # When the fast parse is asked for, the self-check refuses it
    assert not parse_reads_fast(client)

    # And the client's answers are the client's own botocore's
    assert _query(client)["Items"] == [{"Store": {"S": "Berlin"}, "Photo": {"B": b"\x00\x01"}}]
