"""The failed-records table: stream records that failed every retry, saved whole until they are replayed.

Key: ``Store`` (from the record's keys) and ``Sequence`` (the stream sequence number, padded to
sort in stream order). A replayed record gets ``ReplayedAt`` and an expiry (``ExpiresAt``, TTL);
a record not yet replayed never expires.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from alerts.models.errors import ArchiveUnavailable
from alerts.models.failure import ArchivedRecord, sequence_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

#: How long a replayed record is kept, for the operator to look back.
KEEP_REPLAYED = timedelta(days=30)
#: The replay lock's key: a control character is no store's name (names never hold one).
LOCK_KEY = {"Store": {"S": "\x1f"}, "Sequence": {"S": "replay-lock"}}


class FailedRecords:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.name = table_name

    def save(self, record: ArchivedRecord) -> bool:
        """Save a record unless it is saved already (a redelivered failure message); ``True`` if new."""
        item: dict[str, Any] = {
            "Store": {"S": record.store},
            "Sequence": {"S": sequence_key(record.sequence)},
            "Record": {"S": json.dumps(record.record, separators=(",", ":"))},
            "ArchivedAt": {"S": record.archived_at},
        }
        if record.failure:
            item["Failure"] = {"S": record.failure}
        try:
            self._client.put_item(
                TableName=self.name, Item=item, ConditionExpression="attribute_not_exists(#seq)",
                ExpressionAttributeNames={"#seq": "Sequence"},
            )  # fmt: skip
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise ArchiveUnavailable(f"failed record not saved: {error}") from error
        except BotoCoreError as error:
            raise ArchiveUnavailable(f"failed record not saved: {error}") from error
        return True

    def pending(self, store: str | None = None) -> list[ArchivedRecord]:
        """Records not replayed yet, by store and in stream order."""
        request: dict[str, Any] = {
            "TableName": self.name,
            # The replay lock is no record.
            "FilterExpression": "attribute_not_exists(ReplayedAt) AND attribute_exists(#record)",
            "ExpressionAttributeNames": {"#record": "Record"},
            "ConsistentRead": True,
        }
        if store is not None:
            request["KeyConditionExpression"] = "#store = :store"
            request["ExpressionAttributeNames"]["#store"] = "Store"
            request["ExpressionAttributeValues"] = {":store": {"S": store}}
        found = [_archived(item) for item in self._pages(request, query=store is not None)]
        return sorted(found, key=lambda record: (record.store, sequence_key(record.sequence)))

    def has_pending(self, store: str) -> bool:
        return bool(self.pending(store))

    def mark_replayed(self, record: ArchivedRecord, at: str) -> None:
        expires = int((datetime.fromisoformat(at.replace("Z", "+00:00")) + KEEP_REPLAYED).timestamp())
        try:
            self._client.update_item(
                TableName=self.name,
                Key={"Store": {"S": record.store}, "Sequence": {"S": sequence_key(record.sequence)}},
                UpdateExpression="SET ReplayedAt = :at, ExpiresAt = :expires",
                ExpressionAttributeValues={":at": {"S": at}, ":expires": {"N": str(expires)}},
            )
        except (ClientError, BotoCoreError) as error:
            raise ArchiveUnavailable(f"failed record not marked replayed: {error}") from error

    def lock(self, owner: str, now: datetime, hold: timedelta) -> str | None:
        """Take (or, for its owner, extend) the replay lock until ``now + hold``: ``None`` when taken,
        else when another holder's lock ends (ISO 8601). An expired lock is anyone's."""
        until = int((now + hold).timestamp())
        try:
            self._client.put_item(
                TableName=self.name,
                Item={**LOCK_KEY, "Owner": {"S": owner}, "ExpiresAt": {"N": str(until)}},
                ConditionExpression="attribute_not_exists(#store) OR #expires < :now OR #owner = :owner",
                ExpressionAttributeNames={"#store": "Store", "#expires": "ExpiresAt", "#owner": "Owner"},
                ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}, ":owner": {"S": owner}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                held = error.response.get("Item", {}).get("ExpiresAt", {}).get("N", "0")
                return datetime.fromtimestamp(int(held), UTC).isoformat()
            raise ArchiveUnavailable(f"replay lock not taken: {error}") from error
        except BotoCoreError as error:
            raise ArchiveUnavailable(f"replay lock not taken: {error}") from error
        return None

    def unlock(self, owner: str) -> None:
        """Give the replay lock back, if ``owner`` still holds it (an expired lock may be someone else's)."""
        try:
            self._client.delete_item(
                TableName=self.name,
                Key=LOCK_KEY,
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "Owner"},
                ExpressionAttributeValues={":owner": {"S": owner}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise ArchiveUnavailable(f"replay lock not given back: {error}") from error
        except BotoCoreError as error:
            raise ArchiveUnavailable(f"replay lock not given back: {error}") from error

    def _pages(self, request: dict[str, Any], *, query: bool) -> Iterator[dict[str, Any]]:
        while True:
            try:
                page = self._client.query(**request) if query else self._client.scan(**request)
            except (ClientError, BotoCoreError) as error:
                raise ArchiveUnavailable(f"failed records not readable: {error}") from error
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _archived(item: dict[str, Any]) -> ArchivedRecord:
    record = json.loads(item["Record"]["S"])
    return ArchivedRecord(
        store=item["Store"]["S"],
        sequence=str(record.get("dynamodb", {}).get("SequenceNumber") or item["Sequence"]["S"].lstrip("0")),
        record=record,
        archived_at=item.get("ArchivedAt", {}).get("S", ""),
        failure=item.get("Failure", {}).get("S", ""),
        replayed_at=item.get("ReplayedAt", {}).get("S"),
    )
