"""SigV4 signatures without botocore's rebuilt header maps and re-derived keys, to the same headers.

botocore's :class:`~botocore.auth.SigV4Auth` signs each request the way AWS's Signature Version 4
says (canonical request, string to sign, a signing key derived from the secret key, the date, the
region and the service by four HMACs, and the ``Authorization`` header naming the signed headers).
Per request it copies the headers into a new email-style header map twice (once for the canonical
request, once for the header's list of signed headers), prepares the whole request to read its
body, splits the same URL three times and derives the same signing key again. At a few calls per
stream record that was about a third of botocore's CPU per call.

:class:`FastSigV4Auth` signs the same way in one pass over the headers: the URL's host, path and
query are kept per URL, the signing key per secret key, date, region and service (credentials that
refresh bring a new secret key, hence a new key; a new day a new date), the body is read as
``prepare`` reads it without preparing the rest. What it cannot vouch for it hands to botocore's
own signer whole: a header value that is not plain ASCII text, a request of another class.

:func:`use_fast_signing` swaps it in for botocore's on one client after a self-check (at cold
start, with the client's own botocore) finds it writing exactly botocore's headers for sample
requests (a JSON and a form body, with and without a session token, re-signed as a retry is); on
any difference the client keeps botocore's signer and a warning says why. Only requests botocore
would sign with :class:`~botocore.auth.SigV4Auth` itself change hands (the client's signer still
chooses the signature version, region and credentials per request, fresh credentials included).
Proven against botocore :data:`PROVEN_BOTOCORE` (a test pins the botocore the project runs).
"""

from __future__ import annotations

import hmac
from functools import lru_cache
from hashlib import sha256
from typing import Any

import botocore
import botocore.auth
from botocore.auth import (
    EMPTY_SHA256_HASH,
    SIGNED_HEADERS_BLACKLIST,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER,
    UNSIGNED_PAYLOAD,
    SigV4Auth,
)
from botocore.awsrequest import AWSRequest, AWSRequestPreparer
from botocore.compat import urlsplit
from botocore.credentials import Credentials
from botocore.exceptions import NoCredentialsError

from inventory.clients import proven

#: The botocore whose signer was proven matched here (tests pin the one the project runs).
PROVEN_BOTOCORE = "1.44.18"
_UNSIGNED_HEADERS = frozenset(SIGNED_HEADERS_BLACKLIST)


def use_fast_signing(client: Any) -> bool:
    """Sign ``client``'s SigV4 requests with :class:`FastSigV4Auth` if the self-check passes; whether
    it did (if not, a warning names each difference)."""
    if not proven("Requests keep botocore's signer: fast signing differs", self_check):
        return False
    signer = client._request_signer
    signer.get_auth_instance = FastAuthInstances(signer.get_auth_instance)
    return True


class FastAuthInstances:
    """A client signer's ``get_auth_instance``: botocore's choice, with :class:`FastSigV4Auth` for
    botocore's :class:`SigV4Auth` (the same credentials, region and service)."""

    def __init__(self, botocore_get_auth_instance: Any) -> None:
        self.botocore = botocore_get_auth_instance

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        auth = self.botocore(*args, **kwargs)
        if type(auth) is SigV4Auth:
            return FastSigV4Auth(auth.credentials, auth._service_name, auth._region_name)
        return auth


class FastSigV4Auth(SigV4Auth):
    """botocore's SigV4 signature (see the module docstring); anything unusual goes to botocore's code."""

    def add_auth(self, request: Any) -> None:
        if self.credentials is None:
            raise NoCredentialsError()
        if type(request) is not AWSRequest or type(request._request_preparer) is not AWSRequestPreparer:
            super().add_auth(request)
            return
        request.context["timestamp"] = botocore.auth.get_current_datetime().strftime(botocore.auth.SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        signed = _signed_headers(request)
        if signed is None:  # a header value botocore's header map would rewrite: botocore signs
            super().add_auth(request)
            return
        canonical_request, names = self._canonical_request(request, signed)
        auth_log = botocore.auth.logger
        auth_log.debug("Calculating signature using v4 auth.")
        auth_log.debug("CanonicalRequest:\n%s", canonical_request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        auth_log.debug("StringToSign:\n%s", string_to_sign)
        timestamp = request.context["timestamp"]
        key = _signing_key(self.credentials.secret_key, timestamp[0:8], self._region_name, self._service_name)
        signature = hmac.new(key, string_to_sign.encode("utf-8"), sha256).hexdigest()
        auth_log.debug("Signature:\n%s", signature)
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.scope(request)}, SignedHeaders={names}, Signature={signature}"
        )

    def _canonical_request(self, request: Any, signed: dict[str, list[str]]) -> tuple[str, str]:
        """The canonical request and its ``SignedHeaders`` list, as botocore's ``canonical_request``."""
        host, path, url_query = _url_parts(request.url)
        if "host" not in signed:
            signed["host"] = [host]
        query = self.canonical_query_string(request) if request.params else url_query
        headers = "\n".join(f"{name}:{','.join(' '.join(v.split()) for v in signed[name])}" for name in sorted(signed))
        names = ";".join(sorted(name.strip() for name in signed))
        checksum = signed.get("x-amz-content-sha256")
        body_checksum = checksum[0] if checksum else self._payload(request)
        return "\n".join((request.method.upper(), path, query, headers + "\n", names, body_checksum)), names

    def _payload(self, request: Any) -> str:
        """botocore's ``payload``, the body read as ``AWSRequest.body`` reads it (``prepare``'s body)."""
        if self._is_streaming_checksum_payload(request):
            return STREAMING_UNSIGNED_PAYLOAD_TRAILER
        if not self._should_sha256_sign_payload(request):
            return UNSIGNED_PAYLOAD
        body = request._request_preparer._prepare_body(request)
        if isinstance(body, str):
            body = body.encode("utf-8")
        if body and hasattr(body, "seek"):
            return str(super().payload(request))
        return sha256(body).hexdigest() if body else EMPTY_SHA256_HASH


def _signed_headers(request: Any) -> dict[str, list[str]] | None:
    """The values of each header signed, by lowercase name, as botocore's ``headers_to_sign`` keeps
    them; ``None`` if a value is not plain ASCII text (botocore's header map may rewrite it)."""
    signed: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        if not (isinstance(name, str) and isinstance(value, str) and value.isascii()):
            return None
        lowered = name.lower()
        if lowered not in _UNSIGNED_HEADERS:
            signed.setdefault(lowered, []).append(value)
    return signed


@lru_cache(maxsize=64)
def _url_parts(url: str) -> tuple[str, str, str]:
    """A URL's host header, canonical path and canonical query, as botocore's signer finds them."""
    auth = SigV4Auth(None, "", "")
    parts = urlsplit(url)
    return (
        botocore.auth._host_from_url(url),
        auth._normalize_url_path(parts.path),
        auth._canonical_query_string_url(parts),
    )


@lru_cache(maxsize=64)
def _signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """SigV4's signing key: HMACs (SHA-256) from ``AWS4`` + the secret key over the date, region, service
    and ``aws4_request``."""
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), sha256).digest()
    return key


# -- the self-check -----------------------------------------------------------------------------------

_CREDENTIALS = (
    Credentials("AKIDSELFCHECK", "self/check+secret"),
    Credentials("ASIASELFCHECK", "self/check+secret", "session//token+="),
)
_JSON_HEADERS = {
    "X-Amz-Target": "DynamoDB_20120810.PutItem",
    "Content-Type": "application/x-amz-json-1.0",
    "User-Agent": "Boto3/1.0 md/Botocore#1.0 ua/2.1 os/linux cfg/retry-mode#standard",
    "amz-sdk-invocation-id": "00000000-0000-4000-8000-000000000000",
    "amz-sdk-request": "attempt=1; max=6",
    "X-Spaced": "  a   b  ",
}
_FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "User-Agent": "Boto3/1.0"}
#: (region, service, method, URL, headers, body, params) of each sample request.
REQUEST_SAMPLES: list[tuple[str, str, str, str, dict[str, str], Any, dict[str, str]]] = [
    ("us-east-1", "dynamodb", "POST", "https://dynamodb.us-east-1.amazonaws.com/", _JSON_HEADERS,
     b'{"TableName": "History", "Item": {"S": {"S": "Z\\u00fcrich"}}}', {}),
    ("eu-central-1", "dynamodb", "POST", "http://127.0.0.1:4566", _JSON_HEADERS, b"{}", {}),
    ("eu-central-1", "sns", "POST", "https://sns.eu-central-1.amazonaws.com/", _FORM_HEADERS,
     {"Action": "Publish", "Message": "Out of stock: Zürich & co", "Version": "2010-03-31"}, {}),
    ("us-east-1", "execute-api", "GET", "https://example.com:8443/a%20b/../c/?z=1&a=2", {"User-Agent": "x"}, b"",
     {"b": "two words", "a": "1"}),
]  # fmt: skip


def self_check() -> list[str]:
    """Where :class:`FastSigV4Auth`'s headers differ from botocore's :class:`SigV4Auth`'s on the samples."""
    differences = []
    for credentials in _CREDENTIALS:
        for index, (region, service, method, url, headers, body, params) in enumerate(REQUEST_SAMPLES):
            for attempt in range(3):  # both signed within one second: the same timestamp
                signed = []
                for auth in (SigV4Auth(credentials, service, region), FastSigV4Auth(credentials, service, region)):
                    request = AWSRequest(method, url, headers, body, params)
                    auth.add_auth(request)
                    auth.add_auth(request)  # a retry signs the request again
                    signed.append((request.context["timestamp"], list(request.headers.items())))
                if signed[0][0] == signed[1][0] or attempt == 2:
                    break
            if signed[0] != signed[1]:
                differences.append(f"request {index}{' with a session token' if credentials.token else ''}")
    return differences
