"""Lambda event filtering (``filterPatterns``): the EventBridge-style pattern rules a local stack needs.

Supported: exact values, ``prefix``, ``suffix``, ``anything-but``, ``numeric``, ``exists`` and
``equals-ignore-case``; nested objects match key by key. A record must match at least one pattern.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

_MISSING = object()
_COMPARE = {"=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def matches_any(patterns: Iterable[dict[str, Any]], record: dict[str, Any]) -> bool:
    """True if there are no patterns or the record matches one of them."""
    patterns = list(patterns)
    return not patterns or any(matches(pattern, record) for pattern in patterns)


def matches(pattern: dict[str, Any], value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    for key, expected in pattern.items():
        actual = value.get(key, _MISSING)
        if isinstance(expected, dict):
            if actual is _MISSING or not matches(expected, actual):
                return False
        elif not _matches_rules(list(expected), actual):
            return False
    return True


def _matches_rules(rules: list[Any], actual: Any) -> bool:
    candidates = actual if isinstance(actual, list) else [actual]
    for rule in rules:
        if isinstance(rule, dict) and "exists" in rule:
            if bool(rule["exists"]) == (actual is not _MISSING):
                return True
            continue
        if actual is _MISSING:
            continue
        if any(_matches_rule(rule, candidate) for candidate in candidates):
            return True
    return False


def _matches_rule(rule: Any, actual: Any) -> bool:
    if not isinstance(rule, dict):
        return bool(rule == actual)
    if "prefix" in rule:
        return isinstance(actual, str) and actual.startswith(str(rule["prefix"]))
    if "suffix" in rule:
        return isinstance(actual, str) and actual.endswith(str(rule["suffix"]))
    if "equals-ignore-case" in rule:
        return isinstance(actual, str) and actual.lower() == str(rule["equals-ignore-case"]).lower()
    if "anything-but" in rule:
        excluded = rule["anything-but"]
        excluded = excluded if isinstance(excluded, list) else [excluded]
        return actual not in excluded
    if "numeric" in rule:
        try:
            number = float(actual)
        except (TypeError, ValueError):
            return False
        terms = rule["numeric"]
        return all(_COMPARE[terms[i]](number, float(terms[i + 1])) for i in range(0, len(terms), 2))
    raise ValueError(f"filter rule not supported locally: {rule}")
