"""The emulator under concurrent load: batch writes into a table while other clients query and scan it.

moto is not thread-safe: a Query or Scan walking a table while a BatchWriteItem adds to it raised
``RuntimeError: dictionary changed size during iteration``, which moto's server answers with a 500 (seen by a
client reading while a 400,000-row upload loaded). The gateway runs one DynamoDB request at a time in moto
(:class:`devstack.gateway.Gateway`), so no client sees a 5xx. Clients here never retry, so a single 5xx fails.
The race itself is rare on a short run, so the test also watches moto's app: it never runs two DynamoDB
requests at once.
"""

from __future__ import annotations

import functools
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack.emulator import FAKE_CREDENTIALS, REGION, Emulator

pytestmark = pytest.mark.integration

HAMMER_S = 4.0
WRITERS = 3
READERS = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emulator = Emulator(free_port(), console=lambda line: None)
    emulator.start()
    yield emulator
    emulator.stop()


def no_retry_client(emulator: Emulator) -> Any:
    """A DynamoDB client that gives up at the first error: a 5xx is seen, never retried away."""
    return boto3.client(
        "dynamodb",
        endpoint_url=emulator.endpoint_url,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=8),
    )


def new_table(emulator: Emulator) -> str:
    table = f"hammered-{uuid.uuid4().hex[:8]}"
    emulator.client("dynamodb").create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "Store", "AttributeType": "S"},
            {"AttributeName": "Item", "AttributeType": "S"},
            {"AttributeName": "AlertStatus", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "Store", "KeyType": "HASH"}, {"AttributeName": "Item", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "Alerts",
                "KeySchema": [
                    {"AttributeName": "Store", "KeyType": "HASH"},
                    {"AttributeName": "AlertStatus", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    return table


@dataclass
class Load:
    """What the clients did: requests answered, and every failure (status, message)."""

    answered: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, call: Callable[[], Any]) -> None:
        try:
            call()
        except ClientError as error:
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            with self.lock:
                self.failures.append((status, str(error)))
            return
        with self.lock:
            self.answered += 1


@dataclass
class InMoto:
    """Wraps moto's app behind the gateway: how many DynamoDB requests it ran at once, at most."""

    app: Any
    running: int = 0
    most: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        dynamodb = environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_")
        with self.lock:
            self.running += dynamodb
            self.most = max(self.most, self.running)
        try:
            return list(self.app(environ, start_response))
        finally:
            with self.lock:
                self.running -= dynamodb


def hammer(emulator: Emulator, table: str, seconds: float = HAMMER_S) -> Load:
    """``WRITERS`` threads batch-write new items (25 a call) into one store while ``READERS`` threads
    query that store and scan the table, for ``seconds``."""
    load = Load()
    deadline = time.monotonic() + seconds

    def write(writer: int) -> None:
        client, batch = no_retry_client(emulator), 0
        while time.monotonic() < deadline:
            batch += 1
            puts = [
                {
                    "PutRequest": {
                        "Item": {
                            "Store": {"S": "Berlin"},
                            "Item": {"S": f"w{writer}-{batch}-{n}"},
                            "Count": {"N": "1"},
                            "AlertStatus": {"S": "low"},
                        }
                    }
                }
                for n in range(25)
            ]
            load.run(functools.partial(client.batch_write_item, RequestItems={table: puts}))

    def read(reader: int) -> None:
        client = no_retry_client(emulator)
        while time.monotonic() < deadline:
            if reader % 2:
                load.run(lambda: client.scan(TableName=table, IndexName="Alerts", Limit=200))
            else:
                load.run(
                    lambda: client.query(
                        TableName=table,
                        KeyConditionExpression="#store = :store",
                        ExpressionAttributeNames={"#store": "Store"},
                        ExpressionAttributeValues={":store": {"S": "Berlin"}},
                        Limit=200,
                    )
                )

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    threads += [threading.Thread(target=read, args=(n,)) for n in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return load


def test_concurrent_batch_writes_queries_and_scans_of_one_table_never_answer_5xx(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = new_table(emulator)
    in_moto = InMoto(emulator.gateway.app)
    monkeypatch.setattr(emulator.gateway, "app", in_moto)

    load = hammer(emulator, table)

    assert load.failures == []
    assert load.answered > WRITERS + READERS  # every client was answered, more than once
    assert in_moto.most == 1
