"""DynamoDB read answers decoded by ``inventory.fast_reads``: what botocore would have parsed, or botocore's parse."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from functools import cache
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


class _Answering:
    """DynamoDB clients whose every call is answered with ``answer``'s bytes (after botocore signed it)."""

    def __init__(self) -> None:
        self.answer: dict[str, Any] = {}

    def client(self) -> Any:
        client = boto3.client(
            "dynamodb", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        client.meta.events.register("before-send.dynamodb", self._send)
        return client

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        body = _Body(json.dumps(self.answer).encode())
        return AWSResponse(request.url, 200, {"x-amzn-requestid": "test"}, body)


@cache
def answering() -> tuple[_Answering, Any, Any]:
    """The answers, a client that decodes items with ``inventory.fast_reads`` and one that leaves them to botocore."""
    answers = _Answering()
    fast, plain = answers.client(), answers.client()
    assert parse_reads_fast(fast)
    return answers, fast, plain


def _query(client: Any) -> dict[str, Any]:
    return client.query(  # type: ignore[no-any-return]
        TableName="Inventory",
        KeyConditionExpression="#store = :store",
        ExpressionAttributeNames={"#store": "Store"},
        ExpressionAttributeValues={":store": {"S": "Berlin"}},
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(items, max_size=4), st.one_of(st.none(), items))
def test_a_query_answer_reads_as_botocore_parses_it(found: list[dict[str, Any]], last: dict[str, Any] | None) -> None:
    # Given a Query answer of any items, binary, sets, maps and lists included
    answers, fast, plain = answering()
    answers.answer = {"Items": found, "Count": len(found), "ScannedCount": len(found) + 2}
    if last is not None:
        answers.answer["LastEvaluatedKey"] = last

    # When the client decodes its items itself
    parsed = _query(fast)

    # Then the caller gets exactly what botocore's parse gives (bytes for binary, not base64 text)
    assert parsed == _query(plain)


@settings(max_examples=50, deadline=None)
@given(items, st.lists(items, max_size=3))
def test_get_item_and_batch_get_item_answers_read_as_botocore_parses_them(
    item: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    answers, fast, plain = answering()
    key = {"Store": {"S": "Berlin"}}
    answers.answer = {"Item": item}
    assert fast.get_item(TableName="T", Key=key) == plain.get_item(TableName="T", Key=key)

    answers.answer = {"Responses": {"Forecast": rows}, "UnprocessedKeys": {"Forecast": {"Keys": [key]}}}
    request = {"Forecast": {"Keys": [key]}}
    assert fast.batch_get_item(RequestItems=request) == plain.batch_get_item(RequestItems=request)


def test_a_botocore_that_parses_otherwise_keeps_its_own_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a botocore whose parse differs from the fast one (binary left as base64 text)
    monkeypatch.setattr(fast_reads, "create_parser", lambda protocol: JSONParser(blob_parser=lambda text: text))
    answers = _Answering()
    answers.answer = {"Items": [{"Store": {"S": "Berlin"}, "Photo": {"B": base64.b64encode(b"\x00\x01").decode()}}]}
    client = answers.client()

    # When the fast parse is asked for, the self-check refuses it
    assert not parse_reads_fast(client)

    # And the client's answers are the client's own botocore's
    assert _query(client)["Items"] == [{"Store": {"S": "Berlin"}, "Photo": {"B": b"\x00\x01"}}]
