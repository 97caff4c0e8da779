"""The API function's configuration, read once from its environment (see serverless.yml)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from inventory.table import ALERTS_INDEX


@dataclass(frozen=True, slots=True)
class Settings:
    inventory_table: str
    stores_table: str
    history_table: str
    upload_bucket: str
    reports_prefix: str
    alerts_index: str
    cursor_key: bytes

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Parse the environment; a missing variable fails loudly at cold start."""
        cursor_key = env["CURSOR_KEY"]
        if not cursor_key:
            raise ValueError("CURSOR_KEY is empty")
        return cls(
            inventory_table=env["INVENTORY_TABLE"],
            stores_table=env["STORES_TABLE"],
            history_table=env["HISTORY_TABLE"],
            upload_bucket=env["UPLOAD_BUCKET"],
            reports_prefix=env.get("REPORTS_PREFIX", "reports/"),
            alerts_index=env.get("ALERTS_INDEX", ALERTS_INDEX),
            cursor_key=cursor_key.encode(),
        )


@dataclass(frozen=True, slots=True)
class PeopleSettings:
    """Subscriptions, sessions and user management (see serverless.yml)."""

    people_table: str
    user_pool_id: str
    alerts_topic_arn: str
    max_subscriptions_per_user: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> PeopleSettings:
        """Parse the environment; a missing variable fails loudly at first use."""
        cap = int(env.get("MAX_SUBSCRIPTIONS_PER_USER", "10"))
        if cap < 1:
            raise ValueError("MAX_SUBSCRIPTIONS_PER_USER must be at least 1")
        return cls(
            people_table=env["PEOPLE_TABLE"],
            user_pool_id=env["USER_POOL_ID"],
            alerts_topic_arn=env["ALERTS_TOPIC_ARN"],
            max_subscriptions_per_user=cap,
        )
