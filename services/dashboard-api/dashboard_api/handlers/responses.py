"""Answers: one JSON shape for every failure the function sends, the one table that says how each
domain error is answered, and each route's documented responses (its success, the errors it can
answer, and what API Gateway answers by itself)."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel, Field

from dashboard_api.models.errors import (
    DomainError,
    EndpointTaken,
    FileTooLarge,
    InvalidCursor,
    InvalidInput,
    NotAllowed,
    NotSignedIn,
    StateConflict,
    TooManyRequests,
    Unavailable,
    Unknown,
)

#: Set on every answer: the data is per user and must not be cached by anything shared.
SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class Answer(NamedTuple):
    status: int
    code: str


#: How each domain error is answered: its status, and its code unless the error gives a reason
#: (``not_held``, ``mfa_required``...), which is then the code. An error class missing here is
#: answered as a bug (500); tests/unit/api/test_error_answers.py keeps the table complete.
ANSWERS: dict[type[DomainError], Answer] = {
    InvalidInput: Answer(400, "bad_request"),
    InvalidCursor: Answer(400, "invalid_cursor"),
    NotSignedIn: Answer(401, "unauthorized"),
    NotAllowed: Answer(403, "forbidden"),
    Unknown: Answer(404, "not_found"),
    StateConflict: Answer(409, "conflict"),
    EndpointTaken: Answer(409, "already_subscribed"),
    FileTooLarge: Answer(413, "file_too_large"),
    TooManyRequests: Answer(429, "too_many_requests"),
    Unavailable: Answer(503, "unavailable"),
}


def answer_to(error: DomainError) -> Answer:
    """The status and code ``error`` is answered with (KeyError for a class the table lacks)."""
    answer = ANSWERS[type(error)]
    return answer._replace(code=error.reason) if error.reason else answer


class ErrorDetail(BaseModel):
    status: int
    code: str = Field(description="Stable, snake_case")
    message: str


class ErrorResponse(BaseModel):
    """Every error the function itself answers with."""

    error: ErrorDetail


class GatewayError(BaseModel):
    """What API Gateway answers by itself, before the function runs: 401 from the JWT authorizer
    (``Unauthorized``), 429 from stage throttling (``Too Many Requests``), 503 when the function
    timed out or could not run (``Service Unavailable``)."""

    message: str


def documented_error(description: str, model: Any = ErrorResponse) -> dict[str, Any]:
    """One documented error answer of a route (``responses=``), with its body's schema."""
    return {"description": description, "content": {"application/json": {"model": model}}}


#: Errors the function answers, by status, for the routes that can answer them.
ERRORS: dict[int, dict[str, Any]] = {
    400: documented_error("A malformed name, cursor, time or file name (`error.code` says which)"),
    403: documented_error("The store (or upload) is not one of yours, or the route is for admins only"),
    404: documented_error("No such store, item, upload or route"),
    413: documented_error("The file is larger than uploads may be (`file_too_large`)"),
    409: documented_error("The upload is not waiting for confirmation (`not_held`)"),
    422: documented_error("A parameter or body field missing, out of range or of the wrong type (`invalid_parameter`)"),
}
#: Answers any route can give.
ALWAYS: dict[int, dict[str, Any]] = {
    401: documented_error(
        'No token, or one the authorizer refused: API Gateway\'s `{"message": "Unauthorized"}`. A valid '
        "access token instead of the ID token: the function's error `id_token_required`; a token issued before "
        "the user's access changed or their sessions were ended: `session_revoked` (sign in again)",
        ErrorResponse | GatewayError,
    ),
    429: {
        **documented_error(
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
    500: documented_error("A bug (`internal_error`; logged, no details returned)"),
    503: documented_error(
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


def refusal(error: DomainError) -> Response[str]:
    """The answer to a domain error: its status, code and message (and ``Retry-After`` when the
    caller should wait)."""
    status, code = answer_to(error)
    response = error_response(status, code, error.message)
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response
