"""Retrying what botocore leaves: the part of a successful call that DynamoDB did not do.

botocore's standard mode retries a call that fails (throttling, 5xx, a broken connection). A call
that succeeds with work left undone is ours to send again: BatchGetItem's ``UnprocessedKeys``, the
items of a transaction cancelled for a reason that passes (a conflict, throttling inside it).
Every service sends them again through :func:`until_done`, with one backoff (:class:`Backoff`).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

Request = TypeVar("Request")


@dataclass(frozen=True, slots=True)
class Backoff:
    """The wait before sending leftovers again: full jitter, ``random() * min(cap, base * 2**attempt)``.

    botocore's own shape, smaller: the call that left work undone has already waited out any
    throttling, and a batch or a request has its own time to keep.
    """

    base: float = 0.05
    cap: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = random.random

    def wait(self, attempt: int, deadline: float = math.inf) -> None:
        """Sleep before retry ``attempt`` (0-based), never past ``deadline`` (monotonic seconds)."""
        pause = self.rand() * min(self.cap, self.base * 2**attempt)
        self.sleep(max(0.0, min(pause, deadline - self.monotonic())))


BACKOFF = Backoff()


def until_done(
    step: Callable[[Request], Request | None],
    request: Request,
    *,
    attempts: int | None = None,
    deadline: float = math.inf,
    backoff: Backoff = BACKOFF,
) -> Request | None:
    """Call ``step`` with ``request``, then with what each call left undone (its answer), until none is.

    At most ``attempts`` calls (``None``: no limit), and none after ``deadline`` (monotonic
    seconds). Returns what is still undone when they run out (the caller says what failed), or
    ``None`` when everything was done.
    """
    left = step(request)
    calls = 1
    while left is not None:
        if (attempts is not None and calls >= attempts) or backoff.monotonic() >= deadline:
            return left
        backoff.wait(calls - 1, deadline)
        left = step(left)
        calls += 1
    return None
