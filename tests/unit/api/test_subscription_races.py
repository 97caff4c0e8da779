"""Subscription races: each interleaving of two requests (or a request and the sweep) that touch one
subscription ends with SNS and the People table reconciled: every SNS subscription the API made is
owned by a row, and none delivers a store its owner may no longer see. SNS and the table are the
in-memory stand-ins of tests/fakes/api.py (pending email subscriptions cannot be unsubscribed, as in
SNS); the racing request runs as the first one's SNS call begins (``topic.before``) or just before
its row is activated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dashboard_api.handlers.responses import answer_to
from dashboard_api.logic.permissions import Caller
from dashboard_api.logic.subscriptions import MATCH_NOTHING, filter_policy, public_id
from dashboard_api.models.errors import DomainError
from dashboard_api.models.subscriptions import State
from dashboard_api.models.users import Access
from inventory.people import PersonAccess

from tests.unit.api.test_subscriptions_logic import BERLIN, TWO_STORES, World

pytestmark = pytest.mark.unit

LEA = Caller("s-lea", "lea", admin=False, stores=frozenset({"Berlin"}))
NUMBER = "+4915112345678"


@pytest.fixture
def world() -> World:
    return World()


def refused(call: Callable[[], Any]) -> DomainError:
    with pytest.raises(DomainError) as raised:
        call()
    return raised.value


def before_activation(world: World, monkeypatch: pytest.MonkeyPatch, race: Callable[[], Any]) -> None:
    """Run ``race`` once, after SNS answered the first request and before its row is activated."""
    activate = world.rows.activate
    pending = [race]

    def late(record: Any, arn: str) -> bool:
        while pending:
            pending.pop()()
        return activate(record, arn)

    monkeypatch.setattr(world.rows, "activate", late)


def delete_own(world: World, caller: Caller) -> Callable[[], Any]:
    def delete() -> Any:
        (record,) = world.rows.of_owner(caller.username)
        return world.subscriptions.delete(caller, public_id(record.owner, record.id))

    return delete


def delivering(world: World, store: str) -> list[str]:
    """The endpoints SNS would send an alert of ``store`` to (confirmed or not)."""
    return [
        entry["endpoint"] for entry in world.topic.subscriptions.values() if store in entry["policy"].get("store", [])
    ]


def owned(world: World) -> bool:
    """Whether every SNS subscription is owned by a row (by ARN, or a half-made row by address)."""
    rows = world.rows.rows.values()
    arns = {row.arn for row in rows if row.arn}
    addresses = {(row.protocol, row.endpoint) for row in rows if row.state is not State.VERIFYING}
    return all(
        arn in arns or (entry["protocol"], entry["endpoint"]) in addresses
        for arn, entry in world.topic.subscriptions.items()
    )


def sweep_with(world: World, access: dict[str, PersonAccess]) -> Any:
    return world.subscriptions.sweep(lambda user: access.get(user, PersonAccess()))


# -- subscribe vs unsubscribe ---------------------------------------------------------------------


def test_a_delete_while_sns_subscribes_leaves_a_removing_row_owning_what_sns_holds_pending(world: World) -> None:
    # Given the owner deletes the subscription while SNS is still being asked to make it
    world.topic.before["Subscribe"] = delete_own(world, BERLIN)

    error = refused(lambda: world.subscribe(BERLIN))

    # Then the delete made what SNS holds match nothing, and the request's refusal by SNS (its
    # filter is no longer the one asked for) did not delete the row that owns it
    assert answer_to(error).status == 409
    (row,) = world.rows.rows.values()
    assert row.state is State.REMOVING
    assert [entry["policy"] for entry in world.topic.subscriptions.values()] == [MATCH_NOTHING]
    assert owned(world)
    # and once the address confirms (or SNS lets go of it), the sweep ends both
    world.topic.confirm(*world.topic.subscriptions)
    assert sweep_with(world, {}).removed == 1
    assert world.topic.subscriptions == {}
    assert world.rows.rows == {}


def test_a_delete_between_sns_subscribing_and_the_activation_is_not_undone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before_activation(world, monkeypatch, delete_own(world, BERLIN))

    error = refused(lambda: world.subscribe(BERLIN))

    # The row stays on its way out (not made active again over the delete), SNS's matches nothing
    assert answer_to(error) == (409, "access_changed")
    (row,) = world.rows.rows.values()
    assert row.state is State.REMOVING
    assert delivering(world, "Berlin") == []
    assert owned(world)


def test_a_delete_of_an_active_subscription_and_its_repeated_request_end_with_nothing(world: World) -> None:
    view = world.subscribe(BERLIN, NUMBER, protocol="sms")
    world.topic.before["Unsubscribe"] = lambda: world.subscribe(BERLIN, NUMBER, protocol="sms")

    assert world.subscriptions.delete(BERLIN, view.id) is None

    assert world.topic.subscriptions == {}
    assert world.rows.rows == {}


# -- subscribe vs losing a store or the user going --------------------------------------------------


def test_losing_the_store_while_sns_subscribes_leaves_nothing_delivering_it(world: World) -> None:
    lose_berlin = lambda: world.subscriptions.narrow("ravi", Access(admin=False, stores=frozenset({"Karachi"})))  # noqa: E731
    world.topic.before["Subscribe"] = lose_berlin

    refused(lambda: world.subscribe(TWO_STORES, stores=["Berlin", "Karachi"]))

    assert delivering(world, "Berlin") == []
    assert owned(world)


def test_losing_the_store_before_the_activation_leaves_nothing_delivering_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before_activation(
        world, monkeypatch, lambda: world.subscriptions.narrow("ravi", Access(admin=False, stores=frozenset()))
    )

    error = refused(lambda: world.subscribe(TWO_STORES, NUMBER, protocol="sms"))

    assert answer_to(error) == (409, "access_changed")
    assert world.topic.subscriptions == {}  # an SMS subscription SNS lets go of at once
    assert world.rows.rows == {}


def test_the_user_removed_while_sns_subscribes_keeps_nothing_delivering(world: World) -> None:
    world.topic.before["Subscribe"] = lambda: world.subscriptions.remove_all("berlin-manager")

    refused(lambda: world.subscribe(BERLIN))

    assert delivering(world, "Berlin") == []
    assert owned(world)
    world.topic.confirm(*world.topic.subscriptions)
    sweep_with(world, {"berlin-manager": PersonAccess.recorded(enabled=False)})
    assert world.topic.subscriptions == {}
    assert world.rows.rows == {}


def test_a_narrowing_that_failed_half_way_is_finished_by_the_sweep(world: World) -> None:
    # Given a subscription to two stores, and an access change whose narrowing SNS refused
    world.subscribe(TWO_STORES, NUMBER, protocol="sms", stores=["Berlin", "Karachi"])
    world.topic.fail_calls = 1
    assert (
        answer_to(refused(lambda: world.subscriptions.narrow("ravi", Access(False, frozenset({"Karachi"}))))).status
        == 503
    )
    assert delivering(world, "Berlin") == [NUMBER]  # still delivering the store the user lost

    swept = sweep_with(world, {"ravi": PersonAccess.recorded(enabled=True, stores=["Karachi"])})

    assert swept.narrowed == 1
    assert delivering(world, "Berlin") == []
    assert delivering(world, "Karachi") == [NUMBER]
    (row,) = world.rows.rows.values()
    assert row.stores == ("Karachi",)


# -- two subscribes ---------------------------------------------------------------------------------


def test_the_same_request_twice_at_once_makes_one_subscription_both_answer(world: World) -> None:
    second: list[Any] = []
    world.topic.before["Subscribe"] = lambda: second.append(world.subscribe(BERLIN))

    first = world.subscribe(BERLIN)

    assert first.id == second[0].id
    assert first.status == second[0].status == "pending_confirmation"
    (row,) = world.rows.rows.values()
    assert row.state is State.ACTIVE
    assert list(world.topic.subscriptions) == [row.arn]


def test_two_users_asking_for_one_address_at_once_leave_it_to_the_first(world: World) -> None:
    second: list[DomainError] = []
    world.topic.before["Subscribe"] = lambda: second.append(refused(lambda: world.subscribe(LEA)))

    world.subscribe(BERLIN)

    assert answer_to(second[0]).status == 409
    (row,) = world.rows.rows.values()
    assert (row.owner, row.state) == ("berlin-manager", State.ACTIVE)
    assert list(world.topic.subscriptions) == [row.arn]


# -- SNS failing after success --------------------------------------------------------------------


def test_a_lost_answer_never_repeated_is_finished_by_the_sweep(world: World) -> None:
    world.topic.lose_answer = 1  # SNS made it; the request answered 503 and was not repeated
    assert answer_to(refused(lambda: world.subscribe(BERLIN, NUMBER, protocol="sms"))).status == 503
    (row,) = world.rows.rows.values()
    assert row.state is State.CREATING

    swept = sweep_with(world, {"berlin-manager": PersonAccess.recorded(enabled=True, stores=["Berlin"])})

    (arn,) = world.topic.subscriptions
    (row,) = world.rows.rows.values()
    assert swept.finished == 1
    assert (row.state, row.arn) == (State.ACTIVE, arn)


def test_the_sweep_does_not_finish_a_half_made_row_with_a_filter_sns_does_not_hold(world: World) -> None:
    world.topic.lose_answer = 1
    refused(lambda: world.subscribe(BERLIN, NUMBER, protocol="sms"))
    (arn,) = world.topic.subscriptions
    world.topic.set_filter(arn, MATCH_NOTHING)

    assert sweep_with(world, {}).finished == 0
    (row,) = world.rows.rows.values()
    assert row.state is State.CREATING  # a repeat or a delete settles it


def test_an_unsubscribe_that_timed_out_after_success_is_finished_by_the_repeat(world: World) -> None:
    view = world.subscribe(BERLIN, NUMBER, protocol="sms")
    (arn,) = world.topic.subscriptions

    def gone_then_fail() -> None:
        del world.topic.subscriptions[arn]
        world.topic.fail_calls = 1

    world.topic.before["Unsubscribe"] = gone_then_fail
    assert answer_to(refused(lambda: world.subscriptions.delete(BERLIN, view.id))).status == 503

    assert world.subscriptions.delete(BERLIN, view.id) is None
    assert world.rows.rows == {}


# -- the sweep during a subscribe -------------------------------------------------------------------


def test_a_sweep_while_a_subscription_is_being_made_leaves_it_alone(world: World) -> None:
    swept: list[Any] = []
    world.topic.before["Subscribe"] = lambda: swept.append(sweep_with(world, {}))

    view = world.subscribe(BERLIN, NUMBER, protocol="sms")

    assert (swept[0].orphans, swept[0].removed, swept[0].finished) == (0, 0, 0)
    assert view.status == "confirmed"
    (row,) = world.rows.rows.values()
    assert list(world.topic.subscriptions) == [row.arn]


def test_a_sweep_does_not_remove_an_orphan_whose_address_was_claimed_after_the_table_was_read(world: World) -> None:
    # Given an orphan the API made (its row is gone) for the address a user subscribes right now
    orphan = world.topic.subscribe("sms", NUMBER, filter_policy(["Berlin"], ["out"]))
    made: list[Any] = []
    # the user's request lands after the sweep read the table, as it checks the orphan is the API's
    world.topic.before["GetSubscriptionAttributes"] = lambda: made.append(
        world.subscribe(BERLIN, NUMBER, protocol="sms")
    )

    swept = sweep_with(world, {})

    assert swept.orphans == 0
    assert made[0].status == "confirmed"
    (row,) = world.rows.rows.values()
    assert row.arn == orphan  # SNS answered the existing subscription: the user's now, and kept
    assert orphan in world.topic.subscriptions


def test_a_number_awaiting_its_code_does_not_shield_an_orphan_on_it(world: World) -> None:
    orphan = world.topic.subscribe("sms", NUMBER, filter_policy(["Berlin"], ["out"]))
    world.subscribe(BERLIN, NUMBER, protocol="sms", verify=False)  # the row claims nothing yet

    assert sweep_with(world, {}).orphans == 1
    assert orphan not in world.topic.subscriptions
