"""The service's errors: what the API answers with (an HTTP status, a stable code and a message),
and what the admin command reports."""

from __future__ import annotations


class ApiError(Exception):
    """An answer other than success, rendered as ``{"error": {"status", "code", "message"}}``.

    A subclass names its answer in its bases: ``class NotFound(ApiError, status=404, code="not_found")``.
    """

    status = 400
    code = "bad_request"

    def __init_subclass__(cls, status: int | None = None, code: str | None = None) -> None:
        super().__init_subclass__()
        cls.status = status or cls.status
        cls.code = code or cls.code

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class BadRequest(ApiError, status=400, code="bad_request"):
    pass


class Unauthorized(ApiError, status=401, code="unauthorized"):
    pass


class Forbidden(ApiError, status=403, code="forbidden"):
    pass


class NotFound(ApiError, status=404, code="not_found"):
    pass


class Unavailable(ApiError, status=503, code="unavailable"):
    """A backing store failed or was throttled; the client may retry."""


class TooManyRequests(ApiError, status=429, code="too_many_requests"):
    """One user asked for more than their share; ``retry_after`` seconds until the next is allowed."""

    def __init__(self, message: str, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code)
        self.retry_after = max(1, retry_after)


class ThrottleUnavailable(Exception):
    """The per-user limits could not be read or written (the request is let through)."""


class PayloadTooLarge(ApiError, status=413, code="file_too_large"):
    pass


class InvalidCursor(BadRequest, code="invalid_cursor"):
    pass


class SecretUnavailable(RuntimeError):
    """The cursor-signing secret could not be read, or is too short to sign with: the function
    cannot start (there is deliberately no fallback key)."""


class UserError(Exception):
    """Cognito refused a change to a user; the message says why."""


class Conflict(ApiError, status=409, code="conflict"):
    """The request clashes with what exists (a subscribed address, a taken username, a full quota)."""


class EndpointTaken(Conflict, code="already_subscribed"):
    """The address is subscribed already (by ``owner``, as subscription ``subscription_id``)."""

    def __init__(self, message: str, owner: str, subscription_id: str) -> None:
        super().__init__(message)
        self.owner = owner
        self.subscription_id = subscription_id


class TooManySubscriptions(Conflict, code="too_many_subscriptions"):
    pass
