"""The Forecast table (owned by alerts): one row per item, read once per batch, written once per batch.

Rows are read strongly consistent with BatchGetItem (100 keys a call, the calls at once; keys
DynamoDB leaves unprocessed are asked again through :func:`inventory.leftovers.until_done`) and
written with PutItem on condition that the row is still as read: absent, or holding the
``Sequence`` read. Nothing else writes the table, so a failed condition means another invocation
got there first (a concurrent replay): the batch's records of that item are retried, and the
retry reads the row again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.forecast import ForecastRow
from inventory.leftovers import BACKOFF, Backoff, until_done

from alerts.models.errors import ForecastUnavailable
from alerts.models.stored_forecast import ItemKey, StoredForecast

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

#: BatchGetItem takes at most 100 keys a call.
KEYS_PER_READ = 100
#: BatchGetItem calls made at once (boto3 clients are thread-safe).
READERS = 8


class ForecastTable:
    #: Calls for one chunk of keys, the first included, before unprocessed keys count as a failure.
    ATTEMPTS = 6

    def __init__(self, client: DynamoDBClient, table_name: str, backoff: Backoff = BACKOFF) -> None:
        self._client = client
        self.name = table_name
        self._backoff = backoff

    def read(self, keys: Iterable[ItemKey]) -> dict[ItemKey, StoredForecast]:
        """The rows of ``keys`` as they are now (strongly consistent); a key with no row is left out.

        Raises :class:`ForecastUnavailable` when the table fails, or keeps keys unprocessed past
        :attr:`ATTEMPTS` calls.
        """
        wanted = list(dict.fromkeys(keys))
        chunks = [wanted[start : start + KEYS_PER_READ] for start in range(0, len(wanted), KEYS_PER_READ)]
        if len(chunks) > 1:  # a batch of 500 items is 5 calls: at once, not one after the other
            with ThreadPoolExecutor(max_workers=min(READERS, len(chunks))) as pool:
                parts = list(pool.map(self._read_chunk, chunks))
        else:
            parts = [self._read_chunk(chunk) for chunk in chunks]
        return {key: stored for part in parts for key, stored in part.items()}

    def _read_chunk(self, chunk: list[ItemKey]) -> dict[ItemKey, StoredForecast]:
        found: dict[ItemKey, StoredForecast] = {}
        request: Any = {
            "Keys": [{"Store": {"S": store}, "Item": {"S": item}} for store, item in chunk],
            "ConsistentRead": True,
        }

        def read(request: Any) -> Any:
            try:
                response = self._client.batch_get_item(RequestItems={self.name: request})
            except (ClientError, BotoCoreError) as error:
                raise ForecastUnavailable(f"Forecast rows not readable: {error}") from error
            for item in response.get("Responses", {}).get(self.name, []):
                key, stored = _stored(item)
                found[key] = stored
            left = (response.get("UnprocessedKeys") or {}).get(self.name)
            return dict(left) if left and left.get("Keys") else None

        left = until_done(read, request, attempts=self.ATTEMPTS, backoff=self._backoff)
        if left is not None:
            raise ForecastUnavailable(
                f"Forecast rows not readable: {len(left['Keys'])} key(s) still unprocessed after {self.ATTEMPTS} calls"
            )
        return found

    def write(self, row: ForecastRow, read: StoredForecast) -> bool:
        """Put ``row`` if the stored row is still as ``read``; ``False`` if it changed since.

        Raises :class:`ForecastUnavailable` when the table fails (throttled past the retries).
        """
        # DynamoDB refuses names or values the expression does not use.
        names: dict[str, str]
        values: dict[str, Any] = {}
        if not read.exists:
            condition, names = "attribute_not_exists(#store)", {"#store": "Store"}
        elif read.sequence is None:
            condition = "attribute_exists(#store) AND attribute_not_exists(#sequence)"
            names = {"#store": "Store", "#sequence": "Sequence"}
        else:
            condition, names = "#sequence = :read", {"#sequence": "Sequence"}
            values[":read"] = {"S": read.sequence}
        request: dict[str, Any] = {
            "TableName": self.name,
            "Item": row.to_item(),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
        }
        if values:
            request["ExpressionAttributeValues"] = values
        try:
            self._client.put_item(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise ForecastUnavailable(f"Forecast row not written: {error}") from error
        except BotoCoreError as error:
            raise ForecastUnavailable(f"Forecast row not written: {error}") from error
        return True


def _stored(item: Mapping[str, Any]) -> tuple[ItemKey, StoredForecast]:
    """A row as read; one that cannot be read is kept as existing-but-unreadable (with the reason), so
    the item starts over and the write replaces it, conditional on its Sequence as found."""
    key = (str(item["Store"]["S"]), str(item["Item"]["S"]))
    raw_sequence = item.get("Sequence", {})
    sequence = raw_sequence.get("S") if isinstance(raw_sequence, Mapping) else None
    sequence = sequence if isinstance(sequence, str) else None
    try:
        return key, StoredForecast(ForecastRow.from_item(item), exists=True, sequence=sequence)
    except (KeyError, ValueError, TypeError, ArithmeticError, AttributeError) as error:
        problem = f"{type(error).__name__}: {str(error)[:80]}"
        return key, StoredForecast(None, exists=True, sequence=sequence, problem=problem)
