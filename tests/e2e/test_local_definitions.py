"""One source of truth: what runs locally is what serverless.yml defines.

Table keys, indexes, stream and TTL settings are read back from the emulator; handler paths and
environment variables are the ones the running functions actually got (reported by their execution
environments into stack.json). Both are compared with serverless.yml, read here independently of the
local stack's own code (the raw YAML, and ``serverless print`` for framework variables).
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from typing import Any

import pytest

from devstack.definitions import service_definition
from tests.builders import REPO
from tests.e2e.conftest import LocalStackProcess

pytestmark = pytest.mark.e2e

SERVICES = ("ingest", "alerts")


@cache
def printed(service: str, params: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    command = ["npx", "--no-install", "serverless", "print", "--stage", "local", "--format", "json"]
    for name, value in params:
        command += ["--param", f"{name}={value}"]
    done = subprocess.run(command, cwd=REPO / "services" / service, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout[done.stdout.index("{") :]))


def printed_for(stack: LocalStackProcess, service: str) -> dict[str, Any]:
    if service == "alerts":
        ingest = printed("ingest")
        table = ingest["resources"]["Resources"]["InventoryTable"]["Properties"]["TableName"]
        stream = stack.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        default = ingest["params"]["default"]["lowStockDefault"]
        return printed("alerts", (("inventoryStreamArn", stream), ("lowStockDefault", default)))
    return printed(service)


def physical_id(definition: dict[str, Any], reference: dict[str, Any]) -> str:
    """What a Ref in serverless.yml names, worked out from the resource's own properties."""
    resource = definition["resources"]["Resources"][reference["Ref"]]
    properties = resource["Properties"]
    if resource["Type"] == "AWS::DynamoDB::Table":
        return str(properties["TableName"])
    if resource["Type"] == "AWS::SNS::Topic":
        return f"arn:aws:sns:us-east-1:123456789012:{properties['TopicName']}"
    raise AssertionError(f"extend this test for a Ref to {resource['Type']}")


@pytest.mark.parametrize("service", SERVICES)
def test_tables_have_the_keys_indexes_stream_and_ttl_of_serverless_yml(
    local_stack_process: LocalStackProcess, service: str
) -> None:
    raw = service_definition(service)["resources"]["Resources"]
    names = printed_for(local_stack_process, service)["resources"]["Resources"]
    dynamodb = local_stack_process.client("dynamodb")
    tables = [logical for logical, resource in raw.items() if resource["Type"] == "AWS::DynamoDB::Table"]
    assert tables, f"{service} declares no table"
    for logical in tables:
        declared = raw[logical]["Properties"]
        name = names[logical]["Properties"]["TableName"]
        actual = dynamodb.describe_table(TableName=name)["Table"]

        assert actual["KeySchema"] == declared["KeySchema"], logical
        assert sorted(actual["AttributeDefinitions"], key=str) == sorted(declared["AttributeDefinitions"], key=str)
        declared_indexes = {
            index["IndexName"]: (index["KeySchema"], index["Projection"])
            for index in declared.get("GlobalSecondaryIndexes", [])
        }
        actual_indexes = {
            index["IndexName"]: (index["KeySchema"], index["Projection"])
            for index in actual.get("GlobalSecondaryIndexes", [])
        }
        assert actual_indexes == declared_indexes, logical
        if "StreamSpecification" in declared:
            assert actual["StreamSpecification"] == {"StreamEnabled": True, **declared["StreamSpecification"]}
        else:
            assert not actual.get("StreamSpecification", {}).get("StreamEnabled"), logical
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if declared.get("TimeToLiveSpecification", {}).get("Enabled"):
            assert ttl["TimeToLiveStatus"] == "ENABLED", logical
            assert ttl["AttributeName"] == declared["TimeToLiveSpecification"]["AttributeName"]
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED", logical


@pytest.mark.parametrize("service", SERVICES)
def test_functions_run_the_handlers_and_environment_of_serverless_yml(
    local_stack_process: LocalStackProcess, service: str
) -> None:
    raw = service_definition(service)
    definition = printed_for(local_stack_process, service)
    running = local_stack_process.info["functions"]
    for key, function in raw["functions"].items():
        name = definition["functions"][key]["name"]
        assert name in running, f"{name} does not run locally"
        local = running[name]

        assert local["handler"] == function["handler"]
        module, _, _ = function["handler"].rpartition(".")
        assert local["module_file"] == str(REPO / "services" / service / f"{module}.py")

        expected = {**definition["provider"].get("environment", {}), **definition["functions"][key]["environment"]}
        for variable, value in expected.items():
            wanted = physical_id(definition, value) if isinstance(value, dict) else str(value)
            assert local["environment"].get(variable) == wanted, f"{name}: {variable}"
        assert local["environment"]["AWS_ENDPOINT_URL"] == local_stack_process.info["endpoint_url"]


def test_the_upload_bucket_has_the_settings_of_serverless_yml(local_stack_process: LocalStackProcess) -> None:
    declared = printed("ingest")["resources"]["Resources"]["UploadBucket"]["Properties"]
    s3 = local_stack_process.client("s3")
    bucket = local_stack_process.info["bucket"]

    assert bucket == declared["BucketName"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == declared["VersioningConfiguration"]["Status"]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == declared["PublicAccessBlockConfiguration"]
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    declared_rule = declared["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rules[0]["ApplyServerSideEncryptionByDefault"] == declared_rule["ServerSideEncryptionByDefault"]
