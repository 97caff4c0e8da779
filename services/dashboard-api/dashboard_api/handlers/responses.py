"""Answers: one JSON shape for every failure the function sends, and each route's documented
responses (its success, the errors it can answer, and what API Gateway answers by itself)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from dashboard_api.models.api import ErrorResponse, GatewayError

#: Set on every answer: the data is per user and must not be cached by anything shared.
SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _error(description: str, model: Any = ErrorResponse) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"model": model}}}


#: Errors the function answers, by status, for the routes that can answer them.
ERRORS: dict[int, dict[str, Any]] = {
    400: _error("A malformed name, cursor, time or file name (`error.code` says which)"),
    403: _error("The store (or upload) is not one of yours, or the route is for admins only"),
    404: _error("No such store, item, upload or route"),
    413: _error("The file is larger than uploads may be (`file_too_large`)"),
    409: _error("The upload is not waiting for confirmation (`not_held`)"),
    422: _error("A parameter or body field missing, out of range or of the wrong type (`invalid_parameter`)"),
}
#: Answers any route can give.
ALWAYS: dict[int, dict[str, Any]] = {
    401: _error(
        'No token, or one the authorizer refused: API Gateway\'s `{"message": "Unauthorized"}`. A valid '
        "access token instead of the ID token: the function's error `id_token_required`; a token issued before "
        "the user's access changed or their sessions were ended: `session_revoked` (sign in again)",
        ErrorResponse | GatewayError,
    ),
    429: {
        **_error(
            'Too many requests: the stage\'s throttling for everyone together (`{"message": "Too Many Requests"}`), '
            "or yours alone (`too_many_requests`, with `Retry-After`): each user has a bucket for any request and "
            "tighter ones for upload grants, subscriptions and texted codes",
            ErrorResponse | GatewayError,
        ),
        "headers": {
            "Retry-After": {
                "description": "With `too_many_requests`: seconds until your next request is allowed",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
    500: _error("A bug (`internal_error`; logged, no details returned)"),
    503: _error(
        "A table or the bucket is unavailable (`unavailable`; retry), or the function timed out "
        '(API Gateway\'s `{"message": "Service Unavailable"}`)',
        ErrorResponse | GatewayError,
    ),
}


def documented(description: str, *errors: int, status: int = 200) -> dict[int, Any]:
    """The ``responses=`` of a route: its success (schema from the route's return type), the
    function's errors it can answer, and the answers every route can give."""
    return {status: {"description": description}, **{code: ERRORS[code] for code in errors}, **ALWAYS}


def error_response(status: int, code: str, message: str) -> Response[str]:
    body = {"error": {"status": status, "code": code, "message": message}}
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body, ensure_ascii=False),
        headers=dict(SECURITY_HEADERS),
    )
