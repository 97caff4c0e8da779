"""Store and item names taken from the request path or query, checked like ingest checks them."""

from __future__ import annotations

from urllib.parse import unquote

from inventory.models import InvalidValue, clean_name, clean_store

from dashboard_api.models.errors import InvalidInput


def name_from_path(raw: str, field: str) -> str:
    """Decode a percent-encoded path segment into a store or item name.

    ``%2F`` becomes ``/``, ``%23`` ``#`` and UTF-8 escapes their letters; ``+`` stays a
    plus sign (this is a path, not a form). Invalid UTF-8, control characters, empty or
    over-long names are :class:`InvalidInput`.
    """
    try:
        decoded = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise InvalidInput(f"the {field} name is not valid UTF-8 once decoded", "invalid_name") from None
    return checked_name(decoded, field)


def checked_name(value: str, field: str) -> str:
    """A store or item name as ingest accepts it, or :class:`InvalidInput` saying why (a reserved store name too)."""
    try:
        return clean_store(value, field) if field == "store" else clean_name(value, field)
    except InvalidValue as error:
        raise InvalidInput(str(error), "invalid_name") from None


def decoded_segment(raw: str) -> str:
    """A percent-encoded path segment that is not a store or item name (an id, a username)."""
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise InvalidInput("the path is not valid UTF-8 once decoded", "invalid_name") from None
