"""The History table (owned by alerts): every count change of an item, by time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inventory.history import AFTER_SEQUENCES, HistoryEntry, history_key

from dashboard_api.dal.errors import unavailable_on_error

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class HistoryReader:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def changes(self, store: str, item: str, start: str, end: str, limit: int) -> tuple[list[HistoryEntry], bool]:
        """An item's changes from ``start`` to ``end`` (ISO UTC, inclusive), oldest first.

        Returns at most ``limit`` entries and whether more were left out.
        """
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "StoreItem = :key AND #at BETWEEN :start AND :end",
            "ExpressionAttributeNames": {"#at": "At"},
            "ExpressionAttributeValues": {
                ":key": {"S": history_key(store, item)},
                ":start": {"S": start},
                ":end": {"S": end + AFTER_SEQUENCES},
            },
            "ScanIndexForward": True,
        }
        entries: list[HistoryEntry] = []
        with unavailable_on_error("the item's history"):
            while True:
                kwargs["Limit"] = limit - len(entries) + 1
                response = self._client.query(**kwargs)
                for item_attributes in response.get("Items", []):
                    entries.append(HistoryEntry.from_item(item_attributes))
                if len(entries) > limit:
                    return entries[:limit], True
                if "LastEvaluatedKey" not in response:
                    return entries, False
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
