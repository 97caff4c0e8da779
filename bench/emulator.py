"""The AWS emulator the benchmarks run against, and boto3 clients metered by the stand-in
(``bench.standins.Meter``: moto's ConsumedCapacity is a constant, so requests are counted on the client).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from unittest import mock

import boto3
from moto.server import ThreadedMotoServer

from bench.standins import Meter
from devstack.definitions import create_table
from devstack.emulator import REGION, emulator_client, isolate_from_real_aws
from devstack.moto_reserved_words import refuse_reserved_words
from devstack.moto_transactions import fix_transactions


def environment(values: dict[str, str]) -> Any:
    """Set environment variables for the duration (handlers read their settings from it), then restore."""
    return mock.patch.dict(os.environ, values)


class Hook(Protocol):
    """What hooks itself on a boto3 session's events: the stand-in's Meter, the dashboard's Replay."""

    def attach(self, events: Any) -> Any: ...


Hooked = TypeVar("Hooked", bound=Hook)


@contextmanager
def default_session(meter: Hooked, env: dict[str, str]) -> Iterator[Hooked]:
    """boto3's default session metered (or hooked otherwise), in ``env``: the clients a handler builds for
    itself inherit the meter, as on Lambda they would build theirs from the environment."""
    with environment(env):
        boto3.setup_default_session(region_name=REGION)
        meter.attach(boto3.DEFAULT_SESSION.events)  # type: ignore[attr-defined]
        try:
            yield meter
        finally:
            boto3.DEFAULT_SESSION = None  # the next default session starts without the meter


def metered_client(meter: Meter, service: str = "dynamodb", **config: Any) -> Any:
    """A real boto3 client of its own session, metered (and answered, if the meter answers)."""
    client = emulator_client(service, None, **config)
    meter.attach(client.meta.events)
    return client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Emulator:
    endpoint_url: str

    def client(self, service: str, **config: Any) -> Any:
        return emulator_client(service, self.endpoint_url, **config)

    def resource(self, service: str) -> Any:
        return boto3.Session(region_name=REGION).resource(service, endpoint_url=self.endpoint_url)

    def reset(self) -> None:
        """Drop every resource, so the next contender starts on an empty emulator as the first did
        (the emulator slows down as the objects it holds pile up)."""
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")).close()

    def create_inventory_table(self, name: str) -> str:
        """A fresh Inventory table, as services/ingest/serverless.yml defines it."""
        return create_table(self.client("dynamodb"), "ingest", "InventoryTable", name)

    def create_stores_table(self, name: str) -> str:
        return create_table(self.client("dynamodb"), "ingest", "StoresTable", name)

    def item_count(self, table: str) -> int:
        paginator = self.client("dynamodb").get_paginator("scan")
        return sum(page["Count"] for page in paginator.paginate(TableName=table, Select="COUNT"))

    def create_bucket(self, name: str) -> str:
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name


@contextmanager
def emulator(own_process: bool = False) -> Iterator[Emulator]:
    """moto in server mode on a free loopback port; fake credentials only; transactions as the local
    stack has them (``devstack.moto_transactions``).

    ``own_process`` runs it in a process of its own, as DynamoDB is a service of its own: the client's
    threads then wait on the network instead of sharing one interpreter lock with the emulator.
    In this process otherwise, for benchmarks that fill the emulator's storage directly.
    """
    isolate_from_real_aws()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    if own_process:
        command = [sys.executable, "-m", "bench.moto_server", "-H", "127.0.0.1", "-p", str(port)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_until_up(endpoint, process)
            yield Emulator(endpoint)
        finally:
            process.terminate()
            process.wait(timeout=30)
        return
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    fix_transactions()
    refuse_reserved_words()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield Emulator(endpoint)
    finally:
        server.stop()


def _wait_until_up(endpoint: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited with code {process.returncode} before answering")
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the emulator did not answer at {endpoint} within {seconds:.0f} s")
