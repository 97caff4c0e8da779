"""The Stores table, as far as ingest writes it: when each store last sent a file, and a full list.

The item, out-of-stock and low-stock totals are the alerts service's (it applies each item
change from the Inventory stream exactly once); ingest only moves ``LastUploadAt`` and
``LastFullListAt`` forward, and reads whether a store asked that its files be read as full lists.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.leftovers import until_done
from inventory.stores import FULL_LIST, ITEMS, LAST_FULL_LIST_AT, LAST_UPLOAD_AT, remembers_full_list

from ingest.models.errors import TableUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: Stores marked at once (a head-office file may name thousands).
CONCURRENCY = 8
#: BatchGetItem reads at most 100 keys per call; the keys it leaves unread are asked for again this long.
READ_BATCH = 100
READ_SECONDS = 30.0
_NAMES = {"#store": "Store", "#items": ITEMS}


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

    def remembers_full_list(self, store: str) -> bool:
        """Whether ``store``'s row says every file of the store is its full list (``FullList``); read
        consistently, so a setting just changed counts."""
        rows = self._rows([store], {"#store": "Store", "#full": FULL_LIST}, consistent=True)
        return any(remembers_full_list(row) for row in rows)

    def item_counts(self, stores: Sequence[str]) -> dict[str, int]:
        """Each store's ``Items`` total (the alerts service's; a store without one yet is left out)."""
        return {row["Store"]["S"]: int(row.get(ITEMS, {}).get("N", "0")) for row in self._rows(stores, _NAMES)}

    def _rows(self, stores: Sequence[str], names: dict[str, str], *, consistent: bool = False) -> list[dict[str, Any]]:
        """The Stores rows of ``stores`` (those that exist), each with the attributes ``names`` name."""
        rows: list[dict[str, Any]] = []
        projection = ", ".join(names)

        def read(keys: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
            request = {
                self.name: {
                    "Keys": keys,
                    "ProjectionExpression": projection,
                    "ExpressionAttributeNames": names,
                    "ConsistentRead": consistent,
                }
            }
            try:
                response = self._client.batch_get_item(RequestItems=request)  # type: ignore[arg-type]
            except (ClientError, BotoCoreError) as error:
                raise TableUnavailable(f"BatchGetItem on {self.name} failed after every retry: {error}") from error
            rows.extend(response.get("Responses", {}).get(self.name, []))
            left = (response.get("UnprocessedKeys") or {}).get(self.name)
            return list(left["Keys"]) if left else None

        for start in range(0, len(stores), READ_BATCH):
            keys = [{"Store": {"S": store}} for store in stores[start : start + READ_BATCH]]
            if until_done(read, keys, deadline=time.monotonic() + READ_SECONDS) is not None:
                raise TableUnavailable(f"BatchGetItem on {self.name} left keys unread when its time ran out")
        return rows

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
