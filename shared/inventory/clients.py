"""How every service configures its AWS clients: botocore's standard retry mode, counted one way.

``attempts`` is the number of calls in all, the first included (botocore's ``total_max_attempts``;
its ``max_attempts`` counts retries only). Standard mode retries throttling, 5xx answers and
broken connections with full-jitter exponential backoff; what a call that succeeded left undone
is :mod:`inventory.leftovers`' to send again.
"""

from __future__ import annotations

from typing import Any

from botocore.config import Config


def client_config(attempts: int, **options: Any) -> Config:
    """A client configuration with ``attempts`` calls per request at most; ``options`` as :class:`Config` takes them."""
    return Config(retries={"mode": "standard", "total_max_attempts": attempts}, **options)
