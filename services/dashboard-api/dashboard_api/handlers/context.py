"""What every route needs: the wired-up dashboard and the verified caller."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from dashboard_api.dal.clients import aws_clients
from dashboard_api.dal.history import HistoryReader
from dashboard_api.dal.inventory import InventoryReader
from dashboard_api.dal.people_clients import PeopleClients, people_clients
from dashboard_api.dal.reports import ReportBucket
from dashboard_api.dal.revocations import RevocationTable
from dashboard_api.dal.stores import StoreDirectory
from dashboard_api.dal.subscriptions import SubscriptionTable
from dashboard_api.dal.topic import AlertsTopic
from dashboard_api.dal.users import UserDirectory
from dashboard_api.logic.cursor import CursorCodec
from dashboard_api.logic.dashboard import Dashboard
from dashboard_api.logic.people import People
from dashboard_api.logic.permissions import Caller, caller_from_claims
from dashboard_api.logic.sessions import AccessGate
from dashboard_api.logic.subscriptions import Subscriptions
from dashboard_api.settings import PeopleSettings, Settings


@cache
def dashboard() -> Dashboard:
    """Built on first use and kept for the life of the execution environment."""
    settings = Settings.from_env()
    clients = aws_clients()
    return Dashboard(
        stores=StoreDirectory(clients.dynamodb, settings.stores_table),
        items=InventoryReader(clients.dynamodb, settings.inventory_table, settings.alerts_index),
        history=HistoryReader(clients.dynamodb, settings.history_table),
        reports=ReportBucket(clients.s3, settings.upload_bucket, settings.reports_prefix),
        cursors=CursorCodec(settings.cursor_key),
    )


def caller_of(event: APIGatewayProxyEventV2) -> Caller:
    """The caller from the claims the HTTP API's JWT authorizer verified, and from nothing else;
    refused if their sessions were ended since, and an admin only with MFA (see logic.sessions)."""
    context: Any = event.raw_event.get("requestContext") or {}
    authorizer = context.get("authorizer") if isinstance(context, dict) else None
    jwt = authorizer.get("jwt") if isinstance(authorizer, dict) else None
    claims = jwt.get("claims") if isinstance(jwt, dict) else None
    return access_gate().admit(caller_from_claims(claims))


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
def subscriptions() -> Subscriptions:
    settings, clients = _people_wiring()
    return Subscriptions(
        topic=AlertsTopic(clients.sns, settings.alerts_topic_arn),
        rows=SubscriptionTable(clients.dynamodb, settings.people_table),
        max_per_user=settings.max_subscriptions_per_user,
    )


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
    for built in (dashboard, _people_wiring, access_gate, subscriptions, people):
        built.cache_clear()
