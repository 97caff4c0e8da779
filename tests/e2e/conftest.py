"""The local stack (``python -m devstack``) as the end-to-end tests use it: a real subprocess on free ports.

Each stack gets its own state directory (``INVENTORY_STATE_DIR``), so a developer's ``.local/`` and
running ``make dev`` are never touched, and is stopped with SIGTERM, as a terminal's Ctrl-C would.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.builders import REPO

START_TIMEOUT_S = 240


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
    deadline = time.monotonic() + START_TIMEOUT_S
    while not stack.stack_file.exists():
        if process.poll() is not None:
            pytest.fail(f"the local stack exited with {process.returncode}:\n{stack.console()[-5000:]}")
        if time.monotonic() > deadline:
            stack.stop()
            pytest.fail(f"the local stack did not write stack.json in {START_TIMEOUT_S} s:\n{stack.console()[-5000:]}")
        time.sleep(0.25)
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
