"""The service's errors: what the API answers with (an HTTP status, a stable code and a message),
and what the admin command reports."""

from __future__ import annotations


class ApiError(Exception):
    """An answer other than success, rendered as ``{"error": {"status", "code", "message"}}``."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class BadRequest(ApiError):
    status = 400
    code = "bad_request"


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Unavailable(ApiError):
    """A backing store failed or was throttled; the client may retry."""

    status = 503
    code = "unavailable"


class PayloadTooLarge(ApiError):
    status = 413
    code = "file_too_large"


class InvalidCursor(BadRequest):
    code = "invalid_cursor"


class SecretUnavailable(RuntimeError):
    """The cursor-signing secret could not be read, or is too short to sign with: the function
    cannot start (there is deliberately no fallback key)."""


class UserError(Exception):
    """Cognito refused a change to a user; the message says why."""


class Conflict(ApiError):
    """The request clashes with what exists (a subscribed address, a taken username, a full quota)."""

    status = 409
    code = "conflict"


class EndpointTaken(Conflict):
    """The address is subscribed already (by ``owner``, as subscription ``subscription_id``)."""

    code = "already_subscribed"

    def __init__(self, message: str, owner: str, subscription_id: str) -> None:
        super().__init__(message)
        self.owner = owner
        self.subscription_id = subscription_id


class TooManySubscriptions(Conflict):
    code = "too_many_subscriptions"
