"""The local stack (``python -m devstack``) as the end-to-end tests use it: a real subprocess on free ports.

Each stack gets its own state directory (``INVENTORY_STATE_DIR``), so a developer's ``.local/`` and
running ``make dev`` are never touched, and is stopped with SIGTERM, as a terminal's Ctrl-C would.

Under ``pytest -n`` each worker starts its own session stack, but the tests one worker runs share it, in
any order. So a test that changes data does it in stores of its own (:func:`unique_store`, with a user of
its own given access by :func:`create_user`), never in the lab stores the stack loads at start (Berlin,
Karachi, Calcutta) nor as their demo users; a test that needs the lab data only reads it.

Shared here: :func:`wait_for`, the one way a test waits for the stack (for an event it can see: a report
written, a row stored, a line logged, a message delivered; never for a tuned number of seconds),
:func:`wait_for_report` (the report of one object version) and :func:`sign_in` (answering the TOTP
challenge of a user with MFA on, such as the demo admin, with a code of their authenticator key).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pyotp
import pytest
from inventory.report import ReportStatus
from inventory.uploads import report_key, version_tag

from tests.builders import REPO

#: The one deadline of every wait on the stack: a guard against a stuck stack, never a timing assertion
#: (a wait ends as soon as its event is seen, so only a failing test waits this long).
EVENT_DEADLINE_S = 600
#: How soon an event not seen yet is looked for again.
POLL_S = 0.25

Seen = TypeVar("Seen")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalStackProcess:
    """A running local stack: its ``stack.json`` as ``info``, its ports, state directory and console log."""

    process: subprocess.Popen[bytes]
    state_dir: Path
    log: Path
    aws_port: int
    web_port: int
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def stack_file(self) -> Path:
        return self.state_dir / "stack.json"

    def console(self) -> str:
        return self.log.read_text(errors="replace")

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.info["endpoint_url"], region_name=self.info["region"])  # type: ignore[call-overload]

    def stop(self) -> int:
        """SIGTERM, as Ctrl-C or a process manager would stop it; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)


def wait_for(event: Callable[[], Seen], what: str, stack: LocalStackProcess | None = None) -> Seen:
    """What ``event()`` answers once the event has happened; until then it answers something falsy.

    Fails the test, saying ``what`` was never seen (with the tail of ``stack``'s console), once
    ``EVENT_DEADLINE_S`` have passed.
    """
    deadline = time.monotonic() + EVENT_DEADLINE_S
    while not (seen := event()):
        if time.monotonic() > deadline:
            console = f":\n{stack.console()[-5000:]}" if stack is not None else ""
            pytest.fail(f"{what}: not seen within {EVENT_DEADLINE_S} s{console}")
        time.sleep(POLL_S)
    return seen


def stack_environment(state_dir: Path, aws_port: int, web_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        INVENTORY_STATE_DIR=str(state_dir),
        INVENTORY_AWS_PORT=str(aws_port),
        INVENTORY_WEB_PORT=str(web_port),
        PYTHONUNBUFFERED="1",
    )
    return env


def start_stack(state_dir: Path, *args: str) -> LocalStackProcess:
    """Start ``python -m devstack`` in the background and wait for its stack.json, as a script would."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log = state_dir / "console.log"
    aws_port, web_port = free_port(), free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", *args],
            cwd=REPO,
            env=stack_environment(state_dir, aws_port, web_port),
            stdin=subprocess.DEVNULL,  # no terminal
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    stack = LocalStackProcess(process, state_dir, log, aws_port, web_port)
    try:
        wait_for(lambda: stack.stack_file.exists() or process.poll() is not None, "the stack's stack.json", stack)
    except BaseException:
        stack.stop()
        raise
    if process.poll() is not None:
        pytest.fail(f"the local stack exited with {process.returncode}:\n{stack.console()[-5000:]}")
    stack.info = json.loads(stack.stack_file.read_text())
    return stack


def stop_stack(stack: LocalStackProcess) -> None:
    """Stop it and check it stopped cleanly: exit status 0 and stack.json removed."""
    status = stack.stop()
    assert status == 0, f"the local stack exited with {status} on SIGTERM:\n{stack.console()[-3000:]}"
    assert not stack.stack_file.exists(), "stack.json was left behind after a clean stop"


@pytest.fixture(scope="session")
def local_stack_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    """One local stack for the session, with the lab sample files loaded."""
    stack = start_stack(tmp_path_factory.mktemp("devstack"))
    yield stack
    stop_stack(stack)


@pytest.fixture(scope="session")
def local_stack(local_stack_process: LocalStackProcess) -> dict[str, Any]:
    """The session stack's stack.json."""
    return local_stack_process.info


# -- what the tests share: clients, reports, users and stores of their own ------------------------------


def aws_client(stack: LocalStackProcess | Mapping[str, Any], service: str) -> Any:
    """A boto3 client for the stack's emulator (any credentials do)."""
    info = stack.info if isinstance(stack, LocalStackProcess) else stack
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=info["endpoint_url"],
        region_name=info["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def wait_for_report(
    stack: LocalStackProcess | Mapping[str, Any], key: str, version_id: str | None = None
) -> dict[str, Any]:
    """The final report (``ok``, ``partial`` or ``failed``) on one version of ``key``.

    Ingest writes one report per object version, at ``inventory.uploads.report_key(key, version_tag(...))``.
    Give the ``version_id`` that uploading returned; without it, the version the key has now (right only for
    a key nobody uploads again, such as a lab sample's).
    """
    info = stack.info if isinstance(stack, LocalStackProcess) else stack
    s3 = aws_client(info, "s3")
    if version_id is None:
        version_id = str(s3.head_object(Bucket=info["bucket"], Key=key)["VersionId"])
    where = report_key(key, version_tag(version_id), info.get("reports_prefix", "reports/"))

    def final_report() -> dict[str, Any] | None:
        try:
            report = dict(json.loads(s3.get_object(Bucket=info["bucket"], Key=where)["Body"].read()))
        except s3.exceptions.NoSuchKey:
            return None
        return report if report.get("status") and ReportStatus(report["status"]).final else None

    return wait_for(final_report, f"a final report {where}", stack if isinstance(stack, LocalStackProcess) else None)


def upload_file(stack: LocalStackProcess | Mapping[str, Any], key: str, body: bytes, **extra: Any) -> dict[str, Any]:
    """Put ``body`` at ``key`` in the upload bucket and wait for ingest's report on that version."""
    info = stack.info if isinstance(stack, LocalStackProcess) else stack
    put = aws_client(info, "s3").put_object(Bucket=info["bucket"], Key=key, Body=body, **extra)
    return wait_for_report(stack, key, str(put["VersionId"]))


#: How long the inbox must stay quiet after the digests a test expects, to catch one too many: the one
#: wait that is not for an event, as it shows that none comes. Digests follow the change that raised
#: them within a second or two (the stream is polled continuously).
QUIET_S = 5


def digests(stack: LocalStackProcess, store: str, *, expect: int = 0) -> list[dict[str, Any]]:
    """Every digest for ``store`` that reaches the stack's alerts inbox, as SNS envelopes: waiting up to
    ``EVENT_DEADLINE_S`` for ``expect`` of them, then ``QUIET_S`` more for any extra. With ``expect=0``,
    only the quiet time: call it once the change is known to be handled (or, for an upload that wrote
    nothing, at once: nothing can reach the stream)."""
    sqs = stack.client("sqs")
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + (EVENT_DEADLINE_S if expect else QUIET_S)
    while time.monotonic() < deadline:
        wait = int(min(5, max(1, deadline - time.monotonic())))
        for message in sqs.receive_message(
            QueueUrl=stack.info["alerts_queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=wait
        ).get("Messages", []):
            envelope = json.loads(message["Body"])
            if envelope["MessageAttributes"]["store"]["Value"] == store:
                received.append(envelope)
                if len(received) == expect:
                    deadline = min(deadline, time.monotonic() + QUIET_S)
            sqs.delete_message(QueueUrl=stack.info["alerts_queue_url"], ReceiptHandle=message["ReceiptHandle"])
    return received


def unique_store(prefix: str) -> str:
    """A store name no other test uses (tests sharing a stack never change each other's stores)."""
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def demo_user(info: Mapping[str, Any], *, admin: bool, stores: list[str] | None = None) -> dict[str, Any]:
    """A demo user from stack.json (``username``, ``password``, ``admin``, ``stores``, ``totp_secret``)."""
    for candidate in info["users"]:
        if bool(candidate.get("admin")) == admin and (
            stores is None or sorted(candidate.get("stores") or []) == stores
        ):
            return dict(candidate)
    raise AssertionError(f"the local stack has no demo user with admin={admin} stores={stores}: {info['users']}")


def create_user(
    info: Mapping[str, Any], *, stores: tuple[str, ...] = (), admin: bool = False, prefix: str = "e2e"
) -> dict[str, Any]:
    """A new user of the stack's pool with a permanent password and a verified email, given access to ``stores``
    (or made a member of ``admin``, without MFA: the API treats them as an admin only once they enrol)."""
    username = f"{prefix}-{uuid.uuid4().hex[:8]}"
    password = f"Pw-{uuid.uuid4().hex[:10]}!A1"
    cognito = aws_client(info, "cognito-idp")
    attributes = [{"Name": "email", "Value": f"{username}@example.com"}, {"Name": "email_verified", "Value": "true"}]
    if stores:
        attributes.append({"Name": "custom:stores", "Value": json.dumps(sorted(stores), separators=(",", ":"))})
    cognito.admin_create_user(
        UserPoolId=info["user_pool_id"],
        Username=username,
        TemporaryPassword=password,
        MessageAction="SUPPRESS",
        UserAttributes=attributes,
    )
    cognito.admin_set_user_password(
        UserPoolId=info["user_pool_id"], Username=username, Password=password, Permanent=True
    )
    if admin:
        cognito.admin_add_user_to_group(UserPoolId=info["user_pool_id"], Username=username, GroupName="admin")
    return {"username": username, "password": password, "admin": admin, "stores": sorted(stores), "totp_secret": None}


def sign_in(info: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, str]:
    """The user's tokens (``IdToken``, ``AccessToken``, ``RefreshToken``) as the dashboard gets them: the password,
    then, when Cognito asks (TOTP MFA on), the current code of the user's authenticator key."""
    cognito = aws_client(info, "cognito-idp")
    answer = cognito.initiate_auth(
        ClientId=info["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user["username"], "PASSWORD": user["password"]},
    )
    if answer.get("ChallengeName") == "SOFTWARE_TOKEN_MFA":
        assert user.get("totp_secret"), f"{user['username']} has TOTP MFA on but no authenticator key is known"
        answer = cognito.respond_to_auth_challenge(
            ClientId=info["user_pool_client_id"],
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=answer["Session"],
            ChallengeResponses={
                "USERNAME": user["username"],
                "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(str(user["totp_secret"])).now(),
            },
        )
    assert "AuthenticationResult" in answer, f"{user['username']} was asked {answer.get('ChallengeName')}"
    return dict(answer["AuthenticationResult"])


# -- the dashboard's browser tests (tests/e2e/test_dashboard_*.py): see dashboard_kit.py ----------------
# Imported inside each fixture, so the tests that drive no browser never import Playwright; a module
# that declares a fixture of the same name (``stack``) uses its own.


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless (a missing browser fails the test, never skips it)."""
    from tests.e2e.dashboard_kit import launch_browser

    yield from launch_browser()


@pytest.fixture(scope="module")
def stack(local_stack: dict[str, Any]) -> dict[str, Any]:
    """The session stack's settings, once the lab samples it loads at start are in."""
    from tests.e2e.dashboard_kit import ready_stack

    return ready_stack(local_stack)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A desktop-sized tab; a dialog, an uncaught error or a CSP violation in it fails the test."""
    from tests.e2e.dashboard_kit import open_tab

    yield from open_tab(browser)


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A tab 360 px wide."""
    from tests.e2e.dashboard_kit import PHONE, open_tab

    yield from open_tab(browser, PHONE)


@pytest.fixture
def admin(stack: dict[str, Any]) -> dict[str, Any]:
    """The demo admin (two-step sign-in on; its authenticator key is in stack.json)."""
    return demo_user(stack, admin=True)


@pytest.fixture
def berlin_manager(stack: dict[str, Any]) -> dict[str, Any]:
    """The demo manager of the lab's Berlin store: for tests that only read."""
    return demo_user(stack, admin=False, stores=["Berlin"])
