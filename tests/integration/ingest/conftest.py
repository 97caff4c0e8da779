"""An upload bucket, the Inventory / Stores / Uploads tables in moto, and the real ingest handler wired to them.

The function's self-invocation (a continuation) is the one integration moto cannot serve
here: a :class:`~tests.fakes.ingest.FakeInvoker` keeps those events, and :meth:`IngestWorld.carry_on`
delivers them to the handler as Lambda would.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from inventory.report import UploadReport
from inventory.uploads import UploadEntry, report_key, version_tag
from moto import mock_aws

from devstack.definitions import create_table
from devstack.moto_transactions import fix_transactions
from tests.builders import LambdaContext, function_environment, s3_event
from tests.fakes.ingest import FakeInvoker

BUCKET = "inventory-ingest-test-uploads"
TABLE = "inventory-ingest-test-inventory"
STORES = "inventory-ingest-test-stores"
UPLOADS = "inventory-ingest-test-uploads-index"
PEOPLE = "inventory-dashboard-api-test-people"
#: The function's environment as serverless.yml sets it (stage parameters at their defaults: the lanes
#: run in parallel, as on Lambda), with the tables and role made here.
ENVIRONMENT = function_environment(
    "ingest",
    "ingestUpload",
    PEOPLE_TABLE=PEOPLE,
    INVENTORY_TABLE=TABLE,
    STORES_TABLE=STORES,
    UPLOADS_TABLE=UPLOADS,
    POWERTOOLS_SERVICE_NAME="ingest",
    API_ROLE_NAME="inventory-dashboard-api-test",
)
#: The S3 event's principal unless a test names another: an operator's, say.
OTHER_PRINCIPAL = "EXAMPLE"


@dataclass
class Delivered:
    """One object version put in the bucket, and the event S3 sent (or will send) for it."""

    key: str
    version_id: str
    sequencer: str
    event_time: str
    principal: str = OTHER_PRINCIPAL  # the event's userIdentity.principalId

    @property
    def version(self) -> str:
        return version_tag(self.version_id, self.sequencer)


@dataclass
class IngestWorld:
    s3: Any
    dynamodb: Any
    invoker: FakeInvoker
    #: The principal S3 names for objects the API's role puts (a grant's upload).
    api_principal: str = ""
    uploads: dict[str, list[Delivered]] = field(default_factory=dict)
    _sequencer: Iterator[int] = field(default_factory=lambda: itertools.count(0x1000))

    # -- putting files and delivering events -----------------------------------------------------

    def put(
        self,
        key: str,
        body: bytes,
        event_time: str = "",
        metadata: dict[str, str] | None = None,
        principal: str = OTHER_PRINCIPAL,
    ) -> Delivered:
        """Put a file in the bucket (no event yet); ``event_time`` defaults to now, ``principal`` is who put it."""
        response = self.s3.put_object(Bucket=BUCKET, Key=key, Body=body, Metadata=metadata or {})
        event = s3_event(BUCKET, key)["Records"][0]
        sequencer = f"{next(self._sequencer):016X}"
        delivered = Delivered(key, response["VersionId"], sequencer, event_time or event["eventTime"], principal)
        self.uploads.setdefault(key, []).append(delivered)
        return delivered

    def upload(self, key: str, body: bytes, **put: Any) -> dict[str, Any]:
        """Put a file in the bucket and deliver its event to the handler, as S3 and Lambda would."""
        return self.deliver(self.put(key, body, **put))

    def deliver(self, *uploads: Delivered, context: LambdaContext | None = None) -> dict[str, Any]:
        """Deliver one S3 event for these object versions (S3 may batch records)."""
        from ingest.handlers.upload import handler

        records = [
            s3_event(BUCKET, one.key, version_id=one.version_id, sequencer=one.sequencer, event_time=one.event_time)[
                "Records"
            ][0]
            for one in uploads
        ]
        for record, one in zip(records, uploads, strict=True):
            record["userIdentity"]["principalId"] = one.principal
        return handler({"Records": records}, context or LambdaContext())

    def hook(self, event: str, handler: Callable[..., Any]) -> None:
        """Register a botocore event hook on every client the handler uses (they are built again).

        A ``before-call`` hook that returns a response stands for what AWS answered once the
        retry layer gave up: botocore raises it as the call's error without retrying.
        """
        from ingest.handlers.upload import ingestor

        ingestor.cache_clear()
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session(region_name="us-east-1")
        boto3.DEFAULT_SESSION.events.register(event, handler)  # type: ignore[attr-defined]
        ingestor().invoker = self.invoker

    def latest(self, key: str) -> Delivered:
        return self.uploads[key][-1]

    def carry_on(self, context_factory: Callable[[], LambdaContext] = LambdaContext) -> int:
        """Deliver every continuation the function asked for (and those they ask for); how many ran."""
        from ingest.handlers.upload import handler

        ran = 0
        while self.invoker.events:
            _, event = self.invoker.events.pop(0)
            handler(json.loads(json.dumps(event)), context_factory())
            ran += 1
        return ran

    # -- what ingest left behind ------------------------------------------------------------------

    def report(self, key: str, delivered: Delivered | None = None) -> dict[str, Any]:
        """The report of one version of ``key`` (the latest delivered, by default)."""
        delivered = delivered or self.latest(key)
        body = self.s3.get_object(Bucket=BUCKET, Key=report_key(key, delivered.version))["Body"].read()
        return dict(json.loads(body))

    def report_model(self, key: str, delivered: Delivered | None = None) -> UploadReport:
        return UploadReport.from_json(self.report(key, delivered))

    def index_row(self, key: str, delivered: Delivered | None = None) -> dict[str, Any]:
        delivered = delivered or self.latest(key)
        item = self.dynamodb.get_item(
            TableName=UPLOADS, Key={"Key": {"S": key}, "Version": {"S": delivered.version}}, ConsistentRead=True
        ).get("Item")
        assert item is not None, f"no index row for {key} {delivered.version}"
        return dict(item)

    def entry(self, key: str, delivered: Delivered | None = None) -> UploadEntry:
        return UploadEntry.from_item(self.index_row(key, delivered))

    def reports(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=BUCKET, Prefix="reports/")
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def items(self, store: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        pages = self.dynamodb.get_paginator("query").paginate(
            TableName=TABLE,
            KeyConditionExpression="#store = :s",
            ExpressionAttributeNames={"#store": "Store"},
            ExpressionAttributeValues={":s": {"S": store}},
        )
        for page in pages:
            found.update({item["Item"]["S"]: item for item in page["Items"]})
        return found

    def counts(self, store: str) -> dict[str, int]:
        return {name: int(item["Count"]["N"]) for name, item in self.items(store).items()}

    def last_upload_at(self, store: str) -> str | None:
        item = self.dynamodb.get_item(TableName=STORES, Key={"Store": {"S": store}}).get("Item", {})
        value = item.get("LastUploadAt", {}).get("S")
        return str(value) if value is not None else None

    def assert_consistent(self, key: str, delivered: Delivered | None = None) -> UploadReport:
        """The report and the index row of a version say the same thing, and the row holds no claim."""
        report = self.report_model(key, delivered)
        row = self.index_row(key, delivered)
        entry = UploadEntry.from_item(row)
        assert entry.status == report.status.value
        assert entry.rows == report.rows
        assert entry.reason == report.reason
        assert entry.errors == report.errors[: len(entry.errors)]
        assert entry.stores == sorted(report.stores)[: len(entry.stores)]
        assert entry.report_key == report_key(key, (delivered or self.latest(key)).version)
        if report.status.final:
            assert "Checkpoint" not in row
            assert row["LeaseUntil"] == {"N": "0"}
        return report


def aws_error(code: str, status: int = 400) -> tuple[AWSResponse, dict[str, Any]]:
    """A ``before-call`` answer: the error AWS gave once botocore's retries were spent."""
    body = {"Error": {"Code": code, "Message": f"{code} (injected)"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return AWSResponse("https://aws.invalid", status, {}, None), body


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[IngestWorld]:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    fix_transactions()
    with mock_aws():
        from ingest.handlers.upload import ingestor

        ingestor.cache_clear()
        s3 = boto3.client("s3", region_name="us-east-1")
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        create_table(dynamodb, "ingest", "InventoryTable", TABLE)
        create_table(dynamodb, "ingest", "StoresTable", STORES)
        create_table(dynamodb, "ingest", "UploadsTable", UPLOADS)
        role = boto3.client("iam", region_name="us-east-1").create_role(
            RoleName=ENVIRONMENT["API_ROLE_NAME"], AssumeRolePolicyDocument="{}"
        )["Role"]
        create_table(dynamodb, "dashboard-api", "PeopleTable", PEOPLE)
        invoker = FakeInvoker()
        ingestor().invoker = invoker
        # An assumed role's S3 events name it AWS:<role id>:<session>; a Lambda function's session is its name.
        yield IngestWorld(s3, dynamodb, invoker, api_principal=f"AWS:{role['RoleId']}:inventory-dashboard-api-test-api")
        ingestor.cache_clear()
        boto3.DEFAULT_SESSION = None  # hooks registered by a test stay with it
