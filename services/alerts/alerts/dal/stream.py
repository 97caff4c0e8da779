"""The Inventory stream read back by position: the records a failure pointer names, with their bodies."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from alerts.models.errors import RecordsExpired, StreamUnavailable
from alerts.models.failure import FailedBatch

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient

#: The stream or shard is gone, or the position is older than the stream keeps (24 hours).
EXPIRED = {"TrimmedDataAccessException", "ResourceNotFoundException", "ExpiredIteratorException"}


class StreamReader:
    #: GetRecords pages read at most for one batch; a shard is read at up to 5 calls per second.
    MAX_PAGES = 200
    #: Consecutive empty pages after which an open shard is taken to hold nothing more yet.
    EMPTY_PAGES = 5

    def __init__(self, client: DynamoDBStreamsClient, region: str, pause: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._region = region
        self._pause = pause

    def records(self, batch: FailedBatch) -> list[dict[str, Any]]:
        """The batch's records in stream order, in the shape Lambda delivers them.

        Raises :class:`RecordsExpired` when the stream no longer holds them, and
        :class:`StreamUnavailable` when reading failed for a reason that may pass.
        """
        try:
            iterator: str | None = self._client.get_shard_iterator(
                StreamArn=batch.stream_arn,
                ShardId=batch.shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=batch.start_sequence,
            )["ShardIterator"]
            found: list[dict[str, Any]] = []
            empty = 0
            for _ in range(self.MAX_PAGES):
                if iterator is None:
                    break  # a closed shard read to its end
                page = self._client.get_records(ShardIterator=iterator, Limit=1000)
                iterator = page.get("NextShardIterator")
                records = page.get("Records", [])
                for record in records:
                    sequence = str(record["dynamodb"]["SequenceNumber"])
                    if batch.is_past(sequence):
                        return found
                    if batch.holds(sequence):
                        found.append(self._lambda_shape(dict(record), batch.stream_arn))
                empty = 0 if records else empty + 1
                if empty >= self.EMPTY_PAGES:
                    break
                if not records:
                    self._pause(0.2)
            return found
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in EXPIRED:
                raise RecordsExpired(
                    f"{batch.shard_id} {batch.start_sequence}..{batch.end_sequence}: {code}"
                ) from error
            raise StreamUnavailable(f"stream not readable: {error}") from error
        except BotoCoreError as error:
            raise StreamUnavailable(f"stream not readable: {error}") from error

    def _lambda_shape(self, record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
        """GetRecords' record as Lambda delivers it: epoch seconds, the source ARN, text only."""
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
        return {
            "eventID": record.get("eventID", ""),
            "eventName": record.get("eventName", ""),
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": record.get("eventSource", "aws:dynamodb"),
            "awsRegion": record.get("awsRegion", self._region),
            "dynamodb": _text_only(dynamodb),
            "eventSourceARN": stream_arn,
        }


def _text_only(value: Any) -> Any:
    """Binary attribute values as base64 text, sets as lists: what Lambda's JSON event carries."""
    import base64

    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, set | frozenset):
        return [_text_only(item) for item in sorted(value)]
    if isinstance(value, list):
        return [_text_only(item) for item in value]
    if isinstance(value, dict):
        return {key: _text_only(item) for key, item in value.items()}
    return value
