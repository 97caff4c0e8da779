"""The ingest function's configuration, read once from its environment (see serverless.yml)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Settings:
    inventory_table: str
    stores_table: str
    upload_prefix: str
    reports_prefix: str
    low_stock_default: int
    write_concurrency: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Parse the environment; a missing or malformed variable fails loudly at cold start."""
        return cls(
            inventory_table=env["INVENTORY_TABLE"],
            stores_table=env["STORES_TABLE"],
            upload_prefix=env.get("UPLOAD_PREFIX", "uploads/"),
            reports_prefix=env.get("REPORTS_PREFIX", "reports/"),
            low_stock_default=int(env.get("LOW_STOCK_DEFAULT", "5")),
            write_concurrency=max(1, int(env.get("WRITE_CONCURRENCY", "4"))),
        )
