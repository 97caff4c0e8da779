"""Per-user throttling: each request takes a token from one of the caller's buckets, or is
refused with :class:`TooManyRequests` saying when to retry. The stage's throttling stays the outer bound for everyone
together; this keeps one person (or one stolen token) from using up the stage's share, the
function's concurrency, grants, subscriptions or texts."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol

from inventory.observability import logger

from dashboard_api.models.errors import ThrottleUnavailable, TooManyRequests
from dashboard_api.models.throttle import Bucket


class Buckets(Protocol):
    def take(self, username: str, bucket: Bucket, now_ms: int) -> int: ...


class Throttle:
    def __init__(
        self, buckets: Buckets, requests: Bucket, clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    ) -> None:
        self._buckets = buckets
        self._requests = requests
        self._clock_ms = clock_ms

    def admit(self, username: str, bucket: Bucket | None = None, what: str = "requests") -> None:
        """Take a token from ``username``'s ``bucket`` (by default the one for any request);
        :class:`TooManyRequests` when it is empty.

        Fails open: when the table cannot be asked, the request goes on (the stage limit still holds).
        """
        bucket = bucket or self._requests
        try:
            wait_ms = self._buckets.take(username, bucket, self._clock_ms())
        except ThrottleUnavailable:
            logger.warning("Per-user throttle unavailable; request let through", extra={"bucket": bucket.name})
            return
        if wait_ms > 0:
            seconds = math.ceil(wait_ms / 1000)
            raise TooManyRequests(f"too many {what} from you; try again in {seconds} s", seconds)
