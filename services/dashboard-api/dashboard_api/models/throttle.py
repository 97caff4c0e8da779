"""Per-user rate limits: a token bucket per user and kind of request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bucket:
    """``burst`` requests at once, refilled at one per ``interval_ms`` (a token bucket)."""

    name: str
    interval_ms: int
    burst: int

    @classmethod
    def per_second(cls, name: str, rate: float, burst: int) -> Bucket:
        return cls(name, max(1, round(1000 / rate)), burst)


#: Upload grants: a grant lets a file change a store's counts; 30 at once, then one per 3 s.
GRANTS = Bucket("grants", 3_000, 30)
#: Subscribing, verifying and unsubscribing: a person has a handful of addresses.
SUBSCRIPTIONS = Bucket("subscriptions", 20_000, 10)
#: Codes texted to a phone number (each costs money and lands on someone's phone): 3 at once,
#: then one per 5 minutes.
CODES = Bucket("codes", 300_000, 3)
