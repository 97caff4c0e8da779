"""The emulator's transactions (devstack/moto_transactions.py): one parse per condition text, each item's own values.

Ingest's conditional writes share one condition text and differ only in their values (each item's line):
the patch keeps one syntax tree per text and names and binds each request's values into it, so a cached
tree must never decide an item's write with another item's values. Run under ``mock_aws`` with the patch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

from devstack import moto_transactions
from devstack.moto_transactions import fix_transactions

pytestmark = pytest.mark.integration

TABLE = "Inventory"
#: Ingest's shape of condition: the write lands on an item set by the same or an earlier line.
CONDITION = "attribute_not_exists(#line) OR #line <= :line"
NAMES = {"#line": "SourceLine", "#count": "Count"}


def _create(client: Any, name: str) -> str:
    """A table like Inventory, with a stream of both images; its stream's ARN."""
    answer = client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "Store", "AttributeType": "S"},
            {"AttributeName": "Item", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "Store", "KeyType": "HASH"}, {"AttributeName": "Item", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return str(answer["TableDescription"]["LatestStreamArn"])


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    fix_transactions()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _create(client, TABLE)
        yield client


def _key(item: str) -> dict[str, Any]:
    return {"Store": {"S": "Berlin"}, "Item": {"S": item}}


def _update(item: str, line: int, count: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": _key(item),
            "UpdateExpression": "SET #line = :line, #count = :count",
            "ConditionExpression": CONDITION,
            "ExpressionAttributeNames": NAMES,
            "ExpressionAttributeValues": {":line": {"N": str(line)}, ":count": {"N": str(count)}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def _count(client: Any, item: str) -> str:
    return str(client.get_item(TableName=TABLE, Key=_key(item))["Item"]["Count"]["N"])


def test_each_item_is_checked_against_its_own_values_though_the_text_is_parsed_once(dynamodb: Any) -> None:
    dynamodb.transact_write_items(TransactItems=[_update("apple", 10, 1), _update("pear", 20, 1)])
    parsed = len(moto_transactions._PARSED)

    # apple (line 10) gets a later line; pear (line 20) an earlier one: only pear's condition fails.
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(TransactItems=[_update("apple", 15, 2), _update("pear", 15, 2)])
    reasons = [reason["Code"] for reason in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed"]
    dynamodb.transact_write_items(TransactItems=[_update("apple", 15, 2)])
    dynamodb.update_item(**_update("pear", 25, 3)["Update"])

    assert (_count(dynamodb, "apple"), _count(dynamodb, "pear")) == ("2", "3")
    assert len(moto_transactions._PARSED) == parsed  # new values, same text and names: no new tree


def test_a_plain_update_in_a_transaction_leaves_the_item_moto_would_and_the_stream_records_dynamodb_writes(
    dynamodb: Any,
) -> None:
    """Ingest's updates are applied without moto's update machinery: the item is moto's UpdateItem's, and the
    stream holds one record per write, as DynamoDB's does (moto's own UpdateItem records a new item twice: its
    key alone, then the item)."""
    streams = {name: _create(dynamodb, name) for name in ("ByTransaction", "ByMoto")}
    steps = [
        ("SET #line = :line, #count = :count", {":line": {"N": "3"}, ":count": {"N": "5"}}),  # a new item
        ("SET #count = :count REMOVE #line", {":count": {"N": "0"}}),
        ("SET #line = :line, #count = :count", {":line": {"N": "4"}, ":count": {"S": "many"}}),
    ]
    for update, values in steps:
        request = {"Key": _key("apple"), "UpdateExpression": update, "ExpressionAttributeValues": values}
        request["ExpressionAttributeNames"] = {name: NAMES[name] for name in NAMES if name in update}
        dynamodb.transact_write_items(TransactItems=[{"Update": {"TableName": "ByTransaction", **request}}])
        dynamodb.update_item(TableName="ByMoto", **request)

    items = [dynamodb.get_item(TableName=name, Key=_key("apple"))["Item"] for name in streams]
    assert items[0] == items[1] == {**_key("apple"), "Count": {"S": "many"}, "SourceLine": {"N": "4"}}
    ours, motos = (_stream(arn) for arn in streams.values())
    created = {**_key("apple"), "Count": {"N": "5"}, "SourceLine": {"N": "3"}}
    emptied = {**_key("apple"), "Count": {"N": "0"}}
    assert ours == [
        ("INSERT", None, created),
        ("MODIFY", created, emptied),
        ("MODIFY", emptied, items[0]),
    ]
    assert motos == [("INSERT", None, _key("apple")), *ours]  # the record of the key alone: what DynamoDB never writes


def test_an_update_parsed_once_is_applied_with_each_requests_values(dynamodb: Any) -> None:
    """moto's own updates (here ADD, with arithmetic) reuse one parsed tree per text: it is never changed."""
    update = {"TableName": TABLE, "Key": _key("apple"), "UpdateExpression": "ADD #count :n SET #line = #line + :n"}
    update["ExpressionAttributeNames"] = NAMES
    dynamodb.put_item(TableName=TABLE, Item={**_key("apple"), "SourceLine": {"N": "1"}})
    for n in ("2", "3"):
        dynamodb.transact_write_items(
            TransactItems=[{"Update": {**update, "ExpressionAttributeValues": {":n": {"N": n}}}}]
        )
    dynamodb.update_item(**update, ExpressionAttributeValues={":n": {"N": "4"}})

    item = dynamodb.get_item(TableName=TABLE, Key=_key("apple"))["Item"]
    assert (item["Count"], item["SourceLine"]) == ({"N": "9"}, {"N": "10"})


def _stream(arn: str) -> list[tuple[str, Any, Any]]:
    client = boto3.client(
        "dynamodbstreams", region_name="us-east-1", endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com"
    )
    shard = client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = client.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = client.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return [(r["eventName"], r["dynamodb"].get("OldImage"), r["dynamodb"].get("NewImage")) for r in records]


def test_the_moto_internals_it_patches_are_the_ones_pinned() -> None:
    """The patch re-runs moto's parsing steps, keeps update trees and replaces its transaction method: pinned
    to the moto of requirements-dev.txt; on an upgrade, compare ``ConditionExpressionParser.parse`` with
    ``_syntax_tree``, check that nothing changes an update tree in place, re-check ``transact_write_items``
    and ``update_item`` (the plain updates), then this pin."""
    fix_transactions()
    assert moto.__version__ == "5.2.5"
    assert getattr(DynamoDBBackend.transact_write_items, "checks_first", False)
    assert ConditionExpressionParser.parse.__module__ == moto_transactions.__name__
    assert UpdateExpressionParser.make.__module__ == moto_transactions.__name__
