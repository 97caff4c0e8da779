"""IAM proven, not assumed: every AWS call each function makes on the local stack, checked against the role
the packaged template gives it.

The emulator authorises nothing, so a missing grant would only show on AWS. Here a local stack of its own
runs a journey that reaches every function (files of each format, by S3 and by an upload grant, alerts,
every API route, the recount and the failure archive); each function's worker records every call as the
IAM requests it needs (:mod:`devstack.worker`, :func:`devstack.iam.requests`). Each request is then judged
(:func:`devstack.iam.allows`) against the statements of the function's role in the template
``serverless package`` made for stage ``ci``. The local stack names things for stage ``local``: the local
name or ARN of each resource is translated to the one the packaged template gives it, by logical id
(``calls/resources.json``), with the values compose passes between services as the packaging used them.

Grants no recorded call used are written to ``iam-report.txt`` in the run's temporary directory and
printed after the run (without ``pytest -n``): most are what Lambda uses on the function's behalf (logs,
X-Ray, reading the stream or queue that triggers it, on-failure destinations), which no function call shows.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
import requests

from devstack.iam import CONDITIONS_ASSUMED, Request, allows, role_statements, template_function_role, unused
from devstack.intrinsics import Resolver
from tests.builders import csv_file
from tests.deploy.conftest import ACCOUNT, IAM_REPORT, PLACEHOLDER_OUTPUTS, REGION, STAGE, PackagedService, definition
from tests.e2e.conftest import (
    LocalStackProcess,
    aws_client,
    create_user,
    demo_user,
    digests,
    sign_in,
    start_stack,
    stop_stack,
    unique_store,
    upload_file,
)
from tests.e2e.test_api_security import get

pytestmark = [pytest.mark.e2e, pytest.mark.deploy]

REPORT_TIMEOUT_S = 90


# -- the journey --------------------------------------------------------------------------------------------


def call(stack: Mapping[str, Any], token: str, method: str, path: str, body: Any = None) -> Any:
    """One API request as the dashboard makes it; answers its JSON, failing on any status but 2xx."""
    response = requests.request(
        method, f"{stack['api_url']}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.ok, f"{method} {path}: {response.status_code} {response.text[:500]}"
    return response.json() if response.content else None


def workbook(rows: list[tuple[Any, ...]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [("store", "item", "count"), *rows]:
        sheet.append(list(row))
    data = BytesIO()
    book.save(data)
    return data.getvalue()


def granted_upload(stack: Mapping[str, Any], token: str, store: str, body: bytes) -> None:
    """A store's upload as the dashboard makes it: a grant, the form posted to the bucket, the report read
    back through the API until it is final (read while not written yet, too)."""
    grant = call(
        stack, token, "POST", f"/stores/{quote(store, safe='')}/uploads", {"filename": "count.csv", "size": len(body)}
    )
    posted = requests.post(grant["url"], data=grant["fields"], files={"file": ("count.csv", body)}, timeout=30)
    assert posted.ok, posted.text
    deadline = time.monotonic() + REPORT_TIMEOUT_S
    while time.monotonic() < deadline:
        status, found = get(dict(stack), f"/uploads?key={quote(grant['key'], safe='')}", token)
        assert status in (200, 404), found
        if status == 200 and found["report"] and found["report"]["status"] not in ("loading", "retrying"):
            assert found["report"]["status"] == "ok", found["report"]
            return
        time.sleep(0.3)
    pytest.fail(f"no final report for the granted upload {grant['key']}")


def held_upload(stack: Mapping[str, Any], token: str, store: str, body: bytes, *decisions: str) -> None:
    """A dashboard upload with its dry run: held until each of ``decisions`` (confirm or discard, then undo) is
    carried out in turn."""
    grant = call(
        stack,
        token,
        "POST",
        f"/stores/{quote(store, safe='')}/uploads",
        {"filename": "count.csv", "size": len(body), "preview": True},
    )
    posted = requests.post(grant["url"], data=grant["fields"], files={"file": ("count.csv", body)}, timeout=30)
    assert posted.ok, posted.text
    settled = {
        "needs_confirmation": {"needs_confirmation"},
        "confirm": {"ok"},
        "discard": {"discarded"},
        "undo": {"undone"},
    }
    steps = ("needs_confirmation", *decisions)
    for step, then in zip(steps, (*decisions, ""), strict=True):
        deadline = time.monotonic() + REPORT_TIMEOUT_S
        while time.monotonic() < deadline:
            status, found = get(dict(stack), f"/uploads?key={quote(grant['key'], safe='')}", token)
            if status == 200 and found["report"] and found["report"]["status"] in settled[step]:
                break
            time.sleep(0.3)
        else:
            pytest.fail(f"{grant['key']} did not reach {settled[step]}")
        if then:
            version = found["uploads"][0]["version"]
            call(stack, token, "POST", f"/uploads/{then}", {"key": grant["key"], "version": version})


def invoke(stack: Mapping[str, Any], key: str, event: Any) -> Any:
    """Invoke a function by its key in serverless.yml, as Lambda's scheduler or event source would."""
    name = next(name for name, spec in stack["functions"].items() if spec["key"] == key)
    response = aws_client(stack, "lambda").invoke(FunctionName=name, Payload=json.dumps(event).encode())
    result = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, result
    return result


def failure_message(stack: Mapping[str, Any]) -> dict[str, Any]:
    """An SQS event holding Lambda's on-failure record for the first record of the Inventory stream."""
    stream_arn = aws_client(stack, "dynamodb").describe_table(TableName=stack["table"])["Table"]["LatestStreamArn"]
    streams = aws_client(stack, "dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    sequence = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1)["Records"][0]["dynamodb"][
        "SequenceNumber"
    ]
    record = {
        "requestContext": {"requestId": str(uuid.uuid4()), "condition": "RetryAttemptsExhausted"},
        "timestamp": "2026-01-01T00:00:00.000Z",
        "DDBStreamBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": sequence,
            "endSequenceNumber": sequence,
            "batchSize": 1,
            "streamArn": stream_arn,
        },
    }
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "local",
                "body": json.dumps(record),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{stack['region']}:{ACCOUNT}:stream-failures",
                "awsRegion": stack["region"],
            }
        ]
    }


def drive(stack: LocalStackProcess) -> None:
    """What people and schedules do to every function of every service."""
    info = stack.info
    store = unique_store("IAM")
    items = [(store, "IAM Widget", 0), (store, "IAM Gadget", 2), (store, "IAM Gizmo", 40)]
    prefix = info["upload_prefix"]
    # Files of each format, as a store's tool puts them in the bucket (ingest); their changes reach alerts.
    for name, body in (
        ("count.csv", csv_file(items)),
        ("count.json", json.dumps([{"store": s, "item": i, "count": c + 1} for s, i, c in items]).encode()),
        ("count.xlsx", workbook([(s, i, c + 2) for s, i, c in items])),
    ):
        report = upload_file(info, f"{prefix}iam-{uuid.uuid4().hex[:8]}-{name}", body)
        assert report["status"] == "ok", report
    assert digests(stack, store, expect=1), "no digest for the store's alerts"
    # A full list that omits one item retires it (ingest reads the store's items; alerts take it out).
    full = upload_file(
        info, f"{prefix}iam-{uuid.uuid4().hex[:8]}-full.csv", csv_file(items[:2]), Metadata={"full-list": "true"}
    )
    assert (full["status"], full["rows"]["retired"]) == ("ok", 1), full

    other = unique_store("IAM other")
    manager_account = create_user(info, stores=(store, other), prefix="iam")
    manager = sign_in(info, manager_account)["IdToken"]
    admin = sign_in(info, demo_user(info, admin=True))["IdToken"]
    granted_upload(info, manager, store, csv_file([(store, "IAM Widget", 0), (store, "IAM Gadget", 1)]))
    # Dry runs held for confirmation: one confirmed then undone, one discarded (the API invokes ingest to carry them
    # out).
    held_upload(info, manager, store, csv_file([(store, "IAM Widget", 3)]), "confirm", "undo")
    held_upload(info, manager, store, csv_file([(store, "IAM Gadget", 0)]), "discard")

    segment = quote(store, safe="")
    for token in (manager, admin):
        call(info, token, "GET", "/stores")
        call(info, token, "GET", f"/stores/{segment}/items")
        call(info, token, "GET", f"/stores/{segment}/items?q=gadget&status=low")
        call(info, token, "GET", f"/stores/{segment}/items/{quote('IAM Gadget', safe='')}/history")
        call(info, token, "GET", "/alerts")
        call(info, token, "GET", f"/stores/{segment}/forecast")
        call(info, token, "GET", "/forecast")
        call(info, token, "GET", "/uploads")
        call(info, token, "GET", f"/uploads?store={segment}")
        call(info, token, "GET", "/openapi.json")
    call(info, admin, "POST", "/uploads", {"filename": "all.csv", "size": 10})

    def subscribe(stores: list[str]) -> Any:
        address = f"iam-{uuid.uuid4().hex[:6]}@example.com"
        body = {"protocol": "email", "endpoint": address, "stores": stores, "severities": ["out"]}
        return call(info, manager, "POST", "/subscriptions", body)

    call(info, manager, "DELETE", f"/subscriptions/{subscribe([store])['id']}")
    subscribe([store, other])
    call(info, manager, "GET", "/subscriptions")
    call(info, admin, "GET", "/subscriptions?all=true")

    person = f"iam-{uuid.uuid4().hex[:8]}"
    call(info, admin, "POST", "/users", {"username": person, "email": f"{person}@example.com", "stores": [store]})
    call(info, admin, "GET", "/users")
    call(info, admin, "GET", f"/users/{person}")
    call(info, admin, "PUT", f"/users/{person}/access", {"stores": ["Berlin"]})
    call(info, admin, "POST", f"/users/{person}/disable")
    call(info, admin, "POST", f"/users/{person}/enable")
    call(info, admin, "POST", f"/users/{person}/reset-password", {"temporary_password": True})
    call(info, admin, "POST", f"/users/{person}/reset-password")
    call(info, admin, "DELETE", f"/users/{person}")
    head_office = f"iam-{uuid.uuid4().hex[:8]}"
    call(info, admin, "POST", "/users", {"username": head_office, "email": f"{head_office}@example.com", "admin": True})
    # The manager loses a store their subscription names: it is narrowed to the other (their sessions end).
    change = call(info, admin, "PUT", f"/users/{manager_account['username']}/access", {"stores": [store]})
    assert change["subscriptions"]["narrowed"] == 1, change
    call(info, admin, "POST", f"/users/{manager_account['username']}/reset-password")  # by email: signed in before

    invoke(info, "alertsRecount", {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})
    invoke(info, "sweepSubscriptions", {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})
    assert invoke(info, "alertsFailureArchive", failure_message(info)) == {"batchItemFailures": []}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The calls directory of a local stack that ran the journey (stopped once it has)."""
    stack = start_stack(tmp_path_factory.mktemp("iam-stack"))
    try:
        drive(stack)
    except BaseException:
        print(stack.console()[-5000:])  # shown with the failure
        raise
    finally:
        stop_stack(stack)
    return stack.state_dir / "calls"


# -- the packaged templates, resolved ----------------------------------------------------------------------


def stand_in(logical_id: str, resource: Mapping[str, Any], stack_name: str) -> tuple[str, dict[str, str]]:
    """Ref and attributes of a packaged resource, as CloudFormation would give them in account ``ACCOUNT``."""
    kind = str(resource.get("Type"))
    props = resource.get("Properties") or {}
    where = f"{REGION}:{ACCOUNT}"

    def named(prop: str) -> str:
        value = props.get(prop)
        return value if isinstance(value, str) else f"{stack_name}-{logical_id}"

    if kind == "AWS::DynamoDB::Table":
        arn = f"arn:aws:dynamodb:{where}:table/{named('TableName')}"
        return named("TableName"), {"Arn": arn, "StreamArn": f"{arn}/stream/{STAGE}"}
    if kind == "AWS::S3::Bucket":
        return named("BucketName"), {"Arn": f"arn:aws:s3:::{named('BucketName')}"}
    if kind == "AWS::SQS::Queue":
        name = named("QueueName")
        url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
        return url, {"Arn": f"arn:aws:sqs:{where}:{name}", "QueueName": name, "QueueUrl": url}
    if kind == "AWS::SNS::Topic":
        arn = f"arn:aws:sns:{where}:{named('TopicName')}"
        return arn, {"TopicArn": arn, "TopicName": named("TopicName")}
    if kind == "AWS::Lambda::Function":
        return named("FunctionName"), {"Arn": f"arn:aws:lambda:{where}:function:{named('FunctionName')}"}
    if kind == "AWS::Cognito::UserPool":
        pool = f"{REGION}_{logical_id}"
        return pool, {"Arn": f"arn:aws:cognito-idp:{where}:userpool/{pool}"}
    if kind == "AWS::SecretsManager::Secret":
        arn = f"arn:aws:secretsmanager:{where}:secret:{named('Name')}-AbCdEf"  # AWS adds 6 random characters
        return arn, {"Id": arn}
    service = kind.split("::")[1].lower() if kind.count("::") >= 2 else "unknown"
    return f"{stack_name}-{logical_id}", {"Arn": f"arn:aws:{service}:{where}:{stack_name}-{logical_id}"}


def resolver(service: PackagedService) -> Resolver:
    """A resolver of the packaged template: every resource as CloudFormation would name it, and the outputs
    other services get as the values the packaging passed them (``PLACEHOLDER_OUTPUTS``)."""
    template = service.template
    stack_name = f"{definition(service.name)['service']}-{STAGE}"
    found = Resolver(region=REGION, stack_name=stack_name, account_id=ACCOUNT)
    found.evaluate_conditions(template.get("Conditions") or {})
    for logical_id, resource in template["Resources"].items():
        found.provided(logical_id, *stand_in(logical_id, resource, stack_name))
    for output, spec in (template.get("Outputs") or {}).items():
        passed = PLACEHOLDER_OUTPUTS.get(service.name, {}).get(output)
        value = spec.get("Value")
        if passed and isinstance(value, dict) and "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            logical_id, attribute = target.split(".", 1) if isinstance(target, str) else target
            found.attributes[(logical_id, attribute)] = passed
    return found


def translator(local: Mapping[str, Any], packaged: Mapping[str, Resolver]) -> Callable[[str], str]:
    """Local names and ARNs -> the packaged template's, pairing the two by service and logical id."""
    pairs: dict[str, str] = {}
    for name, found in local.items():
        target = packaged.get(name)
        if target is None:
            continue
        for logical_id, value in found["refs"].items():
            if logical_id in target.refs:
                pairs[value] = target.refs[logical_id]
        for key, value in found["attributes"].items():
            logical_id, attribute = key.split(".", 1)
            if (logical_id, attribute) in target.attributes:
                pairs[value] = target.attributes[(logical_id, attribute)]
    pairs = {old: new for old, new in pairs.items() if old != new and len(old) >= 8}
    pattern = re.compile("|".join(re.escape(old) for old in sorted(pairs, key=len, reverse=True)))
    return lambda text: pattern.sub(lambda match: pairs[match.group(0)], text)


# -- the proof -------------------------------------------------------------------------------------------


def test_every_call_of_every_function_is_granted_by_its_packaged_role(
    recorded: Path, packaged: dict[str, PackagedService], tmp_path_factory: pytest.TempPathFactory
) -> None:
    resolvers = {name: resolver(service) for name, service in packaged.items()}
    translate = translator(json.loads((recorded / "resources.json").read_text()), resolvers)
    missing, silent, report = [], [], [f"IAM proof ({CONDITIONS_ASSUMED}); grants no recorded call used:"]
    for name, service in packaged.items():
        template = service.template
        for key in definition(name).get("functions") or {}:
            statements = resolvers[name].resolve(
                role_statements(template["Resources"], template_function_role(template, key))
            )
            calls = recorded / f"{key}.jsonl"
            lines = [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
            used = {(line["operation"], Request(line["action"], translate(line["resource"]))) for line in lines}
            if not used:
                silent.append(f"{name}/{key}")
            missing += [
                f"{name}/{key}: {request} ({operation})"
                for operation, request in sorted(used)
                if not allows(statements, request)
            ]
            report += [f"  {name}/{key}: {grant}" for grant in unused(statements, [request for _, request in used])]
    IAM_REPORT[:] = report
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if "PYTEST_XDIST_WORKER" in os.environ else base  # the run's, not one worker's
    (shared / "iam-report.txt").write_text("\n".join(report) + "\n")

    assert not missing, "calls the packaged roles do not allow:\n" + "\n".join(missing)
    assert not silent, "functions the journey made no AWS call from: " + ", ".join(silent)
