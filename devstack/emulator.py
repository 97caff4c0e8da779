"""The embedded AWS emulator: moto in server mode on loopback, behind :mod:`devstack.gateway`; one endpoint."""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from devstack.moto_reserved_words import refuse_reserved_words
from devstack.moto_transactions import fix_transactions

HOST = "127.0.0.1"
REGION = "us-east-1"
#: Credentials the emulator accepts; set in-process so nothing here can ever reach a real account.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


_CONSOLE = threading.Lock()


def console(text: str) -> None:
    """Text on the developer's console, whole: lines from the stack's threads (function output, API requests,
    stream pollers) never run into each other, as two ``print`` calls' parts could."""
    with _CONSOLE:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def say(message: str) -> None:
    """A line of the local stack's own on the developer's console."""
    console(f"[devstack] {message}")


class PortInUse(Exception):
    """A port the local stack needs is taken (usually by another ``make dev``)."""

    def __init__(self, what: str, port: int, variable: str) -> None:
        super().__init__(
            f"{what} port {port} on {HOST} is already in use - is another `make dev` running? "
            f"Stop it, or choose other ports with {variable}=<port>."
        )


def ensure_free(port: int, what: str, variable: str) -> None:
    """Raise :class:`PortInUse` if ``port`` cannot be bound on loopback (bound the way servers bind it)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((HOST, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(what, port, variable) from error
        raise
    finally:
        probe.close()


def emulator_client(service: str, endpoint_url: str | None, **config: Any) -> Any:
    """A boto3 client with the fake credentials, so it can never reach a real account, and of a session of its
    own, so hooks on boto3's default session never see its calls."""
    session = boto3.Session(
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        region_name=REGION,
    )
    return session.client(service, endpoint_url=endpoint_url, config=Config(**config))  # type: ignore[call-overload]


def isolate_from_real_aws() -> None:
    """Fake credentials and no profile for this process (and the functions it starts)."""
    os.environ.update(FAKE_CREDENTIALS)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        os.environ.pop(name, None)
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull


class Emulator:
    """moto's server app, bound in the caller's thread so a busy port fails at once, served from a thread.

    This is what ``moto.server.ThreadedMotoServer`` does, except that ThreadedMotoServer binds inside
    its thread and waits forever when the port is taken.
    """

    def __init__(self, port: int, origins: tuple[str, ...] = (), console: Callable[[str], None] = say) -> None:
        from devstack.gateway import Gateway  # it runs the stack's functions, which need this module

        self.port = port
        self.gateway = Gateway(DomainDispatcherApplication(create_backend_app), origins, say=console)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        ensure_free(self.port, "AWS emulator", "INVENTORY_AWS_PORT")  # Werkzeug would print and exit instead
        fix_transactions()  # ingest writes through conditional transactions
        refuse_reserved_words()  # as DynamoDB does, in key conditions too
        self._server = make_server(HOST, self.port, self.gateway, True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="emulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def client(self, service: str) -> Any:
        """A boto3 client for the emulator, never for AWS."""
        # S3 presigns with SigV2 in us-east-1 otherwise, which the gateway refuses, as new buckets do
        s3 = {"signature_version": "s3v4"} if service == "s3" else {}
        retries = {"mode": "standard", "max_attempts": 5}
        return emulator_client(service, self.endpoint_url, retries=retries, max_pool_connections=32, **s3)
