"""Head office manages people: the one implementation behind both ``make user`` and the
admin-only ``/users`` routes.

Changing what someone may do bites at once:

- the account is changed in Cognito first (access, disabled, deleted);
- then every session ends: Cognito's global sign-out kills the refresh tokens, and the API
  records ``RevokedBefore`` = now + 1 s so it refuses every ID token issued before, although
  the JWT authorizer would accept them until they expire (the second of margin covers a token
  issued in the same second as the change; a user signing in within that second is asked once
  more);
- last, the user's alert subscriptions are fitted to what they may still see (narrowed or
  removed), or all removed for a disabled or deleted user.

Each step can be repeated: a run that fails half way (:class:`Unavailable`) is finished by running it again.
"""

from __future__ import annotations

import math
import re
import secrets
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, Protocol

from inventory.models import InvalidValue, clean_store
from inventory.people import PersonAccess

from dashboard_api.logic.dashboard import parallel_map
from dashboard_api.logic.permissions import format_stores, parse_stores
from dashboard_api.logic.subscriptions import Subscriptions, checked_endpoint
from dashboard_api.models.errors import InvalidInput, Unknown
from dashboard_api.models.subscriptions import Cleanup
from dashboard_api.models.users import (
    MAX_USERNAME_LENGTH,
    Access,
    PasswordReset,
    UserListing,
    UserRecord,
    UserView,
)

PASSWORD_LENGTH = 20
#: How long a signed-out session is remembered: longer than its refresh token can mint ID tokens
#: (RefreshTokenValidity) should the dashboard's RevokeToken not have reached Cognito.
ENDED_SESSION_SECONDS = 24 * 3600
#: Account states in which Cognito's AdminResetUserPassword works (it refuses FORCE_CHANGE_PASSWORD).
RESETTABLE_BY_EMAIL = frozenset({"CONFIRMED", "RESET_REQUIRED"})
_USERNAME = re.compile(r"^[\w.@+=,\-]+$")


class Directory(Protocol):
    def get(self, username: str) -> UserRecord: ...
    def mfa_enabled(self, username: str) -> bool: ...
    def page(self, limit: int, token: str | None) -> UserListing: ...
    def create(
        self, username: str, temporary_password: str, stores_attribute: str, admin: bool, email: str | None = None
    ) -> None: ...
    def set_access(self, username: str, stores_attribute: str, admin: bool) -> None: ...
    def disable(self, username: str) -> None: ...
    def enable(self, username: str) -> None: ...
    def delete(self, username: str) -> None: ...
    def sign_out_everywhere(self, username: str) -> None: ...
    def reset_password(self, username: str) -> None: ...
    def set_temporary_password(self, username: str, password: str) -> None: ...


class Revoker(Protocol):
    def revoke(self, username: str, before: int) -> None: ...
    def record_access(self, username: str, access: PersonAccess) -> None: ...
    def record_mfa_enrolment(self, username: str, at: int) -> None: ...
    def end_session(self, username: str, session: str, *, until: int, now: int) -> None: ...


def temporary_password(length: int = PASSWORD_LENGTH) -> str:
    """A random password that meets the pool's policy (upper, lower, digit, symbol; 12+ characters)."""
    symbols = "!#$%&*+-=?@^_"
    classes = [string.ascii_uppercase, string.ascii_lowercase, string.digits, symbols]
    alphabet = "".join(classes)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(char in group for char in password) for group in classes):
            return password


def checked_username(value: str) -> str:
    """A username as the command and API accept it for a new user (letters, digits, ``._@+=,-``)."""
    name = value.strip()
    if not name or len(name) > MAX_USERNAME_LENGTH or not _USERNAME.match(name):
        raise InvalidInput(
            f"a username is 1 to {MAX_USERNAME_LENGTH} letters, digits or . _ @ + = , - (no spaces)", "invalid_username"
        )
    return name


def checked_email(value: str) -> str:
    """An email address as subscriptions check it, refused as ``invalid_email``."""
    try:
        return checked_endpoint("email", value)[0]
    except InvalidInput as error:
        raise InvalidInput(error.message, "invalid_email") from None


def checked_stores(names: Iterable[str]) -> list[str]:
    stores = []
    for name in names:
        try:
            stores.append(clean_store(name))
        except InvalidValue as error:
            raise InvalidInput(str(error), "invalid_name") from None
    return sorted(set(stores))


def stores_attribute(stores: list[str]) -> str:
    try:
        return format_stores(stores)
    except ValueError as error:
        raise InvalidInput(str(error), "too_many_stores") from None


def user_view(record: UserRecord) -> UserView:
    # Every field as the record has it, but the stores, which the view holds parsed.
    return UserView.model_validate(
        {
            **{name: getattr(record, name) for name in UserView.model_fields if name != "stores"},
            "stores": parse_stores(record.stores_attribute),
        }
    )


class People:
    def __init__(
        self,
        *,
        users: Directory,
        subscriptions: Subscriptions,
        revocations: Revoker,
        clock: Callable[[], float] = time.time,
        password: Callable[[], str] = temporary_password,
        mapper: Callable[[Callable[[Any], Any], Iterable[Any]], list[Any]] = parallel_map,
    ) -> None:
        self._users = users
        self._subscriptions = subscriptions
        self._revocations = revocations
        self._clock = clock
        self._password = password
        self._map = mapper

    # -- reading --------------------------------------------------------------------------------

    def page(self, limit: int, cursor: str | None) -> tuple[list[UserRecord], str | None]:
        """A page of users; admins' MFA enrolment is looked up (they are few), others' is not."""
        listing = self._users.page(limit, cursor)

        def with_mfa(record: UserRecord) -> UserRecord:
            if not record.admin:
                return record
            try:
                enabled = self._users.mfa_enabled(record.username)
            except Unknown:
                return record  # deleted meanwhile
            return replace(record, mfa_enabled=enabled)

        return list(self._map(with_mfa, listing.users)), listing.next_token

    def get(self, username: str) -> UserRecord:
        return self._users.get(username)

    # -- changing -------------------------------------------------------------------------------

    def create(
        self, username: str, *, email: str | None, stores: list[str], admin: bool, password: str | None = None
    ) -> tuple[UserRecord, str]:
        """A new user with a temporary password (returned once) they replace at first sign-in."""
        name = checked_username(username)
        address = checked_email(email) if email else None
        names = checked_stores(stores)
        if not names and not admin:
            raise InvalidInput("give the user at least one store, or make them an admin", "no_access")
        secret = password or self._password()
        self._users.create(name, secret, stores_attribute(names) if names else "", admin, address)
        self._revocations.record_access(name, PersonAccess.recorded(enabled=True, admin=admin, stores=names))
        return self._users.get(name), secret

    def set_access(self, username: str, *, stores: list[str], admin: bool) -> tuple[UserRecord, Cleanup]:
        """Replace a user's stores and admin membership; their sessions end and their subscriptions follow."""
        names = checked_stores(stores)
        if not names and not admin:
            raise InvalidInput("give the user at least one store, or make them an admin", "no_access")
        record = self._users.get(username)
        self._users.set_access(record.username, stores_attribute(names), admin)
        access = PersonAccess.recorded(enabled=record.enabled, admin=admin, stores=names)
        self._revocations.record_access(record.username, access)
        self._end_sessions(record)
        cleanup = self._subscriptions.narrow(record.username, Access(admin=admin, stores=frozenset(names)))
        return self._users.get(record.username), cleanup

    def disable(self, username: str) -> tuple[UserRecord, Cleanup]:
        """Lock a user out: sessions end and every subscription of theirs is removed."""
        record = self._users.get(username)
        # Recorded first: ingest and new subscriptions refuse the user from this moment on.
        self._revocations.record_access(record.username, _access(record, enabled=False))
        if record.enabled:
            self._users.sign_out_everywhere(record.username)
        self._users.disable(record.username)
        self._revoke(record.username)  # after the disable: no token can be issued after this time
        cleanup = self._subscriptions.remove_all(record.username)
        return self._users.get(record.username), cleanup

    def enable(self, username: str) -> UserRecord:
        """Let a disabled user sign in again (their subscriptions are not restored)."""
        record = self._users.get(username)
        self._users.enable(record.username)
        self._revocations.record_access(record.username, _access(record, enabled=True))
        return self._users.get(record.username)

    def delete(self, username: str) -> Cleanup:
        """Delete a user; sessions end and their subscriptions go. Repeating it finishes a failed run."""
        try:
            record: UserRecord | None = self._users.get(username)
        except Unknown:
            record = None
        name = record.username if record else username
        if record is not None:
            self._revocations.record_access(name, PersonAccess.recorded(enabled=False))
            if record.enabled:
                self._users.sign_out_everywhere(name)
            self._users.delete(name)
        self._revoke(name)
        cleanup = self._subscriptions.remove_all(name)
        if record is None and cleanup.removed == cleanup.pending == 0:
            raise Unknown(f"no such user: {username}")
        return cleanup

    def reset_password(self, username: str, *, temporary: bool = False) -> PasswordReset:
        """A reset code by email (Cognito sends it to the verified address), or a new temporary
        password when asked, when the user has no verified email, or has never signed in (their
        first temporary password may have expired). Sessions end either way."""
        record = self._users.get(username)
        # Cognito resets (by email) only accounts that have signed in; one still on its first
        # temporary password gets a new temporary password instead.
        by_email = (
            not temporary
            and record.email is not None
            and record.email_verified
            and record.status in RESETTABLE_BY_EMAIL
        )
        if record.enabled:
            self._users.sign_out_everywhere(record.username)
        if by_email:
            self._users.reset_password(record.username)
            result = PasswordReset(delivery="email")
        else:
            secret = self._password()
            self._users.set_temporary_password(record.username, secret)
            result = PasswordReset(delivery="temporary_password", temporary_password=secret)
        self._revoke(record.username)
        return result

    # -- the caller's own sessions ----------------------------------------------------------------

    def end_session(self, username: str, session: str) -> None:
        """The user signs out of one session (a sign-in and the tokens its refresh token mints: their
        ``origin_jti``): the API refuses its tokens from now on; other sessions of the user go on. The
        record is kept as long as such a token could live (the dashboard revokes the refresh token too)."""
        now = math.floor(self._clock())
        self._revocations.end_session(username, session, until=now + ENDED_SESSION_SECONDS, now=now)

    def sign_out(self, username: str, issued_at: int | None) -> None:
        """The user's own sign-out: Cognito revokes every refresh token of theirs, and the API refuses
        every token issued before now (the JWT authorizer would accept them until they expire), the
        signing-out token (issued at ``issued_at``) included."""
        self._users.sign_out_everywhere(username)
        self._revocations.revoke(username, self._own_cut(issued_at))

    def mfa_enrolled(self, username: str, issued_at: int | None) -> None:
        """The user has just set up TOTP MFA: every earlier session ends (a password-only sign-in, a
        phished or temporary password, must not outlive it) and admin rights need a sign-in from now."""
        if not self._users.mfa_enabled(username):
            raise InvalidInput("two-step sign-in (TOTP) is not turned on for your account yet", "mfa_not_enabled")
        self._users.sign_out_everywhere(username)
        cut = self._own_cut(issued_at)
        self._revocations.record_mfa_enrolment(username, cut)
        self._revocations.revoke(username, cut)

    def _own_cut(self, issued_at: int | None) -> int:
        """Where the user's own request cuts their tokens off: this second (a sign-in a moment later, in
        the same second, stays good: the user is asked to sign in again at once), and never before the
        caller's own token. A change by head office cuts one second later (``_revoke``)."""
        now = math.floor(self._clock())
        return now + 1 if issued_at is None else max(now, issued_at + 1)

    def _end_sessions(self, record: UserRecord) -> None:
        if record.enabled:  # a disabled user has no usable refresh token, and Cognito may refuse
            self._users.sign_out_everywhere(record.username)
        self._revoke(record.username)

    def _revoke(self, username: str) -> None:
        self._revocations.revoke(username, math.floor(self._clock()) + 1)


def _access(record: UserRecord, *, enabled: bool) -> PersonAccess:
    return PersonAccess.recorded(enabled=enabled, admin=record.admin, stores=parse_stores(record.stores_attribute))


def refuse_own_account(acting: str, username: str, what: str) -> None:
    """An admin may not lock themselves out through the API (another admin, or the command, can)."""
    if acting.casefold() == username.strip().casefold():
        raise InvalidInput(f"you cannot {what} your own account; ask another admin", "own_account")
