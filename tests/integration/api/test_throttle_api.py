"""Per-user throttling through the real handler against moto's People table: one user's bucket
runs dry (429 with Retry-After) while another user is still served, and buckets refill."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import ApiWorld

pytestmark = pytest.mark.integration


@pytest.fixture
def tight(api: ApiWorld, monkeypatch: pytest.MonkeyPatch) -> ApiWorld:
    """Three requests at once per user, then one every 10 s."""
    from dashboard_api.handlers.context import clear_wiring

    monkeypatch.setenv("API_USER_BURST", "3")
    monkeypatch.setenv("API_USER_RATE", "0.1")
    clear_wiring()
    api.people.add_user("berlin-manager", stores=("Berlin",))
    api.people.add_user("ravi", stores=("Berlin",))
    return api


def test_one_user_gets_429_with_retry_after_while_another_is_still_served(tight: ApiWorld) -> None:
    lea = tight.people.claims("berlin-manager", stores=("Berlin",))
    ravi = tight.people.claims("ravi", stores=("Berlin",))

    served = [tight.people.call("GET", "/subscriptions", lea).status for _ in range(3)]
    refused = tight.people.call("GET", "/subscriptions", lea)
    other = tight.people.call("GET", "/subscriptions", ravi)

    assert served == [200, 200, 200]
    assert (refused.status, refused.body["error"]["code"]) == (429, "too_many_requests")
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    assert "try again in" in refused.body["error"]["message"]
    assert other.status == 200


def test_upload_grants_take_from_their_own_bucket_and_run_dry_on_their_own(
    tight: ApiWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The throttle's clock stands still, so a slow machine cannot refill the buckets mid-test."""
    from dashboard_api.dal.throttle import ThrottleTable
    from dashboard_api.handlers import context
    from dashboard_api.logic.throttle import Throttle
    from dashboard_api.models.throttle import GRANTS, Bucket

    from tests.integration.api.people_world import PEOPLE

    frozen = Throttle(ThrottleTable(tight.dynamodb, PEOPLE), Bucket.per_second("requests", 0.1, 3), lambda: 10**12)
    monkeypatch.setattr(context, "throttle", lambda: frozen)

    lea = tight.people.claims("berlin-manager", stores=("Berlin",))
    body = {"filename": "berlin.csv", "size": 100}
    route = "/stores/{store}/uploads"
    for _ in range(3):
        tight.people.call("GET", "/subscriptions", lea)  # the bucket for any request is now empty

    grants = [
        tight.people.call("POST", "/stores/Berlin/uploads", lea, body=body, route=route) for _ in range(GRANTS.burst)
    ]
    refused = tight.people.call("POST", "/stores/Berlin/uploads", lea, body=body, route=route)

    assert {grant.status for grant in grants} == {201}
    assert (refused.status, refused.body["error"]["code"]) == (429, "too_many_requests")
    assert 1 <= int(refused.headers["Retry-After"]) <= GRANTS.interval_ms // 1000
    assert tight.people.call("GET", "/subscriptions", lea).status == 429  # still empty: its own bucket


def test_a_bucket_is_shared_by_every_instance_and_refills_at_its_rate(api: ApiWorld) -> None:
    """Two instances of the function (two tables objects) spend one bucket: the limit is the user's,
    not the instance's; one token comes back per interval, never more than the burst."""
    from dashboard_api.dal.throttle import ThrottleTable
    from dashboard_api.models.throttle import Bucket

    from tests.integration.api.people_world import PEOPLE

    bucket = Bucket("test", interval_ms=1_000, burst=2)
    one, two = ThrottleTable(api.dynamodb, PEOPLE), ThrottleTable(api.dynamodb, PEOPLE)
    now = 1_800_000_000_000

    assert [one.take("lea", bucket, now), two.take("lea", bucket, now)] == [0, 0]
    assert one.take("lea", bucket, now) == 1_000  # empty: the next token in a second
    assert two.take("lea", bucket, now + 400) == 600
    assert one.take("lea", bucket, now + 1_000) == 0  # one token back
    assert two.take("lea", bucket, now + 1_000) == 1_000
    later = now + 3_600_000  # idle for an hour: full again, but only to the burst
    assert [one.take("lea", bucket, later) for _ in range(3)] == [0, 0, 1_000]
