"""The scheduled sweep against moto's SNS and the People table, through its real handler: subscriptions a
revocation should have ended are removed, and nothing this API did not make is touched."""

from __future__ import annotations

import json

import pytest
from dashboard_api.dal.revocations import RevocationTable
from inventory.people import PersonAccess

from tests.builders import LambdaContext
from tests.integration.api.conftest import ApiWorld
from tests.integration.api.people_world import PEOPLE, PeopleWorld

pytestmark = pytest.mark.integration


def sweep() -> dict[str, int]:
    from dashboard_api.handlers.sweep import handler

    return handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())


@pytest.fixture
def people(api: ApiWorld) -> PeopleWorld:
    api.people.add_user("ravi", stores=("Berlin",))
    return api.people


def subscribe(people: PeopleWorld, address: str) -> None:
    body = {"protocol": "email", "endpoint": address, "stores": ["Berlin"], "severities": ["out"]}
    assert people.call("POST", "/subscriptions", people.claims("ravi", stores=("Berlin",)), body=body).status == 201


def test_the_sweep_removes_the_subscriptions_of_a_user_recorded_as_disabled(people: PeopleWorld) -> None:
    subscribe(people, "ravi@example.com")
    # The disable was recorded, but it failed before the subscriptions were removed
    RevocationTable(people.dynamodb, PEOPLE).record_access("ravi", PersonAccess.recorded(enabled=False))

    assert sweep() == {"removed": 1, "pending": 0, "orphans": 0, "narrowed": 0, "finished": 0}
    assert people.sns_subscriptions() == {}
    assert people.call("GET", "/subscriptions", people.claims("ravi", stores=("Berlin",))).body["subscriptions"] == []


def test_the_sweep_removes_orphans_the_api_made_and_keeps_everything_else(people: PeopleWorld) -> None:
    subscribe(people, "ravi@example.com")  # rightly there
    policy = json.dumps({"store": ["Berlin"], "severities": ["out"]})
    people.sns.subscribe(
        TopicArn=people.topic_arn, Protocol="sms", Endpoint="+4915100000002", Attributes={"FilterPolicy": policy}
    )
    queue = "arn:aws:sqs:us-east-1:123456789012:operators"
    people.sns.subscribe(TopicArn=people.topic_arn, Protocol="sqs", Endpoint=queue)

    assert sweep() == {"removed": 0, "pending": 0, "orphans": 1, "narrowed": 0, "finished": 0}
    assert set(people.sns_subscriptions()) == {"ravi@example.com", queue}
