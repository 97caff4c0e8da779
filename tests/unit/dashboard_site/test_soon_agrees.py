"""The page and the digests agree on "runs out soon" for the stage's soonDays.

The same items, neither out nor low, at the moment of a change: the alerts model's
:func:`alerts.logic.demand_model.soon_step` (what a digest announces as ``soon``) and the dashboard's
``runsOutSoon``/``urgencyGroup`` (dashboard/js/urgency.js, under node) with config.json's
``soonDays`` as :func:`inventory.dashboard_config.dashboard_config` writes it from the alerts
stack's ``SoonDays`` output. A missing ``node`` fails, never skips.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from alerts.logic.demand_model import soon_step
from inventory.dashboard_config import dashboard_config
from inventory.forecast import Forecast
from inventory.models import StockStatus

pytestmark = pytest.mark.unit

URGENCY = Path(__file__).resolve().parents[3] / "dashboard" / "js" / "urgency.js"
API = {"ApiUrl": "https://api.example", "UserPoolId": "pool", "UserPoolClientId": "client", "Region": "eu-west-1"}
COVER = [0.0, 0.5, 1.0, 2.9, 3.0, 3.01, 3.5, 4.0, 4.5, 6.99, 7.0, 7.01, 8.0, 12.0, 30.0]


def page_soon(items: list[dict[str, object]], config: dict[str, object]) -> list[list[object]]:
    """Per item: the page's runsOutSoon and urgencyGroup with the given config.json."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the dashboard's module tests need Node.js 20 or newer")
    script = (
        f"import {{ runsOutSoon, urgencyGroup }} from {json.dumps(URGENCY.as_uri())};\n"
        f"const config = {json.dumps(config)};\n"
        f"const items = {json.dumps(items)};\n"
        "console.log(JSON.stringify(items.map((item) => [runsOutSoon(item, config), urgencyGroup(item, config)])));\n"
    )
    result = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def digest_soon(days_left: float, soon_days: float) -> bool:
    """Whether the alerts model announces an item with this cover as ``soon`` on the change that set it."""
    projected = Forecast(count=30, rate_per_day=1.0, days_left=days_left, runs_out_at="2026-11-30T00:00:00.000Z")
    return soon_step(None, "1", StockStatus.OK, projected, soon_days).announce


@pytest.mark.parametrize("soon_days", ["3", "7"])
def test_an_item_runs_out_soon_on_the_page_exactly_when_the_digest_says_so(soon_days: str) -> None:
    config = dashboard_config(API, {}, {"SoonDays": soon_days})
    items = [{"item": f"i{n}", "count": 30, "status": "ok", "days_left": days} for n, days in enumerate(COVER)]

    page = page_soon(items, config)
    digest = [digest_soon(days, float(soon_days)) for days in COVER]

    assert [soon for soon, _ in page] == digest
    assert [group == 1 for _, group in page] == digest
    assert any(digest), "some covers are within soonDays"
    assert not all(digest), "some covers are beyond soonDays"
