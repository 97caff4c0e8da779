"""Settings every test shares: fake AWS credentials, so nothing can reach a real account.

Set at import, before any test module is collected: Powertools reads its settings when
``inventory.observability`` is first imported.
"""

from __future__ import annotations

import os

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "Inventory",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)
for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(name, None)
