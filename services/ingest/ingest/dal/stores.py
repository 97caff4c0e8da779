"""The Stores table: one summary row per store, adjusted by each file's changes."""

from __future__ import annotations

from typing import Any

from inventory.stores import StoreChange


class StoreSummaries:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def apply(self, store: str, change: StoreChange, updated_at: str) -> None:
        """Add a file's changes to a store's item, out-of-stock and low-stock counts (atomic ADD)."""
        self._client.update_item(
            TableName=self._table,
            Key={"Store": {"S": store}},
            UpdateExpression="ADD #items :items, #out :out, #low :low SET UpdatedAt = :at",
            ExpressionAttributeNames={"#items": "Items", "#out": "Out", "#low": "Low"},
            ExpressionAttributeValues={
                ":items": {"N": str(change.items)},
                ":out": {"N": str(change.out)},
                ":low": {"N": str(change.low)},
                ":at": {"S": updated_at},
            },
        )
