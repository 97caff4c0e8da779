"""The emulator's front door: a WSGI middleware in front of moto's server.

- Answers only requests addressed to a loopback name (``127.0.0.1``, ``localhost``, ``[::1]``, with any
  port): a web page on another name that resolves to 127.0.0.1 (DNS rebinding) is refused.
- A request that carries an ``Origin`` is served only for the dashboard's origins, with CORS headers naming
  that origin (moto itself answers ``*`` to everyone): a page on any other origin can neither read answers
  nor send "simple" requests (a form POST) to the emulator. Preflights from the dashboard are answered here,
  so the browser can call Cognito and post presigned uploads to the bucket.
- Stands in where moto cannot: Lambda Invoke runs the stack's own functions in their workers (moto would need
  Docker), and Cognito's TOTP and forgot-password codes are verified for real (see :mod:`devstack.cognito`).
- Refuses S3 requests signed with Signature Version 2 (a presigned POST's ``AWSAccessKeyId`` and ``signature``
  fields, a presigned URL's ``AWSAccessKeyId`` and ``Signature``, an ``Authorization: AWS`` header) as a bucket
  created since June 2020 does: 400 ``InvalidRequest``. moto accepts any signature.
- Serialises moto: moto is not thread-safe (a Scan walking a table while a batch write adds to it raised
  "dictionary changed size during iteration", a 500 to the client), so one request at a time runs in it, its
  body read before and its answer built whole inside. DynamoDB (with its streams) has a lock of its own: its
  reads walk whole tables and take seconds on a big one, and nothing else in moto touches its tables, so
  uploads, queues and sign-ins do not wait behind them. SQS's long polls are run here as short polls, so no
  request holds moto while it waits.
- Answers a function's read of a missing object as S3 answers its role: 403 AccessDenied, not 404, when the
  role may not list the bucket (``s3:ListBucket``). Each function's requests name it (``x-devstack-function``,
  see :mod:`devstack.worker`); its role's statements are the ones its serverless.yml gives it.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote

from devstack import iam
from devstack.cognito import CognitoCodes
from devstack.lambdas import FunctionError, Functions

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
App = Callable[[Environ, StartResponse], Iterable[bytes]]
Response = tuple[int, dict[str, str], bytes]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
_S3_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/s3/aws4_request")
#: Query parameters of an object read (anything else names a subresource: ?acl, ?tagging...).
_OBJECT_READ_QUERY = {"versionId", "partNumber", "x-id"}
_ACCESS_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
)
#: Response headers a page may read: what the AWS SDKs and an upload's progress handling look at.
EXPOSED_HEADERS = "ETag,x-amz-request-id,x-amz-version-id,x-amz-id-2,x-amzn-RequestId,x-amzn-ErrorType,Location"
#: S3's answer to a request signed with Signature Version 2 where only SigV4 is accepted.
SIGV2_REFUSED = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
#: A multipart form field's name; S3 reads the fields before the file (those after it are ignored).
_FORM_FIELD = re.compile(rb'content-disposition:[ \t]*form-data;[ \t]*name="([^"]*)"', re.IGNORECASE)
#: How often a long poll asks moto again; how long a poll may wait at most (SQS's limit).
LONG_POLL_STEP_S = 0.05
LONG_POLL_LIMIT_S = 20
#: X-Amz-Target prefixes of DynamoDB's and its streams' requests.
DYNAMODB_TARGETS = ("DynamoDB_", "DynamoDBStreams_")


def is_loopback_host(host: str) -> bool:
    """True for ``127.0.0.1``, ``localhost`` (and its subdomains, as S3 virtual-host names) or ``[::1]``."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[: name.find("]") + 1]
    elif ":" in name:
        name, _, port = name.rpartition(":")
        if not port.isdigit():
            return False
    return name in LOOPBACK_NAMES or name.endswith(".localhost")


def json_error(status: int, code: str, message: str) -> Response:
    """An error as the AWS JSON protocols return it."""
    body = json.dumps({"__type": code, "message": message}).encode()
    return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body


class Gateway:
    """WSGI middleware around moto's app; ``functions`` is set once the stack's functions run."""

    def __init__(self, app: App, origins: Iterable[str] = (), say: Callable[[str], None] = print) -> None:
        self.app = app
        self.origins = set(origins)
        self.functions: Functions | None = None
        self.cognito = CognitoCodes(say)
        #: Held while moto runs a request: DynamoDB's, or any other's (re-entrant: a Cognito stand-in reads
        #: moto and calls it).
        self.dynamodb_lock = threading.RLock()
        self.moto_lock = threading.RLock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if not is_loopback_host(host):
            return _send(start_response, (403, {"Content-Type": "text/plain"}, b"Only loopback host names are served"))
        origin = environ.get("HTTP_ORIGIN")
        cors: dict[str, str] = {}
        if origin:
            if origin not in self.origins:
                return _send(start_response, (403, {"Content-Type": "text/plain"}, b"Origin not allowed"))
            cors = {
                "Access-Control-Allow-Origin": origin,
                "Vary": "Origin",
                "Access-Control-Expose-Headers": EXPOSED_HEADERS,
            }
            if environ["REQUEST_METHOD"] == "OPTIONS" and environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"):
                requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")
                preflight = {
                    "Access-Control-Allow-Methods": "GET,HEAD,PUT,POST,DELETE",
                    "Access-Control-Max-Age": "600",
                    **({"Access-Control-Allow-Headers": requested} if requested else {}),
                }
                return _send(start_response, (204, {}, b""), {**cors, **preflight})
        _read_body(environ)
        if self._hides_missing_objects(environ):
            return self._object_read(environ, start_response, cors)
        intercepted = _refuse_sigv2(environ) or self._intercept(environ)
        if intercepted is not None:
            return _send(start_response, intercepted, cors)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(name, value) for name, value in headers if not name.lower().startswith("access-control-")]
            return start_response(status, kept + list(cors.items()), exc_info)

        return self._serialised(environ, start)

    def _serialised(self, environ: Environ, start_response: StartResponse) -> list[bytes]:
        """moto's answer, run and read whole while no other request of its kind (DynamoDB's, or any other
        service's) runs in moto."""
        dynamodb = environ.get("HTTP_X_AMZ_TARGET", "").startswith(DYNAMODB_TARGETS)
        with self.dynamodb_lock if dynamodb else self.moto_lock:
            chunks = self.app(environ, start_response)
            try:
                return [b"".join(chunks)]
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()

    def _intercept(self, environ: Environ) -> Response | None:
        """A response of our own, or None to let moto answer (the body is already read: see :func:`_read_body`)."""
        match = _INVOKE.match(environ.get("PATH_INFO", ""))
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not match and not target.startswith(("AWSCognitoIdentityProviderService.", "AmazonSQS.ReceiveMessage")):
            return None
        body = environ["wsgi.input"].getvalue()
        if match and environ["REQUEST_METHOD"] == "POST":
            return self._invoke(unquote(match.group("name")), environ, body)
        if target == "AmazonSQS.ReceiveMessage":
            return self._long_poll(environ, body)
        if target:
            with self.moto_lock:  # the stand-in reads moto's user pools itself
                return self.cognito.handle(target.split(".", 1)[1], body, lambda: self._moto(environ, body))
        return None

    def _long_poll(self, environ: Environ, body: bytes) -> Response | None:
        """SQS ReceiveMessage with ``WaitTimeSeconds``, as short polls: moto would wait inside the request."""
        try:
            request = json.loads(body or b"{}")
            wait = min(float(request.get("WaitTimeSeconds") or 0), LONG_POLL_LIMIT_S)
        except (ValueError, TypeError, AttributeError):
            return None  # moto answers what is wrong with it
        if wait <= 0:
            return None
        short = json.dumps({**request, "WaitTimeSeconds": 0}).encode()
        deadline = time.monotonic() + wait
        while True:
            status, headers, payload = self._moto(environ, short)
            if status != 200 or json.loads(payload or b"{}").get("Messages") or time.monotonic() >= deadline:
                return status, headers, payload
            time.sleep(LONG_POLL_STEP_S)

    def _hides_missing_objects(self, environ: Environ) -> bool:
        """True for a function's GetObject or HeadObject in a bucket its role may not list."""
        bucket = _read_bucket(environ)
        function = environ.get("HTTP_X_DEVSTACK_FUNCTION", "")
        pool = self.functions.by_name(function) if self.functions is not None and bucket and function else None
        statements = pool.function.role_statements if pool is not None else None
        return statements is not None and not iam.allows(
            statements, iam.Request("s3:ListBucket", f"arn:aws:s3:::{bucket}")
        )

    def _object_read(self, environ: Environ, start_response: StartResponse, cors: dict[str, str]) -> Iterable[bytes]:
        """Moto's answer, but a missing object is 403 AccessDenied (as S3 tells a role that may not list the
        bucket) instead of 404."""
        status, headers, body = self._captured(environ)
        head = environ["REQUEST_METHOD"] == "HEAD"
        if status.startswith("404") and (head or b"<Code>NoSuchKey</Code>" in body):
            kept = {k: v for k, v in headers if k.lower() in ("x-amz-request-id", "x-amz-id-2")}
            return _send(
                start_response,
                (403, {**kept, "Content-Type": "application/xml"}, b"" if head else _ACCESS_DENIED),
                cors,
            )
        start_response(status, headers + list(cors.items()))
        return [body]

    def _moto(self, environ: Environ, body: bytes) -> Response:
        environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        status, headers, payload = self._captured(environ)
        kept = {name: value for name, value in headers if name.lower() != "content-length"}
        return int(status.split(maxsplit=1)[0]), kept, payload

    def _captured(self, environ: Environ) -> tuple[str, list[tuple[str, str]], bytes]:
        """moto's status line, headers (but its CORS ones) and body, run whole (see :meth:`_serialised`)."""
        captured: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:  # noqa: ARG001
            captured["status"], captured["headers"] = status, headers
            return lambda data: None  # noqa: ARG005 - WSGI's write(), which moto does not use

        body = b"".join(self._serialised(environ, start))
        headers = [(k, v) for k, v in captured["headers"] if not k.lower().startswith("access-control-")]
        return captured["status"], headers, body

    def _invoke(self, name: str, environ: Environ, body: bytes) -> Response | None:
        """Lambda's Invoke API for the stack's functions (by name or ARN, any qualifier)."""
        pool = None
        if self.functions is not None:
            parts = name.split(":")
            bare = parts[6] if name.startswith("arn:") and len(parts) > 6 else parts[0]  # any qualifier: $LATEST
            pool = self.functions.by_name(bare)
        if pool is None:
            return None  # not ours: moto answers (ResourceNotFound)
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            return json_error(400, "InvalidRequestContentException", "Could not parse request body into json")
        kind = environ.get("HTTP_X_AMZ_INVOCATION_TYPE") or "RequestResponse"
        version = {"X-Amz-Executed-Version": "$LATEST"}
        if kind == "DryRun":
            return 204, version, b""
        if kind == "Event":
            assert self.functions is not None
            self.functions.invoke_async(pool, event)
            return 202, {}, b""
        try:
            result = pool.invoke(event)
        except FunctionError as error:
            return 200, {**version, "X-Amz-Function-Error": "Unhandled"}, json.dumps(error.error).encode()
        return 200, {**version, "Content-Type": "application/json"}, json.dumps(result).encode()


def _read_body(environ: Environ) -> None:
    """Read the request's body now (before moto is held) and leave it re-readable."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        body = environ["wsgi.input"].read(length)
    elif environ.get("wsgi.input_terminated"):  # chunked: the server ends the stream
        body = environ["wsgi.input"].read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)


def _refuse_sigv2(environ: Environ) -> Response | None:
    """S3's refusal of a request signed with Signature Version 2, or None for any other request."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    signed_v2 = (
        environ.get("HTTP_AUTHORIZATION", "").startswith("AWS ")
        or ("AWSAccessKeyId" in query and "Signature" in query)
        or _is_sigv2_form(environ)
    )
    if not signed_v2:
        return None
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidRequest</Code>'
        f"<Message>{SIGV2_REFUSED}</Message><RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    )
    return 400, {"Content-Type": "application/xml"}, body.encode()


def _is_sigv2_form(environ: Environ) -> bool:
    """A browser's POST upload whose policy is signed with SigV2: ``AWSAccessKeyId`` and no ``x-amz-algorithm``."""
    if environ["REQUEST_METHOD"] != "POST" or not environ.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
        return False
    body = environ["wsgi.input"].getvalue()
    head = body[: body.find(b"filename=")] if b"filename=" in body else body
    fields = {name.decode("utf-8", "replace").lower() for name in _FORM_FIELD.findall(head)}
    return "awsaccesskeyid" in fields and "x-amz-algorithm" not in fields


def _read_bucket(environ: Environ) -> str:
    """The bucket of an S3 GetObject or HeadObject (path-style or virtual-host), or "" for any other request."""
    if environ["REQUEST_METHOD"] not in ("GET", "HEAD") or not _S3_SCOPE.search(environ.get("HTTP_AUTHORIZATION", "")):
        return ""
    query = {name for name, _ in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)}
    if any(name not in _OBJECT_READ_QUERY and not name.startswith("response-") for name in query):
        return ""
    host = (environ.get("HTTP_HOST") or "").rpartition(":")[0] or environ.get("HTTP_HOST", "")
    path = environ.get("PATH_INFO", "").lstrip("/")
    if host.endswith(".localhost"):
        bucket, key = host[: -len(".localhost")], path
    else:
        bucket, _, key = path.partition("/")
    return bucket if key else ""


def _send(start_response: StartResponse, response: Response, extra: dict[str, str] | None = None) -> list[bytes]:
    status, headers, body = response
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [*headers.items(), *(extra or {}).items(), ("Content-Length", str(len(body)))],
    )
    return [body]
