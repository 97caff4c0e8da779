"""The Stores table (owned by ingest): one summary row per store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from inventory.stores import FULL_LIST, StoreSummary

from dashboard_api.dal.errors import unavailable_on_error
from dashboard_api.models.errors import Unavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class StoreDirectory:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, store: str) -> StoreSummary | None:
        """One store's summary, or None if the store has no row."""
        with unavailable_on_error("the store list"):
            response = self._client.get_item(TableName=self._table, Key={"Store": {"S": store}})
        item = response.get("Item")
        return StoreSummary.from_item(item) if item else None

    def set_full_list(self, store: str, full_list: bool) -> StoreSummary | None:
        """Set whether every file of ``store`` is read as its full list (``FullList``); the store's summary
        after, or None if the store has no row (it has sent no file yet): no row is made for a name."""
        try:
            with unavailable_on_error("the store's settings"):
                response = self._client.update_item(
                    TableName=self._table,
                    Key={"Store": {"S": store}},
                    UpdateExpression="SET #full = :full",
                    ConditionExpression="attribute_exists(#store)",
                    ExpressionAttributeNames={"#full": FULL_LIST, "#store": "Store"},
                    ExpressionAttributeValues={":full": {"BOOL": full_list}},
                    ReturnValues="ALL_NEW",
                )
        except Unavailable as error:
            cause = error.__cause__
            if isinstance(cause, ClientError) and cause.response.get("Error", {}).get("Code") == (
                "ConditionalCheckFailedException"
            ):
                return None
            raise
        return StoreSummary.from_item(response["Attributes"])

    def all(self) -> list[StoreSummary]:
        """Every store's summary. A Scan, on purpose: the table holds one small row per store
        (a thousand stores is about 100 KB, one or two 1 MB pages), and admins need them all."""
        summaries: list[StoreSummary] = []
        kwargs: dict[str, Any] = {"TableName": self._table}
        with unavailable_on_error("the store list"):
            while True:
                response = self._client.scan(**kwargs)
                summaries.extend(StoreSummary.from_item(item) for item in response.get("Items", []))
                if "LastEvaluatedKey" not in response:
                    return summaries
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
