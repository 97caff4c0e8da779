"""Token buckets in the People table, one item per user and bucket (``USER#<name>`` / ``THROTTLE#<bucket>``).

Each bucket is held as its *theoretical arrival time* (``Tat``, epoch milliseconds; GCRA, the
token bucket in one number): a request is allowed while ``Tat`` is at most ``(burst - 1)``
intervals ahead of now, and moves it one interval on. DynamoDB cannot compute ``max(Tat, now)``
in an update, so a request takes one conditional UpdateItem while the user is busy (``Tat`` ahead
of now) and a second when the bucket is full again (``Tat`` in the past, or no item yet). The
conditions make it exact across every instance of the function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dashboard_api.dal.subscriptions import user_key
from dashboard_api.models.errors import ThrottleUnavailable
from dashboard_api.models.throttle import Bucket

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

THROTTLE_PREFIX = "THROTTLE#"


class ThrottleTable:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def take(self, username: str, bucket: Bucket, now_ms: int) -> int:
        """Take one token: 0 when allowed, else the milliseconds until one is free."""
        limit = now_ms + (bucket.burst - 1) * bucket.interval_ms
        for _ in range(3):  # a race with another request of the same user: look again
            old = self._update(
                username,
                bucket,
                "SET #tat = #tat + :interval",
                "#tat BETWEEN :now AND :limit",
                {":now": {"N": str(now_ms)}, ":limit": {"N": str(limit)}},
            )
            if old is None:
                return 0
            tat = int(old["Tat"]["N"]) if "Tat" in old else None
            if tat is not None and tat > limit:
                return tat - limit
            full = tat is None or tat < now_ms  # idle long enough to be full again
            if full and self._refill(username, bucket, now_ms):
                return 0
        return bucket.interval_ms

    def _refill(self, username: str, bucket: Bucket, now_ms: int) -> bool:
        """Take the first token of a full bucket; False when another request moved it meanwhile."""
        old = self._update(
            username,
            bucket,
            "SET #tat = :next",
            "attribute_not_exists(#tat) OR #tat < :now",
            {":now": {"N": str(now_ms)}, ":next": {"N": str(now_ms + bucket.interval_ms)}},
        )
        return old is None

    def _update(
        self, username: str, bucket: Bucket, expression: str, condition: str, values: dict[str, Any]
    ) -> dict[str, Any] | None:
        """None when the update was made; the item as it was (maybe empty) when its condition failed."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"PK": {"S": user_key(username)}, "SK": {"S": f"{THROTTLE_PREFIX}{bucket.name}"}},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#tat": "Tat"},
                ExpressionAttributeValues={":interval": {"N": str(bucket.interval_ms)}, **values}
                if ":interval" in expression
                else values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return dict(error.response.get("Item") or {})  # type: ignore[typeddict-item]
            raise ThrottleUnavailable(str(error)) from error
        except BotoCoreError as error:
            raise ThrottleUnavailable(str(error)) from error
        return None
