"""Subscription races on moto, through the real handlers: the conditions on the People table's rows
that keep SNS and the table reconciled, and the sweep finishing what a request left half done.
The racing request runs inside a botocore hook on the handler's own SNS client. moto confirms every
subscription at once and never refuses to unsubscribe; SNS refuses to unsubscribe one pending
confirmation, which a hook stands in for (``InvalidParameter``, as SNS answers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from dashboard_api.dal.revocations import RevocationTable
from dashboard_api.logic.subscriptions import MATCH_NOTHING
from inventory.people import PersonAccess

from tests.builders import LambdaContext
from tests.integration.api.conftest import ApiWorld
from tests.integration.api.people_world import PEOPLE, PeopleWorld

pytestmark = pytest.mark.integration

Hook = Callable[[str, Callable[..., Any]], None]
BODY = {"protocol": "email", "endpoint": "ravi@example.com", "stores": ["Berlin", "Karachi"], "severities": ["out"]}


@pytest.fixture
def people(api: ApiWorld) -> PeopleWorld:
    api.people.add_user("ravi", stores=("Berlin", "Karachi"))
    return api.people


@pytest.fixture
def sns_hook(people: PeopleWorld) -> Iterator[Hook]:
    """Register a botocore hook on the handlers' SNS client, for this test only."""
    from dashboard_api.handlers.context import subscriptions

    client = subscriptions()._topic._client  # type: ignore[attr-defined]
    registered: list[tuple[str, Callable[..., Any]]] = []

    def hook(event: str, handler: Callable[..., Any]) -> None:
        client.meta.events.register(event, handler)
        registered.append((event, handler))

    yield hook
    for event, handler in registered:
        client.meta.events.unregister(event, handler)


def ravi(people: PeopleWorld) -> dict[str, Any]:
    return people.claims("ravi", stores=("Berlin", "Karachi"))


def listed(people: PeopleWorld) -> list[dict[str, Any]]:
    return list(people.call("GET", "/subscriptions", ravi(people)).body["subscriptions"])


def row(people: PeopleWorld) -> dict[str, Any]:
    """Ravi's one subscription row in the People table."""
    (item,) = people.dynamodb.query(
        TableName=PEOPLE,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :sub)",
        ExpressionAttributeValues={":pk": {"S": "USER#ravi"}, ":sub": {"S": "SUB#"}},
        ConsistentRead=True,
    )["Items"]
    return dict(item)


def sweep() -> dict[str, int]:
    from dashboard_api.handlers.sweep import handler

    return handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())


def held_pending(sns_hook: Hook) -> dict[str, bool]:
    """SNS refuses to unsubscribe, as it does a subscription pending confirmation, while ``["on"]``."""
    pending = {"on": True}

    def refuse(**_: Any) -> None:
        if pending["on"]:
            raise ClientError(
                {"Error": {"Code": "InvalidParameter", "Message": "Invalid parameter: pending confirmation"}},
                "Unsubscribe",
            )

    sns_hook("before-call.sns.Unsubscribe", refuse)
    return pending


def delete_once(people: PeopleWorld, replies: list[Any]) -> bool:
    """The owner deletes the subscription being made (once); whether this call did it."""
    if replies:
        return False
    replies.append(None)
    (subscription,) = listed(people)
    replies[0] = people.call("DELETE", f"/subscriptions/{subscription['id']}", ravi(people))
    return True


def test_a_delete_landing_before_the_activation_leaves_the_row_removing_never_active(
    people: PeopleWorld, sns_hook: Hook
) -> None:
    pending = held_pending(sns_hook)
    deleted: list[Any] = []
    sns_hook("after-call.sns.Subscribe", lambda **_: delete_once(people, deleted))

    made = people.call("POST", "/subscriptions", ravi(people), body=BODY)

    assert deleted[0].status == 202  # SNS holds it pending: removing
    assert (made.status, made.body["error"]["code"]) == (409, "access_changed")
    subscriptions = people.sns_subscriptions()
    assert subscriptions["ravi@example.com"]["FilterPolicy"] == MATCH_NOTHING
    item = row(people)
    assert item["State"]["S"] == "removing"  # not made active over the delete
    assert item["SubscriptionArn"]["S"] == subscriptions["ravi@example.com"]["SubscriptionArn"]

    pending["on"] = False  # SNS lets go of it (confirmed, or dropped)
    assert sweep()["removed"] == 1
    assert people.sns_subscriptions() == {}
    assert listed(people) == []


def test_a_refusal_by_sns_after_a_concurrent_delete_keeps_the_row_that_owns_what_sns_holds(
    people: PeopleWorld, sns_hook: Hook
) -> None:
    held_pending(sns_hook)
    deleted: list[Any] = []

    def refused_after_a_delete(**_: Any) -> None:
        if delete_once(people, deleted):  # its own Subscribe (asking SNS for the ARN) passes
            raise ClientError(
                {"Error": {"Code": "InvalidParameter", "Message": "Invalid parameter: Attributes Reason: "
                           "Subscription already exists with different attributes"}},
                "Subscribe",
            )  # fmt: skip

    sns_hook("before-call.sns.Subscribe", refused_after_a_delete)

    made = people.call("POST", "/subscriptions", ravi(people), body=BODY)

    assert made.status == 409
    item = row(people)
    assert item["State"]["S"] == "removing"  # not deleted by the refused request
    assert item["SubscriptionArn"]["S"] == people.sns_subscriptions()["ravi@example.com"]["SubscriptionArn"]


def test_the_sweep_narrows_a_subscription_to_the_stores_the_user_still_has(people: PeopleWorld) -> None:
    assert people.call("POST", "/subscriptions", ravi(people), body=BODY).status == 201
    # Head office took Berlin away; the narrowing failed after the access was recorded
    RevocationTable(people.dynamodb, PEOPLE).record_access(
        "ravi", PersonAccess.recorded(enabled=True, stores=["Karachi"])
    )

    assert sweep() == {"removed": 0, "pending": 0, "orphans": 0, "narrowed": 1, "finished": 0}
    assert people.sns_subscriptions()["ravi@example.com"]["FilterPolicy"]["store"] == ["Karachi"]
    assert [entry["L"] for entry in [row(people)["Stores"]]] == [[{"S": "Karachi"}]]


def test_the_sweep_finishes_a_subscription_whose_answer_from_sns_was_lost(people: PeopleWorld, sns_hook: Hook) -> None:
    lost = {"on": True}

    def timed_out(**_: Any) -> None:
        if lost["on"]:
            lost["on"] = False
            raise ReadTimeoutError(endpoint_url="https://sns.us-east-1.amazonaws.com/")

    sns_hook("after-call.sns.Subscribe", timed_out)  # SNS made it; its answer never came back
    assert people.call("POST", "/subscriptions", ravi(people), body=BODY).status == 503
    assert [entry["status"] for entry in listed(people)] == ["incomplete"]

    assert sweep()["finished"] == 1

    assert [entry["status"] for entry in listed(people)] == ["confirmed"]
    assert row(people)["SubscriptionArn"]["S"] == people.sns_subscriptions()["ravi@example.com"]["SubscriptionArn"]
