"""The ingest function's configuration, read once from its environment (see serverless.yml)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from inventory.settings import from_env, setting


@dataclass(frozen=True, slots=True)
class Settings:
    inventory_table: str = setting("INVENTORY_TABLE")
    stores_table: str = setting("STORES_TABLE")
    uploads_table: str = setting("UPLOADS_TABLE")
    upload_prefix: str = setting("UPLOAD_PREFIX", "uploads/")
    reports_prefix: str = setting("REPORTS_PREFIX", "reports/")
    low_stock_default: int = setting("LOW_STOCK_DEFAULT", 5, minimum=0)
    write_concurrency: int = setting("WRITE_CONCURRENCY", 4, minimum=1)
    #: Lambda's retries of a failed asynchronous invocation (``maximumRetryAttempts``).
    retry_attempts: int = setting("MAX_RETRY_ATTEMPTS", 2, minimum=0)
    lease_seconds: float = setting("LEASE_SECONDS", 180.0)
    checkpoint_seconds: float = setting("CHECKPOINT_SECONDS", 30.0)
    stop_margin_seconds: float = setting("STOP_MARGIN_SECONDS", 100.0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Parse the environment; a missing or malformed variable fails loudly at cold start."""
        return from_env(cls, env)
