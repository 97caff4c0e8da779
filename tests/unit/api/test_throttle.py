"""The per-user throttle's decisions: 429 with whole seconds to wait, and open when its table fails."""

from __future__ import annotations

import pytest
from dashboard_api.handlers.responses import answer_to
from dashboard_api.logic.throttle import Throttle
from dashboard_api.models.errors import ThrottleUnavailable, TooManyRequests
from dashboard_api.models.throttle import CODES, Bucket

pytestmark = pytest.mark.unit

REQUESTS = Bucket("requests", 100, 10)


class Buckets:
    def __init__(self, wait_ms: int = 0, failing: bool = False) -> None:
        self.wait_ms = wait_ms
        self.failing = failing
        self.taken: list[tuple[str, str, int]] = []

    def take(self, username: str, bucket: Bucket, now_ms: int) -> int:
        if self.failing:
            raise ThrottleUnavailable("throttled by DynamoDB")
        self.taken.append((username, bucket.name, now_ms))
        return self.wait_ms


def test_an_empty_bucket_answers_429_with_the_wait_rounded_up_to_whole_seconds() -> None:
    throttle = Throttle(Buckets(wait_ms=1_200), REQUESTS, clock_ms=lambda: 5)

    with pytest.raises(TooManyRequests) as refused:
        throttle.admit("lea", CODES, "codes")

    assert (answer_to(refused.value).status, refused.value.retry_after) == (429, 2)
    assert refused.value.message == "too many codes from you; try again in 2 s"


def test_a_request_without_its_own_bucket_takes_from_the_general_one() -> None:
    buckets = Buckets()

    Throttle(buckets, REQUESTS, clock_ms=lambda: 7).admit("lea")

    assert buckets.taken == [("lea", "requests", 7)]


def test_a_failing_table_lets_the_request_through() -> None:
    """The stage's throttling still bounds everyone; refusing every request because the bucket
    table hiccups would turn a throttle into an outage."""
    Throttle(Buckets(failing=True), REQUESTS).admit("lea")
