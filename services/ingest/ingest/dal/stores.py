"""The Stores table, as far as ingest writes it: when each store last sent a file, and a full list.

The item, out-of-stock and low-stock totals are the alerts service's (it applies each item
change from the Inventory stream exactly once); ingest only moves ``LastUploadAt`` and
``LastFullListAt`` forward.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from inventory.stores import LAST_FULL_LIST_AT, LAST_UPLOAD_AT

from ingest.models.errors import TableUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: Stores marked at once (a head-office file may name thousands).
CONCURRENCY = 8


class StoreActivity:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.name = table_name

    def mark_upload(self, stores: Iterable[str], at: str) -> None:
        """Set each store's ``LastUploadAt`` to ``at`` unless it is already as late or later.

        A store with no row yet gets one holding only this (its totals appear with its first item).
        """
        self._mark_all(stores, LAST_UPLOAD_AT, at)

    def mark_full_list(self, stores: Iterable[str], at: str) -> None:
        """Set each store's ``LastFullListAt`` to ``at`` (a full list's upload time) unless already as late."""
        self._mark_all(stores, LAST_FULL_LIST_AT, at)

    def _mark_all(self, stores: Iterable[str], attribute: str, at: str) -> None:
        names = sorted(set(stores))
        if len(names) == 1:
            self._mark(names[0], attribute, at)
        elif names:
            with ThreadPoolExecutor(min(CONCURRENCY, len(names)), thread_name_prefix="stores") as pool:
                for _ in pool.map(lambda store: self._mark(store, attribute, at), names):
                    pass  # map re-raises the first failure here

    def _mark(self, store: str, attribute: str, at: str) -> None:
        try:
            self._client.update_item(
                TableName=self.name,
                Key={"Store": {"S": store}},
                UpdateExpression="SET #at = :at",
                ConditionExpression="attribute_not_exists(#at) OR #at < :at",
                ExpressionAttributeNames={"#at": attribute},
                ExpressionAttributeValues={":at": {"S": at}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return  # a later upload of this store got there first: keep its time
            raise TableUnavailable(f"UpdateItem on {self.name} failed after every retry: {error}") from error
        except BotoCoreError as error:
            raise TableUnavailable(f"UpdateItem on {self.name} could not reach DynamoDB: {error}") from error
