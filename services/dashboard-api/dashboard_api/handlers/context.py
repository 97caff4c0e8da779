"""What every route needs: the wired-up dashboard and the verified caller."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from dashboard_api.dal.clients import aws_clients
from dashboard_api.dal.history import HistoryReader
from dashboard_api.dal.inventory import InventoryReader
from dashboard_api.dal.reports import ReportBucket
from dashboard_api.dal.stores import StoreDirectory
from dashboard_api.logic.cursor import CursorCodec
from dashboard_api.logic.dashboard import Dashboard
from dashboard_api.logic.permissions import Caller, caller_from_claims
from dashboard_api.settings import Settings


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
    """The caller from the claims the HTTP API's JWT authorizer verified, and from nothing else."""
    context: Any = event.raw_event.get("requestContext") or {}
    authorizer = context.get("authorizer") if isinstance(context, dict) else None
    jwt = authorizer.get("jwt") if isinstance(authorizer, dict) else None
    claims = jwt.get("claims") if isinstance(jwt, dict) else None
    return caller_from_claims(claims)
