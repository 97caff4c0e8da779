"""Head office manages people through the admin-only /users routes (moto's Cognito); an admin acts as
one only with TOTP MFA enrolled."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api.conftest import ADMIN, ApiWorld
from tests.integration.api.people_world import PeopleWorld

pytestmark = pytest.mark.integration


@pytest.fixture
def people(lab: ApiWorld) -> PeopleWorld:
    lab.people.add_user("ravi", stores=("Karachi",), email="ravi@example.com")
    lab.people.add_user("otto", admin=True)  # head office without MFA
    return lab.people


def otto(people: PeopleWorld) -> dict[str, Any]:
    return people.claims("otto", admin=True)


def ravi(people: PeopleWorld, **kwargs: Any) -> dict[str, Any]:
    return people.claims("ravi", stores=("Karachi",), **kwargs)


@pytest.mark.parametrize(
    ("method", "path", "route", "body"),
    [
        ("GET", "/users", None, None),
        ("POST", "/users", None, {"username": "kim", "email": "kim@example.com", "stores": ["Berlin"]}),
        ("GET", "/users/ravi", "/users/{username}", None),
        ("PUT", "/users/ravi/access", "/users/{username}/access", {"stores": ["Berlin"]}),
        ("POST", "/users/ravi/disable", "/users/{username}/disable", None),
        ("POST", "/users/ravi/enable", "/users/{username}/enable", None),
        ("POST", "/users/ravi/reset-password", "/users/{username}/reset-password", None),
        ("DELETE", "/users/ravi", "/users/{username}", None),
    ],
)
def test_user_routes_are_for_admins_with_mfa_only(
    people: PeopleWorld, method: str, path: str, route: str | None, body: Any
) -> None:
    manager = people.call(method, path, ravi(people), body=body, route=route)
    no_mfa = people.call(method, path, otto(people), body=body, route=route)

    assert (manager.status, manager.body["error"]["code"]) == (403, "forbidden")
    assert (no_mfa.status, no_mfa.body["error"]["code"]) == (403, "mfa_required")
    assert "MFA" in no_mfa.body["error"]["message"]
    assert people.user("ravi")["Enabled"] is True  # nothing happened


def test_an_admin_without_mfa_sees_no_more_than_their_own_stores(people: PeopleWorld) -> None:
    without = people.call("GET", "/stores", otto(people))
    items = people.call("GET", "/stores/Berlin/items", otto(people), route="/stores/{store}/items")
    enrolled = people.call("GET", "/stores", ADMIN)

    assert without.body == {"stores": []}
    assert (items.status, items.body["error"]["code"]) == (403, "mfa_required")
    assert [store["store"] for store in enrolled.body["stores"]] == ["Berlin", "Karachi"]


def test_admins_list_users_with_access_email_and_mfa_for_admins(people: PeopleWorld) -> None:
    reply = people.call("GET", "/users", ADMIN)

    assert reply.status == 200
    users = {user["username"]: user for user in reply.body["users"]}
    assert set(users) == {"head-office", "ravi", "otto"}
    assert users["ravi"] == {
        "username": "ravi",
        "email": "ravi@example.com",
        "email_verified": True,
        "enabled": True,
        "status": "CONFIRMED",
        "admin": False,
        "stores": ["Karachi"],
        "mfa_enabled": None,
        "created_at": users["ravi"]["created_at"],
    }
    assert (users["otto"]["admin"], users["otto"]["mfa_enabled"]) == (True, False)
    assert users["head-office"]["mfa_enabled"] is True
    assert reply.body["next_cursor"] is None


def test_users_are_listed_a_page_at_a_time(people: PeopleWorld) -> None:
    first = people.call("GET", "/users", ADMIN, query={"limit": "2"})
    rest = people.call("GET", "/users", ADMIN, query={"limit": "2", "cursor": first.body["next_cursor"]})

    names = [user["username"] for user in first.body["users"] + rest.body["users"]]
    assert len(first.body["users"]) == 2
    assert sorted(names) == ["head-office", "otto", "ravi"]


def test_creating_a_user_answers_a_temporary_password_that_signs_in(people: PeopleWorld) -> None:
    body = {"username": "kim", "email": "kim@example.com", "stores": ["Berlin", "Karachi"]}

    reply = people.call("POST", "/users", ADMIN, body=body)

    assert reply.status == 201
    assert reply.body["user"]["stores"] == ["Berlin", "Karachi"]
    assert reply.body["user"]["status"] == "FORCE_CHANGE_PASSWORD"
    assert people.sign_in("kim", reply.body["temporary_password"])["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    again = people.call("POST", "/users", ADMIN, body=body)
    assert (again.status, again.body["error"]["code"]) == (409, "user_exists")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"username": "kim", "email": "kim@", "stores": ["Berlin"]}, "invalid_email"),
        ({"username": "k m", "email": "kim@example.com", "stores": ["Berlin"]}, "invalid_username"),
        ({"username": "kim", "email": "kim@example.com", "stores": []}, "no_access"),
        ({"username": "kim", "email": "kim@example.com", "stores": ["*"]}, "invalid_name"),
        ({"username": "kim", "email": "kim@example.com", "stores": ["Berlin", " * "]}, "invalid_name"),
    ],
)
def test_a_bad_new_user_is_refused_with_the_reason(people: PeopleWorld, body: dict[str, Any], code: str) -> None:
    reply = people.call("POST", "/users", ADMIN, body=body)

    assert (reply.status, reply.body["error"]["code"]) == (400, code)


def test_head_office_is_a_role_never_a_store_name(people: PeopleWorld) -> None:
    reply = people.call(
        "PUT", "/users/ravi/access", ADMIN, body={"stores": ["Karachi", "*"]}, route="/users/{username}/access"
    )

    assert (reply.status, reply.body["error"]["code"]) == (400, "invalid_name")
    assert "head office is a role" in reply.body["error"]["message"]
    assert people.call("GET", "/users/ravi", ADMIN, route="/users/{username}").body["user"]["stores"] == ["Karachi"]


def test_an_admin_cannot_lock_themselves_out(people: PeopleWorld) -> None:
    for method, path, route, body in (
        ("PUT", "/users/head-office/access", "/users/{username}/access", {"stores": ["Berlin"]}),
        ("POST", "/users/Head-Office/disable", "/users/{username}/disable", None),
        ("DELETE", "/users/head-office", "/users/{username}", None),
    ):
        reply = people.call(method, path, ADMIN, body=body, route=route)
        assert (reply.status, reply.body["error"]["code"]) == (400, "own_account")


@pytest.mark.usefixtures("fresh_sessions")
def test_disable_then_enable(people: PeopleWorld) -> None:
    token = ravi(people, issued_at=1)

    disabled = people.call("POST", "/users/ravi/disable", ADMIN, route="/users/{username}/disable")
    refused = people.call("GET", "/stores", token)
    enabled = people.call("POST", "/users/ravi/enable", ADMIN, route="/users/{username}/enable")

    assert disabled.body["user"]["enabled"] is False
    assert disabled.body["signed_out"] is True
    assert (refused.status, refused.body["error"]["code"]) == (401, "session_revoked")
    assert enabled.body["user"]["enabled"] is True
    assert "AuthenticationResult" in people.sign_in("ravi")


def test_reset_password_by_email_or_with_a_temporary_password(people: PeopleWorld) -> None:
    route = "/users/{username}/reset-password"

    by_email = people.call("POST", "/users/ravi/reset-password", ADMIN, route=route)
    temporary = people.call("POST", "/users/ravi/reset-password", ADMIN, body={"temporary_password": True}, route=route)

    assert by_email.body == {"username": "ravi", "delivery": "email", "temporary_password": None}
    assert temporary.body["delivery"] == "temporary_password"
    assert people.sign_in("ravi", temporary.body["temporary_password"])["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


@pytest.mark.usefixtures("fresh_sessions")
def test_deleting_a_user_ends_their_sessions_and_a_second_delete_is_404(people: PeopleWorld) -> None:
    token = ravi(people, issued_at=1)

    reply = people.call("DELETE", "/users/ravi", ADMIN, route="/users/{username}")

    assert reply.status == 200
    assert reply.body == {"username": "ravi", "signed_out": True, "subscriptions": {"narrowed": 0, "removed": 0}}
    assert people.call("GET", "/stores", token).status == 401
    assert people.call("GET", "/users/ravi", ADMIN, route="/users/{username}").status == 404
    assert people.call("DELETE", "/users/ravi", ADMIN, route="/users/{username}").status == 404


def test_a_username_with_reserved_characters_round_trips(people: PeopleWorld) -> None:
    people.add_user("lea+ops@example.com", stores=("Berlin",))

    reply = people.call("GET", "/users/lea%2Bops%40example.com", ADMIN, route="/users/{username}")

    assert reply.status == 200
    assert reply.body["user"]["username"] == "lea+ops@example.com"
