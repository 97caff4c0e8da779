"""How a dashboard user's access is held in Cognito: the admin group and the stores attribute."""

from __future__ import annotations

from dataclasses import dataclass

#: Members of this group (head office) see every store.
ADMIN_GROUP = "admin"
#: The ID token claim listing the caller's groups.
GROUPS_CLAIM = "cognito:groups"
#: The user attribute (and ID token claim) listing a non-admin user's stores, as a JSON array.
STORES_CLAIM = "custom:stores"
#: Which kind of Cognito token: ``id`` or ``access``.
TOKEN_USE_CLAIM = "token_use"  # noqa: S105 - a claim name, not a secret


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """What the People table says about a user's tokens (epoch seconds; None: no limit)."""

    #: Tokens issued (``iat``) before this are void: access changed, sessions ended, signed out.
    revoked_before: int | None = None
    #: TOTP MFA was set up at this time: admin rights need a sign-in (``auth_time``) from then on.
    mfa_enrolled_at: int | None = None
    #: Sessions (the tokens' ``origin_jti``, shared by every token a refresh token mints) signed out.
    ended_sessions: frozenset[str] = frozenset()
