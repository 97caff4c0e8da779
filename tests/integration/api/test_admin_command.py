"""The admin command creates dashboard users in a user pool defined as serverless.yml defines it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack.definitions import resource_properties

pytestmark = pytest.mark.integration


@pytest.fixture
def pool() -> Iterator[tuple[Any, str, str]]:
    """A user pool, app client and admin group from the service's own definitions."""
    with mock_aws():
        client = boto3.client("cognito-idp", region_name="us-east-1")
        props = resource_properties("dashboard-api", "UserPool")
        kwargs = {key: props[key] for key in ("Policies", "AdminCreateUserConfig", "Schema", "MfaConfiguration")}
        pool_id = client.create_user_pool(PoolName="dashboard", **kwargs)["UserPool"]["Id"]
        app = resource_properties("dashboard-api", "UserPoolClient")
        client_id = client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="dashboard", ExplicitAuthFlows=app["ExplicitAuthFlows"]
        )["UserPoolClient"]["ClientId"]
        group = resource_properties("dashboard-api", "AdminGroup")["GroupName"]
        client.create_group(UserPoolId=pool_id, GroupName=group)
        yield client, pool_id, client_id


def _attributes(client: Any, pool_id: str, username: str) -> dict[str, str]:
    user = client.admin_get_user(UserPoolId=pool_id, Username=username)
    return {entry["Name"]: entry["Value"] for entry in user["UserAttributes"]}


def _groups(client: Any, pool_id: str, username: str) -> list[str]:
    groups = client.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)["Groups"]
    return [group["GroupName"] for group in groups]


def test_create_user_assigns_stores_as_a_json_array_and_prints_a_working_password(
    pool: tuple[Any, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from dashboard_api.admin import main

    client, pool_id, client_id = pool
    status = main(
        ["--user-pool-id", pool_id, "--region", "us-east-1", "create-user", "ravi", "--store", "Karachi",
         "--store", "São Paulo, Centro"]
    )  # fmt: skip

    assert status == 0
    printed = capsys.readouterr().out
    password = next(line.split()[1] for line in printed.splitlines() if line.startswith("password:"))
    assert json.loads(_attributes(client, pool_id, "ravi")["custom:stores"]) == ["Karachi", "São Paulo, Centro"]
    assert _groups(client, pool_id, "ravi") == []
    challenge = client.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "ravi", "PASSWORD": password}
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_create_admin_adds_the_admin_group(pool: tuple[Any, str, str]) -> None:
    from dashboard_api.admin import main

    client, pool_id, _ = pool
    assert main(["--user-pool-id", pool_id, "create-user", "anna", "--admin"]) == 0

    assert _groups(client, pool_id, "anna") == ["admin"]


def test_set_access_replaces_stores_and_admin(pool: tuple[Any, str, str]) -> None:
    from dashboard_api.admin import main

    client, pool_id, _ = pool
    main(["--user-pool-id", pool_id, "create-user", "lea", "--admin"])

    assert main(["--user-pool-id", pool_id, "set-access", "lea", "--store", "Berlin"]) == 0

    assert json.loads(_attributes(client, pool_id, "lea")["custom:stores"]) == ["Berlin"]
    assert _groups(client, pool_id, "lea") == []


def test_local_stack_file_is_used_with_local(
    pool: tuple[Any, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard_api import admin

    client, pool_id, _ = pool
    stack = tmp_path / "stack.json"
    stack.write_text(json.dumps({"region": "us-east-1", "endpoint_url": "http://127.0.0.1:1", "user_pool_id": pool_id}))
    seen: dict[str, Any] = {}
    real_client = boto3.client

    def client_for(service: str, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return real_client(service, region_name=kwargs["region_name"])  # moto in-process, not the address

    monkeypatch.setattr(admin.boto3, "client", client_for)

    assert admin.main(["--local", "--stack-json", str(stack), "create-user", "kim", "--store", "Berlin"]) == 0
    assert seen["endpoint_url"] == "http://127.0.0.1:1"
    assert "custom:stores" in _attributes(client, pool_id, "kim")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["create-user", "x"], "at least one --store"),
        (["create-user", "x", "--store", " "], "store is empty"),
        (["create-user", "x", "--store", "A" * 201], "longer than 200"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(
    pool: tuple[Any, str, str], capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    from dashboard_api.admin import main

    _, pool_id, _ = pool
    assert main(["--user-pool-id", pool_id, *arguments]) == 2
    assert message in capsys.readouterr().err


def test_an_existing_username_is_reported_not_raised(
    pool: tuple[Any, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from dashboard_api.admin import main

    _, pool_id, _ = pool
    main(["--user-pool-id", pool_id, "create-user", "dup", "--store", "Berlin"])

    assert main(["--user-pool-id", pool_id, "create-user", "dup", "--store", "Berlin"]) == 1
    assert "UsernameExists" in capsys.readouterr().err
