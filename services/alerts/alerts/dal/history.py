"""The History table: one row per count change, written by the alerts stream consumer."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.history import history_key, history_sort_key

from alerts.models.change import Alert
from alerts.models.errors import HistoryUnavailable
from alerts.models.history import HistoryEntry


class HistoryTable:
    """``client`` is a boto3 DynamoDB client; the writer needs PutItem and nothing else."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self.name = table_name

    def record(self, entry: HistoryEntry) -> bool:
        """Write the row unless it is already marked announced (then return ``False``)."""
        try:
            self._client.put_item(
                TableName=self.name,
                Item=_item(entry),
                ConditionExpression="attribute_not_exists(AnnouncedAt)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise HistoryUnavailable(f"History write failed: {error}") from error
        except BotoCoreError as error:
            raise HistoryUnavailable(f"History write failed: {error}") from error
        return True

    def mark_announced(self, entry: HistoryEntry, alert: Alert, announced_at: str) -> None:
        """Rewrite the row with the alert it raised and when that was announced."""
        item = _item(entry)
        item["Alert"] = {"S": alert.value}
        item["AnnouncedAt"] = {"S": announced_at}
        try:
            self._client.put_item(TableName=self.name, Item=item)
        except (ClientError, BotoCoreError) as error:
            raise HistoryUnavailable(f"History write failed: {error}") from error


def _item(entry: HistoryEntry) -> dict[str, dict[str, str]]:
    item = {
        "StoreItem": {"S": history_key(entry.store, entry.item)},
        "At": {"S": history_sort_key(entry.time, entry.sequence)},
        "Store": {"S": entry.store},
        "Item": {"S": entry.item},
        "Time": {"S": entry.time},
        "NewCount": {"N": str(entry.new_count)},
        "ExpiresAt": {"N": str(entry.expires_at)},
    }
    if entry.old_count is not None:
        item["OldCount"] = {"N": str(entry.old_count)}
    return item
