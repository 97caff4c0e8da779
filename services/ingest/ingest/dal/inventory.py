"""Batched reads and writes on the Inventory table, retrying what DynamoDB leaves undone."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from inventory.table import AttributeMap

#: BatchWriteItem takes at most 25 puts or deletes per call.
WRITE_BATCH_SIZE = 25
#: BatchGetItem takes at most 100 keys per call.
READ_BATCH_SIZE = 100

#: Errors worth retrying: the table is busy or briefly unavailable.
RETRYABLE_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


class TableUnavailable(RuntimeError):
    """DynamoDB kept refusing a request after every retry; the caller should fail and retry later."""


@dataclass
class Backoff:
    """Exponential backoff with full jitter: attempt n waits a random 0..min(cap, base * 2**n) s."""

    base: float = 0.05
    cap: float = 5.0
    max_attempts: int = 10
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random

    def wait(self, attempt: int) -> None:
        """Sleep before retry number ``attempt`` (0-based)."""
        self.sleep(self.rand() * min(self.cap, self.base * 2**attempt))


class InventoryTable:
    """Batched reads and writes on one DynamoDB table, retrying what DynamoDB leaves undone.

    ``client`` is a boto3 DynamoDB client (thread-safe, so one table object may serve
    several writer threads).
    """

    def __init__(self, client: Any, table_name: str, backoff: Backoff | None = None) -> None:
        self._client = client
        self.name = table_name
        self._backoff = backoff or Backoff()

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        for attempt in range(self._backoff.max_attempts):
            try:
                return getattr(self._client, operation)(**kwargs)  # type: ignore[no-any-return]
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") not in RETRYABLE_ERRORS:
                    raise
                self._backoff.wait(attempt)
        raise TableUnavailable(f"{operation} on {self.name} throttled {self._backoff.max_attempts} times")

    def get_many(self, keys: Sequence[AttributeMap]) -> list[AttributeMap]:
        """Read up to 100 items by key (strongly consistent); missing items are left out."""
        found: list[AttributeMap] = []
        pending: dict[str, Any] = {self.name: {"Keys": list(keys), "ConsistentRead": True}}
        for attempt in range(self._backoff.max_attempts):
            response = self._call("batch_get_item", RequestItems=pending)
            found.extend(response.get("Responses", {}).get(self.name, []))
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                return found
            self._backoff.wait(attempt)
        raise TableUnavailable(f"BatchGetItem on {self.name} left keys unprocessed after every retry")

    def put_many(self, items: Iterable[AttributeMap]) -> int:
        """Write items in BatchWriteItem calls of 25, retrying unprocessed ones. Returns calls made."""
        calls = 0
        batch: list[AttributeMap] = []
        for item in items:
            batch.append(item)
            if len(batch) == WRITE_BATCH_SIZE:
                calls += self._put_batch(batch)
                batch = []
        if batch:
            calls += self._put_batch(batch)
        return calls

    def _put_batch(self, items: list[AttributeMap]) -> int:
        pending: list[dict[str, Any]] = [{"PutRequest": {"Item": item}} for item in items]
        for attempt in range(self._backoff.max_attempts):
            response = self._call("batch_write_item", RequestItems={self.name: pending})
            pending = (response.get("UnprocessedItems") or {}).get(self.name, [])
            if not pending:
                return attempt + 1
            self._backoff.wait(attempt)
        raise TableUnavailable(f"BatchWriteItem on {self.name} left items unprocessed after every retry")
