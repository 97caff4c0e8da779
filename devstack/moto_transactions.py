"""DynamoDB transactions and conditions on the emulator, made to cost and behave as DynamoDB's do.

moto (5.2) backs up a whole table with ``copy.deepcopy`` for every action of a
TransactWriteItems call, to roll back if one action fails: a 100-item transaction into a
table of 10,000 items copies a million items, and the copy of a table that another request
changes meanwhile fails ("dictionary changed size during iteration"). A cancelled transaction
then puts the copied table back, undoing every write that other requests made meanwhile.

:func:`fix_transactions` keeps moto's own evaluation and writes, but checks every action's
condition first (under one lock, so transactions never interleave), cancels without writing
anything when one fails, then writes without checking again, and never copies a table. It
also keeps each parsed condition expression (moto parses one several times per action, about
10 ms each for ingest's): a condition with the same text, names and values is parsed once. Ingest writes through
conditional transactions, so the local stack, the benchmarks and the integration tests apply it.
"""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

from moto.dynamodb import models
from moto.dynamodb.comparisons import ConditionExpressionParser, get_filter_expression
from moto.dynamodb.exceptions import MultipleTransactionsException, TransactionCanceledException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

_LOCK = threading.RLock()
#: Parsed condition expressions by (text, names, values): the tree and the names and values it used.
_PARSED: dict[tuple[str, str, str], tuple[Any, list[str], list[str]]] = {}
_PARSED_LIMIT = 10_000
_KEY_LIMIT = 4_096


class _CopyButNotTables:
    """``copy`` for moto's DynamoDB models, except that a whole table is never copied."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def fix_transactions() -> None:
    """Patch moto's DynamoDB backend (idempotent); see the module docstring."""
    original = DynamoDBBackend.transact_write_items
    if getattr(original, "checks_first", False):
        return

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with _LOCK:
            reasons = _check(self, transact_items)
            if any(code is not None for code, _, _ in reasons):
                raise TransactionCanceledException(reasons)
            original(self, [_unconditional(action) for action in transact_items])  # checked just now

    transact_write_items.checks_first = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    models.copy = _CopyButNotTables()  # type: ignore[assignment]
    _parse_once()


def _parse_once() -> None:
    original = ConditionExpressionParser.parse

    def parse(self: ConditionExpressionParser) -> Any:
        key = (
            str(self.condition_expression),
            json.dumps(self.expression_attribute_names, sort_keys=True, default=repr),
            json.dumps(self.expression_attribute_values, sort_keys=True, default=repr),
        )
        if len(key[2]) > _KEY_LIMIT:  # an update carrying a large value: not worth keeping
            return original(self)
        known = _PARSED.get(key)
        if known is None:
            tree = original(self)
            if len(_PARSED) >= _PARSED_LIMIT:
                _PARSED.clear()
            _PARSED[key] = (tree, list(self.expr_attr_names_found), list(self.expr_attr_values_found))
            return tree
        tree, names, values = known
        self.expr_attr_names_found.extend(names)
        self.expr_attr_values_found.extend(values)
        return tree

    ConditionExpressionParser.parse = parse  # type: ignore[method-assign]


def _unconditional(action: dict[str, Any]) -> dict[str, Any]:
    ((op_type, op),) = action.items()
    return {op_type: {name: value for name, value in op.items() if name != "ConditionExpression"}}


def _check(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    """Each action's cancellation reason (``(None, None, None)`` if its condition holds), as moto words them."""
    reasons: list[tuple[Any, Any, Any]] = []
    targets: set[tuple[str, str]] = set()
    for action in transact_items:
        op_type, op = next(iter(action.items()))
        table = backend.get_table(op["TableName"])
        if op_type == "Put":
            key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = op["Item"][table.range_key_attr]
        else:
            key = op["Key"]
        target = (table.name, str(dict(sorted(key.items()))))
        if target in targets:
            raise MultipleTransactionsException()
        targets.add(target)
        condition = op.get("ConditionExpression")
        if condition is None:
            reasons.append((None, None, None))
            continue
        current = backend.get_item(table.name, key)
        names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        if get_filter_expression(condition, names, values).expr(current):
            reasons.append((None, None, None))
            continue
        wants_old = op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
        old = current.to_json()["Attributes"] if current and wants_old else None
        reasons.append(("ConditionalCheckFailed", "The conditional request failed", old))
    return reasons
