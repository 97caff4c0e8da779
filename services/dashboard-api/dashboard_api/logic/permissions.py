"""Who sees what: admins see every store, anyone else only the stores assigned to them.

The caller is built from the claims the HTTP API's JWT authorizer verified and put at
``requestContext.authorizer.jwt.claims``; nothing else in the request is trusted.

- ``cognito:groups`` containing ``admin`` makes the caller an admin. API Gateway hands
  list claims over as text (``"[admin other]"``); a real list is accepted too.
- ``custom:stores`` lists the stores of a non-admin user. Canonical form: a JSON array
  of names (``["Berlin", "São Paulo"]``), so a name may contain a comma. A plain
  comma-separated list (``Berlin,Paris``) is accepted as well. The attribute is in the
  ID token, not the access token, so the dashboard sends the ID token. Names match
  exactly (case-sensitive), as the Inventory table stores them.
- Only ID tokens are accepted (``token_use`` = ``id``). The JWT authorizer lets an access
  token of the same client through too (it checks ``client_id`` when ``aud`` is absent), but
  an access token carries no ``custom:stores``: served, it would see no store at all. It is
  refused (:class:`NotSignedIn`, ``id_token_required``) with a message that says which token to send.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from inventory.models import InvalidValue, clean_store

from dashboard_api.models.access import ADMIN_GROUP, GROUPS_CLAIM, STORES_CLAIM, TOKEN_USE_CLAIM
from dashboard_api.models.errors import NotAllowed, NotSignedIn

#: The answer to an admin who has not enrolled TOTP MFA.
MFA_REQUIRED = (
    "head office accounts act as admins only with MFA: enrol an authenticator app (TOTP) "
    "from the dashboard's sign-in, then sign in again"
)
#: Cognito custom attributes hold at most 2,048 characters.
MAX_STORES_ATTRIBUTE = 2048


@dataclass(frozen=True, slots=True)
class Caller:
    """The verified user behind a request."""

    subject: str
    username: str
    admin: bool
    stores: frozenset[str]
    issued_at: int | None = None  # the token's `iat` (epoch seconds)
    #: The token's ``auth_time``: when the user signed in (a refreshed token keeps it; ``iat`` moves).
    signed_in_at: int | None = None
    #: The token's ``origin_jti``: one sign-in's session, kept by every token its refresh token mints.
    session: str | None = None
    #: In the admin group but without TOTP MFA: treated as a non-admin until enrolled.
    admin_without_mfa: bool = False

    def may_see(self, store: str) -> bool:
        return self.admin or store in self.stores

    def require(self, store: str) -> None:
        """:class:`NotAllowed` for a store the caller may not see; says nothing about whether it exists."""
        if not self.may_see(store):
            if self.admin_without_mfa:
                raise NotAllowed(MFA_REQUIRED, "mfa_required")
            raise NotAllowed("you do not have access to this store")

    def require_admin(self) -> None:
        """:class:`NotAllowed` unless the caller is head office with MFA enrolled."""
        if self.admin_without_mfa:
            raise NotAllowed(MFA_REQUIRED, "mfa_required")
        if not self.admin:
            raise NotAllowed("only head office (the admin group) may do this")

    def visible(self, stores: Iterable[str]) -> list[str]:
        """The stores among ``stores`` the caller may see, in the given order."""
        return [store for store in stores if self.may_see(store)]


def caller_from_claims(claims: Mapping[str, Any] | None) -> Caller:
    """The caller from verified JWT claims; :class:`NotSignedIn` when there are none (no authorizer ran)."""
    if not claims or not isinstance(claims, Mapping) or not claims.get("sub"):
        raise NotSignedIn("a valid token is required")
    if claims.get(TOKEN_USE_CLAIM) != "id":
        raise NotSignedIn(
            "this API takes the Cognito ID token (`IdToken` of the sign-in result), not the access token: "
            "send `Authorization: Bearer <IdToken>`",
            "id_token_required",
        )
    groups = parse_groups(claims.get(GROUPS_CLAIM))
    return Caller(
        subject=str(claims["sub"]),
        username=str(claims.get("cognito:username") or claims.get("username") or claims["sub"]),
        admin=ADMIN_GROUP in groups,
        stores=frozenset(parse_stores(claims.get(STORES_CLAIM))),
        issued_at=_epoch(claims.get("iat")),
        signed_in_at=_epoch(claims.get("auth_time")),
        session=str(claims.get("origin_jti") or "") or None,
    )


def _epoch(value: Any) -> int | None:
    """A numeric claim (API Gateway passes claims as text); None when absent or malformed."""
    try:
        return int(float(str(value)))
    except (TypeError, ValueError, OverflowError):
        return None


def parse_groups(value: Any) -> set[str]:
    """Group names from the ``cognito:groups`` claim, as a list or as API Gateway's text form."""
    if value is None:
        return set()
    if isinstance(value, list | tuple):
        return {str(group) for group in value}
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except ValueError:
            text = text[1:-1]
        else:
            return {str(group) for group in parsed} if isinstance(parsed, list) else set()
    return {group for group in re.split(r"[\s,]+", text) if group}


def parse_stores(value: Any) -> list[str]:
    """Store names from the ``custom:stores`` attribute (JSON array, or comma-separated text)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        names = [str(name) for name in value]
    else:
        text = str(value).strip()
        if text.startswith(("[", "{")):
            try:
                parsed = json.loads(text)
            except ValueError:
                return []  # malformed: grant nothing rather than guess
            names = [name for name in parsed if isinstance(name, str)] if isinstance(parsed, list) else []
        else:
            names = text.split(",")
    return [name.strip() for name in names if _valid_name(name)]


def _valid_name(name: str) -> bool:
    """A name ingest could have stored; anything else can match no store and is dropped."""
    try:
        clean_store(name)
    except InvalidValue:
        return False
    return True


def format_stores(stores: Iterable[str]) -> str:
    """The ``custom:stores`` attribute value for a list of stores (a compact JSON array)."""
    names = sorted({name.strip() for name in stores if name.strip()})
    value = json.dumps(names, ensure_ascii=False, separators=(",", ":"))
    if len(value) > MAX_STORES_ATTRIBUTE:
        raise ValueError(f"the store list is longer than Cognito's {MAX_STORES_ATTRIBUTE}-character attribute limit")
    return value
