"""Error answers: one JSON shape for every failure, documented on every route."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from dashboard_api.models.api import ErrorResponse

#: Set on every answer: the data is per user and must not be cached by anything shared.
SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _documented(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"model": ErrorResponse}}}


ERROR_RESPONSES: dict[int, Any] = {
    400: _documented("A malformed name, cursor or time"),
    401: _documented("No valid token"),
    403: _documented("The store is not one of yours"),
    404: _documented("No such store or route"),
    422: _documented("A query parameter out of range or of the wrong type"),
    503: _documented("A backing store is unavailable; retry"),
}


def error_response(status: int, code: str, message: str) -> Response[str]:
    body = {"error": {"status": status, "code": code, "message": message}}
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body, ensure_ascii=False),
        headers=dict(SECURITY_HEADERS),
    )
