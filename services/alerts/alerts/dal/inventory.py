"""The Inventory table as the recount reads it: one store's items, consistently, with what counts."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError
from inventory.table import RETIRED

from alerts.models.change import UNREADABLE, Level
from alerts.models.errors import MalformedRecord, StoresUnavailable
from alerts.models.recount import CountedItem

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_deserializer = TypeDeserializer()
#: What a level needs of an item (``Retired``: a full list omitted it, see ``alerts.models.change.Level``).
_NAMES = {"#item": "Item", "#count": "Count", "#threshold": "Threshold", "#retired": RETIRED}


#: BatchGetItem takes at most 100 keys a call.
KEYS_PER_READ = 100


class InventoryItems:
    #: Calls for one chunk of keys before keys left unprocessed count as a failure.
    ATTEMPTS = 6

    def __init__(self, client: DynamoDBClient, table_name: str, pause: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self.name = table_name
        self._pause = pause

    def levels(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Level | None]:
        """Each item's level now (read consistently); ``None`` for an item that is gone or unreadable."""
        wanted = list(dict.fromkeys(keys))
        found: dict[tuple[str, str], Level | None] = dict.fromkeys(wanted)
        for start in range(0, len(wanted), KEYS_PER_READ):
            request: Any = {
                "Keys": [{"Store": {"S": store}, "Item": {"S": item}} for store, item in wanted[start : start + 100]],
                "ConsistentRead": True,
                "ProjectionExpression": "#store, #item, #count, #threshold, #retired",
                "ExpressionAttributeNames": _NAMES | {"#store": "Store"},
            }
            for attempt in range(1, self.ATTEMPTS + 1):
                try:
                    response = self._client.batch_get_item(RequestItems={self.name: request})
                except (ClientError, BotoCoreError) as error:
                    raise StoresUnavailable(f"Inventory items not readable: {error}") from error
                for attributes in response.get("Responses", {}).get(self.name, []):
                    counted = _counted(attributes)
                    found[(str(attributes["Store"]["S"]), counted.item)] = counted.level
                left = (response.get("UnprocessedKeys") or {}).get(self.name)
                if not left or not left.get("Keys"):
                    break
                if attempt == self.ATTEMPTS:
                    raise StoresUnavailable(f"Inventory items not readable: {len(left['Keys'])} key(s) unprocessed")
                request = dict(left)
                self._pause(min(0.05 * 2**attempt, 1.0))
        return found

    def items(self, store: str) -> Iterator[CountedItem]:
        """Every item of ``store``; one whose count or threshold cannot be read has ``level=None``."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "#store = :store",
            "ProjectionExpression": "#item, #count, #threshold, #retired, #updated",
            "ExpressionAttributeNames": _NAMES | {"#store": "Store", "#updated": "UpdatedAt"},
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
