"""The API function's configuration, read once from its environment (see serverless.yml)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from inventory.forecast import RUNNING_OUT_INDEX
from inventory.table import ALERTS_INDEX
from inventory.uploads import REPORTS_PREFIX, UPLOAD_PREFIX

#: Largest file a grant allows unless the stage says otherwise (the `maxUploadBytes` parameter).
DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Settings:
    inventory_table: str
    stores_table: str
    history_table: str
    forecast_table: str
    uploads_table: str
    upload_bucket: str
    upload_prefix: str
    reports_prefix: str
    alerts_index: str
    running_out_index: str
    #: The Secrets Manager secret whose value signs pagination cursors; read once per cold start.
    cursor_secret: str
    max_upload_bytes: int
    #: The `servers` URL of the OpenAPI document; empty: the URL the request came in on.
    api_server_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Parse the environment; a missing or empty required variable fails loudly at cold start."""

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ValueError(f"{name} is not set")
            return value

        max_bytes = int(env.get("MAX_UPLOAD_BYTES") or DEFAULT_MAX_UPLOAD_BYTES)
        if max_bytes < 1:
            raise ValueError("MAX_UPLOAD_BYTES must be a positive number of bytes")
        return cls(
            inventory_table=required("INVENTORY_TABLE"),
            stores_table=required("STORES_TABLE"),
            history_table=required("HISTORY_TABLE"),
            forecast_table=required("FORECAST_TABLE"),
            uploads_table=required("UPLOADS_TABLE"),
            upload_bucket=required("UPLOAD_BUCKET"),
            upload_prefix=env.get("UPLOAD_PREFIX") or UPLOAD_PREFIX,
            reports_prefix=env.get("REPORTS_PREFIX") or REPORTS_PREFIX,
            alerts_index=env.get("ALERTS_INDEX") or ALERTS_INDEX,
            running_out_index=env.get("RUNNING_OUT_INDEX") or RUNNING_OUT_INDEX,
            cursor_secret=required("CURSOR_SECRET_ARN"),
            max_upload_bytes=max_bytes,
            api_server_url=env.get("API_SERVER_URL", "").strip(),
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
