"""A change's History row and its store's totals, written together, exactly once.

One DynamoDB transaction puts the History row on condition that it does not exist yet and
adds the change's delta to the store's row in the Stores table. A retried, repeated or late
delivery of the record finds the row (``ReturnValuesOnConditionCheckFailure`` hands it back)
and changes nothing; whether the row carries ``AnnouncedAt`` tells whether its alert went out,
and its ``Alert`` what the change raised when it was first recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.history import HistoryEntry, history_key
from inventory.leftovers import BACKOFF, Backoff
from inventory.stores import ITEMS, LOW, OUT, UPDATED_AT, StoreChange

from alerts.models.errors import HistoryUnavailable
from alerts.models.history import Recorded, Written

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, UpdateTypeDef

#: Cancellation reasons that another attempt can clear: a concurrent write to the same Stores
#: row (ingest's LastUploadAt, a recount's repair) or throttling inside the transaction.
PASSING = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


class ChangeLedger:
    """Writes changes to the History table and their deltas to the Stores table."""

    #: Attempts for a transaction cancelled for a passing reason (botocore does not retry those).
    ATTEMPTS = 3

    def __init__(
        self,
        client: DynamoDBClient,
        history_table: str,
        stores_table: str,
        clock: Callable[[], str],
        backoff: Backoff = BACKOFF,
    ) -> None:
        self._client = client
        self.history_table = history_table
        self.stores_table = stores_table
        self._clock = clock
        self._backoff = backoff

    def write(self, entry: HistoryEntry, totals: StoreChange | None) -> Written:
        """Write the row and apply ``totals`` (``None``: only mark the store changed) unless the row exists."""
        transaction: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self.history_table,
                    "Item": entry.to_item(),
                    "ConditionExpression": "attribute_not_exists(StoreItem)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {"Update": self._totals_update(entry.store, totals)},
        ]
        for attempt in range(1, self.ATTEMPTS + 1):
            try:
                self._client.transact_write_items(TransactItems=transaction)
                return Written(Recorded.NEW, entry.alert)
            except ClientError as error:
                reasons: list[dict[str, Any]] = list(error.response.get("CancellationReasons") or [])
                codes = [str(reason.get("Code", "")) for reason in reasons]
                if codes and codes[0] == "ConditionalCheckFailed":
                    existing = reasons[0].get("Item") or {}
                    alert = (existing.get("Alert") or {}).get("S")
                    found = Recorded.ANNOUNCED if "AnnouncedAt" in existing else Recorded.UNANNOUNCED
                    return Written(found, alert if isinstance(alert, str) else None)
                if attempt < self.ATTEMPTS and PASSING & set(codes):
                    self._backoff.wait(attempt - 1)
                    continue
                raise HistoryUnavailable(f"History and totals not written ({', '.join(codes) or error})") from error
            except BotoCoreError as error:
                raise HistoryUnavailable(f"History and totals not written: {error}") from error
        raise AssertionError("unreachable")  # pragma: no cover

    def _totals_update(self, store: str, totals: StoreChange | None) -> UpdateTypeDef:
        """ADD the non-zero deltas; SET UpdatedAt to when the totals changed (a recount conditions on it)."""
        names = {"#updated": UPDATED_AT}
        values: dict[str, Any] = {":at": {"S": self._clock()}}
        adds = []
        for name, step in ((ITEMS, totals.items), (OUT, totals.out), (LOW, totals.low)) if totals else ():
            if step:
                names[f"#{name}"] = name
                values[f":{name}"] = {"N": str(step)}
                adds.append(f"#{name} :{name}")
        expression = "SET #updated = :at" + (f" ADD {', '.join(adds)}" if adds else "")
        return {
            "TableName": self.stores_table,
            "Key": {"Store": {"S": store}},
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }

    def mark_announced(self, entry: HistoryEntry, announced_at: str) -> None:
        """Record that the change's alert was announced, so no later delivery announces it again."""
        try:
            self._client.update_item(
                TableName=self.history_table,
                Key=entry.key(),
                UpdateExpression="SET AnnouncedAt = :at",
                ConditionExpression="attribute_exists(StoreItem)",
                ExpressionAttributeValues={":at": {"S": announced_at}},
            )
        except (ClientError, BotoCoreError) as error:
            raise HistoryUnavailable(f"History row not marked announced: {error}") from error


class RecordedChanges:
    """Reads the History table to tell whether a change is recorded (and so counted in the totals)."""

    def __init__(self, client: DynamoDBClient, history_table: str) -> None:
        self._client = client
        self.history_table = history_table

    def has_change_at(self, store: str, item: str, time: str) -> bool:
        """Whether a change of the item made at ``time`` has its History row (so its totals are applied)."""
        try:
            response = self._client.query(
                TableName=self.history_table,
                KeyConditionExpression="StoreItem = :key AND begins_with(#at, :time)",
                ExpressionAttributeNames={"#at": "At"},
                ExpressionAttributeValues={":key": {"S": history_key(store, item)}, ":time": {"S": f"{time}#"}},
                ProjectionExpression="StoreItem",
                Limit=1,
            )
        except (ClientError, BotoCoreError) as error:
            raise HistoryUnavailable(f"History not readable: {error}") from error
        return bool(response.get("Items"))
