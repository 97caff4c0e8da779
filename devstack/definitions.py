"""A service's serverless.yml as data, and its tables created exactly as defined there.

Used wherever something must match the deployed definitions without running the
Serverless CLI: the integration tests (on moto in-process) and the benchmarks.
"""

from __future__ import annotations

from typing import Any

from devstack.config import REPO, read_yaml


def service_definition(service: str) -> dict[str, Any]:
    """``services/<service>/serverless.yml`` as data (framework variables left unresolved)."""
    return read_yaml(REPO / "services" / service / "serverless.yml")


def resource_properties(service: str, logical_id: str) -> dict[str, Any]:
    """The ``Properties`` of one resource under ``resources.Resources``."""
    properties: dict[str, Any] = service_definition(service)["resources"]["Resources"][logical_id]["Properties"]
    return properties


def create_table(client: Any, service: str, logical_id: str, name: str) -> str:
    """Create a DynamoDB table from its serverless.yml definition under the given name."""
    props = resource_properties(service, logical_id)
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if "GlobalSecondaryIndexes" in props:
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if "StreamSpecification" in props:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    client.create_table(**kwargs)
    return name
