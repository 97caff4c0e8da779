"""Reads and conditional writes on the Inventory table.

Every write is conditional: it lands only if the stored item was set by an older upload (the
order of ``SourceVersion.order``) or by an earlier or the same line of this same upload, so two
uploads of one store racing each other always end at the newer one's count, whatever order
their writes arrive in, and a stale invocation of one upload never sets an item back to an
earlier row. A write whose condition fails is *lost* (the loader counts it stale, or written
when a later row of the same upload holds the item), and DynamoDB hands back the stored item.
An undo's write (``ingest.logic.undo``) lands only while the item is still set by the undone upload
(:func:`still_from`). A write over another upload's item records what that item was (:data:`BEFORE`).

Writes go out as TransactWriteItems of up to 99 conditional updates and one ``ConditionCheck``
on the upload's index row (the *fence*, ``ingest.models.claim.Fence``): a batch lands only
while the invocation still holds the upload, so one that was presumed dead and taken over
changes nothing (:class:`LeaseLost`). Updates rather than puts keep the attributes other
writers keep on an item. The strategy `make bench` measured against one conditional PutItem or
UpdateItem per row (see docs/benchmarks.md): 50 times fewer requests for twice the write units
(the fence adds the index row's size once per batch). A transaction is all or nothing, so a
batch either landed or left nothing behind, which keeps the tallies exact after any failure.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.leftovers import BACKOFF, Backoff, until_done
from inventory.models import SourceVersion
from inventory.table import RETIRED, AttributeMap

from ingest.models.claim import Fence
from ingest.models.errors import LeaseLost, TableUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: BatchGetItem takes at most 100 keys per call; TransactWriteItems at most 100 actions, one of
#: them the fence: a batch holds 99 items, so it is one read and one transaction.
WRITE_BATCH_SIZE = 100
READ_BATCH_SIZE = WRITE_BATCH_SIZE - 1
#: The line of the file that set an item: with the source, it tells an earlier attempt's write
#: of the same row from an earlier row of the same upload. Ingest's own attribute.
SOURCE_LINE = "SourceLine"
#: What an item was before the upload that set it last, when another upload had set it (a map of
#: :data:`BEFORE_NAMES`; absent on an item that upload created; empty when an undo put the item back
#: to an older upload's values, as what it was before those is not known): what an undo writes back.
BEFORE = "Before"
#: The attributes a before-image keeps: the item's state and the source that set it.
BEFORE_NAMES = (
    "Count",
    "Threshold",
    "LeadTimeDays",
    "PackSize",
    "Supplier",
    "SourceTime",
    "SourceKey",
    "SourceSeq",
    SOURCE_LINE,
    "UpdatedAt",
    RETIRED,
)
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
    "#updated": "UpdatedAt",
    "#retired": RETIRED,
    "#before": BEFORE,
}
#: Every attribute ingest sets on an item, by the placeholder its writes use (the values use the
#: same name with a colon); one absent from a write is removed, any other attribute is kept.
_WRITE_NAMES = {
    "#count": "Count",
    "#updated": "UpdatedAt",
    "#key": "SourceKey",
    "#time": "SourceTime",
    "#seq": "SourceSeq",
    "#line": SOURCE_LINE,
    "#threshold": "Threshold",
    "#status": "AlertStatus",
    "#lead": "LeadTimeDays",
    "#pack": "PackSize",
    "#supplier": "Supplier",
    "#retired": RETIRED,
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
    #: Not a row's write but a retirement at this time (``attributes`` need only the key): see
    #: :meth:`InventoryTable._retirement`.
    retired_at: str = ""
    #: The item's before-image to record (:data:`BEFORE`): ``{}`` removes it (a new item), ``None``
    #: leaves it as it is (the item is this same upload's already).
    before: AttributeMap | None = None
    #: An undo of ``source``: lands only while the stored item is still set by ``source`` exactly
    #: (:func:`still_from`), whatever the order of the source the write puts back.
    undo: bool = False


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
    then the sequencer of the same key), or from this same upload at the write's line
    (``:line``, one value per item) or an earlier one; an item without a readable
    ``SourceTime`` counts as no prior state. Returns the expression with its attribute names
    and the values shared by every row of one upload.
    """
    names = {"#time": "SourceTime", "#key": "SourceKey", "#seq": "SourceSeq", "#line": SOURCE_LINE}
    values: dict[str, Any] = {":time": {"S": source.time}, ":key": {"S": source.key}, ":text": {"S": "S"}}
    this_line_or_later = "(attribute_not_exists(#line) OR #line <= :line)"
    if source.sequencer:
        values[":seq"] = {"S": source.sequencer}
        same_key = f"attribute_not_exists(#seq) OR #seq < :seq OR (#seq = :seq AND {this_line_or_later})"
    else:
        same_key = f"attribute_not_exists(#seq) AND {this_line_or_later}"
    expression = (
        "NOT attribute_type(#time, :text) OR #time < :time"
        f" OR (#time = :time AND (#key < :key OR (#key = :key AND ({same_key}))))"
    )
    return expression, names, values


def still_from(source: SourceVersion) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The condition under which an undo of ``source`` may change the stored item: ``source`` set it
    and no upload has since (a newer upload always wins over an undo)."""
    names = {"#time": "SourceTime", "#key": "SourceKey", "#seq": "SourceSeq"}
    values: dict[str, Any] = {":undone_time": {"S": source.time}, ":undone_key": {"S": source.key}}
    expression = "#time = :undone_time AND #key = :undone_key AND "
    if source.sequencer:
        values[":undone_seq"] = {"S": source.sequencer}
        expression += "#seq = :undone_seq"
    else:
        expression += "attribute_not_exists(#seq)"
    return expression, names, values


def _before_update(write: ItemWrite, values: dict[str, Any]) -> tuple[str, str]:
    """The assignment and the removal (either may be empty) that record ``write.before``."""
    if write.before is None:
        return "", ""
    if not write.before:
        return "", "#before"
    values[":before"] = {"M": write.before}
    return "#before = :before", ""


def _before_name(update: str) -> dict[str, str]:
    """The placeholder of :data:`BEFORE`, if ``update`` uses it (DynamoDB refuses unused names)."""
    return {"#before": BEFORE} if "#before" in update else {}


def before_image(attributes: AttributeMap) -> AttributeMap:
    """The before-image (:data:`BEFORE`) of a stored item: the attributes of :data:`BEFORE_NAMES` it has."""
    return {name: attributes[name] for name in BEFORE_NAMES if name in attributes}


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

    def write_many(self, writes: Sequence[ItemWrite], deadline: float, fence: Fence | None = None) -> WriteOutcome:
        """Write up to 99 items in one transaction, each under :func:`newer_wins`, with its ``SourceLine``,
        and only while ``fence`` holds (else :class:`LeaseLost`).

        Items a cancelled transaction did not apply are sent again (without those whose
        condition failed) until ``deadline``; then :class:`TableUnavailable`.
        """
        outcome = WriteOutcome()
        left = until_done(
            lambda pending: self._write(pending, outcome, fence), list(writes), deadline=deadline, backoff=self._backoff
        )
        if left is not None:
            raise self._out_of_time(f"TransactWriteItems left {len(left)} items unwritten")
        return outcome

    def _write(self, pending: list[ItemWrite], outcome: WriteOutcome, fence: Fence | None) -> list[ItemWrite] | None:
        """Send ``pending`` in one transaction; what contention left to send again after a pause (``None``: none)."""
        while pending:
            actions = [self._update(write) for write in pending]
            if fence is not None:
                actions.append(_fence_check(fence))
            try:
                response = self._call("TransactWriteItems", self._client.transact_write_items, TransactItems=actions)
            except _Cancelled as cancelled:
                reasons = cancelled.reasons
                if fence is not None and reasons:
                    if str(reasons[-1].get("Code")) == "ConditionalCheckFailed":
                        raise LeaseLost(f"another invocation holds the upload ({fence.key})") from None
                    reasons = reasons[:-1]
                pending, contended = self._sort_out(pending, reasons, outcome)
                outcome.pushed_back |= contended
                if pending and contended:
                    return pending
                continue
            outcome.written.extend(write.key for write in pending)
            outcome.pushed_back |= response.get("ResponseMetadata", {}).get("RetryAttempts", 0) > 0
            return None
        return None

    def items_of(self, store: str) -> Iterator[AttributeMap]:
        """Every item of ``store`` (strongly consistent), with what a comparison needs and ``Retired``."""
        for page in self._pages(store):
            yield from page.get("Items", [])

    def items_up_to(self, store: str, most: int) -> list[AttributeMap] | None:
        """Every item of ``store`` as :meth:`items_of` reads them, or ``None`` as soon as it has more than
        ``most``: each page asks for no more than the items still allowed and one, so a store too big
        costs the reading of ``most`` items at the most (a Query is billed by the size of what it reads)."""
        found: list[AttributeMap] = []
        for page in self._pages(store, lambda: most + 1 - len(found)):
            found.extend(page.get("Items", []))
            if len(found) > most:
                return None
        return found

    def _pages(self, store: str, limit: Callable[[], int] | None = None) -> Iterator[dict[str, Any]]:
        """The pages of a strongly consistent Query of ``store``'s items; ``limit``: the items the next may hold."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "#store = :store",
            "ProjectionExpression": ", ".join(_READ_NAMES),
            "ExpressionAttributeNames": _READ_NAMES,
            "ExpressionAttributeValues": {":store": {"S": store}},
            "ConsistentRead": True,
        }
        while True:
            if limit is not None:
                request["Limit"] = limit()
            page = self._call("Query", self._client.query, **request)
            yield page
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _update(self, write: ItemWrite) -> dict[str, Any]:
        if write.retired_at:
            return self._retirement(write)
        expression, names, shared = (still_from if write.undo else newer_wins)(write.source)
        values = dict(shared)
        attributes = {**write.attributes, SOURCE_LINE: {"N": str(write.line)}}
        assignments, removals = [], []
        for placeholder, name in _WRITE_NAMES.items():
            if name in attributes:
                values[":" + placeholder[1:]] = attributes[name]
                assignments.append(f"{placeholder} = :{placeholder[1:]}")
            else:
                removals.append(placeholder)
        if write.undo:  # what the item was before the source put back is not known (an empty image)
            values[":before"] = {"M": {}}
            assignment, removal = "#before = :before", ""
        else:
            assignment, removal = _before_update(write, values)
        assignments += [assignment] if assignment else []
        removals += [removal] if removal else []
        update = "SET " + ", ".join(assignments) + (" REMOVE " + ", ".join(removals) if removals else "")
        return {
            "Update": {
                "TableName": self.name,
                "Key": {"Store": attributes["Store"], "Item": attributes["Item"]},
                "UpdateExpression": update,
                "ConditionExpression": expression,
                "ExpressionAttributeNames": {**names, **_WRITE_NAMES, **_before_name(update)},
                "ExpressionAttributeValues": values,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _retirement(self, write: ItemWrite) -> dict[str, Any]:
        """Retire an item, under :func:`newer_wins` like any write: ``Retired`` and ``UpdatedAt`` set to
        the time, the source set to the retiring upload (so a newer upload's row brings the item back,
        and an older upload cannot retire it again), ``AlertStatus`` removed (it leaves the alerts
        index); count, threshold and ordering are kept as they were. An undo's retirement (of an item
        the undone upload created) is under :func:`still_from` and keeps the source."""
        store, item = write.key
        values: dict[str, Any] = {":line": {"N": str(write.line)}, ":retired": {"S": write.retired_at}}
        if write.undo:
            expression, names, shared = still_from(write.source)
            update = "SET #retired = :retired, #updated = :retired, #line = :line REMOVE #status, #before"
        else:
            expression, names, shared = newer_wins(write.source)
            update = "SET #retired = :retired, #updated = :retired, #key = :key, #time = :time, #line = :line"
            assignment, removal = _before_update(write, values)
            update += f", {assignment}" if assignment else ""
            update += ", #seq = :seq" if write.source.sequencer else ""
            removals = ["#status"] + ([] if write.source.sequencer else ["#seq"]) + ([removal] if removal else [])
            update += " REMOVE " + ", ".join(removals)
        return {
            "Update": {
                "TableName": self.name,
                "Key": {"Store": {"S": store}, "Item": {"S": item}},
                "UpdateExpression": update,
                "ConditionExpression": expression,
                "ExpressionAttributeNames": {
                    **names,
                    "#retired": RETIRED,
                    "#updated": "UpdatedAt",
                    "#status": "AlertStatus",
                    "#line": SOURCE_LINE,
                    **_before_name(update),
                },
                "ExpressionAttributeValues": {**shared, **values},
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


def _fence_check(fence: Fence) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "TableName": fence.table,
            "Key": fence.key,
            "ConditionExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": "Owner"},
            "ExpressionAttributeValues": {":owner": {"S": fence.owner}},
        }
    }


class _Cancelled(Exception):
    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("transaction cancelled")
        self.reasons = reasons
