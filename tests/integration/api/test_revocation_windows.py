"""Revocation has no window: what an execution environment's few seconds of cache still believe about a
user cannot let them subscribe, and a disable answers what SNS really removed. Through the API as API
Gateway calls it, against moto's Cognito, SNS and the People table."""

from __future__ import annotations

import time
from typing import Any

import pytest
from dashboard_api.dal.revocations import RevocationTable
from inventory.people import PersonAccess

from tests.integration.api.conftest import ADMIN, ApiWorld
from tests.integration.api.people_world import PEOPLE, PeopleWorld

pytestmark = pytest.mark.integration


@pytest.fixture
def people(api: ApiWorld) -> PeopleWorld:
    api.people.add_user("ravi", stores=("Berlin", "Karachi"))
    return api.people


def ravi(people: PeopleWorld) -> dict[str, Any]:
    return people.claims("ravi", stores=("Berlin", "Karachi"), issued_at=time.time() - 60)


def subscribe(people: PeopleWorld, claims: dict[str, Any], endpoint: str, stores: list[str]) -> Any:
    body = {"protocol": "email", "endpoint": endpoint, "stores": stores, "severities": ["out"]}
    return people.call("POST", "/subscriptions", claims, body=body)


def test_a_user_disabled_a_moment_ago_cannot_subscribe_though_the_cache_still_admits_them(
    people: PeopleWorld,
) -> None:
    token = ravi(people)
    assert subscribe(people, token, "ravi1@example.com", ["Berlin"]).status == 201  # the gate now trusts ravi 5 s
    assert people.call("POST", "/users/ravi/disable", ADMIN).status == 200

    reply = subscribe(people, token, "ravi2@example.com", ["Berlin"])

    assert (reply.status, reply.body["error"]["code"]) == (401, "session_revoked")
    assert people.sns_subscriptions() == {}  # the first one removed by the disable, the second never made


def test_a_user_who_lost_the_store_a_moment_ago_cannot_subscribe_to_it(people: PeopleWorld) -> None:
    token = ravi(people)
    assert subscribe(people, token, "ravi1@example.com", ["Karachi"]).status == 201
    moved = people.call("PUT", "/users/ravi/access", ADMIN, body={"stores": ["Karachi"]})
    assert moved.status == 200, moved.body

    reply = subscribe(people, token, "ravi2@example.com", ["Berlin"])

    assert reply.status == 401
    assert set(people.sns_subscriptions()) == {"ravi1@example.com"}


def test_the_recorded_access_alone_refuses_a_store_the_user_no_longer_has(people: PeopleWorld) -> None:
    # Access recorded without a revocation (as if the revocation were lost): the condition still holds.
    RevocationTable(people.dynamodb, PEOPLE).record_access(
        "ravi", PersonAccess.recorded(enabled=True, stores=["Karachi"])
    )

    reply = subscribe(people, ravi(people), "ravi2@example.com", ["Berlin"])

    assert (reply.status, reply.body["error"]["code"]) == (403, "forbidden")
    assert people.sns_subscriptions() == {}
    assert subscribe(people, ravi(people), "ravi3@example.com", ["Karachi"]).status == 201


def test_the_disable_answer_counts_what_was_removed(people: PeopleWorld) -> None:
    for address in ("ravi1@example.com", "ravi2@example.com"):
        assert subscribe(people, ravi(people), address, ["Berlin"]).status == 201

    reply = people.call("POST", "/users/ravi/disable", ADMIN)

    assert reply.body["subscriptions"] == {"narrowed": 0, "removed": 2, "pending": 0}
    assert people.sns_subscriptions() == {}
