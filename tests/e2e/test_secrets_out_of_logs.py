"""Nothing secret reaches the local stack's logs: temporary passwords, email addresses and phone numbers
that requests carried are answered to the caller and never written by any function.

The local stack writes everything each function prints to ``<state dir>/logs/<function>.log`` and its own
output to ``console.log``; both are scanned for the secrets this test creates. X-Ray is off locally: that
the tracer records no responses is proven on the handlers themselves (tests/unit/shared/test_tracing.py).
"""

from __future__ import annotations

import random
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import LocalStackProcess, create_user, demo_user, sign_in, unique_store
from tests.e2e.test_api_security import get

pytestmark = pytest.mark.e2e


def _logged(stack: LocalStackProcess) -> dict[Path, str]:
    files = [*sorted((stack.state_dir / "logs").glob("*.log")), stack.log]
    return {path: path.read_text(errors="replace") for path in files}


def test_temporary_passwords_emails_and_phone_numbers_never_reach_a_log(
    local_stack_process: LocalStackProcess,
) -> None:
    info = local_stack_process.info
    admin = sign_in(info, demo_user(info, admin=True))["IdToken"]
    store = unique_store("Secrets")
    # Given head office creates a user (the answer holds a temporary password) and resets them to a new one
    name = f"secret-{uuid.uuid4().hex[:8]}"
    email = f"{name}.private@example.com"
    status, created = get(info, "/users", admin, body={"username": name, "email": email, "stores": [store]})
    assert status == 201, created
    status, reset = get(
        info, f"/users/{urllib.parse.quote(name)}/reset-password", admin, body={"temporary_password": True}
    )
    assert status == 200, reset
    # and a store manager subscribes a phone number and an email address of their own
    manager = create_user(info, stores=(store,), prefix="secret-manager")
    token = sign_in(info, manager)["IdToken"]
    phone = f"+4915{random.randrange(10**8, 10**9)}"
    inbox = f"alerts-{uuid.uuid4().hex[:10]}@example.org"
    for protocol, endpoint in (("sms", phone), ("email", inbox)):
        status, answer = get(
            info,
            "/subscriptions",
            token,
            body={"protocol": protocol, "endpoint": endpoint, "stores": [store], "severities": ["out"]},
        )
        assert status in (201, 202), answer
    # and one refused request that names an address (answered, with the address, to the caller only)
    status, _ = get(
        info,
        "/subscriptions",
        token,
        body={"protocol": "sms", "endpoint": phone, "stores": ["Not Mine"], "severities": ["out"]},
    )
    assert status == 403
    time.sleep(1.0)  # the log pumps write each line as the function prints it

    # Then no log of any function, nor the stack's console, holds one of them
    secrets = {
        "temporary password": created["temporary_password"],
        "reset temporary password": reset["temporary_password"],
        "user's email": email,
        "subscribed phone": phone,
        "subscribed email": inbox,
    }
    logged = _logged(local_stack_process)
    assert any("Upload ingested" in text for text in logged.values()), f"not the stack's logs: {sorted(logged)}"
    leaks = [
        f"{what} in {path.name}" for path, text in logged.items() for what, value in secrets.items() if value in text
    ]
    assert not leaks, leaks
