"""Three ways to make every Inventory write conditional (the newer upload wins), measured side by side.

- **TransactWriteItems** (ingest's, ``ingest.dal.inventory.InventoryTable``): up to 100 conditional
  puts per call; DynamoDB charges two write units per item written in a transaction.
- **conditional PutItem**: one call per item, one write unit each.
- **conditional UpdateItem**: one call per item (SET every attribute, REMOVE the ones the item no
  longer has), one write unit each.

All three read first (BatchGetItem of 100, so an unchanged item costs no write), share the
condition (``newer_wins``) and run under the same Loader with the same lanes. The per-item
contenders send a lane's writes :data:`PER_ITEM_CONCURRENCY` at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

#: Calls in flight per lane for the one-item-per-call contenders (each lane's batch has up to 100).
PER_ITEM_CONCURRENCY = 25
#: Attributes ingest may leave out of an item; an UpdateItem must REMOVE them when absent.
OPTIONAL_ATTRIBUTES = ("Threshold", "AlertStatus", "SourceSeq")


class PerItemTable:
    """A lane's conditional writes one item per call (PutItem or UpdateItem), reads as ingest's."""

    def __init__(self, client: Any, operation: str, table_name: str = "inventory") -> None:
        from ingest.dal.inventory import InventoryTable

        self._reader = InventoryTable(client, table_name)
        self._client = client
        self.name = table_name
        self.operation = operation

    def get_many(self, keys: Sequence[Any], deadline: float) -> list[Any]:
        return self._reader.get_many(keys, deadline)

    def items_up_to(self, store: str, most: int) -> list[Any] | None:
        return self._reader.items_up_to(store, most)

    def write_many(self, writes: Sequence[Any], deadline: float, fence: Any = None) -> Any:
        from ingest.dal.inventory import WriteOutcome

        del deadline, fence  # one item a request: no transaction to fence (a contender, not a product)
        outcome = WriteOutcome()
        with ThreadPoolExecutor(min(PER_ITEM_CONCURRENCY, len(writes))) as pool:
            for write, landed in zip(writes, pool.map(self._write, writes), strict=True):
                if landed:
                    outcome.written.append(write.key)
                else:
                    outcome.lost[write.key] = None
        return outcome

    def _write(self, write: Any) -> bool:
        from ingest.dal.inventory import SOURCE_LINE, newer_wins

        expression, names, values = newer_wins(write.source)
        values = {**values, ":line": {"N": str(write.line)}}
        item = dict(write.attributes) | {SOURCE_LINE: {"N": str(write.line)}}
        names = dict(names)  # the update adds its own
        condition = {"ConditionExpression": expression, "ExpressionAttributeNames": names}
        try:
            if self.operation == "PutItem":
                self._client.put_item(TableName=self.name, Item=item, ExpressionAttributeValues=values, **condition)
            else:
                self._client.update_item(TableName=self.name, **_update(item, names, values), **condition)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _update(item: dict[str, Any], names: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    """An UpdateItem's key, expression and values that leave the item as ``item``: SET every attribute,
    REMOVE the optional ones it lacks (adds to ``names``)."""
    key = {"Store": item.pop("Store"), "Item": item.pop("Item")}
    values = dict(values)
    sets = []
    for index, (name, value) in enumerate(item.items()):
        names[f"#u{index}"], values[f":u{index}"] = name, value
        sets.append(f"#u{index} = :u{index}")
    removes = [name for name in OPTIONAL_ATTRIBUTES if name not in item]
    for index, name in enumerate(removes):
        names[f"#r{index}"] = name
    update = (
        "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(f"#r{i}" for i in range(len(removes))) if removes else "")
    )
    return {"Key": key, "UpdateExpression": update, "ExpressionAttributeValues": values}
