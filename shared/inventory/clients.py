"""How every service configures its AWS clients: botocore's standard retry mode, counted one way.

``attempts`` is the number of calls in all, the first included (botocore's ``total_max_attempts``;
its ``max_attempts`` counts retries only). Standard mode retries throttling, 5xx answers and
broken connections with full-jitter exponential backoff; what a call that succeeded left undone
is :mod:`inventory.leftovers`' to send again.

Where a client replaces one of botocore's steps with a faster one (:mod:`inventory.fast_json`,
:mod:`inventory.fast_signing`, :mod:`inventory.fast_calls`), the swap is taken only when its self-check
finds it giving exactly what botocore gives, on the botocore running (:func:`proven`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore
from botocore.config import Config

from inventory.observability import logger


def client_config(attempts: int, **options: Any) -> Config:
    """A client configuration with ``attempts`` calls per request at most; ``options`` as :class:`Config` takes them."""
    return Config(retries={"mode": "standard", "total_max_attempts": attempts}, **options)


def proven(keeping: str, self_check: Callable[[], list[str]]) -> bool:
    """Whether a swap of botocore's steps matches botocore here: ``self_check`` lists the differences it
    finds (an error counts as one). If any, a warning says what calls keep (``keeping``) and names each."""
    try:
        differences = self_check()
    except Exception as error:  # a botocore unlike the one proven: keep its steps
        differences = [f"{type(error).__name__}: {error}"]
    if differences:
        logger.warning("%s on botocore %s (%s)", keeping, botocore.__version__, "; ".join(differences))
    return not differences
