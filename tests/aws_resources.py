"""Create, in moto, the tables and buckets exactly as a service's serverless.yml defines them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.builders import REPO


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads serverless.yml, keeping CloudFormation short-form tags (!Ref, !GetAtt...) as plain values."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node)}
    return {suffix: loader.construct_mapping(node)}  # type: ignore[arg-type]


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def service_definition(service: str) -> dict[str, Any]:
    """A service's serverless.yml as data (framework variables left unresolved)."""
    path = Path(REPO, "services", service, "serverless.yml")
    return yaml.load(path.read_text(), Loader=_CloudFormationLoader)


def resource_properties(service: str, logical_id: str) -> dict[str, Any]:
    return service_definition(service)["resources"]["Resources"][logical_id]["Properties"]


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
