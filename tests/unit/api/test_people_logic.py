"""Head office manages people: the order of each change (account, sessions, subscriptions), and a run
that fails half way finished by running it again. Cognito and SNS are in-memory stand-ins."""

from __future__ import annotations

import pytest
from dashboard_api.handlers.responses import answer_to
from dashboard_api.logic.people import Directory, People, Revoker, refuse_own_account
from dashboard_api.logic.permissions import Caller
from dashboard_api.logic.subscriptions import Subscriptions
from dashboard_api.models.errors import DomainError
from dashboard_api.models.subscriptions import SubscriptionRequest

from tests.fakes.api import FakeAlertsTopic, FakeRevocations, FakeSubscriptionRows, FakeTexts, FakeUserDirectory

pytestmark = pytest.mark.unit

NOW = 1_795_316_400.7
RAVI = Caller("s-ravi", "ravi", admin=False, stores=frozenset({"Berlin", "Karachi"}))


class World:
    def __init__(self) -> None:
        self.directory = FakeUserDirectory()
        self.revocations = FakeRevocations()
        self.topic = FakeAlertsTopic()
        self.rows = FakeSubscriptionRows()
        self.texts = FakeTexts()
        self.subscriptions = Subscriptions(
            topic=self.topic,
            rows=self.rows,
            max_per_user=10,
            sms_enabled=True,
            texts=self.texts,
            code_limit=lambda username: None,
            mapper=lambda f, values: [f(v) for v in values],
        )
        users: Directory = self.directory  # the stand-ins satisfy the ports People uses (checked by mypy)
        revoker: Revoker = self.revocations
        self.people = People(
            users=users,
            subscriptions=self.subscriptions,
            revocations=revoker,
            clock=lambda: NOW,
            password=lambda: "Temporary-Passw0rd!",
            mapper=lambda f, values: [f(v) for v in values],
        )
        self.directory.add("ravi", stores='["Berlin","Karachi"]', email="ravi@example.com")

    def sms(self, number: str, stores: list[str]) -> None:
        request = {"protocol": "sms", "endpoint": number, "stores": stores, "severities": ["out"]}
        created = self.subscriptions.create(RAVI, SubscriptionRequest.model_validate(request))
        self.subscriptions.verify(RAVI, created.id, self.texts.last_code(number))


@pytest.fixture
def world() -> World:
    return World()


def test_an_access_change_is_made_then_sessions_end_then_subscriptions_follow(world: World) -> None:
    world.sms("+4915100000001", ["Berlin", "Karachi"])

    user, cleanup = world.people.set_access("RAVI", stores=["Berlin"], admin=False)

    assert world.directory.events == [("set_access", "ravi"), ("sign_out", "ravi")]
    assert world.revocations.before == {"ravi": int(NOW) + 1}  # the second of the change included
    assert (user.stores_attribute, cleanup.narrowed) == ('["Berlin"]', 1)
    assert world.topic.policies() == [{"store": ["Berlin"], "severities": ["out"]}]


def test_disabling_signs_out_first_and_revokes_after_the_account_is_locked(world: World) -> None:
    world.sms("+4915100000001", ["Berlin"])

    user, cleanup = world.people.disable("ravi")

    assert world.directory.events == [("sign_out", "ravi"), ("disable", "ravi")]
    assert world.revocations.before["ravi"] == int(NOW) + 1
    assert user.enabled is False
    assert cleanup.removed == 1
    assert world.topic.subscriptions == {}


def test_a_disable_that_failed_half_way_is_finished_by_running_it_again(world: World) -> None:
    world.sms("+4915100000001", ["Berlin"])
    world.topic.fail_calls = 1  # SNS throttles the unsubscribe

    with pytest.raises(DomainError) as failed:
        world.people.disable("ravi")
    assert answer_to(failed.value).status == 503
    assert world.revocations.before["ravi"]  # sessions ended before the subscriptions were touched

    _, cleanup = world.people.disable("ravi")  # the user is disabled already: no sign-out refused

    assert cleanup.removed == 1
    assert world.topic.subscriptions == {}


def test_a_delete_that_failed_half_way_is_finished_by_running_it_again(world: World) -> None:
    world.sms("+4915100000001", ["Berlin"])
    world.sms("+4915100000002", ["Karachi"])
    world.topic.fail_calls = 1  # SNS throttles the first unsubscribe

    with pytest.raises(DomainError):
        world.people.delete("ravi")
    assert "ravi" not in world.directory.users  # the account is gone already

    cleanup = world.people.delete("ravi")

    assert cleanup.removed == 2
    assert world.topic.subscriptions == {}
    assert world.rows.of_owner("ravi") == []
    with pytest.raises(DomainError) as again:
        world.people.delete("ravi")
    assert answer_to(again.value).status == 404


def test_a_password_reset_goes_by_email_unless_asked_or_impossible(world: World) -> None:
    assert world.people.reset_password("ravi").delivery == "email"
    assert ("reset_password", "ravi") in world.directory.events

    temporary = world.people.reset_password("ravi", temporary=True)
    assert (temporary.delivery, temporary.temporary_password) == ("temporary_password", "Temporary-Passw0rd!")

    world.directory.add("kim", stores='["Berlin"]', email="kim@example.com", status="FORCE_CHANGE_PASSWORD")
    assert world.people.reset_password("kim").delivery == "temporary_password"  # never signed in
    world.directory.add("otto", stores='["Berlin"]')
    assert world.people.reset_password("otto").delivery == "temporary_password"  # no email


def test_creating_a_user_needs_access_and_a_valid_name_and_email(world: World) -> None:
    user, password = world.people.create("kim", email="Kim@Example.COM", stores=["Berlin"], admin=False)

    assert (user.username, user.email, user.status, password) == (
        "kim",
        "Kim@example.com",
        "FORCE_CHANGE_PASSWORD",
        "Temporary-Passw0rd!",
    )
    for name, email, stores, code in (
        ("x", None, [], "no_access"),
        ("x y", None, ["Berlin"], "invalid_username"),
        ("x", "x@", ["Berlin"], "invalid_email"),
        ("x", None, [""], "invalid_name"),
    ):
        with pytest.raises(DomainError) as refused:
            world.people.create(name, email=email, stores=stores, admin=False)
        assert answer_to(refused.value).code == code


def test_an_admin_may_not_lock_themselves_out() -> None:
    with pytest.raises(DomainError) as refused:
        refuse_own_account("Anna", "anna ", "disable")

    assert answer_to(refused.value) == (400, "own_account")
    refuse_own_account("anna", "ravi", "disable")


def test_a_users_own_sign_out_cuts_off_tokens_before_this_second_and_the_signing_out_token(world: World) -> None:
    world.people.sign_out("ravi", issued_at=int(NOW) - 600)

    assert world.revocations.before["ravi"] == int(NOW)  # a sign-in a moment later stays good
    assert ("sign_out", "ravi") in world.directory.events

    world.people.sign_out("ravi", issued_at=int(NOW))  # a token of this very second
    assert world.revocations.before["ravi"] == int(NOW) + 1


def test_mfa_enrolment_ends_earlier_sessions_and_records_when(world: World) -> None:
    world.directory.add("anna", admin=True, mfa=True)

    world.people.mfa_enrolled("anna", issued_at=int(NOW) - 60)

    assert world.revocations.mfa_enrolled_at["anna"] == world.revocations.before["anna"] == int(NOW)
    assert ("sign_out", "anna") in world.directory.events


def test_reporting_an_enrolment_without_mfa_is_refused_and_changes_nothing(world: World) -> None:
    with pytest.raises(DomainError) as refused:
        world.people.mfa_enrolled("ravi", issued_at=int(NOW))

    assert answer_to(refused.value).code == "mfa_not_enabled"
    assert world.revocations.before == {}
