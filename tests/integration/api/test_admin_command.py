"""`make user`: head office manages dashboard users in a user pool defined as serverless.yml defines
it, and access changes end sessions and fit alert subscriptions at once (moto's Cognito and SNS)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.integration.api.people_world import PASSWORD, PEOPLE, PeopleWorld

pytestmark = pytest.mark.integration


@pytest.fixture
def world() -> Iterator[PeopleWorld]:
    """The user pool, the People table and the alerts topic; the API wired to them."""
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        from dashboard_api.handlers.context import clear_wiring

        clear_wiring()
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        yield PeopleWorld.create(monkeypatch, dynamodb)
        clear_wiring()


def run(world: PeopleWorld, *arguments: str) -> int:
    from dashboard_api.admin import main

    where = ["--user-pool-id", world.pool_id, "--people-table", PEOPLE, "--topic-arn", world.topic_arn]
    return main([*where, *arguments])


def _attributes(world: PeopleWorld, username: str) -> dict[str, str]:
    return {entry["Name"]: entry["Value"] for entry in world.user(username)["UserAttributes"]}


def _groups(world: PeopleWorld, username: str) -> list[str]:
    groups = world.cognito.admin_list_groups_for_user(UserPoolId=world.pool_id, Username=username)["Groups"]
    return [group["GroupName"] for group in groups]


def _printed(capsys: pytest.CaptureFixture[str], field: str) -> str:
    out = capsys.readouterr().out
    return next(line.split()[1] for line in out.splitlines() if line.startswith(f"{field}:"))


def _revoked_before(world: PeopleWorld, username: str) -> int | None:
    item = world.dynamodb.get_item(TableName=PEOPLE, Key={"PK": {"S": f"USER#{username}"}, "SK": {"S": "USER"}}).get(
        "Item"
    )
    return int(item["RevokedBefore"]["N"]) if item and "RevokedBefore" in item else None


def _refresh(world: PeopleWorld, token: str) -> dict[str, Any]:
    return dict(
        world.cognito.initiate_auth(
            ClientId=world.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": token}
        )
    )


def _subscribe(world: PeopleWorld, username: str, stores: tuple[str, ...], endpoint: str, subscribed: list[str]) -> int:
    """Subscribe through the API as the user would: the number, then the code texted to it."""
    claims = world.claims(username, stores=stores, issued_at=0)
    reply = world.call(
        "POST",
        "/subscriptions",
        claims,
        body={"protocol": "sms", "endpoint": endpoint, "stores": subscribed, "severities": ["out"]},
    )
    if reply.status != 201:
        return reply.status
    path = f"/subscriptions/{reply.body['id']}/verify"
    code = {"code": world.texted_code(endpoint)}
    verified = world.call("POST", path, claims, body=code, route="/subscriptions/{subscription_id}/verify")
    return 201 if verified.status == 200 else verified.status


# -- create-user ----------------------------------------------------------------------------------


def test_create_user_assigns_stores_and_a_verified_email_and_prints_a_working_password(
    world: PeopleWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run(
        world,
        "create-user",
        "ravi",
        "--store",
        "Karachi",
        "--store",
        "São Paulo, Centro",
        "--email",
        "Ravi@Example.com",
    )

    assert status == 0
    password = _printed(capsys, "password")
    attributes = _attributes(world, "ravi")
    assert json.loads(attributes["custom:stores"]) == ["Karachi", "São Paulo, Centro"]
    assert (attributes["email"], attributes["email_verified"]) == ("Ravi@example.com", "true")
    assert _groups(world, "ravi") == []
    assert world.sign_in("ravi", password)["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_create_admin_adds_the_admin_group_and_warns_that_mfa_is_needed(
    world: PeopleWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(world, "create-user", "anna", "--admin") == 0

    assert _groups(world, "anna") == ["admin"]
    assert "NOT enrolled" in capsys.readouterr().out


def test_list_shows_every_user_their_access_and_admins_without_mfa(
    world: PeopleWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_user("anna", admin=True, mfa=True, email="anna@example.com")
    world.add_user("otto", admin=True)
    world.add_user("ravi", stores=("Karachi", "Lahore"))

    assert run(world, "list") == 0

    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:-1]}
    assert set(lines) == {"anna", "otto", "ravi"}
    assert "admin " in lines["anna"] + " "
    assert "anna@example.com" in lines["anna"]
    assert "no MFA" in lines["otto"]
    assert "Karachi,Lahore" in lines["ravi"]


# -- set-access -----------------------------------------------------------------------------------


def test_set_access_replaces_stores_ends_sessions_and_narrows_subscriptions(
    world: PeopleWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_user("ravi", stores=("Berlin", "Karachi"))
    refresh = world.sign_in("ravi")["AuthenticationResult"]["RefreshToken"]
    assert _subscribe(world, "ravi", ("Berlin", "Karachi"), "+4915100000001", ["Berlin", "Karachi"]) == 201
    assert _subscribe(world, "ravi", ("Berlin", "Karachi"), "+4915100000002", ["Karachi"]) == 201

    assert run(world, "set-access", "ravi", "--store", "Berlin") == 0

    assert json.loads(_attributes(world, "ravi")["custom:stores"]) == ["Berlin"]
    with pytest.raises(ClientError, match="NotAuthorized"):
        _refresh(world, refresh)  # signed out everywhere
    assert _revoked_before(world, "ravi") is not None
    subscriptions = world.sns_subscriptions()
    assert set(subscriptions) == {"+4915100000001"}
    assert subscriptions["+4915100000001"]["FilterPolicy"] == {"store": ["Berlin"], "severities": ["out"]}
    assert "1 subscription(s) narrowed, 1 removed" in capsys.readouterr().out


def test_set_access_can_take_admin_away(world: PeopleWorld) -> None:
    world.add_user("lea", admin=True)

    assert run(world, "set-access", "lea", "--store", "Berlin") == 0

    assert json.loads(_attributes(world, "lea")["custom:stores"]) == ["Berlin"]
    assert _groups(world, "lea") == []


def test_head_office_is_given_as_admin_never_as_a_store_named_star(
    world: PeopleWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_user("ravi", stores=("Berlin",))

    assert run(world, "set-access", "ravi", "--store", "*") == 2  # a usage error, as for any bad argument

    assert "reserved: head office is a role" in capsys.readouterr().err
    assert json.loads(_attributes(world, "ravi")["custom:stores"]) == ["Berlin"]


def test_access_changes_need_the_table_and_the_topic(world: PeopleWorld, capsys: pytest.CaptureFixture[str]) -> None:
    from dashboard_api.admin import main

    world.add_user("ravi", stores=("Berlin",))

    for command in (["set-access", "ravi", "--store", "Karachi"], ["disable", "ravi"], ["delete", "ravi"]):
        assert main(["--user-pool-id", world.pool_id, *command]) == 2
        assert "--people-table" in capsys.readouterr().err
    assert json.loads(_attributes(world, "ravi")["custom:stores"]) == ["Berlin"]  # nothing changed


# -- disable, enable, delete ------------------------------------------------------------------------


def test_disable_locks_the_user_out_and_removes_their_subscriptions_enable_lets_them_back(
    world: PeopleWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_user("ravi", stores=("Berlin",))
    refresh = world.sign_in("ravi")["AuthenticationResult"]["RefreshToken"]
    _subscribe(world, "ravi", ("Berlin",), "+4915100000003", ["Berlin"])

    assert run(world, "disable", "ravi") == 0

    assert world.user("ravi")["Enabled"] is False
    assert world.sns_subscriptions() == {}
    with pytest.raises(ClientError):
        _refresh(world, refresh)
    with pytest.raises(ClientError, match="NotAuthorized"):
        world.sign_in("ravi")
    assert "DISABLED" in capsys.readouterr().out

    assert run(world, "enable", "ravi") == 0
    assert "AuthenticationResult" in world.sign_in("ravi")


def test_delete_removes_the_user_and_their_subscriptions_and_a_repeat_says_so(
    world: PeopleWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_user("ravi", stores=("Berlin",))
    _subscribe(world, "ravi", ("Berlin",), "+4915100000004", ["Berlin"])

    assert run(world, "delete", "ravi") == 0

    with pytest.raises(ClientError, match="UserNotFound"):
        world.user("ravi")
    assert world.sns_subscriptions() == {}
    assert _revoked_before(world, "ravi") is not None  # ID tokens still in circulation are refused
    capsys.readouterr()
    assert run(world, "delete", "ravi") == 1
    assert "no such user: ravi" in capsys.readouterr().err


# -- reset-password -------------------------------------------------------------------------------


def test_reset_password_emails_a_code_to_a_verified_address(
    world: PeopleWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    world.add_user("ravi", stores=("Berlin",), email="ravi@example.com")

    assert run(world, "reset-password", "ravi") == 0

    assert world.user("ravi")["UserStatus"] == "RESET_REQUIRED"
    assert "emailed a code" in capsys.readouterr().out
    # Cognito now answers the old password with PasswordResetRequiredException; moto still accepts it.


@pytest.mark.parametrize("arguments", [["--temporary"], []], ids=["asked", "no verified email"])
def test_reset_password_sets_a_temporary_password_when_asked_or_when_there_is_no_email(
    world: PeopleWorld, capsys: pytest.CaptureFixture[str], arguments: list[str]
) -> None:
    world.add_user("ravi", stores=("Berlin",), email="ravi@example.com" if arguments else None)

    assert run(world, "reset-password", "ravi", *arguments) == 0

    password = _printed(capsys, "password")
    assert password != PASSWORD
    assert world.sign_in("ravi", password)["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


# -- where, and what goes wrong ---------------------------------------------------------------------


def test_local_stack_file_is_used_with_local(
    world: PeopleWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard_api import admin

    stack = tmp_path / "stack.json"
    stack.write_text(
        json.dumps(
            {
                "region": "us-east-1",
                "endpoint_url": "http://127.0.0.1:1",
                "user_pool_id": world.pool_id,
                "topic_arn": world.topic_arn,
                "people_table": PEOPLE,
            }
        )
    )
    seen: list[dict[str, Any]] = []
    real_client = boto3.client

    def client_for(service: str, **kwargs: Any) -> Any:
        seen.append(kwargs)
        return real_client(service, region_name=kwargs["region_name"])  # moto in-process, not the address

    monkeypatch.setattr(admin.boto3, "client", client_for)

    assert admin.main(["--local", "--stack-json", str(stack), "create-user", "kim", "--store", "Berlin"]) == 0
    assert admin.main(["--local", "--stack-json", str(stack), "set-access", "kim", "--store", "Karachi"]) == 0
    assert {kwargs["endpoint_url"] for kwargs in seen} == {"http://127.0.0.1:1"}
    assert json.loads(_attributes(world, "kim")["custom:stores"]) == ["Karachi"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["create-user", "x"], "at least one store"),
        (["create-user", "x", "--store", " "], "store is empty"),
        (["create-user", "x", "--store", "A" * 201], "longer than 200"),
        (["create-user", "x y", "--store", "Berlin"], "no spaces"),
        (["create-user", "x", "--store", "Berlin", "--email", "not-an-address"], "not an email address"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(
    world: PeopleWorld, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert run(world, *arguments) == 2
    assert message in capsys.readouterr().err


def test_an_existing_username_is_reported_not_raised(world: PeopleWorld, capsys: pytest.CaptureFixture[str]) -> None:
    run(world, "create-user", "dup", "--store", "Berlin")

    assert run(world, "create-user", "dup", "--store", "Berlin") == 1
    assert "UsernameExists" in capsys.readouterr().err


def test_an_unknown_user_is_reported(world: PeopleWorld, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["disable", "nobody"], ["enable", "nobody"], ["show", "nobody"], ["reset-password", "nobody"]):
        assert run(world, *command) == 1
        assert "no such user: nobody" in capsys.readouterr().err


def test_a_user_who_never_signed_in_gets_a_new_temporary_password(
    world: PeopleWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    run(world, "create-user", "kim", "--store", "Berlin", "--email", "kim@example.com")
    first = _printed(capsys, "password")

    assert run(world, "reset-password", "kim") == 0

    second = _printed(capsys, "password")
    assert second != first
    assert world.sign_in("kim", second)["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
