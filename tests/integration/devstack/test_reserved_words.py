"""DynamoDB's reserved words are refused in every expression of every request, as DynamoDB refuses them.

``tests/conftest.py`` applies :func:`devstack.moto_reserved_words.refuse_reserved_words` to every test, and the
local stack applies it to its emulator: these tests run under ``mock_aws`` with it applied. moto alone accepts
``Store = :store`` in a key condition; DynamoDB answers ``ValidationException: Invalid KeyConditionExpression:
Attribute name is a reserved keyword; reserved keyword: Store`` (the wording of DynamoDB's expression errors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

from devstack.moto_reserved_words import CHECKED_ACTIONS, reserved_word_in

pytestmark = pytest.mark.integration

TABLE = "Inventory"
KEY = {"Store": {"S": "Berlin"}, "Item": {"S": "apple"}}
NAMES = {"#store": "Store", "#item": "Item", "#count": "Count"}
Call = Callable[[Any], Any]


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "Store", "AttributeType": "S"},
                {"AttributeName": "Item", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "Store", "KeyType": "HASH"}, {"AttributeName": "Item", "KeyType": "RANGE"}],
        )
        client.put_item(TableName=TABLE, Item={**KEY, "Count": {"N": "3"}})
        yield client


def _query(condition: str, **extra: Any) -> Call:
    values = {":store": {"S": "Berlin"}, **extra.pop("values", {})}
    return lambda db: db.query(
        TableName=TABLE, KeyConditionExpression=condition, ExpressionAttributeValues=values, **extra
    )


#: (expression kind, the word, a request using it bare): one per expression and request that carries one.
BARE = {
    "query key condition": ("KeyConditionExpression", "Store", _query("Store = :store")),
    "query sort key condition": (
        "KeyConditionExpression",
        "Item",
        _query(
            "#store = :store AND begins_with(Item, :a)",
            values={":a": {"S": "a"}},
            ExpressionAttributeNames={"#store": "Store"},
        ),
    ),
    "query filter": (
        "FilterExpression",
        "Count",
        _query(
            "#store = :store",
            FilterExpression="Count > :n",
            values={":n": {"N": "1"}},
            ExpressionAttributeNames={"#store": "Store"},
        ),
    ),
    "query projection": (
        "ProjectionExpression",
        "Count",
        _query(
            "#store = :store",
            ProjectionExpression="#item, Count",
            ExpressionAttributeNames={"#store": "Store", "#item": "Item"},
        ),
    ),
    "scan filter": (
        "FilterExpression",
        "Count",
        lambda db: db.scan(TableName=TABLE, FilterExpression="attribute_exists(Count)"),
    ),
    "get projection": (
        "ProjectionExpression",
        "Count",
        lambda db: db.get_item(TableName=TABLE, Key=KEY, ProjectionExpression="Count"),
    ),
    "put condition": (
        "ConditionExpression",
        "Item",
        lambda db: db.put_item(TableName=TABLE, Item=KEY, ConditionExpression="attribute_not_exists(Item)"),
    ),
    "update expression": (
        "UpdateExpression",
        "Count",
        lambda db: db.update_item(
            TableName=TABLE, Key=KEY, UpdateExpression="ADD Count :n", ExpressionAttributeValues={":n": {"N": "1"}}
        ),
    ),
    "delete condition": (
        "ConditionExpression",
        "Count",
        lambda db: db.delete_item(
            TableName=TABLE, Key=KEY, ConditionExpression="Count = :n", ExpressionAttributeValues={":n": {"N": "3"}}
        ),
    ),
    "batch get projection": (
        "ProjectionExpression",
        "Store",
        lambda db: db.batch_get_item(RequestItems={TABLE: {"Keys": [KEY], "ProjectionExpression": "Store"}}),
    ),
    "transaction get projection": (
        "ProjectionExpression",
        "Count",
        lambda db: db.transact_get_items(
            TransactItems=[{"Get": {"TableName": TABLE, "Key": KEY, "ProjectionExpression": "Count"}}]
        ),
    ),
    "transaction update": (
        "UpdateExpression",
        "Count",
        lambda db: db.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": KEY,
                        "UpdateExpression": "SET Count = :n",
                        "ExpressionAttributeValues": {":n": {"N": "1"}},
                    }
                }
            ]
        ),
    ),
    "transaction condition check": (
        "ConditionExpression",
        "Store",
        lambda db: db.transact_write_items(
            TransactItems=[
                {"ConditionCheck": {"TableName": TABLE, "Key": KEY, "ConditionExpression": "attribute_exists(Store)"}}
            ]
        ),
    ),
}


@pytest.mark.parametrize("case", BARE)
def test_a_bare_reserved_word_is_refused_as_dynamodb_refuses_it(dynamodb: Any, case: str) -> None:
    kind, word, call = BARE[case]
    with pytest.raises(ClientError) as raised:
        call(dynamodb)
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == f"Invalid {kind}: Attribute name is a reserved keyword; reserved keyword: {word}"


def test_the_same_requests_pass_with_placeholders(dynamodb: Any) -> None:
    """The control: with ``#name`` placeholders each kind of expression is accepted and does its work."""
    values = {":store": {"S": "Berlin"}, ":a": {"S": "a"}, ":n": {"N": "1"}}
    page = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="#store = :store AND begins_with(#item, :a)",
        FilterExpression="#count > :n AND attribute_exists(#count) AND size(#item) BETWEEN :n AND :n5",
        ProjectionExpression="#item, #count",
        ExpressionAttributeNames=NAMES,
        ExpressionAttributeValues={**values, ":n5": {"N": "5"}},
    )
    assert page["Items"] == [{"Item": {"S": "apple"}, "Count": {"N": "3"}}]
    dynamodb.update_item(
        TableName=TABLE,
        Key=KEY,
        UpdateExpression="SET #count = if_not_exists(#count, :n) + :n REMOVE Alerted",
        ConditionExpression="attribute_exists(#store) AND NOT #count IN (:n)",
        ExpressionAttributeNames={"#store": "Store", "#count": "Count"},
        ExpressionAttributeValues={":n": {"N": "1"}},
    )
    got = dynamodb.batch_get_item(
        RequestItems={
            TABLE: {"Keys": [KEY], "ProjectionExpression": "#count", "ExpressionAttributeNames": {"#count": "Count"}}
        }
    )
    assert got["Responses"][TABLE] == [{"Count": {"N": "4"}}]


@pytest.mark.parametrize(
    ("kind", "expression", "word"),
    [
        ("KeyConditionExpression", "#s = :s AND Item BETWEEN :a AND :b", "Item"),
        ("FilterExpression", "NOT contains(#tags, :t) OR Status IN (:a, :b)", "Status"),
        ("ProjectionExpression", "#a.Name, #b[0]", "Name"),
        ("UpdateExpression", "SET #a = list_append(#a, :l) DELETE Tags :t", None),
        ("UpdateExpression", "SET #a = :a REMOVE Date", "Date"),
        ("ConditionExpression", "size(#a) > :n AND attribute_type(#a, :t)", None),
    ],
)
def test_the_grammar_and_functions_are_not_taken_for_attribute_names(
    kind: str, expression: str, word: str | None
) -> None:
    assert reserved_word_in(kind, expression) == word


def test_every_handler_method_that_carries_expressions_is_wrapped() -> None:
    """The patch wraps moto's DynamoDB handler methods (pinned to the moto version in test_moto_pins.py)."""
    for action in CHECKED_ACTIONS:
        assert getattr(getattr(DynamoHandler, action), "refuses_reserved_words", False), action
