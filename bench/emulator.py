"""The AWS emulator the benchmarks run against, and boto3 clients metered by the stand-in
(``bench.standins.Meter``: moto's ConsumedCapacity is a constant, so requests are counted on the client).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
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
    if not own_process:
        server = _started()
        try:
            yield Emulator(f"http://127.0.0.1:{server.get_host_and_port()[1]}")
        finally:
            server.stop()
        return
    command = [sys.executable, "-c", "from bench.emulator import serve; serve()"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        port = process.stdout.readline().strip() if process.stdout else ""  # "" if it exited first
        if not port:
            raise RuntimeError(f"the emulator exited with code {process.wait()} before it started")
        yield Emulator(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def _started() -> ThreadedMotoServer:
    """moto's server on a free loopback port, with the local stack's fixes and no log line per request."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    fix_transactions()
    refuse_reserved_words()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    return server


def serve() -> None:
    """The emulator's own process (``emulator(own_process=True)``): prints its port, serves until terminated."""
    print(_started().get_host_and_port()[1], flush=True)
    threading.Event().wait()
