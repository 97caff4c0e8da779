"""The uploads index: one row per object version, the report's summary plus ingest's claim on it.

The summary attributes are ``inventory.uploads.UploadEntry``'s (the dashboard API reads them);
ingest adds its own beside them:

- ``Source`` (M): the upload as its first event named it, so a continuation needs only the key;
- ``Owner`` (S), ``LeaseUntil`` (N, epoch seconds): who holds the upload, and until when;
- ``RequestId`` (S), ``Attempt`` (N): the Lambda request holding it, and its try (Lambda's retries
  of an asynchronous invocation keep its request id);
- ``Claims`` (N): bumped by every claim, so two invocations never both take an expired lease;
- ``Checkpoint`` (B): where the load stands (compressed JSON, see ``ingest.models.claim``);
- ``Held`` (B): a held upload's report content (a checkpoint), kept for its confirmation or discard;
  ``Decision`` and ``DecidedBy`` (S): that decision, written by the dashboard API.

Every write after the claim is conditional on ``Owner``: an invocation that lost its lease (it
was presumed dead and another took over) can no longer change the row, nor any item (its item
writes check the row too, see :meth:`UploadsIndex.fence`), nor the report (written only after
a write to the row has landed).

The row is the commit point of an upload: it turns final first, keeping its checkpoint; the
report is written from that, and only then the checkpoint dropped (:meth:`UploadsIndex.settle`).
A final row that still has its checkpoint is an upload whose report is missing or stale: the
next delivery claims it again and writes the report from the row, without reading the file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.report import ReportStatus
from inventory.uploads import DECIDED_BY, DECISION, UploadEntry

from ingest.models.claim import Checkpoint, Claim, ClaimState, Fence, Source
from ingest.models.errors import LeaseLost, TableUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: Summary attributes written by UploadEntry.to_item that a later write may drop.
_OPTIONAL = ("Reason", "UploadedBy")
#: Claim attempts before giving up on a row others keep changing under us.
_CLAIM_TRIES = 5


class UploadsIndex:
    def __init__(self, client: DynamoDBClient, table_name: str, now: Callable[[], float] = time.time) -> None:
        self._client = client
        self.name = table_name
        self._now = now

    def claim(
        self,
        source: Source,
        entry: UploadEntry | None,
        *,
        owner: str,
        request_id: str,
        lease_seconds: float,
        handed_by: str = "",
    ) -> Claim:
        """Take the upload for this invocation, or say why not (final, held by another, unknown).

        ``entry`` is the row's summary if it has to be created (status ``loading``); a
        continuation passes ``None``, as its row must already exist, and ``handed_by``, the
        owner token of the invocation that handed the upload to it with its lease.
        """
        for _ in range(_CLAIM_TRIES):
            item = self._get(source)
            lease_until = self._now() + lease_seconds
            if item is None:
                if entry is None:
                    return Claim(ClaimState.UNKNOWN, source)
                row = entry.to_item() | _claim_attributes(owner, request_id, 1, 1, lease_until)
                row["Source"] = {"M": {name: {"S": value} for name, value in source.to_json().items()}}
                if self._put_new(row):
                    return Claim(ClaimState.CLAIMED, source, owner, 1, lease_until, entry.started_at or "")
                continue
            status = item.get("Status", {}).get("S", "")
            stored = _source_of(item, source)
            final = status in {s.value for s in ReportStatus if s.final}
            if final and "Checkpoint" not in item:
                return Claim(ClaimState.FINAL, stored, status=status)
            held_until = float(item.get("LeaseUntil", {}).get("N", "0"))
            same_request = item.get("RequestId", {}).get("S") == request_id
            # Lambda retries an invocation only once its attempt has ended: a lease held by an
            # earlier attempt of this same request is a dead one's. A committed upload's report
            # is the same whoever writes it: any delivery may write it.
            handed_over = bool(handed_by) and item.get("Owner", {}).get("S") == handed_by
            if held_until > self._now() and not (same_request or final or handed_over):
                return Claim(ClaimState.HELD, stored, lease_until=held_until, status=status)
            claims = int(item.get("Claims", {}).get("N", "0"))
            attempt = int(item.get("Attempt", {}).get("N", "0")) + 1 if same_request else 1
            attributes = _claim_attributes(owner, request_id, attempt, claims + 1, lease_until)
            if final:  # claimed only to write the report the row already stands for
                del attributes["Status"]
            if self._take_over(source, claims, attributes):
                checkpoint = item.get("Checkpoint", {}).get("B")
                held = item.get("Held", {}).get("B")
                return Claim(
                    ClaimState.CLAIMED,
                    stored,
                    owner,
                    attempt,
                    lease_until,
                    item.get("StartedAt", {}).get("S", ""),
                    status,
                    Checkpoint.from_bytes(bytes(checkpoint)) if checkpoint else None,
                    decision=item.get(DECISION, {}).get("S", ""),
                    decided_by=item.get(DECIDED_BY, {}).get("S", ""),
                    held=Checkpoint.from_bytes(bytes(held)) if held else None,
                )
        raise TableUnavailable(f"the index row of {source.key} kept changing while it was being claimed")

    def save(self, claim: Claim, entry: UploadEntry, checkpoint: Checkpoint, lease_until: float) -> None:
        """Record progress (summary and checkpoint) and hold the lease until ``lease_until`` (0: release it).

        Raises :class:`LeaseLost` if another invocation has taken the upload over.
        """
        attributes = _summary(entry) | {
            "Checkpoint": {"B": checkpoint.to_bytes()},
            "LeaseUntil": {"N": repr(lease_until)},
        }
        self._update_owned(claim, attributes, remove=[name for name in _OPTIONAL if name not in attributes])

    def finish(self, claim: Claim, entry: UploadEntry, checkpoint: Checkpoint, lease_until: float) -> None:
        """Commit the upload: write its final summary, keeping ``checkpoint`` (the whole report's
        content) until :meth:`settle`, and the lease until ``lease_until``."""
        attributes = _summary(entry) | {
            "Checkpoint": {"B": checkpoint.to_bytes()},
            "LeaseUntil": {"N": repr(lease_until)},
        }
        self._update_owned(claim, attributes, remove=[name for name in _OPTIONAL if name not in attributes])

    def settle(self, claim: Claim, held: Checkpoint | None = None) -> None:
        """The report of a final upload is written: drop the checkpoint and release the lease; a held
        upload keeps its report's content (``held``) for the decision on it."""
        if held is not None:
            self._update_owned(claim, {"LeaseUntil": {"N": "0"}, "Held": {"B": held.to_bytes()}}, remove=["Checkpoint"])
        else:
            self._update_owned(claim, {"LeaseUntil": {"N": "0"}}, remove=["Checkpoint", "Held"])

    def fence(self, claim: Claim) -> Fence:
        """What an item write checks so that it lands only while ``claim`` holds the upload."""
        return Fence(self.name, self._key(claim.source), claim.owner)

    # -- calls --------------------------------------------------------------------------------------

    def _key(self, source: Source) -> dict[str, Any]:
        return {"Key": {"S": source.key}, "Version": {"S": source.version}}

    def _get(self, source: Source) -> dict[str, Any] | None:
        try:
            response = self._client.get_item(TableName=self.name, Key=self._key(source), ConsistentRead=True)
        except (ClientError, BotoCoreError) as error:
            raise TableUnavailable(f"GetItem on {self.name} failed after every retry: {error}") from error
        item = response.get("Item")
        return dict(item) if item else None

    def _put_new(self, row: dict[str, Any]) -> bool:
        return self._conditional(
            lambda: self._client.put_item(
                TableName=self.name,
                Item=row,
                ConditionExpression="attribute_not_exists(#key)",
                ExpressionAttributeNames={"#key": "Key"},
            )
        )

    def _take_over(self, source: Source, claims: int, attributes: dict[str, Any]) -> bool:
        names, values, assignments = _assignments(attributes)
        values[":seen"] = {"N": str(claims)}
        return self._conditional(
            lambda: self._client.update_item(
                TableName=self.name,
                Key=self._key(source),
                UpdateExpression="SET " + ", ".join(assignments),
                ConditionExpression="attribute_exists(#k) AND #claims = :seen",
                ExpressionAttributeNames=names | {"#k": "Key", "#claims": "Claims"},
                ExpressionAttributeValues=values,
            )
        )

    def _update_owned(self, claim: Claim, attributes: dict[str, Any], remove: list[str]) -> None:
        names, values, assignments = _assignments(attributes)
        expression = "SET " + ", ".join(assignments)
        if remove:
            for index, name in enumerate(remove):
                names[f"#r{index}"] = name
            expression += " REMOVE " + ", ".join(f"#r{index}" for index in range(len(remove)))
        values[":owner"] = {"S": claim.owner}
        landed = self._conditional(
            lambda: self._client.update_item(
                TableName=self.name,
                Key=self._key(claim.source),
                UpdateExpression=expression,
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames=names | {"#owner": "Owner"},
                ExpressionAttributeValues=values,
            )
        )
        if not landed:
            raise LeaseLost(f"another invocation has taken over {claim.source.key} ({claim.source.version})")

    def _conditional(self, call: Callable[[], Any]) -> bool:
        """Make a conditional write; ``False`` if its condition failed."""
        try:
            call()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise TableUnavailable(f"a write to {self.name} failed after every retry: {error}") from error
        except BotoCoreError as error:
            raise TableUnavailable(f"a write to {self.name} could not reach DynamoDB: {error}") from error
        return True


def _claim_attributes(owner: str, request_id: str, attempt: int, claims: int, lease_until: float) -> dict[str, Any]:
    return {
        "Owner": {"S": owner},
        "RequestId": {"S": request_id},
        "Attempt": {"N": str(attempt)},
        "Claims": {"N": str(claims)},
        "LeaseUntil": {"N": repr(lease_until)},
        "Status": {"S": ReportStatus.LOADING.value},
    }


def _summary(entry: UploadEntry) -> dict[str, Any]:
    """The entry's attributes that may change (never its keys or its place in the listings)."""
    item = entry.to_item()
    for fixed in ("Key", "Version", "Bucket", "Scope", "Feed", "ReceivedAt", "ReportKey", "StartedAt"):
        item.pop(fixed, None)
    return item


def _assignments(attributes: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any], list[str]]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    assignments: list[str] = []
    for index, (name, value) in enumerate(attributes.items()):
        names[f"#a{index}"] = name
        values[f":a{index}"] = value
        assignments.append(f"#a{index} = :a{index}")
    return names, values, assignments


def _source_of(item: dict[str, Any], fallback: Source) -> Source:
    stored = item.get("Source", {}).get("M")
    if not stored:
        return fallback
    return Source.from_json({name: value.get("S", "") for name, value in stored.items()})
