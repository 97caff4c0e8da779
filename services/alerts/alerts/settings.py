"""The alerts functions' configuration, read once from their environment (see serverless.yml).

serverless.yml sets every variable from a stage parameter or a resource, and the parameter's
default there is the only default: a variable missing here is an error naming it, at cold start.

Each function reads only what it needs; the operator commands (``make recount``, ``make replay``)
read the same variables from the deployed function's configuration, so they act on exactly the
tables and topic the functions use.
"""

from __future__ import annotations

from dataclasses import dataclass

from inventory.forecast import INDEX_HORIZON_DAYS
from inventory.settings import EnvSettings, setting


@dataclass(frozen=True, slots=True)
class AlertSettings(EnvSettings):
    """The stream consumer: where changes are recorded and announced."""

    topic_arn: str = setting("ALERTS_TOPIC_ARN")
    history_table: str = setting("HISTORY_TABLE")
    stores_table: str = setting("STORES_TABLE")
    forecast_table: str = setting("FORECAST_TABLE")
    low_stock_default: int = setting("LOW_STOCK_DEFAULT", minimum=0)
    history_retention_days: int = setting("HISTORY_RETENTION_DAYS", minimum=1)
    #: An item projected to run out within this many days (and neither out nor low) is `soon`.
    soon_days: float = setting("SOON_DAYS")
    #: The dashboard's address, linked from SMS digests (which name no item). Empty: the digest
    #: carries no link, which reads well without a dashboard (its text names the counts).
    dashboard_url: str = setting("DASHBOARD_URL", "")

    def __post_init__(self) -> None:
        if not 0 < self.soon_days <= INDEX_HORIZON_DAYS:
            raise ValueError(f"SOON_DAYS must be more than 0 and at most {INDEX_HORIZON_DAYS}, got {self.soon_days}")


@dataclass(frozen=True, slots=True)
class ArchiveSettings(EnvSettings):
    """The failure archiver: where failed records are saved."""

    failed_records_table: str = setting("FAILED_RECORDS_TABLE")


@dataclass(frozen=True, slots=True)
class RecountSettings(EnvSettings):
    """The reconciliation: which tables to compare."""

    inventory_table: str = setting("INVENTORY_TABLE")
    stores_table: str = setting("STORES_TABLE")
    failed_records_table: str = setting("FAILED_RECORDS_TABLE")
    #: Where the daily pass over the stores stands, shared by the scheduled runs.
    progress_table: str = setting("RECOUNT_PROGRESS_TABLE")
    low_stock_default: int = setting("LOW_STOCK_DEFAULT", minimum=0)
