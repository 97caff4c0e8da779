"""The HTTP API JWT authorizer, locally: a token the real authorizer refuses is refused here too.

Like API Gateway's JWT authorizer it accepts only RS256 tokens signed by a key of the issuer's JWKS, and checks
``iss`` (exact), ``aud`` against the configured audiences (or ``client_id`` when the token has no ``aud``, as
Cognito access tokens do), ``exp`` (required), ``nbf`` and ``iat``. It checks no groups: the function does.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

#: Clock skew tolerated, in seconds (API Gateway documents none; keep it small).
LEEWAY = 0


class Unauthorized(Exception):
    """The request carries no token, or one the authorizer would refuse."""


class JwtAuthorizer:
    def __init__(self, issuer: str, audiences: list[str], jwks_url: str) -> None:
        self.issuer = issuer
        self.audiences = [audience for audience in audiences if audience]
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600)

    def claims(self, authorization: str | None) -> dict[str, Any]:
        """The verified claims of the ``Authorization`` header's token; raises :class:`Unauthorized`."""
        if not authorization or not authorization.strip():
            raise Unauthorized("no token")
        token = authorization.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "RS256":
                raise Unauthorized(f"algorithm {header.get('alg')!r} is not accepted")
            key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iss"], "verify_aud": False},
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(str(error)) from error
        now = time.time()
        if "iat" in claims and (not isinstance(claims["iat"], int | float) or claims["iat"] > now + LEEWAY):
            raise Unauthorized("token issued in the future")
        audience = claims.get("aud", claims.get("client_id"))
        presented = audience if isinstance(audience, list) else [audience]
        if not self.audiences or not any(value in self.audiences for value in presented):
            raise Unauthorized("audience not accepted")
        return claims


def api_gateway_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as an HTTP API passes them to the function: every value text, arrays as ``[a b]``."""
    result = {}
    for name, value in claims.items():
        if isinstance(value, bool):
            result[name] = str(value).lower()
        elif isinstance(value, list):
            result[name] = "[" + " ".join(str(item) for item in value) + "]"
        else:
            result[name] = str(value)
    return result
