"""A function's settings, read once from its environment: one way for every service.

Each service declares its settings as a frozen dataclass deriving from :class:`EnvSettings`, whose
fields name their environment variable (:func:`setting`), and reads them with ``from_env()``, so a
missing, empty or malformed variable fails the same loud way at cold start everywhere.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any, Self, TypeVar

T = TypeVar("T")

_REQUIRED = object()


def _boolean(text: str) -> bool:
    """``true`` or ``false`` (any case), as a stage parameter writes them; anything else is refused."""
    if text.lower() not in {"true", "false"}:
        raise ValueError(f"not true or false: {text!r}")
    return text.lower() == "true"


#: The field types a setting may have (annotations are text under ``from __future__ import annotations``).
_PARSERS: dict[str, Any] = {"str": str, "int": int, "float": float, "bool": _boolean}


class MissingSetting(KeyError):
    """A required variable is missing or empty."""

    def __str__(self) -> str:
        return f"{self.args[0]} is not set"


def setting(variable: str, default: Any = _REQUIRED, *, minimum: float | None = None) -> Any:
    """A settings field read from ``variable``: required unless it has a default (an empty value
    counts as unset); a number below ``minimum`` is refused.

    A stage parameter's default lives in serverless.yml only; a field has a default only when the
    function legitimately runs without the value (an empty parameter), and says why."""
    return dataclasses.field(metadata={"variable": variable, "default": default, "minimum": minimum})


def from_env(cls: type[T], env: Mapping[str, str]) -> T:
    """``cls`` with every field read from ``env``; raises :class:`MissingSetting` or ``ValueError``."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        variable, default, minimum = (field.metadata[key] for key in ("variable", "default", "minimum"))
        text = env.get(variable, "").strip()
        if not text:
            if default is _REQUIRED:
                raise MissingSetting(variable)
            values[field.name] = default
            continue
        value = _PARSERS[str(field.type)](text)
        if minimum is not None and value < minimum:
            raise ValueError(f"{variable} must be at least {minimum}, got {text}")
        values[field.name] = value
    return cls(**values)


class EnvSettings:
    """The base of a settings dataclass: ``Settings.from_env()`` reads every field from the environment."""

    __slots__ = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Self:
        """Every field read from ``env``; raises :class:`MissingSetting` or ``ValueError``."""
        return from_env(cls, env)
