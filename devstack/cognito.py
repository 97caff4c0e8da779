"""The local user pool: demo users, the codes Cognito checks that moto does not (TOTP, password reset), and
RevokeToken, which moto lacks.

Demo users: an admin who sees every store, and a manager of Berlin only. The dashboard API treats a member of
``admin`` as an admin only with TOTP MFA on, so the demo admin is enrolled at start as a person would enrol
(AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference), with a random key kept in stack.json:
``make code USER=admin`` prints its current code, and ``make token USER=admin`` answers the challenge with it.

Permissions follow the dashboard API's rules (services/dashboard-api, ``dashboard_api.logic.permissions``):
members of the Cognito group ``admin`` see all stores; other users see the stores listed in the custom
attribute ``custom:stores``, a compact JSON array (the form ``python -m dashboard_api.admin`` writes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import jwt

from devstack.intrinsics import ACCOUNT_ID

Response = tuple[int, dict[str, str], bytes]

ADMIN_GROUP = "admin"
STORES_ATTRIBUTE = "custom:stores"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    admin: bool
    stores: list[str] = field(default_factory=list)
    totp_secret: str | None = None  # the authenticator key, for users enrolled in TOTP MFA

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


DEMO_USERS = (
    DemoUser("admin", "Admin-Passw0rd!", admin=True),
    DemoUser("berlin-manager", "Berlin-Passw0rd!", admin=False, stores=["Berlin"]),
)


def store_attributes(stores: list[str]) -> list[dict[str, str]]:
    """The user attributes that grant access to ``stores`` (the dashboard API reads them from the token)."""
    value = json.dumps(sorted(set(stores)), ensure_ascii=False, separators=(",", ":"))
    return [{"Name": STORES_ATTRIBUTE, "Value": value}] if stores else []


def create_demo_users(client: Any, user_pool_id: str, client_id: str) -> list[DemoUser]:
    """Create the demo users with permanent passwords, so they can sign in at once; admins with TOTP MFA on.

    ``client`` must reach the pool through the emulator's gateway, which hands out and checks the TOTP keys.
    """
    groups = {group["GroupName"] for group in client.list_groups(UserPoolId=user_pool_id).get("Groups", [])}
    if ADMIN_GROUP not in groups:
        client.create_group(UserPoolId=user_pool_id, GroupName=ADMIN_GROUP, Description="Sees every store")
    created = []
    for user in DEMO_USERS:
        client.admin_create_user(
            UserPoolId=user_pool_id,
            Username=user.username,
            TemporaryPassword=user.password,
            MessageAction="SUPPRESS",
            UserAttributes=store_attributes(user.stores),
        )
        client.admin_set_user_password(
            UserPoolId=user_pool_id, Username=user.username, Password=user.password, Permanent=True
        )
        if not user.admin:
            created.append(user)
            continue
        client.admin_add_user_to_group(UserPoolId=user_pool_id, Username=user.username, GroupName=ADMIN_GROUP)
        created.append(replace(user, totp_secret=enrol_totp(client, client_id, user.username, user.password)))
    return created


def enrol_totp(client: Any, client_id: str, username: str, password: str) -> str:
    """Turn on TOTP MFA for a user who has none yet, as the dashboard's enrolment does; returns the key."""
    tokens = client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]
    secret = str(client.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"])
    client.verify_software_token(AccessToken=tokens["AccessToken"], UserCode=totp(secret))
    client.set_user_mfa_preference(
        AccessToken=tokens["AccessToken"], SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    client.revoke_token(ClientId=client_id, Token=tokens["RefreshToken"])  # the enrolment's session ends here
    return secret


# -- codes moto does not check ------------------------------------------------------------------------


def totp(secret: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The RFC 6238 code (HMAC-SHA1, 30 s, 6 digits) of a base32 ``secret`` at ``at``, as authenticator apps show it."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def totp_matches(secret: str, code: str, at: float | None = None) -> bool:
    """True if ``code`` is the current code or the one of the step before or after (clock skew)."""
    now = time.time() if at is None else at
    return any(hmac.compare_digest(totp(secret, now + skew), code.strip()) for skew in (-30, 0, 30))


class CognitoCodes:
    """Cognito's TOTP and forgot-password codes, checked for real in front of moto, which accepts any; and
    RevokeToken, which moto does not have (it answers 500).

    Each user gets a random TOTP secret at AssociateSoftwareToken (moto hands everyone the same one);
    VerifySoftwareToken and the SOFTWARE_TOKEN_MFA challenge accept only that secret's current code.
    ForgotPassword's code (moto returns it in a header a real client never gets) is printed as the email the
    user would receive, and ConfirmForgotPassword accepts only that code. Users are keyed by pool and
    lower-cased name (the pool's usernames are case-insensitive).

    RevokeToken revokes the refresh token in moto's own pool (as its global sign-out does), so a later
    refresh with it fails, and drops the access tokens issued with it, as Cognito does.
    """

    HEADER = "x-moto-forgot-password-confirmation-code"

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._lock = threading.Lock()
        self._secrets: dict[tuple[str, str], str] = {}
        self._sessions: dict[str, tuple[str, str]] = {}
        self._reset_codes: dict[tuple[str, str], tuple[str, str]] = {}  # user -> (code shown, moto's code)

    def handle(self, action: str, body: bytes, moto: Callable[[], Response]) -> Response | None:
        """Our answer to one Cognito call, or None to pass it to moto unchanged."""
        handler = {
            "AssociateSoftwareToken": self._associate,
            "VerifySoftwareToken": self._verify,
            "RespondToAuthChallenge": self._challenge,
            "AdminRespondToAuthChallenge": self._challenge,
            "InitiateAuth": self._challenge,
            "AdminInitiateAuth": self._challenge,
            "ForgotPassword": self._forgot,
            "ConfirmForgotPassword": self._confirm_forgot,
            "RevokeToken": self._revoke,
        }.get(action)
        if handler is None:
            return None
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return None
        return handler(request, moto)

    # -- TOTP ---------------------------------------------------------------------------------------

    def _associate(self, request: dict[str, Any], moto: Callable[[], Response]) -> Response:
        status, headers, payload = moto()
        user = self._user_of(request)
        if status != 200 or user is None:
            return status, headers, payload
        answer = json.loads(payload)
        secret = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
        with self._lock:
            self._secrets[user] = secret
        answer["SecretCode"] = secret
        self._remember(answer, user)
        return status, headers, json.dumps(answer).encode()

    def _verify(self, request: dict[str, Any], moto: Callable[[], Response]) -> Response:
        user = self._user_of(request)
        secret = self._secrets.get(user) if user else None
        if secret is None or not totp_matches(secret, str(request.get("UserCode", ""))):
            return _error("EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA")
        return moto()

    def _challenge(self, request: dict[str, Any], moto: Callable[[], Response]) -> Response:
        responses = request.get("ChallengeResponses") or {}
        pool = request.get("UserPoolId") or self._pool_of_client(str(request.get("ClientId", "")))
        name = str(responses.get("USERNAME") or (request.get("AuthParameters") or {}).get("USERNAME") or "")
        user = (pool, name.lower()) if pool and name else self._sessions.get(str(request.get("Session", "")))
        if request.get("ChallengeName") == "SOFTWARE_TOKEN_MFA":
            secret = self._secrets.get(user) if user else None
            if secret is None or not totp_matches(secret, str(responses.get("SOFTWARE_TOKEN_MFA_CODE", ""))):
                return _error("CodeMismatchException", "Invalid code received for user")
        status, headers, payload = moto()
        if status == 200 and user is not None:
            self._remember(json.loads(payload), user)
        return status, headers, payload

    def _remember(self, answer: dict[str, Any], user: tuple[str, str]) -> None:
        """A challenge's session belongs to the user it was issued to (AssociateSoftwareToken may name only it)."""
        if answer.get("Session"):
            with self._lock:
                self._sessions[str(answer["Session"])] = user

    def _user_of(self, request: dict[str, Any]) -> tuple[str, str] | None:
        if request.get("Session"):
            return self._sessions.get(str(request["Session"]))
        try:
            claims = jwt.decode(str(request.get("AccessToken", "")), options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        return str(claims.get("iss", "")).rsplit("/", 1)[-1], str(claims.get("username", "")).lower()

    # -- forgotten passwords ------------------------------------------------------------------------

    def _forgot(self, request: dict[str, Any], moto: Callable[[], Response]) -> Response:
        status, headers, payload = moto()
        moto_code = next((value for name, value in headers.items() if name.lower() == self.HEADER), None)
        headers = {name: value for name, value in headers.items() if name.lower() != self.HEADER}
        pool = self._pool_of_client(str(request.get("ClientId", "")))
        name = str(request.get("Username", ""))
        if status == 200 and moto_code and pool:
            code = moto_code.rsplit(":", 1)[-1]
            with self._lock:
                self._reset_codes[(pool, name.lower())] = (code, moto_code)
            self._say(f"to {name} (email): your password reset code is {code}")
        return status, headers, payload

    def _confirm_forgot(self, request: dict[str, Any], moto: Callable[[], Response]) -> Response | None:
        pool = self._pool_of_client(str(request.get("ClientId", "")))
        user = (pool, str(request.get("Username", "")).lower())
        expected = self._reset_codes.get(user)
        if expected is None or not hmac.compare_digest(expected[0], str(request.get("ConfirmationCode", "")).strip()):
            return _error("CodeMismatchException", "Invalid verification code provided, please try again.")
        status, headers, payload = moto()
        if status == 200:
            with self._lock:
                self._reset_codes.pop(user, None)
        return status, headers, payload

    # -- revoking a refresh token -------------------------------------------------------------------

    def _revoke(self, request: dict[str, Any], moto: Callable[[], Response]) -> Response:  # noqa: ARG002
        client_id, token = str(request.get("ClientId", "")), str(request.get("Token", ""))
        pool = self._pool_object_of_client(client_id)
        if pool is None:
            return _error("ResourceNotFoundException", f"User pool client {client_id} does not exist.")
        if token not in pool.refresh_tokens:
            return _error("UnauthorizedException", "Invalid token")  # never issued by this pool
        issued = pool.refresh_tokens[token]
        if issued is not None:  # None: already revoked (sign-out), which Cognito answers with success too
            issued_to, _, origin_jti = issued
            if issued_to != client_id:
                return _error("UnauthorizedException", "Invalid token")
            pool.refresh_tokens[token] = None  # what moto's own sign-out does: refreshing with it now fails
            for access_token in list(pool.access_tokens):
                claims = jwt.decode(access_token, options={"verify_signature": False})
                if claims.get("origin_jti") == origin_jti:
                    pool.access_tokens.pop(access_token, None)
        return 200, {"Content-Type": "application/x-amz-json-1.1"}, b"{}"

    @staticmethod
    def _pool_object_of_client(client_id: str) -> Any:
        from moto.cognitoidp.models import cognitoidp_backends  # the emulator runs in this process

        for backend in list(cognitoidp_backends[ACCOUNT_ID].values()):
            for pool in list(backend.user_pools.values()):
                if client_id in pool.clients:
                    return pool
        return None

    @classmethod
    def _pool_of_client(cls, client_id: str) -> str:
        pool = cls._pool_object_of_client(client_id)
        return "" if pool is None else str(pool.id)


def _error(code: str, message: str) -> Response:
    body = json.dumps({"__type": code, "message": message}).encode()
    return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body
