"""The dashboard API on the local stack, attacked as an outsider and as a store manager would.

The local ``/api`` verifies tokens as the HTTP API's JWT authorizer does (signature against the
pool's JWKS, issuer, audience or client_id, exp, nbf, iat), so every token below that the real
authorizer refuses must be refused here. Tokens with one bad claim are signed with the emulator
pool's own key, so nothing but that claim is wrong.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import quote

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.builders import csv_file
from tests.e2e.conftest import create_user, demo_user, sign_in, unique_store, upload_file, wait_for_report

pytestmark = pytest.mark.e2e

ROUTES = ["/stores", "/stores/Berlin/items", "/stores/Berlin/items/Echo%20Dot/history", "/alerts", "/uploads",
          "/uploads?key=uploads/stores/Berlin/x.csv", "/openapi.json"]  # fmt: skip


@pytest.fixture(scope="module")
def stack(local_stack: Any) -> dict[str, Any]:
    """The local stack's settings (.local/stack.json) as a dict."""
    info = local_stack if isinstance(local_stack, dict) else getattr(local_stack, "info", local_stack)
    assert isinstance(info, dict), f"unexpected local_stack fixture value: {info!r}"
    for key in ("api_url", "user_pool_id", "user_pool_client_id", "cognito_endpoint", "users", "region"):
        assert key in info, f"stack.json lacks {key}"
    return info


@pytest.fixture(scope="module")
def admin_tokens(stack: dict[str, Any]) -> dict[str, str]:
    """The demo admin's tokens: password, then the TOTP code (the API treats admins without MFA as none)."""
    return sign_in(stack, demo_user(stack, admin=True))


@pytest.fixture(scope="module")
def manager_tokens(stack: dict[str, Any]) -> dict[str, str]:
    return sign_in(stack, demo_user(stack, admin=False, stores=["Berlin"]))


@pytest.fixture(scope="module", autouse=True)
def berlin_and_karachi(stack: dict[str, Any]) -> None:
    """Both lab stores hold data: the stack loads the lab files at start (these tests only read them)."""
    for sample in ("inventory-berlin.csv", "inventory-karachi.csv"):
        assert wait_for_report(stack, f"{stack['upload_prefix']}{sample}")["status"] == "ok"


def get(
    stack: dict[str, Any], path: str, token: str | None, scheme: str = "Bearer", body: Any = None
) -> tuple[int, Any]:
    """``GET path`` (``POST`` with a JSON ``body``) through the local /api, as the dashboard calls it."""
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"{scheme} {token}".strip()
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(stack["api_url"] + path, headers=headers, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


# -- tokens --------------------------------------------------------------------------------


def _pool_private_key() -> Any:
    """The emulator's signing key (moto signs every pool's tokens with this one key, kid "dummy")."""
    packed = resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz").read_bytes()
    return jwt.algorithms.RSAAlgorithm.from_jwk(gzip.decompress(packed).decode())


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})  # type: ignore[no-any-return]


def _sign(claims: dict[str, Any], key: Any = None, headers: dict[str, Any] | None = None) -> str:
    return jwt.encode(claims, key or _pool_private_key(), algorithm="RS256", headers=headers or {"kid": "dummy"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_the_real_tokens_work_so_the_refusals_below_mean_something(
    stack: dict[str, Any], admin_tokens: dict[str, str], manager_tokens: dict[str, str]
) -> None:
    assert get(stack, "/stores", admin_tokens["IdToken"])[0] == 200
    assert get(stack, "/stores", manager_tokens["IdToken"])[0] == 200
    # The same claims re-signed with the pool's key are accepted too: the minting below is faithful.
    assert get(stack, "/stores", _sign(_claims(admin_tokens["IdToken"])))[0] == 200


@pytest.mark.parametrize("path", ROUTES)
def test_no_token_is_401_on_every_route(stack: dict[str, Any], path: str) -> None:
    assert get(stack, path, None)[0] == 401


@pytest.mark.parametrize("path", ["/uploads", "/stores/Berlin/uploads"])
def test_no_token_is_401_on_every_grant_route(stack: dict[str, Any], path: str) -> None:
    status, body = get(stack, path, None, body={"filename": "x.csv", "size": 10})

    assert status == 401
    assert body == {"message": "Unauthorized"}  # the authorizer's own answer, as API Gateway sends it


def test_an_access_token_is_401_with_a_message_that_says_to_send_the_id_token(
    stack: dict[str, Any], admin_tokens: dict[str, str], manager_tokens: dict[str, str]
) -> None:
    """The authorizer accepts the pool's access tokens (client_id instead of aud); the function refuses them,
    rather than serve empty lists to a token that cannot say which stores its holder may see."""
    for tokens in (admin_tokens, manager_tokens):
        assert _claims(tokens["AccessToken"])["token_use"] == "access"
        for path in ("/stores", "/uploads", "/openapi.json"):
            status, body = get(stack, path, tokens["AccessToken"])

            assert status == 401, (path, body)
            assert body["error"]["code"] == "id_token_required"
            assert "ID token" in body["error"]["message"]
        assert get(stack, "/stores", tokens["IdToken"])[0] == 200


def test_the_openapi_document_names_the_local_api_prefix_as_its_server(
    stack: dict[str, Any], manager_tokens: dict[str, str]
) -> None:
    status, document = get(stack, "/openapi.json", manager_tokens["IdToken"])

    assert status == 200
    assert document["servers"] == [{"url": "/api"}]
    assert {"/stores", "/uploads", "/stores/{store}/uploads"} <= set(document["paths"])


@pytest.mark.parametrize(
    ("token", "scheme"),
    [("", "Bearer"), ("not-a-jwt", "Bearer"), ("a.b.c", "Bearer"), ("x" * 5000, "Bearer"), ("dXNlcjpwYXNz", "Basic")],
)
def test_malformed_authorization_is_401(stack: dict[str, Any], token: str, scheme: str) -> None:
    assert get(stack, "/stores", token, scheme)[0] == 401


def _changed(token: str, **changes: Any) -> dict[str, Any]:
    claims = _claims(token)
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param(lambda now: {"exp": now - 60, "iat": now - 3700}, id="expired"),
        pytest.param(lambda now: {"nbf": now + 3600}, id="not-yet-valid"),
        pytest.param(lambda now: {"iat": now + 3600, "exp": now + 7200}, id="issued-in-the-future"),
        pytest.param(lambda now: {"exp": None}, id="no-expiry"),
        pytest.param(lambda now: {"aud": "another-client"}, id="wrong-audience"),
        pytest.param(lambda now: {"aud": None, "client_id": "another-client"}, id="wrong-client-id"),
        pytest.param(lambda now: {"aud": None}, id="no-audience"),
        pytest.param(
            lambda now: {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_another"}, id="other-pool"
        ),
        pytest.param(lambda now: {"iss": "https://evil.example/us-east-1_pool"}, id="foreign-issuer"),
    ],
)
def test_a_token_with_one_bad_claim_is_401_even_when_properly_signed(
    stack: dict[str, Any], admin_tokens: dict[str, str], changes: Callable[[int], dict[str, Any]]
) -> None:
    token = _sign(_changed(admin_tokens["IdToken"], **changes(int(time.time()))))

    for path in ("/stores", "/stores/Karachi/items"):
        assert get(stack, path, token)[0] == 401


def test_a_bad_signature_is_401(stack: dict[str, Any], admin_tokens: dict[str, str]) -> None:
    header, payload, signature = admin_tokens["IdToken"].split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]

    assert get(stack, "/stores", f"{header}.{payload}.{flipped}")[0] == 401
    assert get(stack, "/stores", f"{header}.{payload}.")[0] == 401


def test_an_unsigned_alg_none_token_is_401(stack: dict[str, Any], admin_tokens: dict[str, str]) -> None:
    claims = _claims(admin_tokens["IdToken"])
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "dummy"}).encode())
    payload = _b64(json.dumps(claims).encode())

    assert get(stack, "/stores", f"{header}.{payload}.")[0] == 401


def test_a_token_signed_by_another_key_is_401(stack: dict[str, Any], admin_tokens: dict[str, str]) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    assert get(stack, "/stores", _sign(_claims(admin_tokens["IdToken"]), key=other))[0] == 401


def test_an_hs256_token_keyed_with_the_public_key_is_401(stack: dict[str, Any], admin_tokens: dict[str, str]) -> None:
    public_pem = (
        _pool_private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "dummy"}).encode())
    payload = _b64(json.dumps(_claims(admin_tokens["IdToken"])).encode())
    import hashlib
    import hmac

    signature = _b64(hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())

    assert get(stack, "/stores", f"{header}.{payload}.{signature}")[0] == 401


def test_tampered_claims_under_the_original_signature_are_401(
    stack: dict[str, Any], manager_tokens: dict[str, str]
) -> None:
    header, _, signature = manager_tokens["IdToken"].split(".")
    for changes in ({"custom:stores": "Berlin,Karachi"}, {"cognito:groups": ["admin"]}):
        claims = {**_claims(manager_tokens["IdToken"]), **changes}
        forged = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"

        assert get(stack, "/stores/Karachi/items", forged)[0] == 401


# -- a signed-in store manager ----------------------------------------------------------------


def test_berlin_manager_gets_403_for_karachi_everywhere(stack: dict[str, Any], manager_tokens: dict[str, str]) -> None:
    token = manager_tokens["IdToken"]
    for path in (
        "/stores/Karachi/items",
        "/stores/Karachi/items?status=out",
        "/stores/Karachi/items/Echo%20Dot/history",
        "/uploads?store=Karachi",
        "/uploads?key=uploads/stores/Karachi/g/karachi.csv",
    ):
        status, body = get(stack, path, token)

        assert status == 403, (path, body)
        assert body["error"]["code"] == "forbidden"
        assert "Echo" not in json.dumps(body)


def test_karachi_is_absent_from_every_list_the_berlin_manager_gets(
    stack: dict[str, Any], manager_tokens: dict[str, str], admin_tokens: dict[str, str]
) -> None:
    token = manager_tokens["IdToken"]
    stores = get(stack, "/stores", token)[1]
    alerts = get(stack, "/alerts", token)[1]
    uploads = get(stack, "/uploads", token)[1]

    assert [s["store"] for s in stores["stores"]] == ["Berlin"]
    assert {a["store"] for a in alerts["alerts"]} <= {"Berlin"}
    assert all(u["store"] == "Berlin" for u in uploads["uploads"])
    assert "Karachi" not in json.dumps([stores, alerts, uploads])
    # ...while an admin does see it, so the absence is the permission and not missing data.
    assert "Karachi" in {s["store"] for s in get(stack, "/stores", admin_tokens["IdToken"])[1]["stores"]}


def test_a_store_whose_name_holds_a_slash_is_reached_through_its_encoded_name(
    stack: dict[str, Any], admin_tokens: dict[str, str]
) -> None:
    # Given a store named with a slash, loaded by a head-office file, and a manager of that store
    store = unique_store("Aisle 3/4")
    upload_file(stack, f"{stack['upload_prefix']}slash-{uuid.uuid4().hex[:8]}.csv", csv_file([(store, "Echo Dot", 3)]))
    manager = sign_in(stack, create_user(stack, stores=(store,)))

    # When its items are asked for with the name encoded as one path segment (%2F), as the dashboard does
    for token in (admin_tokens["IdToken"], manager["IdToken"]):
        status, body = get(stack, f"/stores/{quote(store, safe='')}/items", token)

        # Then the function answers with that store's items: the slash stayed inside the path parameter
        assert status == 200, body
        assert [(item["store"], item["item"], item["count"]) for item in body["items"]] == [(store, "Echo Dot", 3)]


@pytest.mark.parametrize(
    "path",
    [
        "/stores/" + "K" * 3000 + "/items",
        "/stores/Karachi%2F..%2FBerlin/items",
        "/stores/..%2FKarachi/items",
        "/stores/Berlin%00/items",
        "/stores/%FF/items",
        "/stores/Berlin/items?limit=999999999999999999999",
        "/stores/Berlin/items?status=%27%20OR%201%3D1--",
        "/stores/Berlin/items?cursor=eyJzIjoiS2FyYWNoaSJ9.AAAA",
        "/stores/Berlin/items?q=" + "q" * 1000,
        "/stores/Berlin/items/Echo%20Dot/history?from=yesterday",
        "/stores/Berlin/items/Echo%20Dot/history?from=2026-01-02&to=2026-01-01",
        "/uploads?store=%3Cscript%3E",
        "/alerts?status=all",
    ],
)
def test_hostile_paths_and_queries_are_4xx_with_a_message(
    stack: dict[str, Any], manager_tokens: dict[str, str], path: str
) -> None:
    status, body = get(stack, path, manager_tokens["IdToken"])

    assert 400 <= status < 500, (path, status, body)
    assert isinstance(body, dict)
    assert body["error"]["message"]
    assert "Karachi" not in json.dumps(body.get("stores", [])) + json.dumps(body.get("items", []))
    assert "Traceback" not in json.dumps(body)
