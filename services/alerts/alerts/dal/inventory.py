"""The Inventory table as the recount reads it: one store's items, consistently, with what counts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from alerts.models.change import UNREADABLE, Level
from alerts.models.errors import MalformedRecord, StoresUnavailable
from alerts.models.recount import CountedItem

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_deserializer = TypeDeserializer()


class InventoryItems:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.name = table_name

    def items(self, store: str) -> Iterator[CountedItem]:
        """Every item of ``store``; one whose count or threshold cannot be read has ``level=None``."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "#store = :store",
            "ProjectionExpression": "#item, #count, Threshold, UpdatedAt",
            "ExpressionAttributeNames": {"#store": "Store", "#item": "Item", "#count": "Count"},
            "ExpressionAttributeValues": {":store": {"S": store}},
            "ConsistentRead": True,
        }
        while True:
            try:
                page = self._client.query(**request)
            except (ClientError, BotoCoreError) as error:
                raise StoresUnavailable(f"Inventory of {store!r} not readable: {error}") from error
            for attributes in page.get("Items", []):
                yield _counted(attributes)
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _counted(attributes: Mapping[str, Any]) -> CountedItem:
    """Read an item by the same rules as the stream consumer (whole numbers of 0 or more)."""
    updated = attributes.get("UpdatedAt", {}).get("S", "")
    item = str(attributes.get("Item", {}).get("S", ""))
    try:
        image = {name: _deserializer.deserialize(value) for name, value in attributes.items()}
        level: Level | None = Level.from_image(image)
    except (MalformedRecord, *UNREADABLE):
        level = None
    return CountedItem(item=item, level=level, updated_at=updated if isinstance(updated, str) else "")
