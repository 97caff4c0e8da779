"""DynamoDB transactions and conditions on the emulator, made to cost and behave as DynamoDB's do.

moto (5.2) backs up a whole table with ``copy.deepcopy`` for every action of a
TransactWriteItems call, to roll back if one action fails: a 100-item transaction into a
table of 10,000 items copies a million items, and the copy of a table that another request
changes meanwhile fails ("dictionary changed size during iteration"). A cancelled transaction
then puts the copied table back, undoing every write that other requests made meanwhile.

:func:`fix_transactions` keeps moto's own evaluation and writes, but checks every action's
condition first (under one lock, so transactions never interleave), cancels without writing
anything when one fails, then writes without checking again, and never copies a table. It
also keeps each condition expression's syntax tree (moto parses one several times per action,
1 to 10 ms each for ingest's) by its text and attribute names, and binds each request's own values
into it: ingest's conditions differ from item to item only in their values (each item's line), so
the tree is parsed once. An update that only sets and removes top-level attributes by placeholder
(``SET #a = :a, ... REMOVE #b, ...``, ingest's) is applied directly: moto would parse its
expression and validate the tree twice (once more for a new item), about 3 ms an item, and record a
new item twice on the stream (the key alone, then the item), where DynamoDB records one INSERT; any
other update is moto's; each update expression's tree is parsed once per text (moto's request handler and
its ``update_item`` read it or copy it, never change it). Ingest writes through conditional
transactions, so the local stack, the benchmarks and the integration tests apply it. Pinned to
moto 5.2.5 (tests/integration/devstack).
"""

from __future__ import annotations

import copy
import json
import re
import threading
from typing import Any

from moto.dynamodb import models
from moto.dynamodb.comparisons import ConditionExpressionParser, get_filter_expression
from moto.dynamodb.exceptions import (
    ItemSizeTooLarge,
    ItemSizeToUpdateTooLarge,
    MultipleTransactionsException,
    TransactionCanceledException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

_LOCK = threading.RLock()
_Node = ConditionExpressionParser.Node
#: Condition syntax trees by (text, names): the tree and the names and values it uses.
_PARSED: dict[tuple[str, str], tuple[_Node, list[str], list[str]]] = {}
_PARSED_LIMIT = 10_000
#: Update expression trees by text.
_UPDATES: dict[str, Any] = {}
#: An update of top-level attributes by placeholders only: ``SET #a = :a, ...`` and optionally ``REMOVE #b, ...``.
_PLAIN_UPDATE = re.compile(r"SET (#\w+ = :\w+(?:, #\w+ = :\w+)*)(?: REMOVE (#\w+(?:, #\w+)*))?")


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
            rest = [action for action in transact_items if not _applied_plainly(self, action)]
            original(self, [_unconditional(action) for action in rest])  # checked just now

    transact_write_items.checks_first = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    models.copy = _CopyButNotTables()  # type: ignore[assignment]
    _parse_once()
    _parse_updates_once()


def _parse_once() -> None:
    original = ConditionExpressionParser.parse

    def parse(self: ConditionExpressionParser) -> Any:
        if not self.condition_expression:
            return original(self)
        key = (self.condition_expression, json.dumps(self.expression_attribute_names, sort_keys=True))
        known = _PARSED.get(key)
        if known is None:
            tree = _syntax_tree(self)
            known = (tree, self._find_literals(tree), self._find_expr_attr_values(tree))
            if len(_PARSED) >= _PARSED_LIMIT:
                _PARSED.clear()
            _PARSED[key] = known
        tree, names, values = known
        self.expr_attr_names_found.extend(names)
        self.expr_attr_values_found.extend(values)
        return self._make_op_condition(_bind(tree, self.expression_attribute_values or {}))

    ConditionExpressionParser.parse = parse  # type: ignore[method-assign]


def _parse_updates_once() -> None:
    make = UpdateExpressionParser.make.__func__  # type: ignore[attr-defined]

    def parse(cls: type[UpdateExpressionParser], expression: str) -> Any:
        tree = _UPDATES.get(expression)
        if tree is None:
            tree = make(cls, expression)  # an invalid expression raises, every time
            if len(_UPDATES) >= _PARSED_LIMIT:
                _UPDATES.clear()
            _UPDATES[expression] = tree
        return tree

    UpdateExpressionParser.make = classmethod(parse)  # type: ignore[method-assign, assignment]


def _syntax_tree(parser: ConditionExpressionParser) -> _Node:
    """moto 5.2.5's ``ConditionExpressionParser.parse`` up to the tree (same steps, same errors)."""
    nodes = parser._lex_condition_expression()
    nodes = parser._parse_paths(nodes)
    nodes = parser._apply_functions(nodes)
    nodes = parser._apply_comparator(nodes)
    nodes = parser._apply_in(nodes)
    nodes = parser._apply_between(nodes)
    nodes = parser._apply_parens_and_booleans(nodes)
    tree = nodes[0]
    parser._assert_no_redundant_parentheses(tree)
    return tree


def _bind(node: _Node, values: dict[str, Any]) -> _Node:
    """``node`` with each value placeholder's value from ``values`` (a ``KeyError`` if one is missing, as in moto)."""
    if node.kind == ConditionExpressionParser.Kind.EXPRESSION_ATTRIBUTE_VALUE:
        return node._replace(value=values[node.text])
    if not node.children:
        return node
    return node._replace(children=[_bind(child, values) for child in node.children])


def _applied_plainly(backend: DynamoDBBackend, action: dict[str, Any]) -> bool:
    """Apply ``action`` if it is a plain update (see the module docstring) as moto's ``update_item`` would,
    with the same stream records; ``False`` (nothing done) for any other action, left to moto."""
    op = action.get("Update")
    plain = _plain_update(op) if op is not None else None
    if op is None or plain is None:
        return False
    table = backend.get_table(op["TableName"])
    sets, removals = plain
    keys = {table.hash_key_attr, table.range_key_attr}
    if keys & {*sets, *removals} or set(op["Key"]) != keys - {None}:
        return False  # moto's errors for a key attribute or a wrong key
    hash_value = DynamoType(op["Key"][table.hash_key_attr])
    range_value = DynamoType(op["Key"][table.range_key_attr]) if table.range_key_attr else None
    if hash_value.type != table.hash_key_type or (range_value and range_value.type != table.range_key_type):
        return False  # moto's error for a key of the wrong type
    item = table.get_item(hash_value, range_value)
    before = copy.deepcopy(item)
    if item is None:  # a new item: one INSERT below, as DynamoDB records it (moto's own first records the key alone)
        item = Item(hash_value, range_value, dict(op["Key"]))
        if range_value is None:
            table.items[hash_value] = item  # type: ignore[assignment]  # as moto stores an item without a sort key
        else:
            table.items[hash_value][range_value] = item
    try:
        for name, value in sets.items():
            item.attrs[name] = DynamoType(value)
    except ItemSizeTooLarge:
        raise ItemSizeToUpdateTooLarge() from None
    for name in removals:
        item.attrs.pop(name, None)
    if table.stream_shard is not None:
        table.stream_shard.add(before, item)
    return True


def _plain_update(op: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
    """The attributes a plain update sets (with their values) and removes; ``None`` if it is not one."""
    found = _PLAIN_UPDATE.fullmatch(op.get("UpdateExpression", ""))
    if found is None:
        return None
    names, values = op.get("ExpressionAttributeNames") or {}, op.get("ExpressionAttributeValues") or {}
    pairs = [pair.split(" = ") for pair in found[1].split(", ")]
    removed = found[2].split(", ") if found[2] else []
    if any(name not in names for name, _ in pairs) or any(name not in names for name in removed):
        return None
    if any(value not in values for _, value in pairs):
        return None
    attributes = [names[name] for name, _ in pairs] + [names[name] for name in removed]
    if len(set(attributes)) != len(attributes):
        return None  # overlapping paths: moto's error
    return {names[name]: values[value] for name, value in pairs}, [names[name] for name in removed]


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
