"""The History table: one row per count change, written by the alerts stream consumer."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.history import HistoryEntry

from alerts.models.change import Alert
from alerts.models.errors import HistoryUnavailable


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
                Item=entry.to_item(),
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
        item = replace(entry, alert=alert.value, announced_at=announced_at).to_item()
        try:
            self._client.put_item(TableName=self.name, Item=item)
        except (ClientError, BotoCoreError) as error:
            raise HistoryUnavailable(f"History write failed: {error}") from error
