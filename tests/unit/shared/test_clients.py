"""Client configuration: ``attempts`` counts every call of a request, the first included."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.exceptions import ClientError
from inventory.clients import client_config

pytestmark = pytest.mark.unit


class AlwaysFailing(BaseHTTPRequestHandler):
    """Answers every request as DynamoDB does when it fails on its side (500: botocore retries it)."""

    calls: list[str] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.calls.append(self.headers.get("X-Amz-Target", ""))
        body = b'{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"failed"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def failing_endpoint() -> Iterator[str]:
    AlwaysFailing.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), AlwaysFailing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_request_is_sent_attempts_times_in_all(failing_endpoint: str) -> None:
    """Three attempts are three calls (botocore's ``max_attempts: 3`` would have made four)."""
    client = boto3.client(
        "dynamodb",
        region_name="eu-west-1",
        endpoint_url=failing_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=client_config(3, connect_timeout=2, read_timeout=2),
    )

    with pytest.raises(ClientError, match="InternalServerError"):
        client.list_tables()

    assert AlwaysFailing.calls == ["DynamoDB_20120810.ListTables"] * 3
