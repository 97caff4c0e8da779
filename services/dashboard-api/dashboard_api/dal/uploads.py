"""The uploads index (a table owned by ingest) and the reports it points to in the upload bucket.

Listings read only the index: ``UploadsByScope`` (partition ``Scope``: a store, or ``*`` for head
office) and ``UploadsByTime`` (partition ``Feed`` = ``uploads``), both sorted by ``ReceivedAt``.
A whole report is read from S3 only for one upload. The bucket is never listed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from inventory.observability import logger
from inventory.report import MalformedReport, Plan, ReportStatus, UploadReport
from inventory.uploads import (
    ALL_UPLOADS,
    CONFIRM,
    DECIDED_BY,
    DECISION,
    DISCARD,
    REPORTS_PREFIX,
    UNDO,
    UPLOADS_BY_SCOPE,
    UPLOADS_BY_TIME,
    UploadEntry,
)

from dashboard_api.dal.errors import unavailable_on_error
from dashboard_api.models.errors import Unavailable
from dashboard_api.models.records import IndexedUpload, IndexPage, StreamRead, UploadPosition, UploadStream

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

#: Largest report read; ingest keeps the first 1,000 errors, well under this.
MAX_REPORT_BYTES = 2 * 1024 * 1024
#: S3's answers to a GET of a report not written yet. Without s3:ListBucket on the bucket (this role
#: has none) S3 answers 403 AccessDenied, not 404, for a missing key: the role may read every report
#: (s3:GetObject on the reports prefix, checked on the packaged template), so a 403 means "not yet".
#: Granting s3:ListBucket instead would let the function list every report's key, and whether S3's
#: 404 check honours an ``s3:prefix`` condition is not documented.
_NOT_WRITTEN_YET = {"NoSuchKey", "404", "AccessDenied", "403"}
#: The partition key attribute of each index.
_PARTITION_ATTRIBUTE = {UPLOADS_BY_SCOPE: "Scope", UPLOADS_BY_TIME: "Feed"}
#: What a row's summary is made of: every attribute an index row written by the shared contract has
#: (``UploadEntry.to_item`` with each optional field set), so the list follows the contract. A row of
#: an upload still loading also holds ingest's claim and checkpoint (up to about 300 KB): never read.
_FULL_ENTRY = UploadEntry(
    key="",
    version="",
    bucket="",
    status=ReportStatus.OK,
    received_at="",
    report_key="",
    uploaded_by="",
    reason="",
    plan=Plan(),
)
ENTRY_ATTRIBUTES: tuple[str, ...] = tuple(_FULL_ENTRY.to_item())
#: The statuses a decision applies to: a held upload is confirmed or discarded, an applied one undone.
_DECIDED_FROM = {
    CONFIRM: (ReportStatus.NEEDS_CONFIRMATION,),
    DISCARD: (ReportStatus.NEEDS_CONFIRMATION,),
    UNDO: (ReportStatus.OK, ReportStatus.PARTIAL),
}


def scope_stream(scope: str) -> UploadStream:
    """The uploads made for one store (or ``*``: head office), newest first."""
    return UploadStream(UPLOADS_BY_SCOPE, scope)


def time_stream() -> UploadStream:
    """Every upload, newest first."""
    return UploadStream(UPLOADS_BY_TIME, ALL_UPLOADS)


def _text(item: dict[str, Any], name: str) -> str:
    return str(item.get(name, {}).get("S", ""))


def summary(item: dict[str, Any]) -> UploadEntry | None:
    """An index row's summary, or None for a row that is not one (e.g. a claim ingest has not
    finished) or has a status this API does not know."""
    try:
        return UploadEntry.from_item(item)
    except (KeyError, ValueError, TypeError):
        return None


def _row(item: dict[str, Any], stream: UploadStream) -> IndexedUpload:
    position = UploadPosition(stream.partition, _text(item, "ReceivedAt"), _text(item, "Key"), _text(item, "Version"))
    return IndexedUpload(position, summary(item))


class UploadIndex:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def page(self, read: StreamRead, limit: int) -> IndexPage:
        """One Query page of ``read.stream``, newest first, from where ``read`` says."""
        stream, after, older_than = read.stream, read.after, read.older_than
        partition_attribute = _PARTITION_ATTRIBUTE[stream.index]
        condition = "#partition = :partition"
        values: dict[str, Any] = {":partition": {"S": stream.partition}}
        names = {"#partition": partition_attribute}
        if older_than is not None and after is None:
            condition += f" AND ReceivedAt {'<=' if read.inclusive else '<'} :time"
            values[":time"] = {"S": older_than}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": stream.index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after is not None:
            kwargs["ExclusiveStartKey"] = {
                partition_attribute: {"S": stream.partition},
                "ReceivedAt": {"S": after.received_at},
                "Key": {"S": after.key},
                "Version": {"S": after.version},
            }
        with unavailable_on_error("the uploads index"):
            response = self._client.query(**kwargs)
        last = response.get("LastEvaluatedKey")
        return IndexPage(
            rows=[_row(item, stream) for item in response.get("Items", [])],
            last=UploadPosition(stream.partition, _text(last, "ReceivedAt"), _text(last, "Key"), _text(last, "Version"))
            if last
            else None,
        )

    def versions(self, key: str, max_rows: int) -> list[UploadEntry]:
        """The index rows of every version of ``key`` (at most ``max_rows`` read), in no particular order."""
        names = {f"#a{n}": name for n, name in enumerate(ENTRY_ATTRIBUTES)}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#key = :key",
            "ProjectionExpression": ", ".join(names),
            "ExpressionAttributeNames": {"#key": "Key", **names},
            "ExpressionAttributeValues": {":key": {"S": key}},
        }
        entries: list[UploadEntry] = []
        read = 0
        with unavailable_on_error("the uploads index"):
            while read < max_rows:
                kwargs["Limit"] = max_rows - read
                response = self._client.query(**kwargs)
                for item in response.get("Items", []):
                    read += 1
                    entry = summary(item)
                    if entry is not None:
                        entries.append(entry)
                if "LastEvaluatedKey" not in response:
                    break
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return entries

    def entry(self, key: str, version: str) -> UploadEntry | None:
        """One version's index row (its summary), or None."""
        names = {f"#a{n}": name for n, name in enumerate(ENTRY_ATTRIBUTES)}
        with unavailable_on_error("the uploads index"):
            response = self._client.get_item(
                TableName=self._table,
                Key={"Key": {"S": key}, "Version": {"S": version}},
                ProjectionExpression=", ".join(names),
                ExpressionAttributeNames=names,
                ConsistentRead=True,
            )
        item = response.get("Item")
        return summary(dict(item)) if item else None

    def decide(self, key: str, version: str, decision: str, by: str) -> bool:
        """Record a decision on an upload and hand it to ingest (``loading``, its lease free); ``False``
        unless the row is one the decision applies to (held, or for an undo applied) and ingest has
        finished writing its report (no checkpoint left), or already has this decision that ingest has
        not taken up."""
        waiting = _DECIDED_FROM[decision]
        placeholders = {f":from{n}": {"S": status.value} for n, status in enumerate(waiting)}
        try:
            with unavailable_on_error("the uploads index"):
                self._client.update_item(
                    TableName=self._table,
                    Key={"Key": {"S": key}, "Version": {"S": version}},
                    UpdateExpression="SET #status = :loading, #decision = :decision, #by = :by, #lease = :zero"
                    " REMOVE #owner",
                    ConditionExpression=f"(#status IN ({', '.join(placeholders)})"
                    " AND attribute_not_exists(#checkpoint))"
                    " OR (#decision = :decision AND attribute_not_exists(#owner))",
                    ExpressionAttributeNames={
                        "#status": "Status",
                        "#decision": DECISION,
                        "#by": DECIDED_BY,
                        "#lease": "LeaseUntil",
                        "#owner": "Owner",
                        "#checkpoint": "Checkpoint",
                    },
                    ExpressionAttributeValues={
                        ":loading": {"S": ReportStatus.LOADING.value},
                        ":decision": {"S": decision},
                        ":by": {"S": by},
                        ":zero": {"N": "0"},
                        **placeholders,
                    },
                )
        except Unavailable as error:
            cause = error.__cause__
            if isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") == (
                "ConditionalCheckFailedException"
            ):
                return False
            raise
        return True


class ReportReader:
    """Whole reports, read one at a time from the bucket (only under the reports prefix)."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def read(self, report_key: str) -> UploadReport | None:
        """The report at ``report_key``; None if it is not written yet, too big, or not a report."""
        if not report_key.startswith(REPORTS_PREFIX):
            logger.warning("Index row points outside the reports prefix", extra={"report_key": report_key[:300]})
            return None
        with unavailable_on_error("an upload report"):
            try:
                response = self._client.get_object(Bucket=self._bucket, Key=report_key)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in _NOT_WRITTEN_YET:
                    return None
                raise
            if int(response.get("ContentLength", 0)) > MAX_REPORT_BYTES:
                response["Body"].close()
                return None
            raw = response["Body"].read()
        try:
            return UploadReport.from_json(json.loads(raw))
        except (ValueError, MalformedReport):
            logger.warning("Unreadable upload report", extra={"report_key": report_key[:300]})
            return None
