"""Errors the API answers with: each carries its HTTP status, a stable code and a message."""

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
