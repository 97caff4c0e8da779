"""The API's role: the one principal whose uploaded-by metadata ingest believes."""

from __future__ import annotations

import pytest
from ingest.dal.roles import RETRY_SECONDS, ApiRole

from tests.fakes.ingest import FakeIam

pytestmark = pytest.mark.unit

ROLE_ID = "AROAAPIROLE000000001"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_only_sessions_of_the_api_role_are_the_api() -> None:
    role = ApiRole(FakeIam("api-role", ROLE_ID), "api-role")

    assert role.signed(f"AWS:{ROLE_ID}:inventory-dashboard-api-prod-api")
    assert not role.signed("AWS:AROAOTHERROLE0000001:inventory-dashboard-api-prod-api")  # the session name is free
    assert not role.signed(f"AWS:{ROLE_ID}:")
    assert not role.signed(f"AWS:{ROLE_ID}")
    assert not role.signed(f"AWS:{ROLE_ID}0:x")  # another id that starts like it
    assert not role.signed("")


def test_the_role_is_read_once_per_execution_environment() -> None:
    iam = FakeIam("api-role", ROLE_ID)
    role = ApiRole(iam, "api-role")

    for _ in range(3):
        role.signed(f"AWS:{ROLE_ID}:api")

    assert iam.calls == 1


def test_when_iam_cannot_say_nothing_is_believed_and_it_is_asked_again_a_minute_later() -> None:
    iam, clock = FakeIam("api-role", ROLE_ID), Clock()
    iam.down = True
    role = ApiRole(iam, "api-role", monotonic=clock)

    assert not role.signed(f"AWS:{ROLE_ID}:api")
    assert not role.signed(f"AWS:{ROLE_ID}:api")
    assert iam.calls == 1  # not asked again at once
    iam.down = False
    clock.now += RETRY_SECONDS
    assert role.signed(f"AWS:{ROLE_ID}:api")


def test_without_a_role_name_nothing_is_believed_but_the_local_principal() -> None:
    iam = FakeIam("api-role", ROLE_ID)
    role = ApiRole(iam, "", principal_id="AWS:LOCALSTACKUSER")

    assert role.signed("AWS:LOCALSTACKUSER")
    assert not role.signed(f"AWS:{ROLE_ID}:api")
    assert iam.calls == 0
