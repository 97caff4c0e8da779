"""Alert subscriptions through the API as API Gateway calls it, against moto's SNS, Cognito and the
People table. Each filter policy is checked on the SNS subscription itself.

moto marks every subscription confirmed at once; real SNS keeps an email (or https) subscription
`pending_confirmation` until the link it sends is followed. The pending path is covered with a
stand-in that behaves as SNS does (tests/unit/api/test_subscriptions_logic.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from inventory.models import Alert

from tests.integration.api.conftest import ADMIN, ApiWorld
from tests.integration.api.people_world import PEOPLE, PeopleWorld

pytestmark = pytest.mark.integration

BERLIN = ("Berlin",)


@pytest.fixture
def people(api: ApiWorld) -> PeopleWorld:
    api.people.add_user("berlin-manager", stores=BERLIN)
    api.people.add_user("ravi", stores=("Berlin", "Karachi"))
    return api.people


def manager(people: PeopleWorld, **kwargs: Any) -> dict[str, Any]:
    return people.claims("berlin-manager", stores=BERLIN, **kwargs)


def ravi(people: PeopleWorld, **kwargs: Any) -> dict[str, Any]:
    return people.claims("ravi", stores=("Berlin", "Karachi"), **kwargs)


def subscribe(people: PeopleWorld, claims: dict[str, Any], **fields: Any) -> Any:
    body = {"protocol": "email", "endpoint": "lea@example.com", "stores": ["Berlin"], "severities": ["out"], **fields}
    return people.call("POST", "/subscriptions", claims, body=body)


def verify(people: PeopleWorld, claims: dict[str, Any], subscription_id: str, code: str) -> Any:
    path = f"/subscriptions/{subscription_id}/verify"
    return people.call("POST", path, claims, body={"code": code}, route="/subscriptions/{subscription_id}/verify")


def test_a_manager_subscribes_to_their_store_and_sns_filters_on_exactly_it(people: PeopleWorld) -> None:
    reply = subscribe(people, manager(people), severities=["out", "low"])

    assert reply.status == 201
    assert reply.body["endpoint"] == "lea@example.com"
    assert (reply.body["owner"], reply.body["stores"], reply.body["severities"]) == (
        "berlin-manager",
        ["Berlin"],
        ["low", "out"],
    )
    assert reply.body["status"] == "confirmed"  # moto confirms at once; SNS: pending_confirmation
    subscription = people.sns_subscriptions()["lea@example.com"]
    assert subscription["Protocol"] == "email"
    assert subscription["FilterPolicy"] == {"store": ["Berlin"], "severities": ["low", "out"]}
    assert subscription["FilterPolicyScope"] == "MessageAttributes"


def test_a_foreign_store_is_403_and_subscribes_nothing(people: PeopleWorld) -> None:
    reply = subscribe(people, manager(people), stores=["Karachi"])

    assert reply.status == 403
    assert reply.body["error"]["code"] == "forbidden"
    assert people.sns_subscriptions() == {}


@pytest.mark.parametrize(
    ("fields", "status", "names"),
    [
        ({"endpoint": "lea@example"}, 400, "not an email address"),
        ({"protocol": "sms", "endpoint": "0151 1234567"}, 400, "E.164"),
        ({"protocol": "sms", "endpoint": "+49 151"}, 400, "E.164"),
        ({"protocol": "http", "endpoint": "http://example.com"}, 422, "protocol"),
        ({"severities": ["bogus"]}, 422, "severities"),
        ({"severities": []}, 422, "severities"),
        ({"stores": []}, 422, "stores"),
        ({"stores": [" "]}, 400, "store is empty"),
        ({"stores": ["*"]}, 400, "is reserved"),  # head office is a role, not a store
    ],
)
def test_bad_requests_are_refused_with_the_reason(
    people: PeopleWorld, fields: dict[str, Any], status: int, names: str
) -> None:
    reply = subscribe(people, manager(people), **fields)

    assert reply.status == status
    assert names in reply.body["error"]["message"] or names in str(reply.body)
    assert people.sns_subscriptions() == {}


def test_every_severity_of_the_shared_enum_is_accepted(people: PeopleWorld) -> None:
    every = [alert.value for alert in Alert]

    reply = subscribe(people, manager(people), protocol="sms", endpoint="+4915112345678", severities=every)
    verify(people, manager(people), reply.body["id"], people.texted_code("+4915112345678"))

    assert reply.status == 201
    assert people.sns_subscriptions()["+4915112345678"]["FilterPolicy"]["severities"] == sorted(every)


@pytest.mark.parametrize(
    ("protocol", "endpoint"),
    [
        ("https", "https://hooks.example.com/inventory"),
        ("sqs", "arn:aws:sqs:us-east-1:123456789012:store-alerts"),
        ("lambda", "arn:aws:lambda:us-east-1:123456789012:function:on-alert"),
    ],
)
def test_system_protocols_are_for_admins_with_mfa(people: PeopleWorld, protocol: str, endpoint: str) -> None:
    people.add_user("otto", admin=True)  # head office, TOTP not enrolled

    refused = subscribe(people, manager(people), protocol=protocol, endpoint=endpoint)
    no_mfa = subscribe(people, people.claims("otto", admin=True), protocol=protocol, endpoint=endpoint)
    accepted = subscribe(people, ADMIN, protocol=protocol, endpoint=endpoint, stores=["Karachi"])

    assert (refused.status, refused.body["error"]["code"]) == (403, "forbidden")
    assert (no_mfa.status, no_mfa.body["error"]["code"]) == (403, "mfa_required")
    assert accepted.status == 201
    assert people.sns_subscriptions()[endpoint]["FilterPolicy"] == {"store": ["Karachi"], "severities": ["out"]}


def test_the_cap_per_user_answers_409(api: ApiWorld, people: PeopleWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard_api.handlers.context import clear_wiring

    monkeypatch.setenv("MAX_SUBSCRIPTIONS_PER_USER", "2")
    clear_wiring()
    for n in range(2):
        assert subscribe(people, manager(people), endpoint=f"{n}@example.com").status == 201

    reply = subscribe(people, manager(people), endpoint="2@example.com")

    assert (reply.status, reply.body["error"]["code"]) == (409, "too_many_subscriptions")
    assert len(people.sns_subscriptions()) == 2


def test_a_stage_without_sms_refuses_sms_subscriptions_with_400(
    api: ApiWorld, people: PeopleWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `smsEnabled` stage parameter (SMS_ENABLED) is off unless the stage says SMS is set up."""
    from dashboard_api.handlers.context import clear_wiring

    monkeypatch.setenv("SMS_ENABLED", "false")
    clear_wiring()

    reply = subscribe(people, manager(people), protocol="sms", endpoint="+4915112345678")

    assert (reply.status, reply.body["error"]["code"]) == (400, "sms_not_enabled")
    assert people.sns_subscriptions() == {}
    assert subscribe(people, manager(people)).status == 201


def test_a_repeated_request_answers_the_same_subscription_and_another_user_cannot_take_the_address(
    people: PeopleWorld,
) -> None:
    first = subscribe(people, manager(people))
    again = subscribe(people, manager(people))
    taken = subscribe(people, ravi(people), endpoint="LEA@example.com")

    assert again.status == 201
    assert again.body["id"] == first.body["id"]
    assert (taken.status, taken.body["error"]["code"]) == (409, "already_subscribed")
    assert list(people.sns_subscriptions()) == ["lea@example.com"]


def test_listing_shows_ones_own_and_admins_may_list_everyones(people: PeopleWorld) -> None:
    subscribe(people, manager(people), endpoint="lea@example.com")
    subscribe(people, ravi(people), endpoint="ravi@example.com", stores=["Karachi"])

    own = people.call("GET", "/subscriptions", manager(people))
    everyone = people.call("GET", "/subscriptions", ADMIN, query={"all": "true"})
    refused = people.call("GET", "/subscriptions", manager(people), query={"all": "true"})
    one_user = people.call("GET", "/subscriptions", ADMIN, query={"username": "ravi"})

    assert [entry["endpoint"] for entry in own.body["subscriptions"]] == ["lea@example.com"]
    assert {entry["owner"] for entry in everyone.body["subscriptions"]} == {"berlin-manager", "ravi"}
    assert (refused.status, refused.body["error"]["code"]) == (403, "forbidden")
    assert [entry["endpoint"] for entry in one_user.body["subscriptions"]] == ["ravi@example.com"]


def test_deleting_anothers_subscription_is_404_the_owners_delete_unsubscribes(people: PeopleWorld) -> None:
    created = subscribe(people, ravi(people), endpoint="ravi@example.com")
    path = f"/subscriptions/{created.body['id']}"
    route = "/subscriptions/{subscription_id}"

    other = people.call("DELETE", path, manager(people), route=route)
    assert (other.status, other.body["error"]["code"]) == (404, "not_found")
    assert "ravi@example.com" in people.sns_subscriptions()

    owner = people.call("DELETE", path, ravi(people), route=route)
    assert owner.status == 204
    assert owner.body is None
    assert people.sns_subscriptions() == {}
    assert people.call("DELETE", path, ravi(people), route=route).status == 404
    assert subscribe(people, manager(people), endpoint="ravi@example.com").status == 201  # the address is free


def test_an_admin_deletes_anyones(people: PeopleWorld) -> None:
    created = subscribe(people, ravi(people), endpoint="ravi@example.com")

    reply = people.call("DELETE", f"/subscriptions/{created.body['id']}", ADMIN)

    assert reply.status == 204
    assert people.sns_subscriptions() == {}


@pytest.mark.usefixtures("fresh_sessions")
def test_an_access_change_narrows_subscriptions_and_revokes_the_old_token(people: PeopleWorld) -> None:
    before = ravi(people, issued_at=1)
    subscribe(people, before, endpoint="both@example.com", stores=["Berlin", "Karachi"])
    subscribe(people, before, endpoint="karachi@example.com", stores=["Karachi"])

    change = people.call(
        "PUT", "/users/ravi/access", ADMIN, body={"stores": ["Berlin"]}, route="/users/{username}/access"
    )

    assert change.status == 200
    assert change.body["subscriptions"] == {"narrowed": 1, "removed": 1, "pending": 0}
    assert change.body["user"]["stores"] == ["Berlin"]
    subscriptions = people.sns_subscriptions()
    assert list(subscriptions) == ["both@example.com"]
    assert subscriptions["both@example.com"]["FilterPolicy"] == {"store": ["Berlin"], "severities": ["out"]}
    stale = people.call("GET", "/subscriptions", before)
    assert (stale.status, stale.body["error"]["code"]) == (401, "session_revoked")
    fresh = people.call("GET", "/subscriptions", people.claims("ravi", stores=BERLIN, issued_at=2**31))
    assert [entry["stores"] for entry in fresh.body["subscriptions"]] == [["Berlin"]]


@pytest.mark.usefixtures("fresh_sessions")
def test_disabling_a_user_removes_every_subscription_and_refuses_their_token(people: PeopleWorld) -> None:
    token = ravi(people, issued_at=1)
    subscribe(people, token, endpoint="ravi@example.com", stores=["Karachi"])
    texted = subscribe(people, token, protocol="sms", endpoint="+4915112345678")
    verify(people, token, texted.body["id"], people.texted_code("+4915112345678"))

    reply = people.call("POST", "/users/ravi/disable", ADMIN, route="/users/{username}/disable")

    assert reply.status == 200
    assert reply.body["subscriptions"] == {"narrowed": 0, "removed": 2, "pending": 0}
    assert reply.body["user"]["enabled"] is False
    assert people.sns_subscriptions() == {}
    assert people.call("GET", "/stores", token).status == 401
    rows = [row for row in people.dynamodb.scan(TableName=PEOPLE)["Items"] if "Tat" not in row]  # not the buckets
    assert [row["SK"]["S"] for row in rows] == ["USER"]  # only the revocation and the count (0) remain
    assert rows[0]["Subscriptions"]["N"] == "0"


NUMBER = "+4915112345678"


def test_a_phone_number_is_texted_a_code_and_subscribed_only_once_it_is_entered(people: PeopleWorld) -> None:
    created = subscribe(people, manager(people), protocol="sms", endpoint="+49 151 1234 5678")

    assert (created.status, created.body["status"]) == (201, "awaiting_code")
    assert people.sns_subscriptions() == {}  # no alert can reach the number yet
    (text,) = people.texts_to(NUMBER)
    assert text == (
        f"Your inventory alerts code is {people.texted_code(NUMBER)}. It expires in 10 minutes. "
        "If you did not ask for stock alerts, ignore this text."
    )
    wrong = verify(
        people, manager(people), created.body["id"], "000000" if people.texted_code(NUMBER) != "000000" else "111111"
    )
    assert (wrong.status, wrong.body["error"]["code"]) == (400, "wrong_code")
    malformed = verify(people, manager(people), created.body["id"], "12345")
    assert (malformed.status, malformed.body["error"]["code"]) == (422, "invalid_parameter")

    confirmed = verify(people, manager(people), created.body["id"], people.texted_code(NUMBER))

    assert (confirmed.status, confirmed.body["status"]) == (200, "confirmed")
    assert people.sns_subscriptions()[NUMBER]["FilterPolicy"] == {"store": ["Berlin"], "severities": ["out"]}


def test_another_users_claim_does_not_block_the_owner_and_a_second_code_waits_a_minute(people: PeopleWorld) -> None:
    squatter = subscribe(people, ravi(people), protocol="sms", endpoint=NUMBER)  # asks first
    squatters_code = people.texted_code(NUMBER)
    owner = subscribe(people, manager(people), protocol="sms", endpoint=NUMBER)
    again = people.call(
        "POST",
        f"/subscriptions/{owner.body['id']}/code",
        manager(people),
        route="/subscriptions/{subscription_id}/code",
    )

    assert owner.status == 201
    assert (again.status, again.body["error"]["code"]) == (429, "too_many_requests")
    assert 1 <= int(again.headers["Retry-After"]) <= 60
    assert verify(people, manager(people), owner.body["id"], people.texted_code(NUMBER)).status == 200
    late = verify(people, ravi(people), squatter.body["id"], squatters_code)  # suppose the owner passed it on
    assert (late.status, late.body["error"]["code"]) == (409, "already_subscribed")
    assert "berlin-manager" not in late.body["error"]["message"]
    assert list(people.sns_subscriptions()) == [NUMBER]


def test_an_address_someone_else_asked_for_is_the_owners_once_sns_no_longer_has_that_subscription(
    people: PeopleWorld,
) -> None:
    squatted = subscribe(people, ravi(people), endpoint="lea@example.com", stores=["Karachi"])
    blocked = subscribe(people, manager(people))
    (arn,) = [
        s["SubscriptionArn"] for s in people.sns.list_subscriptions_by_topic(TopicArn=people.topic_arn)["Subscriptions"]
    ]
    people.sns.unsubscribe(SubscriptionArn=arn)  # as the unsubscribe link in SNS's email does (or 3 days unconfirmed)

    owned = subscribe(people, manager(people))

    assert squatted.status == 201
    assert (blocked.status, blocked.body["error"]["code"]) == (409, "already_subscribed")
    assert "ravi" not in blocked.body["error"]["message"]
    assert (owned.status, owned.body["owner"]) == (201, "berlin-manager")
    assert people.sns_subscriptions()["lea@example.com"]["FilterPolicy"] == {"store": ["Berlin"], "severities": ["out"]}
    assert people.call("GET", "/subscriptions", ravi(people)).body["subscriptions"] == []
