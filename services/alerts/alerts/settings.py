"""The alerts function's configuration, read once from its environment (see serverless.yml)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Settings:
    topic_arn: str
    history_table: str
    low_stock_default: int
    history_retention_days: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Parse the environment; a missing or malformed variable fails loudly at cold start."""
        return cls(
            topic_arn=env["ALERTS_TOPIC_ARN"],
            history_table=env["HISTORY_TABLE"],
            low_stock_default=int(env.get("LOW_STOCK_DEFAULT", "5")),
            history_retention_days=max(1, int(env.get("HISTORY_RETENTION_DAYS", "90"))),
        )
