"""The Inventory table (owned by ingest): Query by store, on the table or its sparse alerts index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inventory.models import Ordering, StockStatus
from inventory.table import RETIRED, from_attributes, ordering_of

from dashboard_api.dal.errors import unavailable_on_error
from dashboard_api.models.records import ItemPage, ItemRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _record(attributes: dict[str, Any]) -> ItemRecord:
    alert = attributes.get("AlertStatus", {}).get("S")
    return ItemRecord(stored=from_attributes(attributes), status=StockStatus(alert) if alert else StockStatus.OK)


class InventoryReader:
    def __init__(self, client: DynamoDBClient, table_name: str, alerts_index: str) -> None:
        self._client = client
        self._table = table_name
        self._index = alerts_index

    def page(
        self,
        store: str,
        *,
        status: StockStatus | None,
        limit: int,
        after_item: str | None = None,
        after_status: str | None = None,
    ) -> ItemPage:
        """One Query page of a store's items, in item-name order.

        ``out`` and ``low`` read the alerts index (only alerting items are in it); ``ok``
        reads the table and drops alerting items with a filter (they are still examined);
        no status reads the table. Retired items (a full list omitted them) are left out: the
        index never holds them, and a filter drops them from the table.
        """
        values: dict[str, Any] = {":store": {"S": store}}
        names = {"#store": "Store"}
        kwargs: dict[str, Any] = {"TableName": self._table, "Limit": limit}
        if status in (StockStatus.OUT, StockStatus.LOW):
            kwargs["IndexName"] = self._index
            kwargs["KeyConditionExpression"] = "#store = :store AND AlertStatus = :status"
            values[":status"] = {"S": status.value}
            if after_item is not None:
                kwargs["ExclusiveStartKey"] = {
                    "Store": {"S": store},
                    "Item": {"S": after_item},
                    "AlertStatus": {"S": after_status or status.value},
                }
        else:
            kwargs["KeyConditionExpression"] = "#store = :store"
            kwargs["FilterExpression"] = "attribute_not_exists(#retired)"
            names["#retired"] = RETIRED
            if status is StockStatus.OK:
                kwargs["FilterExpression"] += " AND attribute_not_exists(#status)"
                names["#status"] = "AlertStatus"
            if after_item is not None:
                kwargs["ExclusiveStartKey"] = {"Store": {"S": store}, "Item": {"S": after_item}}
        kwargs["ExpressionAttributeNames"] = names
        kwargs["ExpressionAttributeValues"] = values
        with unavailable_on_error(f"the items of {store!r}"):
            response = self._client.query(**kwargs)
        last = response.get("LastEvaluatedKey")
        return ItemPage(
            items=[_record(item) for item in response.get("Items", [])],
            scanned=int(response.get("ScannedCount", 0)),
            last_item=last["Item"]["S"] if last else None,
            last_status=last.get("AlertStatus", {}).get("S") if last else None,
        )

    def orderings(self, store: str, max_rows: int) -> dict[str, Ordering]:
        """How each item of a store that has any ordering value is reordered (one Query of the store's
        items, at most ``max_rows`` examined; items without any are read but not sent over)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#store = :store",
            "FilterExpression": "attribute_exists(#lead) OR attribute_exists(#pack) OR attribute_exists(#supplier)",
            "ProjectionExpression": "#item, #lead, #pack, #supplier",
            "ExpressionAttributeNames": {
                "#store": "Store",
                "#item": "Item",
                "#lead": "LeadTimeDays",
                "#pack": "PackSize",
                "#supplier": "Supplier",
            },
            "ExpressionAttributeValues": {":store": {"S": store}},
        }
        found: dict[str, Ordering] = {}
        examined = 0
        with unavailable_on_error(f"the items of {store!r}"):
            for page in self._client.get_paginator("query").paginate(**kwargs):
                for item in page.get("Items", []):
                    try:
                        found[item["Item"]["S"]] = ordering_of(item)
                    except (KeyError, TypeError, ValueError):
                        continue  # unreadable: the stage's defaults apply
                examined += int(page.get("ScannedCount", 0))
                if examined >= max_rows:
                    break
        return found

    def one(self, store: str, item: str) -> ItemRecord | None:
        """One item of a store, or ``None`` (also when it is retired): a Query of its key (the table is
        read by Query only)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#store = :store AND #item = :item",
            "FilterExpression": "attribute_not_exists(#retired)",
            "ExpressionAttributeNames": {"#store": "Store", "#item": "Item", "#retired": RETIRED},
            "ExpressionAttributeValues": {":store": {"S": store}, ":item": {"S": item}},
        }
        with unavailable_on_error(f"the item {item!r} of {store!r}"):
            response = self._client.query(**kwargs)
        found = response.get("Items", [])
        return _record(found[0]) if found else None

    def alerts(self, store: str, status: StockStatus | None) -> list[ItemRecord]:
        """Every out-of-stock or low item of a store (or only one status) from the alerts index."""
        values: dict[str, Any] = {":store": {"S": store}}
        condition = "#store = :store"
        if status is not None:
            condition += " AND AlertStatus = :status"
            values[":status"] = {"S": status.value}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": self._index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#store": "Store"},
            "ExpressionAttributeValues": values,
        }
        records: list[ItemRecord] = []
        with unavailable_on_error(f"the alerts of {store!r}"):
            for page in self._client.get_paginator("query").paginate(**kwargs):
                records.extend(_record(item) for item in page.get("Items", []))
        return records
