"""Changes' History rows and their stores' totals, written together, exactly once, many at a time.

A change that moves one of its store's totals (items, out, low) goes to DynamoDB in a transaction
of up to 99 such History rows of one store plus one update of that store's totals by the sum of
their deltas (TransactWriteItems takes 100 actions). Each row is put on condition that it does
not exist yet, so the rows and the totals they add land together or not at all. A retried,
repeated or late delivery finds its row: the transaction is cancelled,
``ReturnValuesOnConditionCheckFailure`` hands back the rows that exist, and the transaction is
sent again without them (and without their deltas).

A change that moves no total (most do: a count that changes and keeps the item in stock), or
whose previous state is unknown (the recount repairs the totals then), has nothing to add: its
row is put alone, on the same condition (1 write unit, where a transaction costs 2 a row and 2
more for the totals). A repeat finds the row (``ReturnValuesOnConditionCheckFailure`` again) and
writes nothing; throttling is retried by botocore. A store whose only new rows in a call are such
rows gets its ``UpdatedAt`` set by one plain update (the transaction sets it otherwise).

Whether a found row carries ``AnnouncedAt`` tells whether its alert went out, and its ``Alert``
what the change raised when it was first recorded.

A store's transactions go one after the other in stream order (two at once would conflict on
its Stores row); different stores' go at once, and then every lone row at once. After a store's
transaction fails, its later changes (lone rows included) are not tried: they fail with it and
come again after it.

A recount that repairs a store's totals sets the store's ``CountedThrough``: the totals it wrote
hold every change made until then. A change made until then that is recorded later (a failed
record replayed after the recount) adds nothing to the totals: the totals' update is conditional
on ``CountedThrough`` being older than the changes it adds, and when it is not, the changes it
covers are left out and the rest sent again. Recount and replay thus count such a change once,
whichever runs first.

After a digest is published, one row in the History table records it (partition: the store's
digests, a key no item has; the keys of the rows it announced; expiring after two days), before
the rows are marked. A delivery that finds its changes recorded but not marked looks there first:
an invocation that died after the publish, before its marks, is not announced twice.

Announcement marks set ``AnnouncedAt`` on rows that exist, and only on those: each is an update on
condition that the row exists, up to 100 to a transaction (TransactWriteItems' limit), so a row
deleted before its mark lands (expired, or removed by an operator) stays deleted. A row found gone
is left out and the rest sent again at once. Against putting the whole rows back 25 to a
BatchWriteItem, a transaction costs two write units a row instead of one, and takes four times
fewer calls; marks are written only for announced changes.

What DynamoDB leaves undone (a transaction cancelled by a conflict or throttling) is sent again
through :func:`inventory.leftovers.until_done`, with its one backoff.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.history import HistoryEntry, expiry, history_key, history_sort_key
from inventory.leftovers import BACKOFF, Backoff, until_done
from inventory.stores import COUNTED_THROUGH, ITEMS, LOW, OUT, UPDATED_AT, StoreChange
from inventory.threads import each_on_threads

from alerts.models.errors import HistoryUnavailable
from alerts.models.history import Recorded, Written

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, UpdateTypeDef

#: Cancellation reasons that another attempt can clear: a concurrent write to the same Stores
#: row (ingest's LastUploadAt, a recount's repair) or throttling inside the transaction.
PASSING = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
#: History rows in one transaction: TransactWriteItems takes 100 actions, one is the store's totals.
ROWS_PER_TRANSACTION = 99
#: Marks in one transaction: TransactWriteItems takes 100 actions.
MARKS_PER_TRANSACTION = 100
#: Stores (and mark batches) written at once; boto3 clients are thread-safe.
WORKERS = 8
#: Lone rows put at once: one call each, most of a batch's rows, so as many as the Forecast writes
#: (the client's pool holds 48 connections).
LONE_WORKERS = 32
#: Days a published digest's record is kept (a retry looks back one day).
DIGEST_DAYS = 2
#: Joins a row's two keys in a digest record: a control character, in neither key.
ROW_KEY_SEPARATOR = "\x1e"

Outcome = Written | HistoryUnavailable


class ChangeLedger:
    """Writes changes to the History table and their deltas to the Stores table."""

    #: Calls for a transaction (of rows or of marks) that keeps being cancelled for a passing reason
    #: (botocore does not retry those), the first included.
    ATTEMPTS = 3

    def __init__(
        self,
        client: DynamoDBClient,
        history_table: str,
        stores_table: str,
        clock: Callable[[], str],
        *,
        backoff: Backoff = BACKOFF,
        rows_per_transaction: int = ROWS_PER_TRANSACTION,
        marks_per_call: int = MARKS_PER_TRANSACTION,
        workers: int = WORKERS,
    ) -> None:
        self._client = client
        self.history_table = history_table
        self.stores_table = stores_table
        self._clock = clock
        self._backoff = backoff
        self._rows_per_transaction = rows_per_transaction
        self._marks_per_call = marks_per_call
        self._workers = workers

    def write_all(self, changes: Sequence[tuple[HistoryEntry, StoreChange | None]]) -> list[Outcome]:
        """Write each change's row and apply its totals (``None``: only mark the store changed) unless
        the row exists; what each change found, in the order given (a failure as its exception)."""
        outcomes: list[Outcome | None] = [None] * len(changes)
        first: dict[tuple[str, str], int] = {}
        by_store: dict[str, list[int]] = {}
        for index, (entry, _) in enumerate(changes):
            key = _key(entry)
            if key in first:
                continue  # the same record twice in one batch: written once
            first[key] = index
            by_store.setdefault(entry.store, []).append(index)

        alone: list[int] = []  # rows put on their own, after their stores' transactions

        def store(indices: list[int]) -> None:
            moving = [index for index in indices if _moves(changes[index][1])]
            size = self._rows_per_transaction
            for start in range(0, len(moving), size):
                chunk = moving[start : start + size]
                self._write_chunk(changes, chunk, outcomes)
                failed = outcomes[chunk[0]]
                if isinstance(failed, HistoryUnavailable):
                    for index in indices:
                        if index > chunk[0] and outcomes[index] is None:
                            outcomes[index] = HistoryUnavailable(
                                f"an earlier change of the store was not written: {failed}"
                            )
                    break
            alone.extend(index for index in indices if outcomes[index] is None and not _moves(changes[index][1]))

        _each(store, list(by_store.values()), self._workers)
        _each(
            lambda index: self._put_alone(changes[index][0], index, outcomes),
            alone,
            LONE_WORKERS if self._workers > 1 else 1,
        )
        # A store whose new rows all moved no total: its transactions did not set UpdatedAt.
        lone = set(alone)
        touched = {changes[index][0].store for index in alone if _new(outcomes[index])}
        moved = {changes[index][0].store for index in first.values() if index not in lone and _new(outcomes[index])}
        _each(self._touch, sorted(touched - moved), self._workers)
        results: list[Outcome] = []
        for index, (entry, _) in enumerate(changes):
            outcome = outcomes[first[_key(entry)]]
            assert outcome is not None
            if index != first[_key(entry)] and isinstance(outcome, Written) and outcome.recorded is Recorded.NEW:
                outcome = Written(Recorded.UNANNOUNCED, outcome.alert)
            results.append(outcome)
        return results

    def _write_chunk(
        self,
        changes: Sequence[tuple[HistoryEntry, StoreChange | None]],
        chunk: list[int],
        outcomes: list[Outcome | None],
    ) -> None:
        """One store's rows in one transaction; rows found existing are handed back and left out, and
        changes a recount already counted (see :data:`COUNTED_THROUGH`) add nothing to the totals. A
        transaction cancelled for a passing reason is sent again after a pause (:func:`until_done`)."""
        sending = _Sending(most_rounds=len(chunk) + self.ATTEMPTS + 2)
        left = until_done(
            lambda pending: self._send_chunk(changes, pending, outcomes, sending),
            list(chunk),
            attempts=self.ATTEMPTS,
            backoff=self._backoff,
        )
        if left:
            failure = HistoryUnavailable(f"History and totals not written ({', '.join(sending.codes)})")
            failure.__cause__ = sending.cause
            _fail(outcomes, left, failure)

    def _send_chunk(
        self,
        changes: Sequence[tuple[HistoryEntry, StoreChange | None]],
        pending: list[int],
        outcomes: list[Outcome | None],
        sending: _Sending,
    ) -> list[int] | None:
        """Send ``pending`` until each row is written or found; what a passing cancellation left to send
        again (``None``: nothing; a failure is set as the rows' outcome)."""
        while pending:
            sending.rounds += 1
            if sending.rounds > sending.most_rounds:  # each round settles a row, a recount or an attempt
                _fail(
                    outcomes,
                    pending,
                    HistoryUnavailable("History and totals not written: the store's row kept changing"),
                )
                return None
            store = changes[pending[0]][0].store
            totals = StoreChange()
            counted: list[str] = []  # the times of the changes whose deltas are added
            for index in pending:
                entry, delta = changes[index]
                if delta is not None and (sending.through is None or entry.time > sending.through):
                    totals.add(delta)
                    counted.append(entry.time)
            transaction: list[TransactWriteItemTypeDef] = [
                {
                    "Put": {
                        "TableName": self.history_table,
                        "Item": changes[index][0].to_item(),
                        "ConditionExpression": "attribute_not_exists(StoreItem)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
                for index in pending
            ]
            update = self._totals_update(store, totals if counted else None, counted, sending.through)
            transaction.append({"Update": update})
            try:
                self._client.transact_write_items(TransactItems=transaction)
            except ClientError as error:
                reasons: list[dict[str, Any]] = list(error.response.get("CancellationReasons") or [])
                codes = [str(reason.get("Code", "")) for reason in reasons]
                found = [
                    (index, reason)
                    for index, reason in zip(pending, reasons, strict=False)
                    if reason.get("Code") == "ConditionalCheckFailed"
                ]
                recounted = len(reasons) > len(pending) and reasons[-1].get("Code") == "ConditionalCheckFailed"
                if found or recounted:
                    for index, reason in found:
                        outcomes[index] = _existing(reason.get("Item") or {})
                    pending = [index for index in pending if outcomes[index] is None]
                    if recounted:
                        row = reasons[-1].get("Item") or {}
                        sending.through = (row.get(COUNTED_THROUGH) or {}).get("S")
                    continue
                sending.codes, sending.cause = [code for code in codes if code != "None"], error
                if PASSING & set(codes):
                    return pending
                failure = HistoryUnavailable(f"History and totals not written ({', '.join(codes) or error})")
                failure.__cause__ = error
                _fail(outcomes, pending, failure)
                return None
            except BotoCoreError as error:
                failure = HistoryUnavailable(f"History and totals not written: {error}")
                failure.__cause__ = error
                _fail(outcomes, pending, failure)
                return None
            for index in pending:
                outcomes[index] = Written(Recorded.NEW, changes[index][0].alert)
            return None
        return None

    def _put_alone(self, entry: HistoryEntry, index: int, outcomes: list[Outcome | None]) -> None:
        """Put one row that adds nothing to its store's totals, on condition that it does not exist."""
        try:
            self._client.put_item(
                TableName=self.history_table,
                Item=entry.to_item(),
                ConditionExpression="attribute_not_exists(#key)",
                ExpressionAttributeNames={"#key": "StoreItem"},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                outcomes[index] = _existing(dict(error.response.get("Item") or {}))
                return
            outcomes[index] = _unwritten(error)
            return
        except BotoCoreError as error:
            outcomes[index] = _unwritten(error)
            return
        outcomes[index] = Written(Recorded.NEW, entry.alert)

    def _touch(self, store: str) -> None:
        """Set a store's ``UpdatedAt`` (when a count of it last changed) for changes that moved no total.

        Best effort: the rows are written, and a retry would find them and not come here again; the
        next change of the store sets it. The recount does not rely on it for these changes (it
        conditions on ``UpdatedAt`` to notice changes of the totals, which transactions set).
        """
        try:
            self._client.update_item(**self._totals_update(store, None))  # type: ignore[arg-type]
        except (ClientError, BotoCoreError):
            return

    def _totals_update(
        self, store: str, totals: StoreChange | None, times: Sequence[str] = (), through: str | None = None
    ) -> UpdateTypeDef:
        """ADD the non-zero deltas; SET UpdatedAt to when the totals changed (a recount conditions on it).

        Deltas of changes made at ``times`` are added on condition that no recount has counted them
        already: the store's ``CountedThrough`` is absent or older than all of them, or, once read
        (``through``), still what it was.
        """
        names = {"#updated": UPDATED_AT}
        values: dict[str, Any] = {":at": {"S": self._clock()}}
        adds = []
        for name, step in ((ITEMS, totals.items), (OUT, totals.out), (LOW, totals.low)) if totals else ():
            if step:
                names[f"#{name}"] = name
                values[f":{name}"] = {"N": str(step)}
                adds.append(f"#{name} :{name}")
        expression = "SET #updated = :at" + (f" ADD {', '.join(adds)}" if adds else "")
        update: UpdateTypeDef = {
            "TableName": self.stores_table,
            "Key": {"Store": {"S": store}},
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if adds:
            names["#through"] = COUNTED_THROUGH
            if through is None:
                update["ConditionExpression"] = "attribute_not_exists(#through) OR #through < :oldest"
                values[":oldest"] = {"S": min(times)}
            else:
                update["ConditionExpression"] = "#through = :through"
                values[":through"] = {"S": through}
            update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return update

    def mark_all(self, entries: Sequence[HistoryEntry], announced_at: str) -> None:
        """Record that the changes' alerts were announced, so no later delivery announces them again:
        ``AnnouncedAt`` on each of their rows that exists (a row gone meanwhile is not brought back).

        Raises :class:`HistoryUnavailable` when a mark could not be written (the others are written)."""
        keys = list(dict.fromkeys(_key(entry) for entry in entries))
        size = self._marks_per_call
        chunks = [keys[start : start + size] for start in range(0, len(keys), size)]
        failures: list[str] = []

        def write(chunk: list[tuple[str, str]]) -> None:
            codes: list[str] = []
            try:
                left = until_done(
                    lambda pending: self._mark(pending, announced_at, codes),
                    chunk,
                    attempts=self.ATTEMPTS,
                    backoff=self._backoff,
                )
            except HistoryUnavailable as error:
                failures.append(f"{len(chunk)} mark(s): {error}")
                return
            if left:
                failures.append(f"{len(left)} mark(s) still cancelled after {self.ATTEMPTS} calls ({', '.join(codes)})")

        _each(write, chunks, self._workers)
        if failures:
            raise HistoryUnavailable(f"History rows not marked announced: {'; '.join(failures)}")

    def _mark(self, pending: list[tuple[str, str]], at: str, codes: list[str]) -> list[tuple[str, str]] | None:
        """Mark rows in one transaction, each on condition that it exists; rows found gone are left out
        and the rest sent again at once. What a passing cancellation left (``None``: nothing)."""
        while pending:
            transaction: list[TransactWriteItemTypeDef] = [
                {
                    "Update": {
                        "TableName": self.history_table,
                        "Key": {"StoreItem": {"S": partition}, "At": {"S": sort}},
                        "UpdateExpression": "SET #announced = :at",
                        "ConditionExpression": "attribute_exists(#key)",
                        "ExpressionAttributeNames": {"#announced": "AnnouncedAt", "#key": "StoreItem"},
                        "ExpressionAttributeValues": {":at": {"S": at}},
                    }
                }
                for partition, sort in pending
            ]
            try:
                self._client.transact_write_items(TransactItems=transaction)
            except ClientError as error:
                reasons = [str(reason.get("Code", "")) for reason in error.response.get("CancellationReasons") or []]
                gone = {key for key, code in zip(pending, reasons, strict=False) if code == "ConditionalCheckFailed"}
                if gone:
                    pending = [key for key in pending if key not in gone]
                    continue
                codes[:] = [code for code in reasons if code != "None"]
                if PASSING & set(reasons):
                    return pending
                raise HistoryUnavailable(", ".join(codes) or str(error)) from error
            except BotoCoreError as error:
                raise HistoryUnavailable(str(error)) from error
            return None
        return None

    def record_digest(self, store: str, entries: Sequence[HistoryEntry], published_at: str) -> None:
        """Record that a digest announcing these rows was published: one row of the store's digests
        (a History partition no item has), listing the rows' keys, kept :data:`DIGEST_DAYS` days."""
        keys = sorted({f"{partition}{ROW_KEY_SEPARATOR}{at}" for partition, at in map(_key, entries)})
        try:
            self._client.put_item(
                TableName=self.history_table,
                Item={
                    "StoreItem": {"S": digests_key(store)},
                    "At": {"S": f"{published_at}#{uuid.uuid4().hex}"},
                    "Store": {"S": store},
                    "Rows": {"SS": keys},
                    "ExpiresAt": {"N": str(expiry(published_at, DIGEST_DAYS))},
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise HistoryUnavailable(f"published digest not recorded: {error}") from error

    def alerted_after(self, entry: HistoryEntry) -> bool:
        """Whether a later change of the entry's item is recorded with an alert (a replay asks, for each
        change it would announce: one Query of the item's rows after it, usually none or a few)."""
        partition, after = _key(entry)
        request: dict[str, Any] = {
            "TableName": self.history_table,
            "KeyConditionExpression": "#key = :key AND #at > :after",
            "ExpressionAttributeNames": {"#key": "StoreItem", "#at": "At", "#alert": "Alert"},
            "ExpressionAttributeValues": {":key": {"S": partition}, ":after": {"S": after}},
            "ProjectionExpression": "#alert",
            "ConsistentRead": True,
        }
        while True:
            try:
                page = self._client.query(**request)
            except (ClientError, BotoCoreError) as error:
                raise HistoryUnavailable(f"later changes not readable: {error}") from error
            if _alerted(page):
                return True
            if "LastEvaluatedKey" not in page:
                return False
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def announced_rows(self, store: str, since: str) -> set[tuple[str, str]]:
        """The keys of the rows the store's digests published since ``since`` announced."""
        request: dict[str, Any] = {
            "TableName": self.history_table,
            "KeyConditionExpression": "StoreItem = :key AND #at >= :since",
            "ExpressionAttributeNames": {"#at": "At", "#rows": "Rows"},
            "ExpressionAttributeValues": {":key": {"S": digests_key(store)}, ":since": {"S": since}},
            "ProjectionExpression": "#rows",
            "ConsistentRead": True,
        }
        found: set[tuple[str, str]] = set()
        while True:
            try:
                page = self._client.query(**request)
            except (ClientError, BotoCoreError) as error:
                raise HistoryUnavailable(f"published digests not readable: {error}") from error
            for item in page.get("Items", []):
                for key in item.get("Rows", {}).get("SS", []):
                    partition, _, at = key.partition(ROW_KEY_SEPARATOR)
                    found.add((partition, at))
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@dataclass
class _Sending:
    """One chunk of rows being sent: what the rounds learnt and why the last call was cancelled."""

    most_rounds: int
    rounds: int = 0
    through: str | None = None  # the store's CountedThrough, once the totals' condition failed on it
    codes: list[str] = field(default_factory=list)
    cause: Exception | None = None


def _moves(delta: StoreChange | None) -> bool:
    """Whether a change has something to add to its store's totals."""
    return delta is not None and not delta.empty


def _new(outcome: Outcome | None) -> bool:
    return isinstance(outcome, Written) and outcome.recorded is Recorded.NEW


def _unwritten(error: Exception) -> HistoryUnavailable:
    failure = HistoryUnavailable(f"History row not written: {error}")
    failure.__cause__ = error
    return failure


def _fail(outcomes: list[Outcome | None], indices: list[int], failure: HistoryUnavailable) -> None:
    for index in indices:
        outcomes[index] = failure


def _alerted(page: Mapping[str, Any]) -> bool:
    return any("Alert" in item for item in page.get("Items", []))


def digests_key(store: str) -> str:
    """The History partition of a store's published digests: an item name is never empty."""
    return history_key(store, "")


def _each(task: Callable[[Any], None], work: list[Any], workers: int) -> None:
    """``task`` on every piece of ``work``, up to ``workers`` at once."""
    each_on_threads(task, work, workers)


def _key(entry: HistoryEntry) -> tuple[str, str]:
    return history_key(entry.store, entry.item), history_sort_key(entry.time, entry.sequence)


def _existing(item: dict[str, Any]) -> Written:
    alert = (item.get("Alert") or {}).get("S")
    found = Recorded.ANNOUNCED if "AnnouncedAt" in item else Recorded.UNANNOUNCED
    return Written(found, alert if isinstance(alert, str) else None)
