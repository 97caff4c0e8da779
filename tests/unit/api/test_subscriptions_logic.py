"""Alert subscriptions: who may subscribe to what, and SNS and the table kept in step through
failures and repeats. SNS and the table are in-memory stand-ins that behave as real SNS does
(pending email subscriptions cannot be unsubscribed; see tests/fakes/api.py)."""

from __future__ import annotations

from typing import Any

import pytest
from dashboard_api.handlers.responses import answer_to
from dashboard_api.logic.permissions import Caller
from dashboard_api.logic.subscriptions import (
    MATCH_NOTHING,
    Rows,
    Subscriptions,
    Topic,
    checked_endpoint,
    filter_policy,
    parse_public_id,
    public_id,
)
from dashboard_api.models.errors import DomainError, TooManyRequests
from dashboard_api.models.subscriptions import State, SubscriptionRequest
from dashboard_api.models.users import Access
from inventory.models import Alert
from inventory.people import PersonAccess

from tests.fakes.api import FakeAlertsTopic, FakeSubscriptionRows, FakeTexts

pytestmark = pytest.mark.unit

BERLIN = Caller("s-berlin", "berlin-manager", admin=False, stores=frozenset({"Berlin"}))
TWO_STORES = Caller("s-ravi", "ravi", admin=False, stores=frozenset({"Berlin", "Karachi"}))
ADMIN = Caller("s-admin", "head-office", admin=True, stores=frozenset())
ADMIN_WITHOUT_MFA = Caller("s-anna", "anna", admin=False, stores=frozenset(), admin_without_mfa=True)


class World:
    def __init__(self, cap: int = 10, *, sms_enabled: bool = True) -> None:
        self.topic = FakeAlertsTopic()
        self.rows = FakeSubscriptionRows()
        topic: Topic = self.topic  # the stand-ins satisfy the ports logic uses (checked by mypy)
        rows: Rows = self.rows
        ids = iter(f"{n:032x}" for n in range(1, 1000))
        self.texts = FakeTexts()
        self.now = 1_800_000_000.0
        self.codes_left = 100
        self.subscriptions = Subscriptions(
            topic=topic,
            rows=rows,
            max_per_user=cap,
            sms_enabled=sms_enabled,
            texts=self.texts,
            code_limit=self._take_code,
            now=lambda: self.now,
            clock=lambda: "2026-11-22T03:00:00.000Z",
            new_id=lambda: next(ids),
            mapper=lambda function, values: [function(value) for value in values],
        )

    def _take_code(self, username: str) -> None:
        if not self.codes_left:
            raise TooManyRequests("too many codes from you; try again in 300 s", 300)
        self.codes_left -= 1

    def subscribe(
        self, caller: Caller, endpoint: str = "lea@example.com", *, verify: bool = True, **fields: Any
    ) -> Any:
        """Subscribe; a phone number is verified with the code texted to it unless ``verify`` is False."""
        request = {"protocol": "email", "endpoint": endpoint, "stores": ["Berlin"], "severities": ["out"], **fields}
        view = self.subscriptions.create(caller, SubscriptionRequest.model_validate(request))
        if view.status != "awaiting_code" or not verify:
            return view
        return self.subscriptions.verify(caller, view.id, self.texts.last_code(view.endpoint))


@pytest.fixture
def world() -> World:
    return World()


def refusal(call: Any) -> DomainError:
    with pytest.raises(DomainError) as raised:
        call()
    return raised.value


# -- who may subscribe to what --------------------------------------------------------------


def test_a_manager_subscribes_to_their_store_with_a_filter_policy_of_exactly_that(world: World) -> None:
    view = world.subscribe(BERLIN, severities=["out", "low"])

    assert (view.protocol, view.endpoint, view.stores, view.owner) == (
        "email",
        "lea@example.com",
        ["Berlin"],
        "berlin-manager",
    )
    assert view.severities == ["low", "out"]
    assert view.status == "pending_confirmation"  # email: until the link in SNS's message is followed
    assert world.topic.policies() == [{"store": ["Berlin"], "severities": ["low", "out"]}]


def test_sms_is_refused_with_a_reason_on_a_stage_not_set_up_for_it_and_nothing_is_subscribed() -> None:
    """SNS would take the subscription and then drop every text: a new account is in the SMS sandbox
    with a $1 monthly spend limit (the `smsEnabled` stage parameter says it was set up)."""
    world = World(sms_enabled=False)

    error = refusal(lambda: world.subscribe(BERLIN, "+4915112345678", protocol="sms"))

    assert answer_to(error) == (400, "sms_not_enabled")
    assert "email" in str(error)
    assert world.topic.subscriptions == {}
    assert world.subscribe(BERLIN, "lea@example.com").protocol == "email"


def test_a_store_the_caller_may_not_see_is_403_and_nothing_is_subscribed(world: World) -> None:
    error = refusal(lambda: world.subscribe(BERLIN, stores=["Berlin", "Karachi"]))

    assert answer_to(error) == (403, "forbidden")
    assert world.topic.subscriptions == {}
    assert world.rows.rows == {}


@pytest.mark.parametrize(
    ("protocol", "endpoint"),
    [
        ("https", "https://hooks.example.com/alerts"),
        ("sqs", "arn:aws:sqs:us-east-1:123456789012:alerts"),
        ("lambda", "arn:aws:lambda:us-east-1:123456789012:function:on-alert"),
    ],
)
def test_system_protocols_are_for_admins_only(world: World, protocol: str, endpoint: str) -> None:
    error = refusal(lambda: world.subscribe(BERLIN, endpoint, protocol=protocol))
    assert answer_to(error) == (403, "forbidden")
    assert "use email or sms" in error.message

    without_mfa = refusal(lambda: world.subscribe(ADMIN_WITHOUT_MFA, endpoint, protocol=protocol, stores=["Karachi"]))
    assert answer_to(without_mfa) == (403, "mfa_required")

    view = world.subscribe(ADMIN, endpoint, protocol=protocol, stores=["Karachi"])
    assert (view.protocol, view.endpoint, view.stores) == (protocol, endpoint, ["Karachi"])


def test_an_admin_without_mfa_is_asked_to_enrol_not_told_the_store_is_foreign(world: World) -> None:
    error = refusal(lambda: world.subscribe(ADMIN_WITHOUT_MFA, stores=["Berlin"]))

    assert answer_to(error) == (403, "mfa_required")
    assert "MFA" in error.message


@pytest.mark.parametrize(
    ("protocol", "endpoint", "subscribed"),
    [
        ("email", " Lea.Bauer@Example.COM ", "Lea.Bauer@example.com"),
        ("sms", "+49 151 1234-5678", "+4915112345678"),
        ("sms", "+1 (212) 555-0100", "+12125550100"),
        ("https", "https://hooks.example.com/alerts?team=ops", "https://hooks.example.com/alerts?team=ops"),
    ],
)
def test_endpoints_are_subscribed_in_their_canonical_form(protocol: str, endpoint: str, subscribed: str) -> None:
    assert checked_endpoint(protocol, endpoint)[0] == subscribed


@pytest.mark.parametrize(
    ("protocol", "endpoint", "reason"),
    [
        ("email", "lea", "not an email address"),
        ("email", "lea@example", "not an email address"),
        ("email", "lea@@example.com", "not an email address"),
        ("email", "lea bauer@example.com", "not an email address"),
        ("email", "lea@example.com\r\nBcc: x@y.z", "control characters"),
        ("email", "x" * 65 + "@example.com", "not an email address"),
        ("sms", "015112345678", "E.164"),
        ("sms", "+0151123456", "E.164"),
        ("sms", "+49151123456789012", "E.164"),
        ("sms", "+49 abc", "E.164"),
        ("https", "http://hooks.example.com/", "not an https URL"),
        ("https", "https://user:secret@hooks.example.com/", "no credentials"),
        ("sqs", "arn:aws:sns:us-east-1:123456789012:alerts", "not the ARN of an SQS queue"),
        ("lambda", "my-function", "not the ARN of an LAMBDA function"),
    ],
)
def test_bad_addresses_are_refused_with_the_reason(world: World, protocol: str, endpoint: str, reason: str) -> None:
    error = refusal(lambda: world.subscribe(ADMIN, endpoint, protocol=protocol, stores=["Berlin"]))

    assert answer_to(error) == (400, "invalid_endpoint")
    assert reason in error.message
    assert world.topic.calls == []


def test_every_severity_the_alerts_service_announces_may_be_chosen(world: World) -> None:
    every = [alert.value for alert in Alert]

    view = world.subscribe(BERLIN, severities=every)

    assert sorted(view.severities) == sorted(every)


def test_more_combinations_than_sns_allows_are_refused_before_sns_is_asked(world: World) -> None:
    stores = [f"Store {n:03d}" for n in range(150 // len(Alert) + 1)]

    error = refusal(lambda: world.subscribe(ADMIN, stores=stores, severities=[a.value for a in Alert]))

    assert answer_to(error) == (400, "too_many_stores")
    assert world.topic.calls == []


def test_the_cap_per_user_is_409_and_subscribes_nothing_more() -> None:
    world = World(cap=2)
    world.subscribe(BERLIN, "a@example.com")
    world.subscribe(BERLIN, "b@example.com")

    error = refusal(lambda: world.subscribe(BERLIN, "c@example.com"))

    assert answer_to(error) == (409, "too_many_subscriptions")
    assert len(world.topic.subscriptions) == 2


# -- one address, one subscription --------------------------------------------------------------


def test_repeating_the_same_request_answers_the_same_subscription(world: World) -> None:
    first = world.subscribe(BERLIN)
    again = world.subscribe(BERLIN)

    assert again.id == first.id
    assert len(world.topic.subscriptions) == 1
    assert world.rows.counts["berlin-manager"] == 1


def test_the_same_address_with_other_settings_is_409_naming_the_existing_subscription(world: World) -> None:
    first = world.subscribe(TWO_STORES)

    error = refusal(lambda: world.subscribe(TWO_STORES, stores=["Karachi"]))

    assert answer_to(error) == (409, "already_subscribed")
    assert first.id in error.message


def test_an_address_someone_else_subscribed_is_409_without_saying_who(world: World) -> None:
    world.subscribe(TWO_STORES, "shared@example.com")

    error = refusal(lambda: world.subscribe(BERLIN, "SHARED@example.com"))

    assert answer_to(error) == (409, "already_subscribed")
    assert "ravi" not in error.message
    assert len(world.topic.subscriptions) == 1


def test_someone_elses_claim_on_an_address_sns_dropped_no_longer_keeps_its_owner_from_it(world: World) -> None:
    world.subscribe(TWO_STORES, "lea@example.com", stores=["Karachi"])  # Ravi asks for Lea's address
    world.topic.subscriptions.clear()  # Lea never confirmed: SNS deleted it after 3 days

    view = world.subscribe(BERLIN, "lea@example.com")

    assert (view.owner, view.stores) == ("berlin-manager", ["Berlin"])
    assert world.subscriptions.page(TWO_STORES).subscriptions == []  # Ravi's stale row went with it
    assert world.rows.counts["ravi"] == 0
    assert [entry["policy"]["store"] for entry in world.topic.subscriptions.values()] == [["Berlin"]]


# -- partial failures and repeats ----------------------------------------------------------------


def test_sns_unavailable_leaves_an_incomplete_subscription_that_the_repeat_completes(world: World) -> None:
    world.topic.fail_subscribe = 1
    error = refusal(lambda: world.subscribe(BERLIN))
    assert answer_to(error).status == 503
    (listed,) = world.subscriptions.page(BERLIN).subscriptions
    assert listed.status == "incomplete"

    view = world.subscribe(BERLIN)

    assert view.id == listed.id
    assert view.status == "pending_confirmation"
    assert len(world.topic.subscriptions) == 1
    assert world.rows.counts["berlin-manager"] == 1


def test_a_lost_answer_from_sns_is_resumed_without_a_second_subscription(world: World) -> None:
    world.topic.lose_answer = 1  # SNS subscribed it, the answer never came back
    assert answer_to(refusal(lambda: world.subscribe(BERLIN))).status == 503

    view = world.subscribe(BERLIN)

    assert len(world.topic.subscriptions) == 1
    (row,) = world.rows.rows.values()
    assert row.state is State.ACTIVE
    assert row.arn in world.topic.subscriptions
    assert view.status == "pending_confirmation"


def test_a_table_failure_after_sns_subscribed_is_finished_by_the_repeat(world: World) -> None:
    world.rows.fail_activate = 1
    assert answer_to(refusal(lambda: world.subscribe(BERLIN))).status == 503
    (arn,) = world.topic.subscriptions

    world.subscribe(BERLIN)

    (row,) = world.rows.rows.values()
    assert (row.state, row.arn) == (State.ACTIVE, arn)


def test_an_address_sns_refuses_is_released_again(world: World) -> None:
    world.topic.refused.add("bounce@example.com")

    error = refusal(lambda: world.subscribe(BERLIN, "bounce@example.com"))

    assert answer_to(error) == (400, "invalid_endpoint")
    assert world.rows.rows == {}
    assert world.rows.claims == {}
    assert world.rows.counts["berlin-manager"] == 0


def test_deleting_an_incomplete_subscription_removes_what_sns_made(world: World) -> None:
    world.topic.lose_answer = 1
    refusal(lambda: world.subscribe(BERLIN, "+4915112345678", protocol="sms"))
    (listed,) = world.subscriptions.page(BERLIN).subscriptions
    assert listed.status == "incomplete"

    assert world.subscriptions.delete(BERLIN, listed.id) is None

    assert world.topic.subscriptions == {}
    assert world.rows.rows == {}
    assert world.rows.counts["berlin-manager"] == 0


# -- unsubscribing --------------------------------------------------------------------------------


def test_a_confirmed_subscription_is_removed_from_sns_and_the_table(world: World) -> None:
    view = world.subscribe(BERLIN, "+4915112345678", protocol="sms")  # SMS needs no confirmation

    assert world.subscriptions.delete(BERLIN, view.id) is None

    assert world.topic.subscriptions == {}
    assert world.rows.rows == {}
    assert world.rows.claims == {}
    assert world.subscribe(BERLIN, "+4915112345678", protocol="sms").status == "confirmed"  # the address is free again


def test_a_pending_subscription_sns_will_not_remove_is_made_to_match_nothing_and_removed_later(world: World) -> None:
    view = world.subscribe(BERLIN)
    (arn,) = world.topic.subscriptions

    left = world.subscriptions.delete(BERLIN, view.id)

    assert left is not None
    assert left.status == "removing"
    assert world.topic.subscriptions[arn]["policy"] == MATCH_NOTHING  # confirming it now brings no alert
    assert answer_to(refusal(lambda: world.subscribe(BERLIN))).code == "already_subscribed"
    world.topic.confirm(arn)  # followed the link anyway: now SNS lets it go
    assert world.subscriptions.delete(BERLIN, view.id) is None
    assert world.topic.subscriptions == {}
    assert world.rows.rows == {}


def test_deleting_someone_elses_subscription_is_404_as_if_it_did_not_exist(world: World) -> None:
    view = world.subscribe(TWO_STORES, "+4915112345678", protocol="sms")

    for caller in (BERLIN, ADMIN_WITHOUT_MFA):
        error = refusal(lambda caller=caller: world.subscriptions.delete(caller, view.id))
        assert answer_to(error) == (404, "not_found")
    assert answer_to(refusal(lambda: world.subscriptions.delete(BERLIN, "made-up"))).status == 404
    assert len(world.topic.subscriptions) == 1

    assert world.subscriptions.delete(ADMIN, view.id) is None
    assert world.topic.subscriptions == {}


def test_public_ids_carry_the_owner_and_refuse_tampering() -> None:
    identifier = public_id("lea@example.com", "0" * 32)

    assert parse_public_id(identifier) == ("lea@example.com", "0" * 32)
    for bad in ("", "x", identifier + "0", identifier.replace(".", "!"), "." + "0" * 32, "%%%." + "0" * 32):
        with pytest.raises(DomainError):
            parse_public_id(bad)


# -- listing ------------------------------------------------------------------------------------


def test_a_user_lists_their_own_with_the_status_and_filter_sns_reports(world: World) -> None:
    mine = world.subscribe(TWO_STORES, "a@example.com", stores=["Berlin", "Karachi"])
    world.subscribe(TWO_STORES, "+4915112345678", protocol="sms")
    world.subscribe(BERLIN, "other@example.com")
    row = world.rows.get("ravi", parse_public_id(mine.id)[1])
    assert row is not None
    assert row.arn is not None
    world.topic.confirm(row.arn)

    listed = world.subscriptions.page(TWO_STORES).subscriptions

    assert [(view.endpoint, view.status) for view in listed] == [
        ("a@example.com", "confirmed"),
        ("+4915112345678", "confirmed"),
    ]


def test_a_subscription_sns_dropped_is_listed_as_expired(world: World) -> None:
    world.subscribe(BERLIN)
    world.topic.subscriptions.clear()  # unconfirmed for 3 days: SNS deleted it

    (view,) = world.subscriptions.page(BERLIN).subscriptions

    assert view.status == "expired"


def test_only_admins_list_everyone_a_page_at_a_time(world: World) -> None:
    for n, caller in enumerate((BERLIN, TWO_STORES, BERLIN)):
        world.subscribe(caller, f"{n}@example.com")

    for caller in (BERLIN, ADMIN_WITHOUT_MFA):
        assert answer_to(refusal(lambda caller=caller: world.subscriptions.page(caller, everyone=True))).status == 403
    assert answer_to(refusal(lambda: world.subscriptions.page(BERLIN, owner="ravi"))).status == 403

    first = world.subscriptions.page(ADMIN, everyone=True, limit=2)
    rest = world.subscriptions.page(ADMIN, everyone=True, limit=2, cursor=first.next_cursor)
    assert len(first.subscriptions) == 2
    assert len(rest.subscriptions) == 1
    assert rest.next_cursor is None
    assert {view.owner for view in first.subscriptions + rest.subscriptions} == {"berlin-manager", "ravi"}
    assert [v.owner for v in world.subscriptions.page(ADMIN, owner="ravi").subscriptions] == ["ravi"]
    assert (
        answer_to(refusal(lambda: world.subscriptions.page(ADMIN, everyone=True, cursor="garbage"))).code
        == "invalid_cursor"
    )


# -- access changes -------------------------------------------------------------------------------


def test_losing_a_store_narrows_the_filter_in_sns_and_removes_subscriptions_left_empty(world: World) -> None:
    both = world.subscribe(TWO_STORES, "both@example.com", stores=["Berlin", "Karachi"])
    world.subscribe(TWO_STORES, "karachi@example.com", stores=["Karachi"])
    for entry in world.topic.subscriptions.values():
        entry["pending"] = False

    cleanup = world.subscriptions.narrow("ravi", Access(admin=False, stores=frozenset({"Berlin"})))

    assert (cleanup.narrowed, cleanup.removed) == (1, 1)
    assert world.topic.policies() == [filter_policy(["Berlin"], ["out"])]
    (row,) = world.rows.of_owner("ravi")
    assert row.stores == ("Berlin",)
    assert public_id("ravi", row.id) == both.id


def test_a_narrowing_that_fails_half_way_leaves_sns_narrower_than_the_table_never_wider(world: World) -> None:
    world.subscribe(TWO_STORES, "+4915112345678", protocol="sms", stores=["Berlin", "Karachi"])
    world.rows.fail_set_stores = 1

    assert (
        answer_to(refusal(lambda: world.subscriptions.narrow("ravi", Access(False, frozenset({"Berlin"}))))).status
        == 503
    )

    assert world.topic.policies() == [filter_policy(["Berlin"], ["out"])]
    (view,) = world.subscriptions.page(TWO_STORES).subscriptions
    assert view.stores == ["Berlin"]  # the listing shows what SNS filters on
    world.subscriptions.narrow("ravi", Access(False, frozenset({"Berlin"})))  # the repeat finishes
    assert world.rows.of_owner("ravi")[0].stores == ("Berlin",)


def test_a_former_admin_loses_subscriptions_with_protocols_for_admins(world: World) -> None:
    world.subscribe(ADMIN, "https://hooks.example.com/a", protocol="https", stores=["Berlin"])
    world.subscribe(ADMIN, "+4915112345678", protocol="sms", stores=["Berlin"])
    for entry in world.topic.subscriptions.values():
        entry["pending"] = False

    cleanup = world.subscriptions.narrow("head-office", Access(admin=False, stores=frozenset({"Berlin"})))

    assert (cleanup.narrowed, cleanup.removed) == (0, 1)
    assert [entry["protocol"] for entry in world.topic.subscriptions.values()] == ["sms"]


def test_a_pending_subscription_sns_will_not_change_is_removed_instead_of_narrowed(world: World) -> None:
    world.topic.refuse_pending_changes = True
    world.subscribe(TWO_STORES, stores=["Berlin", "Karachi"])

    cleanup = world.subscriptions.narrow("ravi", Access(False, frozenset({"Berlin"})))

    assert (cleanup.removed, cleanup.pending) == (0, 1)  # counted as what SNS really did
    (row,) = world.rows.of_owner("ravi")
    assert row.state is State.REMOVING  # SNS drops it within 3 days; retried whenever touched


def test_removing_all_counts_a_subscription_sns_holds_pending_as_pending_not_removed(world: World) -> None:
    world.subscribe(TWO_STORES, "+4915112345678", protocol="sms")  # SMS: active at once
    world.subscribe(TWO_STORES, "lea@example.com")  # email: pending until the link is followed

    cleanup = world.subscriptions.remove_all("ravi")

    assert (cleanup.removed, cleanup.pending) == (1, 1)
    (left,) = world.topic.subscriptions.values()
    assert left["policy"] == MATCH_NOTHING  # confirming it now brings nothing


def test_a_subscription_removed_while_sns_was_asked_is_undone_and_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the owner is disabled (every row removed) between the reservation and SNS's answer
    subscribe = world.topic.subscribe

    def disabled_meanwhile(protocol: str, endpoint: str, policy: dict[str, list[str]]) -> str:
        arn = subscribe(protocol, endpoint, policy)
        for record in world.rows.of_owner("ravi"):
            world.rows.delete(record)
        return arn

    monkeypatch.setattr(world.topic, "subscribe", disabled_meanwhile)

    with pytest.raises(DomainError) as refused:
        world.subscribe(TWO_STORES, "+4915112345678", protocol="sms")

    assert answer_to(refused.value) == (409, "access_changed")
    assert world.topic.subscriptions == {}  # SNS let go of it (an active SMS subscription)
    assert world.rows.of_owner("ravi") == []


def test_removing_all_of_a_disabled_users_subscriptions(world: World) -> None:
    world.subscribe(TWO_STORES, "+4915112345678", protocol="sms")
    world.subscribe(TWO_STORES, "+4915112345679", protocol="sms", stores=["Karachi"])

    cleanup = world.subscriptions.remove_all("ravi")

    assert cleanup.removed == 2
    assert world.topic.subscriptions == {}
    assert world.rows.of_owner("ravi") == []


# -- proving a phone number -------------------------------------------------------------------

NUMBER = "+4915112345678"
MALLORY = Caller("s-mallory", "mallory", admin=False, stores=frozenset({"Berlin"}))


def test_a_phone_number_gets_only_a_code_until_its_owner_enters_it(world: World) -> None:
    view = world.subscribe(BERLIN, NUMBER, protocol="sms", verify=False)

    assert view.status == "awaiting_code"
    assert world.topic.subscriptions == {}  # nothing in SNS: no alert can reach the number
    assert world.rows.claims == {}  # and nobody is kept from the number by asking first
    ((to, text),) = world.texts.sent
    assert to == NUMBER
    assert text.startswith(f"Your inventory alerts code is {world.texts.last_code(NUMBER)}.")

    confirmed = world.subscriptions.verify(BERLIN, view.id, f" {world.texts.last_code(NUMBER)} ")

    assert confirmed.status == "confirmed"
    assert [entry["endpoint"] for entry in world.topic.subscriptions.values()] == [NUMBER]
    assert world.subscriptions.verify(BERLIN, view.id, "000000").status == "confirmed"  # a repeat is harmless


def test_a_wrong_code_says_how_many_tries_are_left_and_five_wrong_tries_end_the_code(world: World) -> None:
    view = world.subscribe(BERLIN, NUMBER, protocol="sms", verify=False)
    right = world.texts.last_code(NUMBER)
    wrong = "000000" if right != "000000" else "111111"

    first = refusal(lambda: world.subscriptions.verify(BERLIN, view.id, wrong))
    for _ in range(4):
        last = refusal(lambda: world.subscriptions.verify(BERLIN, view.id, wrong))
    spent = refusal(lambda: world.subscriptions.verify(BERLIN, view.id, right))

    assert (*answer_to(first), first.message) == (400, "wrong_code", "that is not the code; 4 tries left")
    assert "ask for a new one" in last.message
    assert (answer_to(spent).code, spent.message) == (
        "code_expired",
        "the code has expired or was tried too often; ask for a new one",
    )
    assert world.topic.subscriptions == {}


def test_an_old_code_expires_a_new_one_works_and_codes_are_not_texted_more_than_once_a_minute(world: World) -> None:
    view = world.subscribe(BERLIN, NUMBER, protocol="sms", verify=False)
    old = world.texts.last_code(NUMBER)

    too_soon = refusal(lambda: world.subscriptions.resend(BERLIN, view.id))
    world.now += 11 * 60
    expired = refusal(lambda: world.subscriptions.verify(BERLIN, view.id, old))
    world.subscriptions.resend(BERLIN, view.id)
    new = world.texts.last_code(NUMBER)

    assert answer_to(too_soon) == (429, "too_many_requests")
    assert answer_to(expired).code == "code_expired"
    assert len(world.texts.sent) == 2
    assert world.subscriptions.verify(BERLIN, view.id, new).status == "confirmed"


def test_someone_elses_claim_on_a_number_does_not_keep_its_owner_from_it_nor_learn_anything(world: World) -> None:
    mallory = world.subscribe(MALLORY, NUMBER, protocol="sms", verify=False)  # asks first; cannot read the code

    owner = world.subscribe(BERLIN, NUMBER, protocol="sms")  # the owner enters the code texted to them
    late = refusal(lambda: world.subscriptions.verify(MALLORY, mallory.id, world.texts.last_code(NUMBER)))

    assert owner.status == "confirmed"
    assert answer_to(late).code in {"wrong_code", "already_subscribed"}  # her code was texted to the owner, not her
    assert "berlin-manager" not in late.message


def test_the_owner_of_a_number_someone_else_verified_first_hears_nothing_about_them(world: World) -> None:
    ravi = world.subscribe(TWO_STORES, NUMBER, protocol="sms")  # a shared shop phone, verified by Ravi
    lea = world.subscribe(BERLIN, NUMBER, protocol="sms", verify=False)

    taken = refusal(lambda: world.subscriptions.verify(BERLIN, lea.id, world.texts.last_code(NUMBER)))

    assert ravi.status == "confirmed"
    assert answer_to(taken) == (409, "already_subscribed")
    assert "ravi" not in taken.message
    assert parse_public_id(ravi.id)[1] not in taken.message


def test_only_the_owner_enters_the_code_and_the_codes_per_user_are_limited(world: World) -> None:
    view = world.subscribe(BERLIN, NUMBER, protocol="sms", verify=False)
    world.codes_left = 0

    others = refusal(lambda: world.subscriptions.verify(ADMIN, view.id, world.texts.last_code(NUMBER)))
    limited = refusal(lambda: world.subscribe(BERLIN, "+4915112345679", protocol="sms", verify=False))

    assert (answer_to(others).status, answer_to(limited).status) == (404, 429)
    assert len(world.texts.sent) == 1
    assert len(world.rows.rows) == 1


def test_a_number_awaiting_its_code_is_deleted_without_asking_sns(world: World) -> None:
    view = world.subscribe(BERLIN, NUMBER, protocol="sms", verify=False)

    assert world.subscriptions.delete(BERLIN, view.id) is None

    assert world.rows.rows == {}
    assert world.rows.counts["berlin-manager"] == 0


# -- the sweep -----------------------------------------------------------------------------------


def enabled(_: str) -> PersonAccess:
    return PersonAccess()


def test_the_sweep_removes_a_subscription_sns_held_pending_once_it_lets_go(world: World) -> None:
    # Given a disable whose email subscription SNS refused to remove (pending confirmation)
    world.subscribe(TWO_STORES, "lea@example.com")
    assert world.subscriptions.remove_all("ravi").pending == 1
    (arn,) = world.topic.subscriptions
    assert world.subscriptions.sweep(enabled).pending == 1  # still pending: kept, matching nothing

    # When the ex-user confirms it after all, the next sweep removes it
    world.topic.confirm(arn)
    swept = world.subscriptions.sweep(enabled)

    assert (swept.removed, swept.pending) == (1, 0)
    assert world.topic.subscriptions == {}
    assert world.rows.of_owner("ravi") == []


def test_the_sweep_removes_every_subscription_of_a_disabled_user(world: World) -> None:
    world.subscribe(TWO_STORES, "+4915112345678", protocol="sms")
    world.subscribe(Caller("s-lea", "lea", admin=False, stores=frozenset({"Berlin"})), "+4915112345679", protocol="sms")

    swept = world.subscriptions.sweep(lambda user: PersonAccess.recorded(enabled=user != "ravi", stores=["Berlin"]))

    assert swept.removed == 1
    assert [entry["endpoint"] for entry in world.topic.subscriptions.values()] == ["+4915112345679"]


def test_the_sweep_removes_an_orphan_the_api_made_and_nothing_else_on_the_topic(world: World) -> None:
    # A subscription this API made whose row is gone, and an operator's own queue on the topic
    orphan = world.topic.subscribe("sms", "+4915112345678", {"store": ["Berlin"], "severities": ["out"]})
    operators = world.topic.subscribe("sqs", "arn:aws:sqs:us-east-1:123456789012:ops", {})
    world.subscribe(TWO_STORES, "+4915112345679", protocol="sms")  # and one that is rightly there

    swept = world.subscriptions.sweep(enabled)

    assert swept.orphans == 1
    assert orphan not in world.topic.subscriptions
    assert operators in world.topic.subscriptions
    assert len(world.topic.subscriptions) == 2


@pytest.mark.parametrize("count", [1, 100, 150])
def test_the_owners_condition_stays_within_dynamodbs_expression_limits(count: int) -> None:
    """DynamoDB refuses an expression over 4 KB or with more than 300 operators and functions (moto does not
    check either): the condition for a subscription of the most stores SNS allows must fit."""
    from dashboard_api.dal.subscriptions import _standing_condition

    stores = tuple(f"Store number {n:03d} of a chain with long names" for n in range(count))
    condition = _standing_condition(stores, 10, issued_at=1_795_316_400, admin=False)["ConditionExpression"]

    assert len(condition.encode()) <= 4096
    operators = sum(
        condition.count(word) for word in (" AND ", " OR ", "contains(", "attribute_", " = ", " < ", " <= ")
    )
    assert operators <= 300
