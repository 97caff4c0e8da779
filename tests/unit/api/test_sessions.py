"""Tokens issued before a user's access changed are refused; admins act as admins only with MFA."""

from __future__ import annotations

import pytest
from dashboard_api.handlers.responses import answer_to
from dashboard_api.logic.permissions import Caller
from dashboard_api.logic.sessions import (
    MFA_MISSING_TTL_SECONDS,
    MFA_TTL_SECONDS,
    REVOCATION_TTL_SECONDS,
    AccessGate,
)
from dashboard_api.models.access import SessionLimits
from dashboard_api.models.errors import DomainError, Unknown

pytestmark = pytest.mark.unit

ISSUED = 1_795_316_400


class Revocations:
    def __init__(self) -> None:
        self.before: dict[str, int] = {}
        self.enrolled_at: dict[str, int] = {}
        self.ended: dict[str, set[str]] = {}
        self.reads = 0

    def limits(self, username: str) -> SessionLimits:
        self.reads += 1
        return SessionLimits(
            self.before.get(username), self.enrolled_at.get(username), frozenset(self.ended.get(username, ()))
        )


class Enrolment:
    def __init__(self) -> None:
        self.enrolled: set[str] = set()
        self.deleted: set[str] = set()
        self.reads: list[str] = []

    def mfa_enabled(self, username: str) -> bool:
        self.reads.append(username)
        if username in self.deleted:
            raise Unknown(f"no such user: {username}")
        return username in self.enrolled


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


Parts = tuple[Revocations, Enrolment, Clock, AccessGate]


@pytest.fixture
def parts() -> Parts:
    revocations, enrolment, clock = Revocations(), Enrolment(), Clock()
    return revocations, enrolment, clock, AccessGate(revocations, enrolment, clock=clock)


def manager(issued_at: int | None = ISSUED) -> Caller:
    return Caller("s1", "ravi", admin=False, stores=frozenset({"Karachi"}), issued_at=issued_at)


def admin(issued_at: int = ISSUED, signed_in_at: int | None = None) -> Caller:
    return Caller("s2", "anna", admin=True, stores=frozenset(), issued_at=issued_at, signed_in_at=signed_in_at)


def test_a_token_issued_before_the_users_access_changed_is_refused(parts: Parts) -> None:
    revocations, _, _, gate = parts
    revocations.before["ravi"] = ISSUED + 1

    with pytest.raises(DomainError) as refused:
        gate.admit(manager(ISSUED))

    assert answer_to(refused.value) == (401, "session_revoked")
    assert gate.admit(manager(ISSUED + 1)).username == "ravi"  # signed in again since


def test_a_token_without_an_issue_time_is_refused_once_the_user_was_revoked(parts: Parts) -> None:
    revocations, _, _, gate = parts
    assert gate.admit(manager(None)).username == "ravi"

    revocations.before["ravi"] = 1
    parts[2].now += REVOCATION_TTL_SECONDS + 1
    with pytest.raises(DomainError):
        gate.admit(manager(None))


def test_the_revocation_time_is_read_again_after_a_few_seconds(parts: Parts) -> None:
    revocations, _, clock, gate = parts
    gate.admit(manager())
    gate.admit(manager())
    assert revocations.reads == 1

    revocations.before["ravi"] = ISSUED + 10  # an admin changed ravi's access
    clock.now += REVOCATION_TTL_SECONDS + 0.1

    with pytest.raises(DomainError):
        gate.admit(manager())
    assert revocations.reads == 2


def test_non_admins_cost_no_mfa_lookup(parts: Parts) -> None:
    _, enrolment, _, gate = parts

    assert gate.admit(manager()) == manager()
    assert enrolment.reads == []


def test_an_admin_with_totp_enrolled_is_an_admin(parts: Parts) -> None:
    _, enrolment, clock, gate = parts
    enrolment.enrolled.add("anna")

    caller = gate.admit(admin())

    assert caller.admin
    assert not caller.admin_without_mfa
    caller.require_admin()
    clock.now += MFA_TTL_SECONDS - 1
    gate.admit(admin())
    assert enrolment.reads == ["anna"]  # kept for a minute


def test_an_admin_without_mfa_is_treated_as_a_non_admin_and_told_to_enrol(parts: Parts) -> None:
    _, enrolment, clock, gate = parts

    caller = gate.admit(admin())

    assert not caller.admin
    assert caller.admin_without_mfa
    assert not caller.may_see("Berlin")
    with pytest.raises(DomainError) as refused:
        caller.require_admin()
    assert answer_to(refused.value) == (403, "mfa_required")
    assert "TOTP" in refused.value.message

    enrolment.enrolled.add("anna")  # enrols; noticed within seconds, not a minute
    clock.now += MFA_MISSING_TTL_SECONDS + 0.1
    assert gate.admit(admin()).admin


def test_an_admin_deleted_since_the_token_was_issued_is_refused(parts: Parts) -> None:
    _, enrolment, _, gate = parts
    enrolment.deleted.add("anna")

    with pytest.raises(DomainError) as refused:
        gate.admit(admin())

    assert answer_to(refused.value).status == 401


def test_a_token_of_a_sign_in_before_mfa_was_set_up_is_no_admins_though_refreshed_since(parts: Parts) -> None:
    revocations, enrolment, _, gate = parts
    enrolment.enrolled.add("anna")
    revocations.enrolled_at["anna"] = ISSUED + 100
    # A refresh token of a password-only sign-in before enrolment: iat new, auth_time the old sign-in
    refreshed = admin(issued_at=ISSUED + 500, signed_in_at=ISSUED)

    caller = gate.admit(refreshed)

    assert not caller.admin
    with pytest.raises(DomainError) as refused:
        caller.require_admin()
    assert answer_to(refused.value) == (403, "mfa_required")
    assert gate.admit(admin(issued_at=ISSUED + 500, signed_in_at=ISSUED + 100)).admin  # signed in with MFA
    assert not gate.admit(admin(issued_at=ISSUED + 500, signed_in_at=None)).admin  # no auth_time: no proof


def test_an_admin_whose_enrolment_was_never_recorded_keeps_admin_rights_with_mfa_on(parts: Parts) -> None:
    _, enrolment, _, gate = parts
    enrolment.enrolled.add("anna")

    assert gate.admit(admin(signed_in_at=None)).admin


def test_forgetting_a_user_reads_their_revocation_at_once(parts: Parts) -> None:
    revocations, _, _, gate = parts
    gate.admit(manager())
    revocations.before["ravi"] = ISSUED + 1  # the user signed out through this environment

    gate.forget("ravi")

    with pytest.raises(DomainError):
        gate.admit(manager())


def test_a_signed_out_session_is_refused_and_the_users_other_sessions_go_on(parts: Parts) -> None:
    revocations, _, _, gate = parts
    revocations.ended["ravi"] = {"session-at-the-desk"}
    desk = Caller(
        "s1", "ravi", admin=False, stores=frozenset({"Karachi"}), issued_at=ISSUED + 999, session="session-at-the-desk"
    )
    phone = Caller(
        "s1", "ravi", admin=False, stores=frozenset({"Karachi"}), issued_at=ISSUED, session="session-on-the-phone"
    )

    with pytest.raises(DomainError) as refused:
        gate.admit(desk)  # however new the token: a refresh of that session keeps its origin_jti

    assert answer_to(refused.value) == (401, "session_revoked")
    assert gate.admit(phone).username == "ravi"
