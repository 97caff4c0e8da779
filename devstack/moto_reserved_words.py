"""DynamoDB's reserved words refused in every expression on the emulator, as DynamoDB refuses them.

DynamoDB answers ``ValidationException: Invalid KeyConditionExpression: Attribute name is a reserved
keyword; reserved keyword: Store`` when a reserved word (``Store``, ``Item``, ``Count``, ``Status``...)
is used bare as an attribute name in any expression. moto (5.2) checks condition, update and single-name
projection expressions only: a bare ``Store`` in a key condition passes every local test and fails on AWS.

:func:`refuse_reserved_words` checks every expression of a request (key condition, filter, projection,
condition, update; inside BatchGetItem, TransactGetItems and TransactWriteItems too) before moto's own
handler runs, against the list moto ships, and answers with DynamoDB's wording. It patches moto's
DynamoDB request handler, so both moto's server (the local stack) and ``mock_aws`` (the integration
tests) apply it. PartiQL statements are not checked.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords
from moto.dynamodb.responses import DynamoHandler

#: The requests that carry expressions, by moto's handler method name.
CHECKED_ACTIONS = (
    "get_item",
    "put_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_get_item",
    "transact_get_items",
    "transact_write_items",
)
EXPRESSIONS = (
    "KeyConditionExpression",
    "FilterExpression",
    "ProjectionExpression",
    "ConditionExpression",
    "UpdateExpression",
)
#: Words of the expression grammar itself (they are reserved words too, but not attribute names there).
_GRAMMAR = {
    "UpdateExpression": frozenset({"SET", "REMOVE", "ADD", "DELETE"}),
    "ProjectionExpression": frozenset(),
}
_CONDITION_GRAMMAR = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN"})
#: A bare name (not a ``#name`` or ``:value`` placeholder), and whether a call's "(" follows it.
_NAME = re.compile(r"(?<![#:\w])([A-Za-z_]\w*)(\s*\()?")
#: Request members holding attribute values, never expressions: not walked.
_VALUES = frozenset({"Item", "Key", "Keys", "ExpressionAttributeValues", "ExclusiveStartKey"})


def reserved_word_in(kind: str, expression: str) -> str | None:
    """The first reserved word used as an attribute name in ``expression`` (a ``kind`` such as
    ``KeyConditionExpression``), as written; None if there is none."""
    reserved = _reserved()
    grammar = _GRAMMAR.get(kind, _CONDITION_GRAMMAR)
    for match in _NAME.finditer(expression):
        word, call = match.group(1), match.group(2)
        if call or word.upper() in grammar:
            continue  # a function (begins_with, size, if_not_exists...) or AND, SET...
        if word.upper() in reserved:
            return word
    return None


def check_expressions(request: dict[str, Any]) -> None:
    """Raise DynamoDB's ValidationException if any expression of ``request`` uses a reserved word bare."""
    for kind, expression in _expressions(request):
        word = reserved_word_in(kind, expression)
        if word is not None:
            raise MockValidationException(
                f"Invalid {kind}: Attribute name is a reserved keyword; reserved keyword: {word}"
            )


def refuse_reserved_words() -> None:
    """Patch moto's DynamoDB handler so every request's expressions are checked first (idempotent)."""
    for action in CHECKED_ACTIONS:
        original = getattr(DynamoHandler, action)
        if not getattr(original, "refuses_reserved_words", False):
            setattr(DynamoHandler, action, _checked(original))


def _checked(action: Callable[[DynamoHandler], Any]) -> Callable[[DynamoHandler], Any]:
    @functools.wraps(action)
    def checked(self: DynamoHandler) -> Any:
        check_expressions(self.body)  # moto's call_action sets it to the parsed request
        return action(self)

    checked.refuses_reserved_words = True  # type: ignore[attr-defined]
    return checked


def _expressions(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for name, member in value.items():
            if name in EXPRESSIONS and isinstance(member, str):
                yield name, member
            elif name not in _VALUES:
                yield from _expressions(member)
    elif isinstance(value, list):
        for member in value:
            yield from _expressions(member)


@functools.cache
def _reserved() -> frozenset[str]:
    return frozenset(word.upper() for word in ReservedKeywords.get_reserved_keywords())
