"""What every route needs: the wired-up logic and the verified caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from dashboard_api.dal.clients import PeopleClients, aws_clients, lambda_client, people_clients
from dashboard_api.dal.forecasts import ForecastReader
from dashboard_api.dal.grants import PresignedPosts
from dashboard_api.dal.history import HistoryReader
from dashboard_api.dal.ingest import IngestFunction
from dashboard_api.dal.inventory import InventoryReader
from dashboard_api.dal.revocations import RevocationTable
from dashboard_api.dal.secrets import signing_key
from dashboard_api.dal.stores import StoreDirectory
from dashboard_api.dal.subscriptions import SubscriptionTable
from dashboard_api.dal.texts import PhoneTexts
from dashboard_api.dal.throttle import ThrottleTable
from dashboard_api.dal.topic import AlertsTopic
from dashboard_api.dal.uploads import ReportReader, UploadIndex, scope_stream, time_stream
from dashboard_api.dal.users import UserDirectory
from dashboard_api.logic.cursor import CursorCodec
from dashboard_api.logic.dashboard import Dashboard, parallel_map
from dashboard_api.logic.grants import UploadGrants
from dashboard_api.logic.holds import HeldUploads
from dashboard_api.logic.people import People
from dashboard_api.logic.permissions import Caller, caller_from_claims
from dashboard_api.logic.reorder import Reorders
from dashboard_api.logic.sessions import AccessGate
from dashboard_api.logic.subscriptions import Subscriptions
from dashboard_api.logic.throttle import Throttle
from dashboard_api.logic.uploads import UploadListing
from dashboard_api.models.throttle import CODES, Bucket
from dashboard_api.settings import PeopleSettings, Settings


@dataclass(frozen=True, slots=True)
class Services:
    dashboard: Dashboard
    reorders: Reorders
    uploads: UploadListing
    grants: UploadGrants
    settings: Settings


@cache
def services() -> Services:
    """Built on first use (a cold start reads the cursor secret once) and kept for the life of
    the execution environment."""
    settings = Settings.from_env()
    clients = aws_clients()
    cursors = CursorCodec(signing_key(clients.secrets, settings.cursor_secret))
    stores = StoreDirectory(clients.dynamodb, settings.stores_table)
    items = InventoryReader(clients.dynamodb, settings.inventory_table)
    forecasts = ForecastReader(clients.dynamodb, settings.forecast_table)
    return Services(
        dashboard=Dashboard(
            stores=stores,
            items=items,
            history=HistoryReader(clients.dynamodb, settings.history_table),
            forecasts=forecasts,
            cursors=cursors,
            stale_days=settings.forecast_stale_days,
        ),
        reorders=Reorders(
            stores=stores,
            items=items,
            forecasts=forecasts,
            policy=settings.policy(),
            stale_days=settings.forecast_stale_days,
        ),
        uploads=UploadListing(
            index=UploadIndex(clients.dynamodb, settings.uploads_table),
            reports=ReportReader(clients.s3, settings.upload_bucket),
            cursors=cursors,
            scope_stream=scope_stream,
            time_stream=time_stream,
            mapper=parallel_map,
        ),
        grants=UploadGrants(
            signer=PresignedPosts(clients.s3, settings.upload_bucket),
            max_bytes=settings.max_upload_bytes,
            clock=lambda: datetime.now(UTC),
        ),
        settings=settings,
    )


def dashboard() -> Dashboard:
    return services().dashboard


def reorders() -> Reorders:
    return services().reorders


def caller_of(event: APIGatewayProxyEventV2, bucket: Bucket | None = None) -> Caller:
    """The caller from the claims the HTTP API's JWT authorizer verified, and from nothing else;
    429 when they have used up their share (``bucket``, else their bucket for any request);
    refused if their sessions were ended since, and an admin only with MFA (see logic.sessions)."""
    context: Any = event.raw_event.get("requestContext") or {}
    authorizer = context.get("authorizer") if isinstance(context, dict) else None
    jwt = authorizer.get("jwt") if isinstance(authorizer, dict) else None
    claims = jwt.get("claims") if isinstance(jwt, dict) else None
    caller = caller_from_claims(claims)
    throttle().admit(caller.username, bucket)
    return access_gate().admit(caller)


@cache
def holds() -> HeldUploads:
    """Decisions on held uploads, and undos of applied ones: the uploads index and ingest's function."""
    settings = services().settings
    return HeldUploads(
        index=UploadIndex(aws_clients().dynamodb, settings.uploads_table),
        ingest=IngestFunction(lambda_client(), settings.ingest_function_arn),
    )


@cache
def _people_wiring() -> tuple[PeopleSettings, PeopleClients]:
    return PeopleSettings.from_env(), people_clients()


@cache
def access_gate() -> AccessGate:
    settings, clients = _people_wiring()
    return AccessGate(
        RevocationTable(clients.dynamodb, settings.people_table),
        UserDirectory(clients.cognito, settings.user_pool_id),
    )


@cache
def throttle() -> Throttle:
    """Each user's buckets; any request takes from the stage's `apiUserRate` and `apiUserBurst`."""
    settings, clients = _people_wiring()
    return Throttle(
        ThrottleTable(clients.dynamodb, settings.people_table),
        Bucket.per_second("requests", settings.user_rate, settings.user_burst),
    )


@cache
def subscriptions() -> Subscriptions:
    settings, clients = _people_wiring()
    return Subscriptions(
        topic=AlertsTopic(clients.sns, settings.alerts_topic_arn),
        rows=SubscriptionTable(clients.dynamodb, settings.people_table),
        max_per_user=settings.max_subscriptions_per_user,
        sms_enabled=settings.sms_enabled,
        texts=PhoneTexts(clients.sns),
        code_limit=lambda username: throttle().admit(username, CODES, "codes"),
    )


@cache
def revocations() -> RevocationTable:
    settings, clients = _people_wiring()
    return RevocationTable(clients.dynamodb, settings.people_table)


@cache
def people() -> People:
    settings, clients = _people_wiring()
    return People(
        users=UserDirectory(clients.cognito, settings.user_pool_id),
        subscriptions=subscriptions(),
        revocations=RevocationTable(clients.dynamodb, settings.people_table),
    )


def clear_wiring() -> None:
    """Forget every wired-up object (tests switch environments between worlds)."""
    for built in (services, holds, _people_wiring, access_gate, throttle, subscriptions, revocations, people):
        built.cache_clear()
