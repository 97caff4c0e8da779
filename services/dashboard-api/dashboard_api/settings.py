"""The API functions' configuration, read once from their environment (see serverless.yml).

serverless.yml sets every variable from a stage parameter or a resource, and the parameter's
default there is the only default: a variable missing here is an error naming it, at cold start.
"""

from __future__ import annotations

from dataclasses import dataclass

from inventory.reorder import Policy
from inventory.settings import EnvSettings, setting


@dataclass(frozen=True, slots=True)
class Settings(EnvSettings):
    inventory_table: str = setting("INVENTORY_TABLE")
    stores_table: str = setting("STORES_TABLE")
    history_table: str = setting("HISTORY_TABLE")
    forecast_table: str = setting("FORECAST_TABLE")
    uploads_table: str = setting("UPLOADS_TABLE")
    upload_bucket: str = setting("UPLOAD_BUCKET")
    #: Ingest's function, invoked to carry out a decision on a held upload.
    ingest_function_arn: str = setting("INGEST_FUNCTION_ARN")
    #: The Secrets Manager secret whose value signs pagination cursors; read once per cold start.
    cursor_secret: str = setting("CURSOR_SECRET_ARN")
    max_upload_bytes: int = setting("MAX_UPLOAD_BYTES", minimum=1)
    #: The `servers` URL of the OpenAPI document. Empty (the `apiServerUrl` parameter's default): the
    #: URL each request came in on, right for API Gateway's own address.
    api_server_url: str = setting("API_SERVER_URL", "")
    #: Reorder suggestions: the lead time of items without their own, the order cycle, the service level.
    lead_time_days: float = setting("LEAD_TIME_DAYS", minimum=0)
    order_cycle_days: float = setting("ORDER_CYCLE_DAYS", minimum=0.1)
    service_level: float = setting("SERVICE_LEVEL", minimum=0.5)
    #: An item no file has listed for this many days is no longer forecast (the `forecastStaleDays` parameter).
    forecast_stale_days: float = setting("FORECAST_STALE_DAYS", minimum=1)

    def policy(self) -> Policy:
        """The stage's reorder policy; raises ``ValueError`` for a service level of 1 or more."""
        return Policy(self.lead_time_days, self.order_cycle_days, self.service_level)


@dataclass(frozen=True, slots=True)
class PeopleSettings(EnvSettings):
    """Subscriptions, sessions and user management: the API function and the subscription sweep."""

    people_table: str = setting("PEOPLE_TABLE")
    user_pool_id: str = setting("USER_POOL_ID")
    alerts_topic_arn: str = setting("ALERTS_TOPIC_ARN")
    max_subscriptions_per_user: int = setting("MAX_SUBSCRIPTIONS_PER_USER", minimum=1)
    #: Whether the stage can send SMS (the `smsEnabled` parameter): off, SMS subscriptions are refused.
    sms_enabled: bool = setting("SMS_ENABLED")
    #: Each user's requests per second (steady rate, and the burst above it), then 429.
    user_rate: float = setting("API_USER_RATE")
    user_burst: int = setting("API_USER_BURST", minimum=1)

    def __post_init__(self) -> None:
        if self.user_rate <= 0:
            raise ValueError(f"API_USER_RATE must be more than 0, got {self.user_rate}")
