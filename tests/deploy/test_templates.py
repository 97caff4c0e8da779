"""The CloudFormation each service deploys: linted, security-scanned, and checked for what the system relies on."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from inventory.forecast import RUNNING_OUT_INDEX
from inventory.table import ALERTS_INDEX
from inventory.uploads import REPORTS_PREFIX, UPLOAD_PREFIX, UPLOADS_BY_SCOPE, UPLOADS_BY_TIME

from tests.builders import REPO
from tests.deploy.conftest import (
    PLACEHOLDER_OUTPUTS,
    REGION,
    STAGE,
    TIMINGS,
    PackagedService,
    compose_services,
    service_names,
)

pytestmark = pytest.mark.deploy

VENV_BIN = Path(sys.executable).parent
CHECKOV = REPO / ".venv" / "tools" / "checkov" / "bin" / "checkov"
# Checks skipped for every resource, each with its reason once (one home for every justification).
CHECKOV_CONFIG = REPO / ".checkov.yaml"
# X-Ray accepts no resource narrower than '*' for these two actions.
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# Nor does SNS for these: they take no resource type (AWS's service authorization reference), so
# a policy naming the topic would deny them. The function passes only its own subscriptions' ARNs.
SNS_SUBSCRIPTION_ACTIONS = {"sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes"}
NAME_PROPERTIES = {
    "TableName",
    "BucketName",
    "QueueName",
    "TopicName",
    "FunctionName",
    "LogGroupName",
    "AlarmName",
    "UserPoolName",
    "ClientName",
}


@pytest.fixture(params=service_names())
def service(request: pytest.FixtureRequest, packaged: dict[str, PackagedService]) -> PackagedService:
    return packaged[request.param]


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _denies_every_topic(role: dict[str, Any]) -> bool:
    """Whether the role is denied publishing to any SNS topic (what is left of a publish on '*': phone numbers)."""
    return any(
        statement["Effect"] == "Deny"
        and _as_list(statement["Action"]) == ["sns:Publish"]
        and statement["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:sns:*:*:*"}
        for statement in _statements(role)
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _role_of(function: dict[str, Any]) -> str:
    return function["Properties"]["Role"]["Fn::GetAtt"][0]


def _permissions(service: PackagedService, role: str) -> dict[str, list[Any]]:
    """Action -> resources it is allowed on, for one role."""
    allowed: dict[str, list[Any]] = {}
    for statement in _statements(service.template["Resources"][role]):
        if statement["Effect"] == "Deny":
            continue  # a deny only narrows what is allowed (see the tests that check each one)
        assert statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"]):
            allowed.setdefault(action, []).extend(_as_list(statement["Resource"]))
    return allowed


# --- linters -------------------------------------------------------------------------------------


def test_cfn_lint_finds_no_errors(service: PackagedService) -> None:
    result = subprocess.run(
        [str(VENV_BIN / "cfn-lint"), "--format", "json", str(service.template_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    findings = json.loads(result.stdout or "[]")
    errors = [f"{f['Rule']['Id']} {f['Message']}" for f in findings if f["Level"] == "Error"]
    assert not errors, "\n".join(errors)
    assert result.returncode & 2 == 0, result.stderr


def _ensure_checkov() -> None:
    """checkov lives in a virtualenv of its own (its pins conflict with requirements-dev.txt); make test installs it."""
    assert CHECKOV.exists(), f"{CHECKOV} is missing: run the tests with `make test`, which installs checkov"


@pytest.fixture(scope="session")
def checkov_report(packaged: dict[str, PackagedService]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """One checkov run over every template (it starts slowly, so once): failed and skipped checks by service."""
    _ensure_checkov()
    command = [str(CHECKOV), "--config-file", str(CHECKOV_CONFIG), "--skip-download", "--framework", "cloudformation"]
    command += ["--output", "json", "--compact"]
    for service in packaged.values():
        command += ["--file", str(service.template_path)]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    TIMINGS[f"checkov, {len(packaged)} templates in one run"] = time.monotonic() - started
    assert result.stdout.strip(), result.stderr
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    by_service: dict[str, dict[str, list[dict[str, Any]]]] = {
        name: {"failed": [], "skipped": [], "passed": []} for name in packaged
    }
    for report in reports:
        results = report.get("results", {})
        for outcome in ("failed", "skipped", "passed"):
            for check in results.get(f"{outcome}_checks", []):
                name = Path(check["file_path"]).parent.name
                by_service[name][outcome].append(check)
    return by_service


def test_checkov_passes_every_check_that_is_not_skipped_with_a_reason_in_place(
    service: PackagedService, checkov_report: dict[str, dict[str, list[dict[str, Any]]]]
) -> None:
    report = checkov_report[service.name]

    failed = [f"{check['check_id']} {check['resource']}: {check['check_name']}" for check in report["failed"]]
    assert not failed, "\n".join(failed)
    assert report["passed"], "checkov checked nothing"
    for check in report["skipped"]:
        # Skips live on the resource (Metadata.checkov.skip in serverless.yml) with the reason beside them.
        assert len(check.get("check_result", {}).get("suppress_comment", "")) > 20, check["check_id"]


def _config_skips() -> dict[str, str]:
    """The checks .checkov.yaml skips everywhere, each with the comment above it (its reason)."""
    skips, reason = {}, []
    for line in CHECKOV_CONFIG.read_text().splitlines()[1:]:
        text = line.strip()
        if text.startswith("#") and line.startswith("  "):
            reason.append(text.lstrip("# "))
        elif text.startswith("- "):
            skips[text[2:]] = " ".join(reason)
            reason = []
    return skips


def test_each_check_skipped_everywhere_has_one_reason_and_no_resource_repeats_it(service: PackagedService) -> None:
    skips = _config_skips()
    config = yaml.safe_load(CHECKOV_CONFIG.read_text())

    assert sorted(skips) == sorted(config["skip-check"])
    assert all(len(reason) > 40 for reason in skips.values()), skips
    for logical_id, resource in service.template["Resources"].items():
        on_resource = {skip["id"] for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])}
        assert not on_resource & set(skips), f"{logical_id} repeats a skip of .checkov.yaml"


def test_every_queue_is_encrypted_at_rest(service: PackagedService) -> None:
    """What checkov's CKV_AWS_27 cannot see (it knows only KMS): SQS-managed encryption on every queue."""
    for logical_id, queue in service.resources("AWS::SQS::Queue").items():
        properties = queue["Properties"]
        assert properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties, logical_id


def test_every_output_compose_wires_is_in_the_producers_packaged_template(
    packaged: dict[str, PackagedService],
) -> None:
    for consumer, config in compose_services().items():
        for param, value in (config.get("params") or {}).items():
            producer, output = str(value)[2:-1].split(".", 1)
            assert output in packaged[producer].template["Outputs"], f"{consumer}.{param}: {producer} lacks {output}"


# --- every service -------------------------------------------------------------------------------


def test_no_policy_grants_a_wildcard_action_or_a_wildcard_resource(service: PackagedService) -> None:
    for logical_id, role in service.resources("AWS::IAM::Role").items():
        for statement in _statements(role):
            actions = set(_as_list(statement["Action"]))
            assert not [action for action in actions if "*" in action], f"{logical_id}: {actions}"
            if "*" in _as_list(statement["Resource"]):
                texts = actions == {"sns:Publish"} and _denies_every_topic(role)  # phone numbers only
                assert actions <= XRAY_ACTIONS or actions <= SNS_SUBSCRIPTION_ACTIONS or texts, (
                    f"{logical_id}: {actions} on '*'"
                )


def test_every_function_has_its_own_role_tracing_and_retained_logs(service: PackagedService) -> None:
    functions = service.resources("AWS::Lambda::Function")
    log_groups = {
        group["Properties"]["LogGroupName"]: group["Properties"]
        for group in service.resources("AWS::Logs::LogGroup").values()
    }
    roles = [_role_of(function) for function in functions.values()]

    assert len(roles) == len(set(roles)), "functions share a role"
    for logical_id, function in functions.items():
        properties = function["Properties"]
        assert service.template["Resources"][_role_of(function)]["Type"] == "AWS::IAM::Role"
        assert properties["TracingConfig"] == {"Mode": "Active"}, logical_id
        assert properties["Runtime"] == "python3.12"
        assert properties["Architectures"] == ["x86_64"]
        log_group = log_groups[f"/aws/lambda/{properties['FunctionName']}"]
        assert 1 <= log_group["RetentionInDays"] <= 365, logical_id
        # The function may write only to its own log group.
        own_log_group = _sub(
            f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/{properties['FunctionName']}:*"
        )
        permissions = _permissions(service, _role_of(function))
        assert permissions["logs:PutLogEvents"] == permissions["logs:CreateLogStream"] == [own_log_group], logical_id


def test_every_function_alarms_on_errors_and_throttles_to_the_ops_topic(service: PackagedService) -> None:
    alarms = service.resources("AWS::CloudWatch::Alarm").values()

    for logical_id in service.resources("AWS::Lambda::Function"):
        watched = {
            alarm["Properties"]["MetricName"]
            for alarm in alarms
            if {"Name": "FunctionName", "Value": {"Ref": logical_id}} in alarm["Properties"]["Dimensions"]
            and {"Ref": "OpsTopic"} in alarm["Properties"]["AlarmActions"]
            and alarm["Properties"]["Threshold"] == 0
        }
        assert {"Errors", "Throttles"} <= watched, logical_id
    if service.resources("AWS::Lambda::Function"):
        assert service.template["Resources"]["OpsTopic"]["Type"] == "AWS::SNS::Topic"
        assert "OpsTopicArn" in service.template["Outputs"]


def test_every_on_failure_queue_alarms_when_a_message_waits(service: PackagedService) -> None:
    queues = [
        config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
        for config in service.resources("AWS::Lambda::EventInvokeConfig").values()
    ] + [
        mapping["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
        for mapping in service.resources("AWS::Lambda::EventSourceMapping").values()
        # An SQS source has none: a message that fails stays on its queue.
        if "DestinationConfig" in mapping["Properties"]
    ]
    alarms = service.resources("AWS::CloudWatch::Alarm").values()

    for queue in queues:
        queue_id = queue["Fn::GetAtt"][0]
        assert service.template["Resources"][queue_id]["Type"] == "AWS::SQS::Queue"
        assert any(
            alarm["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
            and alarm["Properties"]["Dimensions"]
            == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
            and alarm["Properties"]["Threshold"] == 0
            and alarm["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"
            and alarm["Properties"]["AlarmActions"] == [{"Ref": "OpsTopic"}]
            for alarm in alarms
        ), queue_id


def test_every_bucket_is_encrypted_private_and_tls_only(service: PackagedService) -> None:
    policies = {
        policy["Properties"]["Bucket"]["Ref"]: policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in service.resources("AWS::S3::BucketPolicy").values()
    }
    for logical_id, bucket in service.resources("AWS::S3::Bucket").items():
        properties = bucket["Properties"]
        rule = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}, logical_id
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
        deny_plain_http = [
            statement
            for statement in policies[logical_id]
            if statement["Effect"] == "Deny"
            and statement["Principal"] == "*"
            and str(statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")).lower() == "false"
            and _as_list(statement["Action"]) == ["s3:*"]
        ]
        assert deny_plain_http, f"{logical_id} accepts requests without TLS"
        covered = json.dumps(deny_plain_http[0]["Resource"])
        assert logical_id in covered
        assert "/*" in covered, f"{logical_id}: objects not covered by the TLS-only policy"


def test_names_are_stage_aware(service: PackagedService) -> None:
    def names(node: Any) -> list[str]:
        found = []
        if isinstance(node, dict):
            for key, value in node.items():
                if key in NAME_PROPERTIES and isinstance(value, str):
                    found.append(value)
                found += names(value)
        elif isinstance(node, list):
            for value in node:
                found += names(value)
        return found

    for name in names(service.template["Resources"]):
        assert f"-{STAGE}-" in name or name.endswith(f"-{STAGE}"), name


# --- ingest --------------------------------------------------------------------------------------


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def test_ingest_function_may_touch_exactly_its_prefixes_tables_queue_and_itself(
    packaged: dict[str, PackagedService],
) -> None:
    ingest = packaged["ingest"]
    bucket = PLACEHOLDER_OUTPUTS["ingest"]["UploadBucketName"]
    account = "arn:${AWS::Partition}:SERVICE:${AWS::Region}:${AWS::AccountId}"
    function = f"inventory-ingest-{STAGE}-ingestUpload"
    log_group = account.replace("SERVICE", "logs") + f":log-group:/aws/lambda/{function}:*"
    itself = account.replace("SERVICE", "lambda") + f":function:{function}"

    assert _permissions(ingest, "IngestUploadRole") == {
        "logs:CreateLogStream": [_sub(log_group)],
        "logs:PutLogEvents": [_sub(log_group)],
        # Reports too: an undone upload's report is read back, to say it was undone.
        "s3:GetObject": [
            _sub(f"arn:${{AWS::Partition}}:s3:::{bucket}/{UPLOAD_PREFIX}*"),
            _sub(f"arn:${{AWS::Partition}}:s3:::{bucket}/{REPORTS_PREFIX}*"),
        ],
        "s3:GetObjectVersion": [_sub(f"arn:${{AWS::Partition}}:s3:::{bucket}/{UPLOAD_PREFIX}*")],
        "s3:PutObject": [_sub(f"arn:${{AWS::Partition}}:s3:::{bucket}/{REPORTS_PREFIX}*")],
        # Items go out as TransactWriteItems of conditional updates, which IAM checks as UpdateItem,
        # each fenced by a ConditionCheck on the upload's index row.
        # A dry run reads the item totals of the stores a file names (ingest.logic.guard).
        "dynamodb:BatchGetItem": [{"Fn::GetAtt": ["InventoryTable", "Arn"]}, {"Fn::GetAtt": ["StoresTable", "Arn"]}],
        # A full list reads its stores' items, to retire those it omits.
        "dynamodb:Query": [{"Fn::GetAtt": ["InventoryTable", "Arn"]}],
        "dynamodb:UpdateItem": [
            {"Fn::GetAtt": ["InventoryTable", "Arn"]},
            {"Fn::GetAtt": ["StoresTable", "Arn"]},
            {"Fn::GetAtt": ["UploadsTable", "Arn"]},
        ],
        "dynamodb:PutItem": [{"Fn::GetAtt": ["UploadsTable", "Arn"]}],
        "dynamodb:GetItem": [
            {"Fn::GetAtt": ["UploadsTable", "Arn"]},
            # The People table of the stage's dashboard API: what each uploader may change now.
            _sub(f"{account.replace('SERVICE', 'dynamodb')}:table/inventory-dashboard-api-{STAGE}-people"),
        ],
        "dynamodb:ConditionCheckItem": [{"Fn::GetAtt": ["UploadsTable", "Arn"]}],
        # A big file carries on in a new invocation of this function, and of no other.
        "lambda:InvokeFunction": [_sub(itself)],
        "sqs:SendMessage": [{"Fn::GetAtt": ["IngestFailureQueue", "Arn"]}],
        "xray:PutTraceSegments": ["*"],
        "xray:PutTelemetryRecords": ["*"],
        # The API role's unique id, which S3 events name: only that role's uploaded-by metadata is believed.
        "iam:GetRole": [_sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{API_ROLE}")],
    }


#: The dashboard API function's role, by the name both services derive from the stage and region.
API_ROLE = f"inventory-dashboard-api-{STAGE}-{REGION}"
#: The ingest function, by the name the dashboard API derives from the stage.
INGEST_FUNCTION = (
    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
    f"inventory-ingest-{STAGE}-ingestUpload"
)


def test_ingest_believes_uploaded_by_only_from_the_role_the_api_runs_as(packaged: dict[str, PackagedService]) -> None:
    ingest = packaged["ingest"].template["Resources"]["IngestUploadLambdaFunction"]["Properties"]
    api = packaged["dashboard-api"].template["Resources"]

    assert ingest["Environment"]["Variables"]["API_ROLE_NAME"] == API_ROLE
    assert ingest["Environment"]["Variables"].get("API_PRINCIPAL_ID", "") == ""  # only the local stack sets one
    assert api["DashboardApiRole"]["Properties"]["RoleName"] == API_ROLE
    assert api["ApiLambdaFunction"]["Properties"]["Role"] == {"Fn::GetAtt": ["DashboardApiRole", "Arn"]}


def test_ingest_reads_the_people_table_the_dashboard_api_of_its_stage_creates(
    packaged: dict[str, PackagedService],
) -> None:
    """Compose cannot pass the name (dashboard-api depends on ingest): both follow from the stage."""
    ingest = packaged["ingest"].template["Resources"]["IngestUploadLambdaFunction"]["Properties"]
    people = packaged["dashboard-api"].template["Resources"]["PeopleTable"]["Properties"]

    assert ingest["Environment"]["Variables"]["PEOPLE_TABLE"] == people["TableName"]


def test_ingest_hears_of_everything_under_the_upload_prefix_whatever_its_case(
    packaged: dict[str, PackagedService],
) -> None:
    # S3 compares suffixes case-sensitively (Berlin.CSV would not match .csv): no suffix rule at all;
    # the function decides by extension, in any case, and reports what it refuses.
    resources = packaged["ingest"].template["Resources"]
    notifications = resources["UploadBucket"]["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]

    assert notifications == [
        {
            "Event": "s3:ObjectCreated:*",
            "Function": {"Fn::GetAtt": ["IngestUploadLambdaFunction", "Arn"]},
            "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": UPLOAD_PREFIX}]}},
        }
    ]


def test_ingest_keeps_failed_invocations_and_knows_how_often_lambda_retries(
    packaged: dict[str, PackagedService],
) -> None:
    from ingest.logic.ingest import Timing

    ingest = packaged["ingest"]
    resources = ingest.template["Resources"]
    (invoke_config,) = ingest.resources("AWS::Lambda::EventInvokeConfig").values()
    variables = resources["IngestUploadLambdaFunction"]["Properties"]["Environment"]["Variables"]

    # The function says "retrying" only while Lambda will retry: it must know the same number.
    assert 1 + invoke_config["Properties"]["MaximumRetryAttempts"] == Timing().attempts
    assert invoke_config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["IngestFailureQueue", "Arn"]
    }
    assert resources["IngestFailureQueue"]["Properties"]["MessageRetentionPeriod"] == 1209600
    assert resources["UploadBucket"]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert variables["UPLOADS_TABLE"] == {"Ref": "UploadsTable"}
    # Stopping for a continuation leaves time for a batch in flight (60 s) and the saves.
    timeout = resources["IngestUploadLambdaFunction"]["Properties"]["Timeout"]
    assert 60 < Timing().stop_margin_seconds < timeout
    assert Timing().checkpoint_seconds < Timing().lease_seconds < timeout


def test_only_ingest_may_invoke_itself_past_lambdas_recursive_loop_limit(packaged: dict[str, PackagedService]) -> None:
    """A big file carries on in a new invocation of the same function (lambda:InvokeFunction on
    itself). Lambda stops such a chain after about 16 invocations unless the function sets
    ``RecursiveLoop: Allow``; moto applies no such limit, so the template is the proof."""
    for service in packaged.values():
        for logical_id, function in service.resources("AWS::Lambda::Function").items():
            expected = "Allow" if logical_id == "IngestUploadLambdaFunction" else None
            assert function["Properties"].get("RecursiveLoop") == expected, logical_id


def test_only_the_ingest_function_may_write_reports(packaged: dict[str, PackagedService]) -> None:
    # The emulator ignores policy conditions, so the local stack cannot show this: the document is the proof.
    resources = packaged["ingest"].template["Resources"]
    statements = resources["UploadBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]

    (reports,) = [statement for statement in statements if statement.get("Sid") == "OnlyIngestWritesReports"]
    assert reports == {
        "Sid": "OnlyIngestWritesReports",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": {"Fn::Sub": f"${{UploadBucket.Arn}}/{REPORTS_PREFIX}*"},
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["IngestUploadRole", "Arn"]}}},
    }


def test_only_the_dashboards_origin_may_post_files_to_the_upload_bucket_from_a_browser(
    packaged: dict[str, PackagedService],
) -> None:
    # The page posts each file with a presigned POST and follows its progress (which makes the browser
    # send a preflight): one rule, POST only, from the origin compose wires (the one the API allows too).
    # The emulator's gateway answers CORS itself, so the rule is proved on the document.
    bucket = packaged["ingest"].template["Resources"]["UploadBucket"]["Properties"]
    api = packaged["dashboard-api"].template["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]

    (rule,) = bucket["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == [PLACEHOLDER_OUTPUTS["dashboard-site"]["DashboardOrigin"]]
    assert rule["AllowedOrigins"] == api["AllowOrigins"]
    assert rule["AllowedMethods"] == ["POST"]
    assert "ETag" in rule["ExposedHeaders"]
    assert "*" not in rule.get("AllowedHeaders", [])
    assert 0 < rule["MaxAge"] <= 3600


def test_the_uploads_index_is_keyed_and_indexed_as_the_shared_contract_says(
    packaged: dict[str, PackagedService],
) -> None:
    from inventory.report import UploadReport, UploadSource
    from inventory.uploads import UPLOADS_BY_SCOPE, UPLOADS_BY_TIME, UploadEntry

    template = packaged["ingest"].template
    properties = template["Resources"]["UploadsTable"]["Properties"]
    indexes = {index["IndexName"]: index for index in properties["GlobalSecondaryIndexes"]}
    # Every attribute the dashboard API reads back from a listing (UploadEntry.from_item).
    entry = UploadEntry.of(
        UploadReport(UploadSource("b", "k"), uploaded_by="u", reason="r"), version="v", received_at="t", report_key="r"
    ).to_item()

    assert properties["KeySchema"] == [
        {"AttributeName": "Key", "KeyType": "HASH"},
        {"AttributeName": "Version", "KeyType": "RANGE"},
    ]
    assert set(indexes) == {UPLOADS_BY_SCOPE, UPLOADS_BY_TIME}
    for name, partition in ((UPLOADS_BY_SCOPE, "Scope"), (UPLOADS_BY_TIME, "Feed")):
        index = indexes[name]
        assert index["KeySchema"] == [
            {"AttributeName": partition, "KeyType": "HASH"},
            {"AttributeName": "ReceivedAt", "KeyType": "RANGE"},
        ]
        keys = {"Key", "Version", partition, "ReceivedAt"}
        projected = set(index["Projection"]["NonKeyAttributes"]) | keys
        assert set(entry) - {"Feed"} <= projected, set(entry) - projected
        # Ingest's claim and checkpoint stay out of the listings.
        assert not {"Checkpoint", "Owner", "LeaseUntil", "Source"} & projected
    assert template["Outputs"]["UploadsTableName"]["Value"] == {"Ref": "UploadsTable"}
    assert template["Outputs"]["UploadsTableArn"]["Value"] == {"Fn::GetAtt": ["UploadsTable", "Arn"]}


@pytest.mark.parametrize(
    ("service_name", "logical_id"),
    [
        ("ingest", "InventoryTable"),
        ("ingest", "StoresTable"),
        ("ingest", "UploadsTable"),
        ("ingest", "UploadBucket"),
        ("alerts", "HistoryTable"),
        ("alerts", "FailedRecordsTable"),
        ("alerts", "ForecastTable"),
        ("dashboard-api", "UserPool"),
        ("dashboard-api", "PeopleTable"),
    ],
)
def test_data_survives_stack_removal_and_replacement(
    packaged: dict[str, PackagedService], service_name: str, logical_id: str
) -> None:
    """RetainExceptOnCreate keeps the data when the stack is deleted or the resource removed, like
    Retain, but deletes it when the create that made it rolls back (AWS's documented behaviour)."""
    resource = packaged[service_name].template["Resources"][logical_id]

    assert resource["DeletionPolicy"] == "RetainExceptOnCreate"
    # UpdateReplacePolicy takes Delete, Retain or Snapshot only (RetainExceptOnCreate is DeletionPolicy's).
    assert resource["UpdateReplacePolicy"] == "Retain"


def test_a_failed_first_deploy_can_be_retried_no_named_resource_is_left_behind(service: PackagedService) -> None:
    """A resource with a fixed name and plain ``Retain`` survives the rollback of the create that
    made it, and every retry then fails with "already exists". (A name that refers to another resource,
    as a function version's FunctionName does, is not fixed.)"""
    checked = 0
    for logical_id, resource in service.template["Resources"].items():
        properties = resource.get("Properties", {})
        named = {name for name in NAME_PROPERTIES & set(properties) if not _refers(properties[name])}
        checked += bool(named and resource.get("DeletionPolicy"))
        assert not (named and resource.get("DeletionPolicy") == "Retain"), f"{logical_id} ({sorted(named)})"
    if service.name != "dashboard-site":
        assert checked, "every stack but the site's keeps named data"


def _refers(value: Any) -> bool:
    return isinstance(value, dict) and bool({"Ref", "Fn::GetAtt"} & set(value))


def test_tables_are_encrypted_recoverable_and_on_demand(service: PackagedService) -> None:
    for logical_id, table in service.resources("AWS::DynamoDB::Table").items():
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST", logical_id
        assert properties["SSESpecification"] == {"SSEEnabled": True}, logical_id
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, logical_id


# --- alerts --------------------------------------------------------------------------------------


def _mapping_from(service: PackagedService, source: Any) -> dict[str, Any]:
    (mapping,) = [
        mapping["Properties"]
        for mapping in service.resources("AWS::Lambda::EventSourceMapping").values()
        if mapping["Properties"]["EventSourceArn"] == source
    ]
    return mapping


def test_alerts_reads_the_wired_stream_in_bounded_retried_batches(packaged: dict[str, PackagedService]) -> None:
    alerts = packaged["alerts"]
    properties = _mapping_from(alerts, PLACEHOLDER_OUTPUTS["ingest"]["InventoryStreamArn"])

    assert properties["FunctionName"] == {"Fn::GetAtt": ["AlertsStreamLambdaFunction", "Arn"]}
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    assert properties["BatchSize"] == 500
    assert properties["MaximumBatchingWindowInSeconds"] == 10
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["MaximumRetryAttempts"] == 5
    # Failed records go to the queue while the stream (24 h) still holds them for the archiver.
    assert 60 <= properties["MaximumRecordAgeInSeconds"] <= 6 * 3600
    assert properties["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": ["AlertsFailureQueue", "Arn"]}}
    }
    # Only removals are dropped: malformed inserts and updates reach the function, which counts them.
    (pattern,) = properties["FilterCriteria"]["Filters"]
    assert json.loads(pattern["Pattern"]) == {"eventName": ["INSERT", "MODIFY"]}
    function = alerts.template["Resources"]["AlertsStreamLambdaFunction"]["Properties"]
    variables = function["Environment"]["Variables"]
    assert variables["LOW_STOCK_DEFAULT"] == PLACEHOLDER_OUTPUTS["ingest"]["LowStockDefault"]
    assert variables["STORES_TABLE"] == PLACEHOLDER_OUTPUTS["ingest"]["StoresTableName"]


def test_alerts_stream_function_may_touch_exactly_the_stream_history_stores_row_topic_and_queue(
    packaged: dict[str, PackagedService],
) -> None:
    stream = PLACEHOLDER_OUTPUTS["ingest"]["InventoryStreamArn"]
    permissions = _permissions(packaged["alerts"], "AlertsStreamRole")

    for action in (
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    ):
        assert permissions.pop(action) == [stream]
    # A transaction's parts are authorised as the single-item writes they are; a Forecast row is
    # read in a batch and put on its own, and nothing else of that table is allowed.
    assert permissions.pop("dynamodb:PutItem") == [
        {"Fn::GetAtt": ["HistoryTable", "Arn"]},
        {"Fn::GetAtt": ["ForecastTable", "Arn"]},
    ]
    assert permissions.pop("dynamodb:BatchGetItem") == [{"Fn::GetAtt": ["ForecastTable", "Arn"]}]
    # The store's totals; announcement marks, conditional updates of History rows in transactions.
    assert permissions.pop("dynamodb:UpdateItem") == [
        {"Fn::GetAtt": ["HistoryTable", "Arn"]},
        _sub(PLACEHOLDER_OUTPUTS["ingest"]["StoresTableArn"]),
    ]
    # Published digests, looked up by a retry.
    assert permissions.pop("dynamodb:Query") == [{"Fn::GetAtt": ["HistoryTable", "Arn"]}]
    assert permissions.pop("sns:Publish") == [{"Ref": "AlertsTopic"}]
    assert permissions.pop("sqs:SendMessage") == [{"Fn::GetAtt": ["AlertsFailureQueue", "Arn"]}]
    assert permissions.pop("xray:PutTraceSegments") == permissions.pop("xray:PutTelemetryRecords") == ["*"]
    assert permissions.pop("logs:CreateLogStream") == permissions.pop("logs:PutLogEvents")
    # The alerts topic is encrypted with the SNS-managed key: usable only through SNS.
    kms = [
        statement
        for statement in _statements(packaged["alerts"].template["Resources"]["AlertsStreamRole"])
        if "kms:Decrypt" in _as_list(statement["Action"])
    ]
    for statement in kms:
        assert statement["Condition"]["StringEquals"]["kms:ViaService"] == {
            "Fn::Sub": "sns.${AWS::Region}.amazonaws.com"
        }
    assert set(permissions) <= {"kms:GenerateDataKey", "kms:Decrypt"}


def test_the_forecast_table_is_keyed_and_sparsely_indexed_as_the_shared_contract_says(
    packaged: dict[str, PackagedService],
) -> None:
    from inventory.forecast import Forecast, ForecastRow, ModelState

    template = packaged["alerts"].template
    properties = template["Resources"]["ForecastTable"]["Properties"]
    (index,) = properties["GlobalSecondaryIndexes"]
    at = "2026-11-22T03:00:00.000Z"
    soon = ForecastRow("Berlin", "Echo Dot", ModelState(3, at, "1", 1.0, 1.0), Forecast(3, 1.0, 3.0, at))
    idle = ForecastRow("Berlin", "Kindle", ModelState(3, at, "1"))

    assert properties["TableName"] == "inventory-alerts-ci-forecast"
    assert properties["KeySchema"] == [
        {"AttributeName": "Store", "KeyType": "HASH"},
        {"AttributeName": "Item", "KeyType": "RANGE"},
    ]
    assert {"AttributeName": "RunningOutIn", "AttributeType": "N"} in properties["AttributeDefinitions"]
    assert index["IndexName"] == RUNNING_OUT_INDEX
    assert index["KeySchema"] == [
        {"AttributeName": "Store", "KeyType": "HASH"},
        {"AttributeName": "RunningOutIn", "KeyType": "RANGE"},
    ]
    # The API reads whole rows from it. Key and projection as they were when the key held days of cover:
    # a deploy over an existing stage leaves the index in place (changing either would make
    # CloudFormation delete and rebuild it).
    assert index["Projection"] == {"ProjectionType": "ALL"}
    # Sparse: a row is in the index only while it carries the sort key.
    assert "RunningOutIn" in soon.to_item()
    assert "RunningOutIn" not in idle.to_item()
    variables = template["Resources"]["AlertsStreamLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["FORECAST_TABLE"] == {"Ref": "ForecastTable"}
    assert variables["SOON_DAYS"] == "3"
    assert template["Outputs"]["ForecastTableName"]["Value"] == {"Ref": "ForecastTable"}
    assert template["Outputs"]["ForecastTableArn"]["Value"] == {"Fn::GetAtt": ["ForecastTable", "Arn"]}


def test_alerts_archiver_reads_the_failure_queue_and_the_stream_and_writes_only_the_failed_records_table(
    packaged: dict[str, PackagedService],
) -> None:
    alerts = packaged["alerts"]
    properties = _mapping_from(alerts, {"Fn::GetAtt": ["AlertsFailureQueue", "Arn"]})
    permissions = _permissions(alerts, "AlertsArchiveRole")

    assert properties["FunctionName"] == {"Fn::GetAtt": ["AlertsFailureArchiveLambdaFunction", "Arn"]}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Lambda requires the queue's visibility timeout to cover the function's timeout.
    queue = alerts.template["Resources"]["AlertsFailureQueue"]["Properties"]
    function = alerts.template["Resources"]["AlertsFailureArchiveLambdaFunction"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
    assert function["Environment"]["Variables"]["FAILED_RECORDS_TABLE"] == {"Ref": "FailedRecordsTable"}
    queue_arn = [{"Fn::GetAtt": ["AlertsFailureQueue", "Arn"]}]
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert permissions.pop(action) == queue_arn
    for action in ("dynamodb:GetShardIterator", "dynamodb:GetRecords"):
        assert permissions.pop(action) == [PLACEHOLDER_OUTPUTS["ingest"]["InventoryStreamArn"]]
    assert permissions.pop("dynamodb:PutItem") == [{"Fn::GetAtt": ["FailedRecordsTable", "Arn"]}]
    assert set(permissions) == {"logs:CreateLogStream", "logs:PutLogEvents"} | XRAY_ACTIONS


def test_alerts_recount_runs_hourly_reading_the_tables_and_writing_only_the_stores_rows_and_its_progress(
    packaged: dict[str, PackagedService],
) -> None:
    """Hourly runs share one pass a day (see tests/unit/alerts/test_recount_pass.py); the pass's
    progress lives in a table of the recount's own."""
    alerts = packaged["alerts"]
    ingest = PLACEHOLDER_OUTPUTS["ingest"]
    (rule,) = alerts.resources("AWS::Events::Rule").values()
    permissions = _permissions(alerts, "AlertsRecountRole")
    variables = alerts.template["Resources"]["AlertsRecountLambdaFunction"]["Properties"]["Environment"]["Variables"]

    assert rule["Properties"]["ScheduleExpression"] == "rate(1 hour)"
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": ["AlertsRecountLambdaFunction", "Arn"]}
    assert variables["INVENTORY_TABLE"] == ingest["InventoryTableName"]
    assert variables["STORES_TABLE"] == ingest["StoresTableName"]
    assert variables["RECOUNT_PROGRESS_TABLE"] == {"Ref": "RecountProgressTable"}
    for action in ("dynamodb:Scan", "dynamodb:GetItem"):
        assert permissions.pop(action) == [_sub(ingest["StoresTableArn"])]
    assert permissions.pop("dynamodb:UpdateItem") == [
        _sub(ingest["StoresTableArn"]),
        {"Fn::GetAtt": ["RecountProgressTable", "Arn"]},
    ]
    assert permissions.pop("dynamodb:Query") == [
        _sub(ingest["InventoryTableArn"]),
        {"Fn::GetAtt": ["FailedRecordsTable", "Arn"]},
    ]
    assert set(permissions) == {"logs:CreateLogStream", "logs:PutLogEvents"} | XRAY_ACTIONS


# --- dashboard API -------------------------------------------------------------------------------


def test_every_api_route_requires_a_token_from_the_pool_for_the_dashboard_client(
    packaged: dict[str, PackagedService],
) -> None:
    api = packaged["dashboard-api"]
    (authorizer_id, authorizer), *others = api.resources("AWS::ApiGatewayV2::Authorizer").items()
    routes = api.resources("AWS::ApiGatewayV2::Route")

    assert not others
    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    assert authorizer["Properties"]["IdentitySource"] == ["$request.header.Authorization"]
    assert authorizer["Properties"]["JwtConfiguration"] == {
        "Issuer": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"},
        "Audience": [{"Ref": "UserPoolClient"}],
    }
    assert len(routes) >= 6
    for logical_id, route in routes.items():
        assert route["Properties"]["AuthorizationType"] == "JWT", logical_id
        assert route["Properties"]["AuthorizerId"] == {"Ref": authorizer_id}, logical_id
    cors = api.template["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]
    assert cors["AllowOrigins"] == [PLACEHOLDER_OUTPUTS["dashboard-site"]["DashboardOrigin"]]


def test_dashboard_api_reads_only_the_wired_tables_index_and_reports(packaged: dict[str, PackagedService]) -> None:
    ingest, alerts = PLACEHOLDER_OUTPUTS["ingest"], PLACEHOLDER_OUTPUTS["alerts"]
    bucket = ingest["UploadBucketName"]
    permissions = _permissions(packaged["dashboard-api"], "DashboardApiRole")
    logs = permissions.pop("logs:CreateLogStream")

    assert permissions.pop("logs:PutLogEvents") == logs
    assert permissions.pop("xray:PutTraceSegments") == permissions.pop("xray:PutTelemetryRecords") == ["*"]
    people = {"Fn::GetAtt": ["PeopleTable", "Arn"]}
    for action in SUBSCRIPTION_AND_USER_ACTIONS:  # test_dashboard_api_manages_only_...
        permissions.pop(action)
    assert permissions == {
        # A held upload's row, before a decision on it (the decision itself is an UpdateItem, below).
        "dynamodb:GetItem": [_sub(ingest["StoresTableArn"]), _sub(ingest["UploadsTableArn"]), people],
        "dynamodb:Scan": [_sub(ingest["StoresTableArn"]), people],
        # The forecast rows of a sparse items page; everything else of that table is a Query.
        "dynamodb:BatchGetItem": [_sub(alerts["ForecastTableArn"])],
        "dynamodb:Query": [
            _sub(ingest["InventoryTableArn"]),
            _sub(f"{ingest['InventoryTableArn']}/index/{ALERTS_INDEX}"),
            _sub(alerts["HistoryTableArn"]),
            _sub(alerts["ForecastTableArn"]),
            _sub(f"{alerts['ForecastTableArn']}/index/{RUNNING_OUT_INDEX}"),
            _sub(ingest["UploadsTableArn"]),
            _sub(f"{ingest['UploadsTableArn']}/index/{UPLOADS_BY_SCOPE}"),
            _sub(f"{ingest['UploadsTableArn']}/index/{UPLOADS_BY_TIME}"),
            people,
        ],
        # One report at a time; the bucket is never listed (no s3:ListBucket).
        "s3:GetObject": [_sub(f"arn:${{AWS::Partition}}:s3:::{bucket}/{REPORTS_PREFIX}*")],
        # Upload grants are signed with this role: S3 honours them under the upload prefix only.
        "s3:PutObject": [_sub(f"arn:${{AWS::Partition}}:s3:::{bucket}/{UPLOAD_PREFIX}*")],
        "secretsmanager:GetSecretValue": [{"Ref": "CursorSecret"}],
        # Ingest's function of the same stage, and no other: it carries out a decision on a held upload.
        "lambda:InvokeFunction": [_sub(INGEST_FUNCTION)],
    }
    variables = packaged["dashboard-api"].template["Resources"]["ApiLambdaFunction"]["Properties"]["Environment"][
        "Variables"
    ]
    assert variables["INVENTORY_TABLE"] == ingest["InventoryTableName"]
    assert variables["STORES_TABLE"] == ingest["StoresTableName"]
    assert variables["HISTORY_TABLE"] == alerts["HistoryTableName"]
    assert variables["FORECAST_TABLE"] == alerts["ForecastTableName"]
    assert variables["UPLOADS_TABLE"] == ingest["UploadsTableName"]
    assert variables["UPLOAD_BUCKET"] == ingest["UploadBucketName"]
    assert variables["MAX_UPLOAD_BYTES"] == str(50 * 1024 * 1024)
    assert variables["INGEST_FUNCTION_ARN"] == _sub(INGEST_FUNCTION)


def test_dashboard_api_signs_cursors_with_a_generated_secret_and_no_default(
    packaged: dict[str, PackagedService],
) -> None:
    resources = packaged["dashboard-api"].template["Resources"]
    variables = resources["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    secret = resources["CursorSecret"]

    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    assert "SecretString" not in secret["Properties"]  # generated by AWS at deploy time, never in a file
    assert variables["CURSOR_SECRET_ARN"] == {"Ref": "CursorSecret"}
    assert "CURSOR_KEY" not in variables
    assert "cursorKey" not in (REPO / "services" / "dashboard-api" / "serverless.yml").read_text()


def test_dashboard_api_is_throttled_at_the_stage_and_reserves_no_concurrency_unless_asked(
    packaged: dict[str, PackagedService],
) -> None:
    """AWS refuses a reservation that leaves an account fewer than 100 unreserved executions, and a
    new account's quota is often 10: the default stage must deploy there."""
    resources = packaged["dashboard-api"].template["Resources"]
    (stage,) = packaged["dashboard-api"].resources("AWS::ApiGatewayV2::Stage").values()
    function = resources["ApiLambdaFunction"]

    settings = stage["Properties"]["DefaultRouteSettings"]
    assert float(settings["ThrottlingRateLimit"]) == 50
    assert int(settings["ThrottlingBurstLimit"]) == 100
    assert "apiReservedConcurrency" not in packaged["dashboard-api"].params
    assert "ReservedConcurrentExecutions" not in function["Properties"]
    skipped = {skip["id"] for skip in function.get("Metadata", {}).get("checkov", {}).get("skip", [])}
    assert "CKV_AWS_115" in skipped  # no reservation by default: excused with a reason


def test_no_function_of_the_default_stage_reserves_concurrency(service: PackagedService) -> None:
    for logical_id, function in service.resources("AWS::Lambda::Function").items():
        assert "ReservedConcurrentExecutions" not in function["Properties"], logical_id


def test_dashboard_api_allows_posts_from_the_dashboard_for_upload_grants(packaged: dict[str, PackagedService]) -> None:
    cors = packaged["dashboard-api"].template["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]
    routes = {
        route["Properties"]["RouteKey"]
        for route in packaged["dashboard-api"].resources("AWS::ApiGatewayV2::Route").values()
    }

    assert "POST" in cors["AllowMethods"]
    assert {"POST /uploads", "POST /stores/{store}/uploads", "GET /uploads"} <= routes


COGNITO_ADMIN_ACTIONS = {
    "cognito-idp:AdminGetUser",  # the MFA check for admins
    "cognito-idp:AdminListGroupsForUser",
    "cognito-idp:ListUsers",
    "cognito-idp:ListUsersInGroup",
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminRemoveUserFromGroup",
    "cognito-idp:AdminUpdateUserAttributes",
    "cognito-idp:AdminDisableUser",
    "cognito-idp:AdminEnableUser",
    "cognito-idp:AdminDeleteUser",
    "cognito-idp:AdminUserGlobalSignOut",
    "cognito-idp:AdminResetUserPassword",
    "cognito-idp:AdminSetUserPassword",
}
PEOPLE_TABLE_WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}
SUBSCRIPTION_AND_USER_ACTIONS = {
    "sns:Subscribe",
    "sns:Publish",
    *SNS_SUBSCRIPTION_ACTIONS,
    *COGNITO_ADMIN_ACTIONS,
    *PEOPLE_TABLE_WRITES,
}


def test_dashboard_api_manages_only_subscriptions_of_the_wired_topic_and_users_of_its_own_pool(
    packaged: dict[str, PackagedService],
) -> None:
    api = packaged["dashboard-api"]
    topic = PLACEHOLDER_OUTPUTS["alerts"]["AlertsTopicArn"]
    statements = _statements(api.template["Resources"]["DashboardApiRole"])
    permissions = _permissions(api, "DashboardApiRole")

    (subscribe,) = [s for s in statements if "sns:Subscribe" in _as_list(s["Action"])]
    assert _as_list(subscribe["Action"]) == ["sns:Subscribe"]
    assert subscribe["Resource"] == _sub(topic)  # the alerts topic compose wires in, nothing else
    assert subscribe["Condition"] == {"StringEquals": {"sns:Protocol": ["email", "sms", "https", "sqs", "lambda"]}}
    for action in SNS_SUBSCRIPTION_ACTIONS:
        assert permissions[action] == ["*"]  # SNS takes no resource for these (see SNS_SUBSCRIPTION_ACTIONS)
    # Codes texted to phone numbers: a number has no ARN; every topic is denied, so only numbers are left.
    assert permissions["sns:Publish"] == ["*"]
    assert _denies_every_topic(api.template["Resources"]["DashboardApiRole"])
    for action in COGNITO_ADMIN_ACTIONS:
        assert permissions[action] == [{"Fn::GetAtt": ["UserPool", "Arn"]}], action
    uploads = _sub(PLACEHOLDER_OUTPUTS["ingest"]["UploadsTableArn"])
    for action in PEOPLE_TABLE_WRITES:
        # UpdateItem also sets a store's settings (its Stores row) and decides on a held upload (its index
        # row), and on nothing else of ingest's.
        stores = _sub(PLACEHOLDER_OUTPUTS["ingest"]["StoresTableArn"])
        others = [stores, uploads] if action == "dynamodb:UpdateItem" else []
        assert permissions[action] == [*others, {"Fn::GetAtt": ["PeopleTable", "Arn"]}], action
    assert not [action for action in permissions if action.startswith(("sns:", "cognito-idp:"))
                and action not in SUBSCRIPTION_AND_USER_ACTIONS]  # fmt: skip
    variables = api.template["Resources"]["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["ALERTS_TOPIC_ARN"] == _sub(topic)
    assert variables["PEOPLE_TABLE"] == {"Ref": "PeopleTable"}
    assert variables["USER_POOL_ID"] == {"Ref": "UserPool"}
    assert int(variables["MAX_SUBSCRIPTIONS_PER_USER"]) >= 1
    outputs = api.template["Outputs"]
    assert outputs["PeopleTableName"]["Value"] == {"Ref": "PeopleTable"}
    assert outputs["AlertsTopicArn"]["Value"] == _sub(topic)


def test_the_default_stage_offers_no_sms_until_it_is_set_up(packaged: dict[str, PackagedService]) -> None:
    """A new account is in the SMS sandbox with a $1 monthly spend limit: SNS takes SMS subscriptions
    and drops the texts. The API (SMS_ENABLED) and the dashboard (the SmsEnabled output, read into
    config.json by publish.py) both follow the `smsEnabled` stage parameter, off by default."""
    api = packaged["dashboard-api"]
    variables = api.template["Resources"]["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]

    assert variables["SMS_ENABLED"] == "false"
    assert api.template["Outputs"]["SmsEnabled"]["Value"] == variables["SMS_ENABLED"]


def test_the_subscription_sweep_runs_hourly_on_the_people_table_and_the_wired_topic_only(
    packaged: dict[str, PackagedService],
) -> None:
    api = packaged["dashboard-api"]
    topic = PLACEHOLDER_OUTPUTS["alerts"]["AlertsTopicArn"]
    function = f"inventory-dashboard-api-{STAGE}-sweepSubscriptions"
    log_group = f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/{function}:*"
    (rule,) = api.resources("AWS::Events::Rule").values()
    variables = api.template["Resources"]["SweepSubscriptionsLambdaFunction"]["Properties"]["Environment"]["Variables"]

    assert rule["Properties"]["ScheduleExpression"] == "rate(1 hour)"
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": ["SweepSubscriptionsLambdaFunction", "Arn"]}
    assert variables["PEOPLE_TABLE"] == {"Ref": "PeopleTable"}
    assert variables["ALERTS_TOPIC_ARN"] == _sub(topic)
    people = [{"Fn::GetAtt": ["PeopleTable", "Arn"]}]
    assert _permissions(api, "SubscriptionSweepRole") == {
        "logs:CreateLogStream": [_sub(log_group)],
        "logs:PutLogEvents": [_sub(log_group)],
        "dynamodb:Scan": people,
        "dynamodb:GetItem": people,
        "dynamodb:UpdateItem": people,
        "dynamodb:DeleteItem": people,
        "sns:ListSubscriptionsByTopic": [_sub(topic)],
        "sns:Subscribe": [_sub(topic)],
        **{action: ["*"] for action in SNS_SUBSCRIPTION_ACTIONS},
        "xray:PutTraceSegments": ["*"],
        "xray:PutTelemetryRecords": ["*"],
    }


def test_accounts_recover_by_verified_email_keep_short_revocable_sessions_and_optional_totp(
    packaged: dict[str, PackagedService],
) -> None:
    resources = packaged["dashboard-api"].template["Resources"]
    pool = resources["UserPool"]["Properties"]
    client = resources["UserPoolClient"]["Properties"]

    assert pool["AccountRecoverySetting"] == {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert (pool["MfaConfiguration"], pool["EnabledMfas"]) == ("OPTIONAL", ["SOFTWARE_TOKEN_MFA"])
    # Threat protection where the stage asks for it (off for this stage), on the plan that offers it.
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "OFF"}
    assert pool["UserPoolTier"] == {"Fn::If": ["ThreatProtection", "PLUS", "ESSENTIALS"]}
    assert (client["RefreshTokenValidity"], client["TokenValidityUnits"]["RefreshToken"]) == (12, "hours")
    assert client["EnableTokenRevocation"] is True
    # ForgotPassword is a public API: answering "no such user" would let anyone enumerate accounts.
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert set(client["WriteAttributes"]) == {"name"}  # not custom:stores, not the recovery email
    assert "email" in client["ReadAttributes"]


def test_production_turns_threat_protection_on() -> None:
    from tests.deploy.conftest import definition

    params = definition("dashboard-api")["params"]

    assert params["default"]["threatProtection"] == "OFF"
    assert params["prod"]["threatProtection"] in {"AUDIT", "ENFORCED"}
