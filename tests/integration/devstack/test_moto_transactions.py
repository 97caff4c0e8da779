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

from devstack import moto_transactions
from devstack.moto_transactions import fix_transactions

pytestmark = pytest.mark.integration

TABLE = "Inventory"
#: Ingest's shape of condition: the write lands on an item set by the same or an earlier line.
CONDITION = "attribute_not_exists(#line) OR #line <= :line"
NAMES = {"#line": "SourceLine", "#count": "Count"}


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    fix_transactions()
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


def test_the_moto_internals_it_patches_are_the_ones_pinned() -> None:
    """The patch re-runs moto's parsing steps and replaces its transaction method: pinned to the moto of
    requirements-dev.txt; on an upgrade, compare ``ConditionExpressionParser.parse`` with
    ``_syntax_tree`` and re-check ``transact_write_items``, then this pin."""
    fix_transactions()
    assert moto.__version__ == "5.2.5"
    assert getattr(DynamoDBBackend.transact_write_items, "checks_first", False)
    assert ConditionExpressionParser.parse.__module__ == moto_transactions.__name__
