"""The alerts functions' configuration, read once from their environment (see serverless.yml).

Each function reads only what it needs; the operator commands (``make recount``, ``make replay``)
read the same variables from the deployed function's configuration, so they act on exactly the
tables and topic the functions use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from inventory.forecast import INDEX_HORIZON_DAYS


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """The stream consumer: where changes are recorded and announced."""

    topic_arn: str
    history_table: str
    stores_table: str
    forecast_table: str
    low_stock_default: int
    history_retention_days: int
    #: An item projected to run out within this many days (and neither out nor low) is `soon`.
    soon_days: float

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> AlertSettings:
        """Parse the environment; a missing or malformed variable fails loudly at cold start."""
        soon_days = float(env.get("SOON_DAYS", "3"))
        if not 0 < soon_days <= INDEX_HORIZON_DAYS:
            raise ValueError(f"SOON_DAYS must be more than 0 and at most {INDEX_HORIZON_DAYS}, got {soon_days}")
        return cls(
            topic_arn=env["ALERTS_TOPIC_ARN"],
            history_table=env["HISTORY_TABLE"],
            stores_table=env["STORES_TABLE"],
            forecast_table=env["FORECAST_TABLE"],
            low_stock_default=int(env.get("LOW_STOCK_DEFAULT", "5")),
            history_retention_days=max(1, int(env.get("HISTORY_RETENTION_DAYS", "90"))),
            soon_days=soon_days,
        )


@dataclass(frozen=True, slots=True)
class ArchiveSettings:
    """The failure archiver: where failed records are saved."""

    failed_records_table: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ArchiveSettings:
        return cls(failed_records_table=env["FAILED_RECORDS_TABLE"])


@dataclass(frozen=True, slots=True)
class RecountSettings:
    """The reconciliation: which tables to compare, and how long a store must be quiet first."""

    inventory_table: str
    stores_table: str
    history_table: str
    failed_records_table: str
    low_stock_default: int
    settle_minutes: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> RecountSettings:
        return cls(
            inventory_table=env["INVENTORY_TABLE"],
            stores_table=env["STORES_TABLE"],
            history_table=env["HISTORY_TABLE"],
            failed_records_table=env["FAILED_RECORDS_TABLE"],
            low_stock_default=int(env.get("LOW_STOCK_DEFAULT", "5")),
            settle_minutes=max(1, int(env.get("RECOUNT_SETTLE_MINUTES", "10"))),
        )
