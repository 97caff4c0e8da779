"""Reads and conditional writes on the Inventory table.

Every write is conditional: it lands only if the stored item was set by an older upload (the
order of ``SourceVersion.order``) or by this same upload, so two uploads of one store racing
each other always end at the newer one's count, whatever order their writes arrive in. A
write whose condition fails is *lost* to a newer upload (the loader counts it stale), and
DynamoDB hands back the stored item.

Writes go out as TransactWriteItems of up to 100 conditional puts, the strategy `make bench`
measured against one conditional PutItem or UpdateItem per row (see docs/benchmarks.md): 50
times fewer requests for twice the write units. A transaction is all or nothing, so a batch
either landed or left nothing behind, which keeps the tallies exact after any failure.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.leftovers import BACKOFF, Backoff, until_done
from inventory.models import SourceVersion
from inventory.table import AttributeMap

from ingest.models.errors import TableUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: BatchGetItem takes at most 100 keys per call; TransactWriteItems at most 100 actions.
READ_BATCH_SIZE = 100
WRITE_BATCH_SIZE = 100
#: The line of the file that set an item: with the source, it tells an earlier attempt's write
#: of the same row from an earlier row of the same upload. Ingest's own attribute.
SOURCE_LINE = "SourceLine"
#: What a comparison needs of a stored item; the rest of it is never read.
_READ_NAMES = {
    "#store": "Store",
    "#item": "Item",
    "#count": "Count",
    "#threshold": "Threshold",
    "#lead": "LeadTimeDays",
    "#pack": "PackSize",
    "#supplier": "Supplier",
    "#time": "SourceTime",
    "#key": "SourceKey",
    "#seq": "SourceSeq",
    "#line": SOURCE_LINE,
}
#: Cancellation reasons of a transaction whose items may simply be sent again.
_RESEND = frozenset({"None", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
#: Errors the retry layer (botocore) already retried before giving up on.
_PASSING = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)

ItemKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ItemWrite:
    """One item to put, from row ``line`` of ``source``, if the stored one is not from a newer upload."""

    key: ItemKey
    attributes: AttributeMap
    source: SourceVersion
    line: int


@dataclass(slots=True)
class WriteOutcome:
    """What became of a batch: keys written, and keys whose condition failed with the stored item."""

    written: list[ItemKey] = field(default_factory=list)
    lost: dict[ItemKey, AttributeMap | None] = field(default_factory=dict)
    #: DynamoDB pushed back on the way (a throttled or conflicting attempt, retried): the partition is busy.
    pushed_back: bool = False


@functools.lru_cache(maxsize=64)
def newer_wins(source: SourceVersion) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The condition under which a write from ``source`` may replace the stored item.

    The stored item must come from an older upload (``SourceVersion.order``: time, then key,
    then the sequencer of the same key) or from this same upload; an item without a readable
    ``SourceTime`` counts as no prior state. Returns the expression with its attribute names
    and values, the same for every row of one upload (so DynamoDB, and the emulator, parse it
    once per upload). Which of two rows of the same upload landed last is the reader's call:
    the loader never writes a row over a later row of its own upload (``SourceLine``).
    """
    names = {"#time": "SourceTime", "#key": "SourceKey", "#seq": "SourceSeq"}
    values: dict[str, Any] = {":time": {"S": source.time}, ":key": {"S": source.key}, ":text": {"S": "S"}}
    if source.sequencer:
        values[":seq"] = {"S": source.sequencer}
        same_key = "attribute_not_exists(#seq) OR #seq <= :seq"
    else:
        same_key = "attribute_not_exists(#seq)"
    expression = (
        "NOT attribute_type(#time, :text) OR #time < :time"
        f" OR (#time = :time AND (#key < :key OR (#key = :key AND ({same_key}))))"
    )
    return expression, names, values


class InventoryTable:
    """The Inventory table for one upload's loader; thread-safe (boto3 clients are)."""

    def __init__(self, client: DynamoDBClient, table_name: str, backoff: Backoff = BACKOFF) -> None:
        self._client = client
        self.name = table_name
        self._backoff = backoff

    def get_many(self, keys: Sequence[AttributeMap], deadline: float) -> list[AttributeMap]:
        """Read up to 100 items by key (strongly consistent); missing items are left out.

        Keys DynamoDB leaves unprocessed are asked for again until ``deadline`` (monotonic seconds).
        """
        found: list[AttributeMap] = []
        request: dict[str, Any] = {
            "Keys": list(keys),
            "ConsistentRead": True,
            "ProjectionExpression": ", ".join(_READ_NAMES),
            "ExpressionAttributeNames": _READ_NAMES,
        }

        def read(request: dict[str, Any]) -> dict[str, Any] | None:
            response = self._call("BatchGetItem", self._client.batch_get_item, RequestItems={self.name: request})
            found.extend(response.get("Responses", {}).get(self.name, []))
            left = (response.get("UnprocessedKeys") or {}).get(self.name)
            return dict(left) if left else None

        left = until_done(read, request, deadline=deadline, backoff=self._backoff)
        if left is not None:
            raise self._out_of_time(f"BatchGetItem left {len(left['Keys'])} keys unread")
        return found

    def write_many(self, writes: Sequence[ItemWrite], deadline: float) -> WriteOutcome:
        """Put up to 100 items in one transaction, each under :func:`newer_wins`, with its ``SourceLine``.

        Items a cancelled transaction did not apply are sent again (without those whose
        condition failed) until ``deadline``; then :class:`TableUnavailable`.
        """
        outcome = WriteOutcome()
        left = until_done(
            lambda pending: self._write(pending, outcome), list(writes), deadline=deadline, backoff=self._backoff
        )
        if left is not None:
            raise self._out_of_time(f"TransactWriteItems left {len(left)} items unwritten")
        return outcome

    def _write(self, pending: list[ItemWrite], outcome: WriteOutcome) -> list[ItemWrite] | None:
        """Send ``pending`` in one transaction; what contention left to send again after a pause (``None``: none)."""
        while pending:
            actions = [self._put(write) for write in pending]
            try:
                response = self._call("TransactWriteItems", self._client.transact_write_items, TransactItems=actions)
            except _Cancelled as cancelled:
                pending, contended = self._sort_out(pending, cancelled.reasons, outcome)
                outcome.pushed_back |= contended
                if pending and contended:
                    return pending
                continue
            outcome.written.extend(write.key for write in pending)
            outcome.pushed_back |= response.get("ResponseMetadata", {}).get("RetryAttempts", 0) > 0
            return None
        return None

    def _put(self, write: ItemWrite) -> dict[str, Any]:
        expression, names, values = newer_wins(write.source)
        item = dict(write.attributes)
        item[SOURCE_LINE] = {"N": str(write.line)}
        return {
            "Put": {
                "TableName": self.name,
                "Item": item,
                "ConditionExpression": expression,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    @staticmethod
    def _sort_out(
        pending: list[ItemWrite], reasons: list[dict[str, Any]], outcome: WriteOutcome
    ) -> tuple[list[ItemWrite], bool]:
        """Split a cancelled transaction's items: lost (condition failed) or to send again."""
        if len(reasons) != len(pending):
            return pending, True  # no usable reasons: send everything again, after a pause
        again, lost = [], 0
        contended = False
        for write, reason in zip(pending, reasons, strict=True):
            code = str(reason.get("Code") or "None")
            if code == "ConditionalCheckFailed":
                outcome.lost[write.key] = reason.get("Item")
                lost += 1
            elif code in _RESEND:
                again.append(write)
                contended |= code != "None"
            else:
                raise ValueError(f"DynamoDB refused the write of {write.key!r}: {code} {reason.get('Message', '')}")
        # Sent again at once only when some items were lost and the rest merely went down with them.
        return again, contended or not lost

    def _out_of_time(self, what: str) -> TableUnavailable:
        return TableUnavailable(f"{what} on {self.name} when the batch's time ran out (the table is busy)")

    def _call(self, operation: str, call: Callable[..., Any], **request: Any) -> dict[str, Any]:
        """Make one call (botocore retries it); map what is left of a failure to the service's errors."""
        try:
            return dict(call(**request))
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "TransactionCanceledException":
                raise _Cancelled(list(error.response.get("CancellationReasons") or [])) from None
            if code in _PASSING:
                raise TableUnavailable(f"{operation} on {self.name} still failed after every retry: {code}") from error
            raise
        except BotoCoreError as error:
            raise TableUnavailable(f"{operation} on {self.name} could not reach DynamoDB: {error}") from error


class _Cancelled(Exception):
    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("transaction cancelled")
        self.reasons = reasons
