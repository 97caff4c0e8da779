"""CloudFormation intrinsics and Lambda event filters, resolved as AWS resolves them."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.intrinsics import Resolver, Unresolved, function_logical_id
from devstack.streams import StreamMapping
from tests.builders import count_change, stream_record

pytestmark = pytest.mark.unit


@pytest.fixture
def resolver() -> Resolver:
    resolver = Resolver(region="us-east-1", stack_name="inventory-ingest-local")
    resolver.provided(
        "InventoryTable",
        "inventory-ingest-local-inventory",
        {"Arn": "arn:aws:dynamodb:us-east-1:123456789012:table/inventory-ingest-local-inventory"},
    )
    resolver.provided("UserPool", "us-east-1_abc")
    return resolver


def test_ref_getatt_and_sub_resolve_to_provisioned_values(resolver: Resolver) -> None:
    assert resolver.resolve({"Ref": "InventoryTable"}) == "inventory-ingest-local-inventory"
    assert resolver.resolve({"Fn::GetAtt": ["InventoryTable", "Arn"]}).endswith(
        ":table/inventory-ingest-local-inventory"
    )
    assert resolver.resolve({"Fn::GetAtt": "InventoryTable.Arn"}).startswith("arn:aws:dynamodb:")
    assert (
        resolver.resolve({"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"})
        == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"
    )
    assert resolver.resolve({"Fn::Sub": "${InventoryTable.Arn}/index/*"}).endswith("inventory/index/*")
    assert resolver.resolve({"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "InventoryTable"}}]}).endswith("inventory-x")
    assert resolver.resolve({"Fn::Join": [":", ["a", {"Ref": "AWS::AccountId"}]]}) == "a:123456789012"


def test_conditions_choose_values_and_no_value_drops_a_key(resolver: Resolver) -> None:
    resolver.evaluate_conditions(
        {
            "HasEmail": {"Fn::Not": [{"Fn::Equals": ["", ""]}]},
            "Either": {"Fn::Or": [{"Condition": "HasEmail"}, {"Fn::Equals": ["a", "a"]}]},
        }
    )
    assert resolver.conditions == {"HasEmail": False, "Either": True}
    assert resolver.resolve({"Fn::If": ["HasEmail", "yes", "no"]}) == "no"
    assert resolver.resolve({"A": 1, "B": {"Fn::If": ["HasEmail", "x", {"Ref": "AWS::NoValue"}]}}) == {"A": 1}


def test_a_reference_to_something_not_provisioned_names_it(resolver: Resolver) -> None:
    with pytest.raises(Unresolved) as raised:
        resolver.resolve({"Fn::GetAtt": ["HistoryTable", "Arn"]})
    assert raised.value.logical_id == "HistoryTable"


def test_function_logical_ids_follow_the_framework_naming() -> None:
    assert function_logical_id("ingestUpload") == "IngestUploadLambdaFunction"
    assert function_logical_id("my-func_x") == "MyDashfuncUnderscorexLambdaFunction"


def matches_any(patterns: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    """Whether a stream mapping with these filter patterns passes the record to its function."""
    return StreamMapping("arn:stream", 100, "TRIM_HORIZON", False, 0, tuple(patterns)).matches(record)


ALERTS_FILTER = {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"Count": {"N": [{"exists": True}]}}}}


def test_the_alerts_filter_passes_counted_inserts_and_updates_and_drops_removes() -> None:
    assert matches_any([ALERTS_FILTER], count_change("Berlin", "Echo Dot", None, 0))
    assert matches_any([ALERTS_FILTER], count_change("Berlin", "Echo Dot", 3, 0))
    removed = stream_record(None, {"Store": {"S": "Berlin"}, "Item": {"S": "Echo Dot"}, "Count": {"N": "1"}})
    assert not matches_any([ALERTS_FILTER], removed)
    no_count = stream_record({"Store": {"S": "Berlin"}, "Item": {"S": "Echo Dot"}})
    assert not matches_any([ALERTS_FILTER], no_count)


def test_prefix_and_anything_but_rules() -> None:
    record = count_change("Berlin", "Echo Dot", None, 3)
    assert matches_any([{"dynamodb": {"Keys": {"Store": {"S": [{"prefix": "Ber"}]}}}}], record)
    assert not matches_any([{"dynamodb": {"Keys": {"Store": {"S": [{"prefix": "Kar"}]}}}}], record)
    assert not matches_any([{"eventName": [{"anything-but": ["INSERT"]}]}], record)
    assert matches_any([{"eventName": [{"anything-but": ["REMOVE"]}]}], record)
    assert matches_any([], record)
