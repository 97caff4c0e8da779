"""Lambda entry point: the dashboard API behind the HTTP API's JWT authorizer."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from inventory.observability import logger, tracer

from dashboard_api.handlers import (
    alerts,
    forecast,
    history,
    reorder,
    session,
    stores,
    subscriptions,
    uploads,
    users,
)
from dashboard_api.handlers.context import caller_of, services
from dashboard_api.handlers.responses import ANSWERS, SECURITY_HEADERS, error_response, refusal
from dashboard_api.models.errors import DomainError

# Locally the API sits under /api on the web port; on AWS it is the whole HTTP API. Debug stays off
# even where POWERTOOLS_DEV is set (the local stack): it would print every event and answer an
# unhandled error with its stack trace.
app = APIGatewayHttpResolver(enable_validation=True, strip_prefixes=["/api"], debug=False)
app.include_router(stores.router)
app.include_router(alerts.router)
app.include_router(history.router)
app.include_router(forecast.router)
app.include_router(reorder.router)
app.include_router(uploads.router)
app.include_router(subscriptions.router)
app.include_router(users.router)
app.include_router(session.router)
app.configure_openapi(
    title="Inventory dashboard API",
    version="1.0.0",
    description="Inventory by store, alerts, history, stockout forecasts, reorder and transfer suggestions and "
    "uploads, grants to upload files, "
    "your alert subscriptions, and (head office) the people who use the dashboard. Send the "
    "Cognito **ID token** (`IdToken`, not the access token) as `Authorization: Bearer <token>`. Admins (with "
    "TOTP MFA enrolled) see every store; other users see the stores in their `custom:stores` attribute. A "
    "token issued before the user's access changed is refused (401 `session_revoked`). Errors the function answers "
    'are `{"error": {"status", "code", "message"}}`; API Gateway answers 401, 429 and timeouts itself as '
    '`{"message": "..."}`. Each user also has their own share of requests (tighter for upload grants, '
    "subscriptions and texted codes): beyond it the function answers 429 `too_many_requests` with `Retry-After`.",
    security_schemes={"cognito": HTTPBearer(bearerFormat="JWT")},
    security=[{"cognito": []}],
)


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    caller_of(app.current_event)  # behind the authorizer like every route
    server = Server(url=server_url(services().settings.api_server_url, app.current_event.raw_event))
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=app.get_openapi_json_schema(servers=[server]),
    )


def server_url(configured: str, event: dict[str, Any]) -> str:
    """Where the API is, for the OpenAPI document: the stage's ``apiServerUrl`` when set (``/api``
    on the local stack, where the dashboard's web server carries the API), else the address the
    request came in on (the HTTP API's own URL, or a custom domain), with its stage if not ``$default``."""
    if configured:
        return configured
    context = event.get("requestContext") or {}
    domain = str(context.get("domainName") or "")
    stage = str(context.get("stage") or "$default")
    if not domain:
        return "/"
    return f"https://{domain}" + ("" if stage == "$default" else f"/{quote(stage, safe='')}")


@app.exception_handler(DomainError)
def _refused(error: DomainError) -> Response[str]:
    if type(error) not in ANSWERS:  # a domain error the edge does not know how to answer: a bug
        return _unexpected(error)
    return refusal(error)


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[str]:
    # Name the parameter and the rule; never echo the value or Python internals.
    problems = []
    for detail in list(error.errors())[:3]:
        # The last named part of the location: ("body", 0) for a body that is not JSON is `body`.
        location = detail.get("loc") or ()
        parameter = next((str(part) for part in reversed(location) if not isinstance(part, int)), "request")
        problems.append(f"`{parameter}`: {detail.get('msg', 'invalid value')}")
    return error_response(422, "invalid_parameter", "; ".join(problems) or "invalid request")


@app.not_found
def _no_route(_: NotFoundError) -> Response[str]:
    return error_response(404, "not_found", "no such resource")


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[str]:
    logger.exception("Request failed", extra={"error_type": type(error).__name__})
    return error_response(500, "internal_error", "the request failed; it has been logged")


def routed(event: dict[str, Any]) -> dict[str, Any]:
    """The event with ``rawPath`` rebuilt from the matched route and its path parameters.

    The HTTP API routes on the encoded path but may hand over ``rawPath`` decoded, so a
    store named ``A/B`` would arrive as an extra path segment. Rebuilding the path with
    every parameter percent-encoded makes routing here match API Gateway's. Events with
    no concrete route (``$default``, the local adapter) keep their encoded ``rawPath``.
    """
    route_key = event.get("routeKey") or ""
    parameters = event.get("pathParameters") or {}
    method, _, template = route_key.partition(" ")
    if not template.startswith("/") or not method.isalpha():
        return event
    path = re.sub(r"\{(\w+)\+?\}", lambda match: quote(str(parameters.get(match.group(1), "")), safe=""), template)
    stage = (event.get("requestContext") or {}).get("stage") or "$default"
    if stage != "$default":
        path = f"/{stage}{path}"  # the resolver strips it again
    return {**event, "rawPath": path}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # No custom metrics: the HTTP API already reports requests, latency and 4xx/5xx.
    response = app.resolve(routed(event), context)
    response.setdefault("headers", {}).update(SECURITY_HEADERS)
    return response
