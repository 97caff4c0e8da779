"""In-memory stand-ins for ingest's integrations: the Inventory table and its client, IAM, and the
function's own invoker."""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import ClientError

# -- ingest: the Inventory table, its client, and the function's own invoker ---------------


def _code_error(code: str, operation: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, **extra}, operation)


class FakeDynamoDB:
    """A DynamoDB client for the Inventory table's access code: BatchGetItem and TransactWriteItems.

    Conditions are not evaluated (moto does that in the integration tests); instead
    ``unprocessed`` makes the next reads leave half their keys undone, ``throttle`` makes the
    next calls fail as the retry layer gives up on throttling, and ``cancel`` scripts the next
    transactions' cancellation reasons, one code per action (nothing of a cancelled one applies).
    """

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[str] = []
        self.unprocessed = 0
        self.throttle = 0
        self.cancel: list[list[str]] = []
        self.fences: list[dict[str, Any]] = []  # the ConditionChecks of the last transaction

    def _called(self, operation: str) -> None:
        self.calls.append(operation)
        if self.throttle:
            self.throttle -= 1
            raise _code_error("ProvisionedThroughputExceededException", operation)

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self._called("BatchGetItem")
        ((table, request),) = RequestItems.items()
        keys = list(request["Keys"])
        left: list[Any] = []
        if self.unprocessed:
            self.unprocessed -= 1
            keys, left = keys[: len(keys) // 2], keys[len(keys) // 2 :]
        found = [self.items[key] for key in ((k["Store"]["S"], k["Item"]["S"]) for k in keys) if key in self.items]
        return {"Responses": {table: found}, "UnprocessedKeys": {table: {**request, "Keys": left}} if left else {}}

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        self._called("TransactWriteItems")
        assert len(TransactItems) <= 100, "TransactWriteItems takes at most 100 actions"
        updates = [action["Update"] for action in TransactItems if "Update" in action]
        keys = [(update["Key"]["Store"]["S"], update["Key"]["Item"]["S"]) for update in updates]
        assert len(set(keys)) == len(keys), "TransactWriteItems refuses two actions on one item"
        self.fences = [action["ConditionCheck"] for action in TransactItems if "ConditionCheck" in action]
        if self.cancel:
            codes = self.cancel.pop(0)  # one per action, the fence's last
            reasons = [
                {"Code": code, **({"Item": self.items.get(key)} if key and code == "ConditionalCheckFailed" else {})}
                for code, key in zip(codes, [*keys, None][: len(codes)], strict=True)
            ]
            raise _code_error("TransactionCanceledException", "TransactWriteItems", CancellationReasons=reasons)
        for key, update in zip(keys, updates, strict=True):
            self.items[key] = _updated(self.items.get(key, dict(update["Key"])), update)
        return {}


def _updated(item: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``item`` after an update of the form ingest writes: ``SET #a = :a, ... [REMOVE #b, ...]``."""
    names, values = update["ExpressionAttributeNames"], update["ExpressionAttributeValues"]
    assignments, _, removals = update["UpdateExpression"].removeprefix("SET ").partition(" REMOVE ")
    item = dict(item)
    for assignment in assignments.split(", "):
        name, value = assignment.split(" = ")
        item[names[name]] = values[value]
    for name in filter(None, removals.split(", ")):
        item.pop(names[name], None)
    return item


class FakeItemTable:
    """The Inventory table as the loader sees it (``ingest.logic.loader.ItemTable``), in memory.

    Writes follow the newer-upload-wins rule in plain Python: an item lands if the stored one
    came from an older upload or the same one, or has no readable source. ``fail_writes``
    makes the next write batches fail as a table that stays throttled does; ``before_write``
    runs before each write batch (a racing upload lands in between).
    """

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.reads = 0
        self.store_reads: list[str] = []  # the stores read whole, in order
        self.write_calls = 0
        self.fail_writes = 0
        self.before_write: Any = None
        self._lock = threading.Lock()

    def get_many(self, keys: Any, deadline: float) -> list[dict[str, Any]]:
        with self._lock:
            self.reads += 1
            found = (self.items.get((key["Store"]["S"], key["Item"]["S"])) for key in keys)
            return [dict(item) for item in found if item is not None]

    def items_up_to(self, store: str, most: int) -> list[dict[str, Any]] | None:
        with self._lock:
            self.store_reads.append(store)
            found = [dict(item) for (name, _), item in sorted(self.items.items()) if name == store]
            return found if len(found) <= most else None

    def write_many(self, writes: Any, deadline: float, fence: Any = None) -> Any:
        from ingest.dal.inventory import WriteOutcome
        from ingest.models.errors import TableUnavailable

        if self.before_write is not None:
            self.before_write(self)
        with self._lock:
            self.write_calls += 1
            if self.fail_writes:
                self.fail_writes -= 1
                raise TableUnavailable("TransactWriteItems on inventory still failed after every retry")
            outcome = WriteOutcome()
            for write in writes:
                stored = self.items.get(write.key)
                if self.newer_than_stored(stored, write.source, write.line):
                    self.items[write.key] = {**write.attributes, "SourceLine": {"N": str(write.line)}}
                    outcome.written.append(write.key)
                else:
                    outcome.lost[write.key] = dict(stored) if stored else None
            return outcome

    @staticmethod
    def newer_than_stored(stored: dict[str, Any] | None, source: Any, line: int) -> bool:
        """The write's condition: the stored item is from an older upload or this one (lines are the reader's)."""
        del line
        if stored is None or not isinstance(stored.get("SourceTime"), dict):
            return True
        time = stored["SourceTime"].get("S")
        if not isinstance(time, str):
            return True
        theirs = (time, stored.get("SourceKey", {}).get("S", ""), stored.get("SourceSeq", {}).get("S", ""))
        return theirs <= (source.time, source.key, source.sequencer)

    def put(self, store: str, item: str, attributes: dict[str, Any]) -> None:
        """Store an item as it is, however malformed."""
        self.items[(store, item)] = {"Store": {"S": store}, "Item": {"S": item}, **attributes}

    def counts(self) -> dict[str, int]:
        return {item: int(attributes["Count"]["N"]) for (_, item), attributes in self.items.items()}


class FakeIam:
    """IAM's GetRole for one role; ``down`` makes it refuse, as IAM does to a function without the permission."""

    def __init__(self, role_name: str, role_id: str) -> None:
        self.role_name, self.role_id = role_name, role_id
        self.down = False
        self.calls = 0

    def get_role(self, *, RoleName: str) -> dict[str, Any]:
        self.calls += 1
        if self.down or RoleName != self.role_name:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "GetRole")
        return {"Role": {"RoleName": RoleName, "RoleId": self.role_id}}


class FakeInvoker:
    """The function's asynchronous self-invocation, kept instead of sent; ``fail`` refuses the next ones."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.fail = 0

    def invoke_async(self, function_arn: str, event: dict[str, Any]) -> None:
        from ingest.models.errors import ContinuationFailed

        if self.fail:
            self.fail -= 1
            raise ContinuationFailed("could not invoke the function to carry on: TooManyRequestsException")
        self.events.append((function_arn, event))
