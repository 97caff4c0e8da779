"""A deploy rehearsal: the packaged templates create real stacks in moto's CloudFormation, in compose order.

Each service deploys as `serverless deploy` does it: a first stack with the deployment bucket, the zips
uploaded to it, then the stack updated to the full template. The resource types moto's CloudFormation
cannot create (alarms, bucket policies, Lambda invoke configs, Cognito, API Gateway v2) are left out,
with everything that refers to them; the rest - S3, DynamoDB, SNS, SQS, IAM, Lambda - must be created.
Each stack's outputs feed the next stack's params, as compose passes them.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from inventory.table import ALERTS_INDEX
from moto.server import ThreadedMotoServer

from tests.deploy.conftest import PLACEHOLDER_OUTPUTS, REGION, STAGE, TIMINGS, PackagedService, compose_params

pytestmark = pytest.mark.deploy

REHEARSED = ("ingest", "alerts", "dashboard-api")
NOT_IN_MOTO_CLOUDFORMATION = (
    "AWS::CloudWatch::Alarm",
    "AWS::S3::BucketPolicy",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Cognito::",
    "AWS::ApiGatewayV2::",
)
#: Created through their own API before the stack, since moto's CloudFormation skips them; every
#: ``Ref`` to them becomes the real ARN, so what refers to them is still deployed and checked.
STOOD_IN = ("AWS::SecretsManager::Secret",)
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]


@dataclass
class Stack:
    name: str
    statuses: list[str]
    outputs: dict[str, str]
    resources: dict[str, dict[str, Any]]
    left_out: dict[str, str]  # logical id -> type
    template: dict[str, Any]


def _refers_to(node: Any, logical_ids: set[str]) -> bool:
    text = json.dumps(node)
    return any(
        f'{{"Ref": "{name}"}}' in text or f'["{name}", ' in text or f"${{{name}}}" in text or f"${{{name}." in text
        for name in logical_ids
    )


def _cognito_stand_ins(node: Any, pools: set[str]) -> Any:
    """References to a user pool replaced by a stand-in id or ARN, so what only names the pool (the
    API function's environment, its role) is still created; the pool itself is left out."""
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in pools:
            return f"{REGION}_Rehearsal{node['Ref']}"
        if set(node) == {"Fn::GetAtt"} and node["Fn::GetAtt"][0] in pools and node["Fn::GetAtt"][1] == "Arn":
            return f"arn:aws:cognito-idp:{REGION}:123456789012:userpool/{REGION}_Rehearsal{node['Fn::GetAtt'][0]}"
        return {key: _cognito_stand_ins(value, pools) for key, value in node.items()}
    if isinstance(node, list):
        return [_cognito_stand_ins(value, pools) for value in node]
    return node


def _without_unsupported(template: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The template without what moto's CloudFormation cannot create, nor anything that refers to it."""
    pools = {key for key, value in template["Resources"].items() if value["Type"] == "AWS::Cognito::UserPool"}
    template = {**template, "Resources": _cognito_stand_ins(template["Resources"], pools)}
    resources = dict(template["Resources"])
    left_out = {key for key, value in resources.items() if value["Type"].startswith(NOT_IN_MOTO_CLOUDFORMATION)}
    while True:
        dependent = {
            key
            for key, value in resources.items()
            if key not in left_out and (_refers_to(value, left_out) or set(value.get("DependsOn", [])) & left_out)
        }
        if not dependent:
            break
        left_out |= dependent
    outputs = {key: value for key, value in template.get("Outputs", {}).items() if not _refers_to(value, left_out)}
    kept = {key: value for key, value in resources.items() if key not in left_out}
    return {**template, "Resources": kept, "Outputs": outputs}, left_out


def _replace(node: Any, values: dict[str, str]) -> Any:
    """Every placeholder param value replaced by the value the upstream stack really output."""
    if isinstance(node, dict):
        return {key: _replace(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace(value, values) for value in node]
    if isinstance(node, str):
        for placeholder, real in values.items():
            if node == placeholder:
                return real
            if len(placeholder) > 12:  # ARNs and names inside longer strings; short values only whole
                node = node.replace(placeholder, real)
    return node


class Rehearsal:
    def __init__(self, endpoint: str) -> None:
        options = {
            "endpoint_url": endpoint,
            "region_name": REGION,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        self.client = lambda service: boto3.client(service, **options)  # type: ignore[call-overload]
        self.cloudformation = self.client("cloudformation")
        self.outputs: dict[str, dict[str, str]] = {name: dict(values) for name, values in PLACEHOLDER_OUTPUTS.items()}
        self.stacks: dict[str, Stack] = {}
        self.stood_in: dict[str, str] = {}  # name -> ARN of a secret created beside its stack

    def _wait(self, name: str) -> dict[str, Any]:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            stack = self.cloudformation.describe_stacks(StackName=name)["Stacks"][0]
            if not stack["StackStatus"].endswith("_IN_PROGRESS"):
                return stack
            time.sleep(0.2)
        raise AssertionError(f"{name} still in progress")

    def _stand_in(self, template: dict[str, Any]) -> dict[str, Any]:
        """The template with its secrets created through the Secrets Manager API and their Refs replaced by ARNs."""
        resources = dict(template["Resources"])
        arns: dict[str, str] = {}
        for logical_id, resource in list(resources.items()):
            if resource["Type"] not in STOOD_IN:
                continue
            properties = resource["Properties"]
            if properties["Name"] not in self.stood_in:
                secrets = self.client("secretsmanager")
                value = secrets.get_random_password(**properties["GenerateSecretString"])["RandomPassword"]
                self.stood_in[properties["Name"]] = secrets.create_secret(Name=properties["Name"], SecretString=value)[
                    "ARN"
                ]
            arns[logical_id] = self.stood_in[properties["Name"]]
            del resources[logical_id]

        def replace(node: Any) -> Any:
            if isinstance(node, dict):
                if set(node) == {"Ref"} and node["Ref"] in arns:
                    return arns[node["Ref"]]
                return {key: replace(value) for key, value in node.items()}
            if isinstance(node, list):
                return [replace(value) for value in node]
            return node

        return replace({**template, "Resources": resources})  # type: ignore[no-any-return]

    def deploy(self, service: PackagedService) -> Stack:
        name = f"inventory-{service.name}-{STAGE}"
        created, _ = _without_unsupported(
            self._stand_in(json.loads((service.directory / "cloudformation-template-create-stack.json").read_text()))
        )
        self.cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(created), Capabilities=CAPABILITIES)
        first = self._wait(name)
        bucket = {output["OutputKey"]: output["OutputValue"] for output in first["Outputs"]}
        s3 = self.client("s3")
        for function in service.resources("AWS::Lambda::Function").values():
            key = function["Properties"]["Code"]["S3Key"]
            s3.put_object(
                Bucket=bucket["ServerlessDeploymentBucketName"],
                Key=key,
                Body=(service.directory / Path(key).name).read_bytes(),
            )

        placeholders = compose_params(service.name, PLACEHOLDER_OUTPUTS)
        real = compose_params(service.name, self.outputs)
        template = _replace(service.template, {placeholders[param]: real[param] for param in placeholders})
        template, left_out = _without_unsupported(self._stand_in(template))
        self.cloudformation.update_stack(StackName=name, TemplateBody=json.dumps(template), Capabilities=CAPABILITIES)
        final = self._wait(name)

        outputs = {output["OutputKey"]: output["OutputValue"] for output in final.get("Outputs", [])}
        self.outputs[service.name] = outputs
        summaries = self.cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
        resources = {summary["LogicalResourceId"]: summary for summary in summaries if summary.get("LogicalResourceId")}
        left_out_types = {key: service.template["Resources"][key]["Type"] for key in left_out}
        stack = Stack(name, [first["StackStatus"], final["StackStatus"]], outputs, resources, left_out_types, template)
        self.stacks[service.name] = stack
        return stack


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def rehearsal(packaged: dict[str, PackagedService]) -> Iterator[Rehearsal]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        run = Rehearsal(f"http://127.0.0.1:{port}")
        started = time.monotonic()
        for name in REHEARSED:  # compose's deploy order for these three
            run.deploy(packaged[name])
        TIMINGS["moto CloudFormation rehearsal, 3 stacks"] = time.monotonic() - started
        yield run
    finally:
        server.stop()


@pytest.mark.parametrize("service", REHEARSED)
def test_stack_creates_then_updates_to_the_full_template_cleanly(rehearsal: Rehearsal, service: str) -> None:
    stack = rehearsal.stacks[service]

    assert stack.statuses == ["CREATE_COMPLETE", "UPDATE_COMPLETE"]
    for logical_id, resource in stack.template["Resources"].items():
        if "Condition" in resource:  # e.g. the alert email subscription, only with an address
            continue
        assert logical_id in stack.resources, f"{logical_id} ({resource['Type']}) was not created"
        assert stack.resources[logical_id]["ResourceStatus"] in {"CREATE_COMPLETE", "UPDATE_COMPLETE"}, logical_id
    # Only what moto cannot create, and what depends on it, was left out: never a data store or a function.
    assert not {
        resource_type
        for resource_type in stack.left_out.values()
        if resource_type.split("::")[1] in {"DynamoDB", "SQS", "SNS", "IAM"}
        or resource_type in {"AWS::S3::Bucket", "AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping"}
    }


def test_ingest_stack_holds_the_tables_bucket_and_function_it_declares(rehearsal: Rehearsal) -> None:
    outputs = rehearsal.outputs["ingest"]
    dynamodb, s3, lambdas = (rehearsal.client(name) for name in ("dynamodb", "s3", "lambda"))

    table = dynamodb.describe_table(TableName=outputs["InventoryTableName"])["Table"]
    assert [key["AttributeName"] for key in table["KeySchema"]] == ["Store", "Item"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["LatestStreamArn"] == outputs["InventoryStreamArn"]
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == [ALERTS_INDEX]
    assert (
        dynamodb.describe_table(TableName=outputs["StoresTableName"])["Table"]["TableArn"] == outputs["StoresTableArn"]
    )
    uploads = dynamodb.describe_table(TableName=outputs["UploadsTableName"])["Table"]
    assert uploads["TableArn"] == outputs["UploadsTableArn"]
    indexes = sorted(index["IndexName"] for index in uploads["GlobalSecondaryIndexes"])
    assert indexes == ["UploadsByScope", "UploadsByTime"]
    s3.head_bucket(Bucket=outputs["UploadBucketName"])
    function = lambdas.get_function(FunctionName=f"inventory-ingest-{STAGE}-ingestUpload")["Configuration"]
    assert function["Handler"] == "ingest/handlers/upload.handler"
    assert function["Runtime"] == "python3.12"
    assert function["Environment"]["Variables"]["INVENTORY_TABLE"] == outputs["InventoryTableName"]
    assert function["Environment"]["Variables"]["STORES_TABLE"] == outputs["StoresTableName"]
    assert function["Environment"]["Variables"]["UPLOADS_TABLE"] == outputs["UploadsTableName"]
    queue = rehearsal.client("sqs").get_queue_attributes(
        QueueUrl=outputs["IngestFailureQueueUrl"], AttributeNames=["All"]
    )
    assert queue["Attributes"]["MessageRetentionPeriod"] == "1209600"
    assert outputs["OpsTopicArn"] in {topic["TopicArn"] for topic in rehearsal.client("sns").list_topics()["Topics"]}


def test_alerts_stack_consumes_the_stream_and_threshold_ingest_output(rehearsal: Rehearsal) -> None:
    ingest, alerts = rehearsal.outputs["ingest"], rehearsal.outputs["alerts"]
    lambdas = rehearsal.client("lambda")
    function_name = f"inventory-alerts-{STAGE}-alertsStream"

    function_arn = lambdas.get_function(FunctionName=function_name)["Configuration"]["FunctionArn"]
    (mapping,) = [
        mapping
        for mapping in lambdas.list_event_source_mappings()["EventSourceMappings"]
        if mapping["FunctionArn"] == function_arn
    ]
    assert mapping["EventSourceArn"] == ingest["InventoryStreamArn"]
    assert mapping["EventSourceArn"] != PLACEHOLDER_OUTPUTS["ingest"]["InventoryStreamArn"]
    assert mapping["BatchSize"] == 500
    variables = lambdas.get_function(FunctionName=function_name)["Configuration"]["Environment"]["Variables"]
    assert variables["LOW_STOCK_DEFAULT"] == ingest["LowStockDefault"]
    assert variables["HISTORY_TABLE"] == alerts["HistoryTableName"]
    role = rehearsal.stacks["alerts"].resources["AlertsStreamRole"]["PhysicalResourceId"]
    (policy_name,) = rehearsal.client("iam").list_role_policies(RoleName=role)["PolicyNames"]
    policy = rehearsal.client("iam").get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    assert ingest["InventoryStreamArn"] in json.dumps(policy)
    # No alert email was given, so no subscription was made.
    assert "AlertsEmailSubscription" not in rehearsal.stacks["alerts"].resources
    history = rehearsal.client("dynamodb").describe_table(TableName=alerts["HistoryTableName"])["Table"]
    assert history["TableArn"] == alerts["HistoryTableArn"]
    forecast = rehearsal.client("dynamodb").describe_table(TableName=alerts["ForecastTableName"])["Table"]
    assert forecast["TableArn"] == alerts["ForecastTableArn"]
    assert [index["IndexName"] for index in forecast["GlobalSecondaryIndexes"]] == ["RunningOut"]
    assert variables["FORECAST_TABLE"] == alerts["ForecastTableName"]


def test_dashboard_api_function_reads_the_tables_and_bucket_ingest_and_alerts_output(rehearsal: Rehearsal) -> None:
    ingest, alerts = rehearsal.outputs["ingest"], rehearsal.outputs["alerts"]
    function = rehearsal.client("lambda").get_function(FunctionName=f"inventory-dashboard-api-{STAGE}-api")

    variables = function["Configuration"]["Environment"]["Variables"]
    assert variables["INVENTORY_TABLE"] == ingest["InventoryTableName"]
    assert variables["STORES_TABLE"] == ingest["StoresTableName"]
    assert variables["HISTORY_TABLE"] == alerts["HistoryTableName"]
    assert variables["FORECAST_TABLE"] == alerts["ForecastTableName"]  # compose wires alerts' table in
    assert variables["UPLOAD_BUCKET"] == ingest["UploadBucketName"]
    assert variables["UPLOADS_TABLE"] == ingest["UploadsTableName"]
    # The cursor secret (created beside the stack: moto's CloudFormation skips Secrets Manager) is wired by ARN.
    assert variables["CURSOR_SECRET_ARN"] == rehearsal.stood_in["inventory-dashboard-api-ci-cursor-key"]
    assert variables["ALERTS_TOPIC_ARN"] == alerts["AlertsTopicArn"]  # people subscribe to the real topic
    people = rehearsal.client("dynamodb").describe_table(TableName=variables["PEOPLE_TABLE"])["Table"]
    assert [key["AttributeName"] for key in people["KeySchema"]] == ["PK", "SK"]
    # Cognito and the HTTP API are outside moto's CloudFormation: left out, with what refers to them.
    left_out = rehearsal.stacks["dashboard-api"].left_out
    assert "AWS::Cognito::UserPool" in left_out.values()
    assert "AWS::ApiGatewayV2::Api" in left_out.values()
