"""The service's errors, named for what went wrong.

A :class:`DomainError` carries a message for the person asking and, where callers tell cases
apart, a ``reason``: a stable snake_case word such as ``not_held`` or ``mfa_required``. How an
error is answered over HTTP (its status, and its code when it gives no reason) is decided in one
table at the edge, ``handlers/responses.py``; nothing here knows about HTTP.
"""

from __future__ import annotations


class DomainError(Exception):
    """Something the caller asked for cannot be done; ``message`` says why in words for them."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


class InvalidInput(DomainError):
    """A value the caller gave is not acceptable (a name, time, address, code, file name...)."""


class InvalidCursor(InvalidInput):
    """A paging cursor this API did not issue, or issued for another listing."""


class NotSignedIn(DomainError):
    """No caller, or a token that no longer counts (``session_revoked``, ``id_token_required``)."""


class NotAllowed(DomainError):
    """The caller may not do this (another store, admins only, or ``mfa_required``)."""


class Unknown(DomainError):
    """No such store, item, upload, subscription or user (or none the caller may know of)."""


class StateConflict(DomainError):
    """What exists is not in a state that allows this (``not_held``, ``not_applied``,
    ``not_awaiting_code``, ``user_exists``, ``too_many_subscriptions``...)."""


class EndpointTaken(StateConflict):
    """The address is subscribed already (by ``owner``, as subscription ``subscription_id``)."""

    def __init__(self, message: str, owner: str, subscription_id: str) -> None:
        super().__init__(message)
        self.owner = owner
        self.subscription_id = subscription_id


class TooManyRequests(DomainError):
    """One user asked for more than their share; ``retry_after`` seconds until the next is allowed."""

    def __init__(self, message: str, retry_after: int, reason: str | None = None) -> None:
        super().__init__(message, reason)
        self.retry_after = max(1, retry_after)


class FileTooLarge(DomainError):
    """A file is larger than uploads may be."""


class Unavailable(DomainError):
    """A backing store failed or was throttled; the caller may retry."""


class ThrottleUnavailable(Exception):
    """The per-user limits could not be read or written (the request is let through)."""


class SecretUnavailable(RuntimeError):
    """The cursor-signing secret could not be read, or is too short to sign with: the function
    cannot start (there is deliberately no fallback key)."""


class UserError(Exception):
    """Cognito refused a change to a user; the message says why."""
