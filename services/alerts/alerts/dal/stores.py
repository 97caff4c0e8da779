"""The Stores table as the recount sees it: read a row whole, repair it only if it is still that row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.stores import COUNTED_THROUGH, ITEMS, LOW, OUT, UPDATED_AT, StoreSummary

from alerts.models.errors import StoresUnavailable
from alerts.models.recount import StoreRow, Totals

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

COUNTS = (ITEMS, OUT, LOW)


class StoresTable:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.name = table_name

    def stores(self) -> Iterator[str]:
        """Every store with a row (ingest writes one for each store a file names)."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "ProjectionExpression": "#store",
            "ExpressionAttributeNames": {"#store": "Store"},
        }
        while True:
            try:
                page = self._client.scan(**request)
            except (ClientError, BotoCoreError) as error:
                raise StoresUnavailable(f"Stores table not readable: {error}") from error
            for item in page.get("Items", []):
                yield str(item["Store"]["S"])
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def row(self, store: str) -> StoreRow:
        try:
            item = self._client.get_item(TableName=self.name, Key={"Store": {"S": store}}, ConsistentRead=True).get(
                "Item"
            )
        except (ClientError, BotoCoreError) as error:
            raise StoresUnavailable(f"Stores row of {store!r} not readable: {error}") from error
        if item is None:
            return StoreRow(store, Totals(), None, exists=False)
        summary = StoreSummary.from_item(item)
        return StoreRow(
            store=store,
            totals=Totals(summary.items, summary.out, summary.low),
            updated_at=summary.updated_at,
            exists=True,
            present=frozenset(name for name in COUNTS if name in item),
        )

    def repair(self, row: StoreRow, totals: Totals, at: str, counted_through: str) -> bool:
        """Set the row's totals (and ``CountedThrough``: every change made until then is in them), on
        condition that it is exactly as read; ``False`` if it changed since.

        The stream consumer sets ``UpdatedAt`` whenever it applies changes of the store (with
        every update of its totals, and once a batch for changes that move none), so a change that
        landed between the read and this write fails the condition even when it left the counts
        where they were.
        """
        names = {"#store": "Store", "#updated": UPDATED_AT, "#through": COUNTED_THROUGH}
        names |= {f"#{name}": name for name in COUNTS}
        values: dict[str, Any] = {
            ":items": {"N": str(totals.items)},
            ":out": {"N": str(totals.out)},
            ":low": {"N": str(totals.low)},
            ":now": {"S": at},
            ":through": {"S": counted_through},
        }
        if not row.exists:
            condition = "attribute_not_exists(#store)"
        else:
            found = {ITEMS: row.totals.items, OUT: row.totals.out, LOW: row.totals.low}
            clauses = []
            for name in COUNTS:
                if name in row.present:
                    values[f":was{name}"] = {"N": str(found[name])}
                    clauses.append(f"#{name} = :was{name}")
                else:
                    clauses.append(f"attribute_not_exists(#{name})")
            if row.updated_at is None:
                clauses.append("attribute_not_exists(#updated)")
            else:
                values[":wasUpdated"] = {"S": row.updated_at}
                clauses.append("#updated = :wasUpdated")
            condition = " AND ".join(["attribute_exists(#store)", *clauses])
        try:
            self._client.update_item(
                TableName=self.name,
                Key={"Store": {"S": row.store}},
                UpdateExpression="SET #Items = :items, #Out = :out, #Low = :low, #updated = :now, #through = :through",
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in (
                "ConditionalCheckFailedException",
                "TransactionConflictException",
            ):
                return False
            raise StoresUnavailable(f"Stores row of {row.store!r} not repaired: {error}") from error
        except BotoCoreError as error:
            raise StoresUnavailable(f"Stores row of {row.store!r} not repaired: {error}") from error
        return True
