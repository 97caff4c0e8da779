"""The local web server: the dashboard at ``/``, its ``config.json``, and the dashboard API at ``/api``.

``/api`` stands in for the HTTP API: a request is matched to a route of the function's ``httpApi`` events,
its JWT is verified as the route's JWT authorizer would (see :mod:`devstack.jwt_auth`), and it is turned into
an API Gateway payload-2.0 event (claims at ``requestContext.authorizer.jwt.claims``) for the function.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from werkzeug.exceptions import NotFound
from werkzeug.serving import make_server
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request, Response

from devstack.config import REPO
from devstack.emulator import HOST, Emulator, console, ensure_free, say
from devstack.gateway import is_loopback_host
from devstack.jwt_auth import JwtAuthorizer, Unauthorized, api_gateway_claims
from devstack.lambdas import FunctionError, FunctionPool, Functions
from devstack.provision import ProvisionedService

DASHBOARD = REPO / "dashboard"
API_PREFIX = "/api"
MAX_BODY = 10 * 1024 * 1024  # HTTP API's payload limit


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or "ANY"
    path: str  # "/stores/{store}/items", "/{proxy+}", or "$default"
    runtime: FunctionPool
    authorizer: JwtAuthorizer | None
    pattern: re.Pattern[str] | None
    scopes: tuple[str, ...] = ()  # the route's authorization scopes: the token needs one of them

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in ("ANY", method):
            return None
        if self.pattern is None:
            return {}
        found = self.pattern.fullmatch(path)
        return None if found is None else {name: unquote(value) for name, value in found.groupdict().items()}

    @property
    def specificity(self) -> tuple[int, int, int]:
        """API Gateway prefers literal segments over parameters, and greedy paths last."""
        if self.pattern is None:
            return (0, 0, 0)
        segments = self.path.strip("/").split("/")
        literal = sum(1 for s in segments if not s.startswith("{"))
        return (0 if "+}" in self.path else 1, literal, 1 if self.method != "ANY" else 0)


def _compile(path: str) -> re.Pattern[str] | None:
    if path == "$default":
        return None
    parts = []
    for segment in path.strip("/").split("/"):
        greedy = re.fullmatch(r"\{([A-Za-z0-9_]+)\+\}", segment)
        named = re.fullmatch(r"\{([A-Za-z0-9_]+)\}", segment)
        if greedy:
            parts.append(f"(?P<{greedy.group(1)}>.+)")
        elif named:
            parts.append(f"(?P<{named.group(1)}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts))


def http_api_routes(service: ProvisionedService, functions: Functions, emulator: Emulator) -> list[Route]:
    """The routes of a service's ``httpApi`` events, each with its JWT authorizer (if any)."""
    definition_authorizers = service.http_api_authorizers
    authorizers: dict[str, JwtAuthorizer] = {}
    for name, authorizer_spec in definition_authorizers.items():
        issuer = str(authorizer_spec.get("issuerUrl", ""))
        pool_id = issuer.rstrip("/").rsplit("/", 1)[-1]
        authorizers[name] = JwtAuthorizer(
            issuer,
            [str(a) for a in authorizer_spec.get("audience") or []],
            f"{emulator.endpoint_url}/{pool_id}/.well-known/jwks.json",
        )
    routes = []
    for function in service.functions.values():
        runtime = functions.by_name(function.name)
        if runtime is None:
            continue
        for event in function.events:
            spec: Any = event.get("httpApi")  # the services' form: {method, path, authorizer: {name, scopes}}
            if not spec:
                continue
            method, path = str(spec["method"]).upper(), str(spec["path"])
            authorizer = spec.get("authorizer") or {}
            name, scopes = str(authorizer.get("name", "")), tuple(authorizer.get("scopes") or [])
            if name and name not in authorizers:
                raise ValueError(f"route {method} {path} names an unknown authorizer {name!r}")
            routes.append(Route(method, path, runtime, authorizers.get(name) if name else None, _compile(path), scopes))
    return sorted(routes, key=lambda route: route.specificity, reverse=True)


def payload_v2(  # noqa: PLR0917 - one argument per part of the request
    route: Route,
    method: str,
    raw_path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    path_parameters: dict[str, str],
    claims: dict[str, Any] | None,
    source_ip: str,
) -> dict[str, Any]:
    """The event an HTTP API sends a Lambda integration (payload format 2.0)."""
    now = datetime.now(UTC)
    lower = {name.lower(): value for name, value in headers.items()}
    cookies = [c.strip() for c in lower.pop("cookie", "").split(";") if c.strip()]
    params: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(name, []).append(value)
    text_types = ("json", "text", "xml", "x-www-form-urlencoded", "javascript")
    is_text = not body or any(kind in lower.get("content-type", "") for kind in text_types)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": lower,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": lower.get("host", HOST),
            "domainPrefix": lower.get("host", HOST).split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lower.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": not is_text,
    }
    if cookies:
        event["cookies"] = cookies
    if params:
        event["queryStringParameters"] = {name: ",".join(values) for name, values in params.items()}
    if path_parameters:
        event["pathParameters"] = path_parameters
    if claims is not None:
        scopes = str(claims["scope"]).split() if "scope" in claims else None
        event["requestContext"]["authorizer"] = {"jwt": {"claims": api_gateway_claims(claims), "scopes": scopes}}
    if body:
        event["body"] = body.decode("utf-8", "replace") if is_text else base64.b64encode(body).decode()
    return event


class WebServer:
    """Bound at construction (so a busy port fails before anything starts), served once :meth:`serve` runs."""

    def __init__(self, port: int) -> None:
        self.port = port
        ensure_free(port, "Web", "INVENTORY_WEB_PORT")
        self.site = Site({}, [], None)
        self._server = make_server(HOST, port, self.site, threaded=True)
        self._thread: threading.Thread | None = None

    def serve(
        self, config: dict[str, Any], functions: Functions, api: ProvisionedService | None, emulator: Emulator
    ) -> None:
        self.site.config = config
        self.site.routes = http_api_routes(api, functions, emulator) if api is not None else []
        self.site.cors = api.http_api_cors if api is not None else None
        self._thread = threading.Thread(target=self._server.serve_forever, name="web", daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()


def raw_request_path(environ: dict[str, Any]) -> str:
    """The request's path exactly as the client sent it (Werkzeug's server keeps it as ``RAW_URI``);
    ``PATH_INFO`` is already decoded, which is what a WSGI server without it leaves us."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return urlsplit(raw).path or "/"
    return quote((environ.get("PATH_INFO", "") or "/").encode("latin-1"), safe="/")  # WSGI's latin-1 str


def _json(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps({"message": message}), status, {"Content-Type": "application/json", **(headers or {})})


@dataclass
class Site:
    """The WSGI app: the dashboard's files, its config.json, and the API."""

    config: dict[str, Any]
    routes: list[Route]
    cors: dict[str, Any] | None  # provider.httpApi.cors of the API service

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        started = time.monotonic()
        # The path as sent, still percent-encoded: API Gateway routes on it, so an encoded slash (a store
        # named "A/B" is /stores/A%2FB/items) stays inside its path parameter instead of adding a segment.
        raw_path = raw_request_path(environ)
        if not is_loopback_host(request.host):  # DNS rebinding
            response = Response("Only loopback host names are served", 403)
        elif raw_path == API_PREFIX or raw_path.startswith(API_PREFIX + "/"):
            response = self.api(request, raw_path[len(API_PREFIX) :] or "/")
            console(f"{request.method} {raw_path} {response.status_code} {(time.monotonic() - started) * 1000:.0f} ms")
        elif request.path == "/config.json":
            # The API on the page's own origin, whichever loopback name the browser used: no CORS needed.
            api_url = {"apiUrl": f"http://{request.host}{API_PREFIX}"} if self.config.get("apiUrl") else {}
            response = Response(json.dumps({**self.config, **api_url}), 200, {"Content-Type": "application/json"})
        elif request.method in ("GET", "HEAD"):
            response = self.static(request)
        else:
            response = _json(405, "Method Not Allowed")
        response.headers.setdefault("Cache-Control", "no-store")
        return response(environ, start_response)

    @staticmethod
    def static(request: Request) -> Response:
        """The dashboard's files; a client-side route (no file extension) loads the app, as the CDN does."""
        path = request.path.lstrip("/") or "index.html"
        if "." not in path.rsplit("/", 1)[-1] and not (DASHBOARD / path).is_file():
            path = "index.html"
        try:
            return send_from_directory(DASHBOARD, path, request.environ)
        except NotFound:
            return Response("Not Found", 404)

    def api(self, request: Request, raw_path: str) -> Response:
        if (request.content_length or 0) > MAX_BODY:
            return _json(413, "Request Entity Too Large")
        body = request.get_data()
        cors = cors_headers(self.cors, request.headers.get("Origin"))
        if self.cors and request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            # The HTTP API answers CORS preflight itself, before routes and authorizers.
            return Response(b"", 204, {**cors, **(preflight_headers(self.cors) if cors else {})})
        response = self.invoke(request, raw_path, body)
        response.headers.extend({name: value for name, value in cors.items() if name not in response.headers})
        return response

    def invoke(self, request: Request, raw_path: str, body: bytes) -> Response:
        for route in self.routes:
            path_parameters = route.match(request.method, raw_path)
            if path_parameters is not None:
                break
        else:
            return _json(404, "Not Found")
        claims = None
        if route.authorizer is not None:
            try:
                claims = route.authorizer.claims(request.headers.get("Authorization"))
            except Unauthorized:
                return _json(401, "Unauthorized", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            if route.scopes and not set(str(claims.get("scope", "")).split()) & set(route.scopes):
                return _json(403, "Forbidden")
        headers = {name: ",".join(request.headers.getlist(name)) for name, _ in request.headers.items()}
        query = request.query_string.decode("latin-1")
        source_ip = request.remote_addr or HOST
        event = payload_v2(route, request.method, raw_path, query, headers, body, path_parameters, claims, source_ip)
        started = time.monotonic()
        try:
            result = route.runtime.invoke(event)
        except FunctionError as error:
            say(f"API {route.route_key}: {error}")
            return _json(500, "Internal Server Error")
        if time.monotonic() - started > 30:  # HTTP API's integration timeout
            return _json(503, "Service Unavailable")
        status, response_headers, payload, cookies = _http_response(result)
        response = Response(payload, status, response_headers)
        for cookie in cookies:
            response.headers.add("Set-Cookie", cookie)
        return response


def cors_headers(cors: dict[str, Any] | None, origin: str | None) -> dict[str, str]:
    """The CORS headers an HTTP API with this ``cors`` configuration adds for a request from ``origin``."""
    if not cors or not origin:
        return {}
    allowed = [str(value) for value in cors.get("allowedOrigins") or []]
    if origin not in allowed and "*" not in allowed:
        return {}
    headers = {"Access-Control-Allow-Origin": "*" if origin not in allowed else origin}
    if cors.get("allowCredentials"):
        headers["Access-Control-Allow-Credentials"] = "true"
    if cors.get("exposedResponseHeaders"):
        headers["Access-Control-Expose-Headers"] = ",".join(cors["exposedResponseHeaders"])
    if headers["Access-Control-Allow-Origin"] != "*":
        headers["Vary"] = "Origin"
    return headers


def preflight_headers(cors: dict[str, Any]) -> dict[str, str]:
    headers = {
        "Access-Control-Allow-Methods": ",".join(cors.get("allowedMethods") or ["*"]),
        "Access-Control-Allow-Headers": ",".join(cors.get("allowedHeaders") or ["*"]),
    }
    if cors.get("maxAge") is not None:
        headers["Access-Control-Max-Age"] = str(cors["maxAge"])
    return headers


def _http_response(result: Any) -> tuple[int, dict[str, str], bytes, list[str]]:
    """A Lambda result as the HTTP API turns it into a response (payload 2.0 rules)."""
    if isinstance(result, dict) and "statusCode" in result:
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}  # 2.0 has no multiValueHeaders
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        return int(result["statusCode"]), headers, payload, [str(c) for c in result.get("cookies") or []]
    # Anything else is taken as a JSON body with status 200.
    body = result if isinstance(result, str) else json.dumps(result)
    return 200, {"Content-Type": "application/json"}, body.encode(), []
