"""The ingest function's configuration, read once from its environment (see serverless.yml)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Settings:
    inventory_table: str
    stores_table: str
    uploads_table: str
    upload_prefix: str
    reports_prefix: str
    low_stock_default: int
    write_concurrency: int
    #: Lambda's retries of a failed asynchronous invocation (``maximumRetryAttempts``).
    retry_attempts: int
    lease_seconds: float
    checkpoint_seconds: float
    stop_margin_seconds: float

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Parse the environment; a missing or malformed variable fails loudly at cold start."""
        return cls(
            inventory_table=env["INVENTORY_TABLE"],
            stores_table=env["STORES_TABLE"],
            uploads_table=env["UPLOADS_TABLE"],
            upload_prefix=env.get("UPLOAD_PREFIX", "uploads/"),
            reports_prefix=env.get("REPORTS_PREFIX", "reports/"),
            low_stock_default=int(env.get("LOW_STOCK_DEFAULT", "5")),
            write_concurrency=max(1, int(env.get("WRITE_CONCURRENCY", "4"))),
            retry_attempts=max(0, int(env.get("MAX_RETRY_ATTEMPTS", "2"))),
            lease_seconds=float(env.get("LEASE_SECONDS", "180")),
            checkpoint_seconds=float(env.get("CHECKPOINT_SECONDS", "30")),
            stop_margin_seconds=float(env.get("STOP_MARGIN_SECONDS", "100")),
        )
