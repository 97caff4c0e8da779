"""The dashboard's ``config.json``: what the page knows of its stage, built from the stacks' outputs.

One function for the deploy step (``services/dashboard-site/publish.py``, from the deployed stacks)
and for the local stack (``devstack``, from the stacks it provisioned), so the page reads the same
facts both ways. ``soonDays`` is the alerts stack's ``SoonDays`` output (its ``soonDays`` param):
the page flags "runs out soon" with the very number the digests use.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

API_OUTPUTS = ("ApiUrl", "UserPoolId", "UserPoolClientId", "Region")


class DashboardConfigError(ValueError):
    """The stacks' outputs cannot make a config the page can run with."""


def dashboard_config(
    api: Mapping[str, str],
    ingest: Mapping[str, str],
    alerts: Mapping[str, str],
    *,
    cognito_endpoint: str | None = None,
) -> dict[str, Any]:
    """config.json from the dashboard-api, ingest and alerts outputs.

    ``cognito_endpoint`` stands in for the region's Cognito address (the local stack's emulator).
    """
    missing = [name for name in API_OUTPUTS if not api.get(name)]
    if missing:
        raise DashboardConfigError(f"the dashboard-api stack lacks output(s) {', '.join(missing)}")
    region = api["Region"]
    config: dict[str, Any] = {
        "apiUrl": api["ApiUrl"].rstrip("/"),
        "region": region,
        "userPoolId": api["UserPoolId"],
        "userPoolClientId": api["UserPoolClientId"],
        "cognitoEndpoint": cognito_endpoint or f"https://cognito-idp.{region}.amazonaws.com/",
        # Notify me offers text messages only where the stage can send them (smsEnabled).
        "smsEnabled": api.get("SmsEnabled", "").lower() == "true",
        "soonDays": _soon_days(alerts.get("SoonDays", "")),
    }
    default = ingest.get("LowStockDefault", "")
    if default != "":
        try:
            config["lowStockDefault"] = int(default)
        except ValueError as error:
            raise DashboardConfigError(f"the ingest stack's LowStockDefault is not a number: {default!r}") from error
    return config


def _soon_days(value: str) -> float:
    """The alerts stack's SoonDays: a number of days above 0 (the page never guesses its own)."""
    if not value:
        raise DashboardConfigError("the alerts stack lacks the output SoonDays")
    try:
        days = float(value)
    except ValueError:
        raise DashboardConfigError(f"the alerts stack's SoonDays is not a number: {value!r}") from None
    if not (math.isfinite(days) and days > 0):
        raise DashboardConfigError(f"the alerts stack's SoonDays must be more than 0: {value!r}")
    return days
