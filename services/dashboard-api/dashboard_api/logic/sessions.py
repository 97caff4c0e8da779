"""What the API checks about a verified token beyond the authorizer: is it still good, and is an
admin really acting as one.

- **Revoked tokens.** Changing a user's access, disabling or deleting them signs them out
  everywhere (refresh tokens die) and records ``RevokedBefore``; ID tokens issued before that
  time are refused (:class:`NotSignedIn`, ``session_revoked``) although the JWT authorizer still accepts them.
  Looked up per user and kept a few seconds in the function's memory.
- **MFA for admins.** Cognito cannot require MFA for one group only, so the API treats a member
  of the admin group as an admin only while their account has TOTP MFA enabled. Without it the
  caller keeps their own stores (if any) and admin-only routes refuse them (``mfa_required``).
  Looked up (AdminGetUser) for admin-group callers only; non-admins cost nothing here.
- **Signed-out sessions.** The user's own sign-out records the session (the token's ``origin_jti``,
  which every token minted from the same refresh token shares); its tokens are refused, other
  sessions of the user go on.
- **MFA per session.** Enrolment (``People.mfa_enrolled``) records ``MfaEnrolledAt``; from then on
  an admin needs a token whose sign-in (``auth_time``, which a refresh keeps) is at or after it. A
  refresh token from a password-only sign-in before enrolment mints tokens that are no admin's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Generic, Protocol, TypeVar

from dashboard_api.logic.permissions import Caller
from dashboard_api.models.access import SessionLimits
from dashboard_api.models.errors import NotSignedIn, Unknown

V = TypeVar("V")

#: How long a user's revocation time is trusted before it is read again.
REVOCATION_TTL_SECONDS = 5.0
#: How long an admin's confirmed MFA enrolment is trusted; a missing one is re-read sooner, so an
#: admin who has just enrolled is not kept waiting.
MFA_TTL_SECONDS = 60.0
MFA_MISSING_TTL_SECONDS = 5.0
#: Entries kept per cache before it starts over (one execution environment serves few users).
MAX_CACHED_USERS = 10_000


class RevocationSource(Protocol):
    def limits(self, username: str) -> SessionLimits: ...


class MfaSource(Protocol):
    def mfa_enabled(self, username: str) -> bool: ...


class TtlCache(Generic[V]):
    """A small per-process cache of per-user answers, each kept for its own time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_CACHED_USERS) -> None:
        self._clock = clock
        self._max = max_entries
        self._entries: dict[str, tuple[float, V]] = {}

    def get(self, key: str, load: Callable[[], V], ttl: Callable[[V], float]) -> V:
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = load()
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (now + ttl(value), value)
        return value

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)


class AccessGate:
    def __init__(
        self,
        revocations: RevocationSource,
        users: MfaSource,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._revocations = revocations
        self._users = users
        self._limits: TtlCache[SessionLimits] = TtlCache(clock)
        self._mfa: TtlCache[bool] = TtlCache(clock)

    def admit(self, caller: Caller) -> Caller:
        """The caller as the API treats them; :class:`NotSignedIn` for a token issued before their access changed."""
        limits = self._limits.get(
            caller.username, lambda: self._revocations.limits(caller.username), lambda _: REVOCATION_TTL_SECONDS
        )
        revoked = limits.revoked_before
        if revoked is not None and (caller.issued_at is None or caller.issued_at < revoked):
            raise NotSignedIn("your access changed or your sessions were ended: sign in again", "session_revoked")
        if caller.session is not None and caller.session in limits.ended_sessions:
            raise NotSignedIn("you signed out of this session: sign in again", "session_revoked")
        if caller.admin and not self._mfa_enabled(caller.username):
            return replace(caller, admin=False, admin_without_mfa=True)
        enrolled = limits.mfa_enrolled_at
        if caller.admin and enrolled is not None and (caller.signed_in_at is None or caller.signed_in_at < enrolled):
            # Signed in before MFA was set up (a refresh keeps auth_time): no admin rights.
            return replace(caller, admin=False, admin_without_mfa=True)
        return caller

    def forget(self, username: str) -> None:
        """Read the user's limits and MFA afresh next time (this environment ended their sessions)."""
        self._limits.forget(username)
        self._mfa.forget(username)

    def _mfa_enabled(self, username: str) -> bool:
        def load() -> bool:
            try:
                return self._users.mfa_enabled(username)
            except Unknown:
                # Deleted since the token was issued (and before the revocation was recorded).
                raise NotSignedIn("your account no longer exists", "session_revoked") from None

        return self._mfa.get(username, load, lambda enabled: MFA_TTL_SECONDS if enabled else MFA_MISSING_TTL_SECONDS)
