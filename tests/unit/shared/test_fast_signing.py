"""``inventory.fast_signing``: SigV4 signatures to the same headers as botocore's signer, for less CPU.

Each signed request is checked against botocore's own :class:`~botocore.auth.SigV4Auth` signing the
same request at the same moment with the same credentials: AWS accepts what botocore sends, so the
same headers are accepted. Requests are taken where the network would take them (``before-send``).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import boto3
import botocore
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.config import Config
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inventory import fast_signing
from inventory.fast_signing import FastSigV4Auth, use_fast_signing

pytestmark = pytest.mark.unit

NOW = datetime.datetime(2026, 11, 22, 3, 0, 7)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every signature made at :data:`NOW` (the timestamp is part of what is signed; the same for every
    example hypothesis draws)."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW)


def _signed(auth_class: type[SigV4Auth], credentials: Credentials, request: tuple[Any, ...]) -> list[Any]:
    method, url, headers, body, params = request
    signing = AWSRequest(method, url, headers, body, params)
    auth_class(credentials, "dynamodb", "eu-central-1").add_auth(signing)
    return list(signing.headers.items())


header_values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
requests = st.tuples(
    st.sampled_from(["POST", "GET", "put"]),
    st.sampled_from(
        [
            "https://dynamodb.eu-central-1.amazonaws.com/",
            "http://127.0.0.1:4566",
            "https://h.example:443/a/./b%2F?x=1&a=",
        ]
    ),
    st.dictionaries(st.sampled_from(["X-Amz-Target", "Content-Type", "X-Custom", "User-Agent", "Host"]), header_values),
    st.one_of(st.binary(max_size=40), st.text(max_size=20), st.dictionaries(st.text(max_size=4), st.text(max_size=4))),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
)
credentials = st.builds(
    Credentials, st.text("AKIDSX", min_size=1, max_size=8), st.text(min_size=1, max_size=12), st.none() | st.text()
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=requests, credentials=credentials)
def test_every_request_gets_botocores_headers(
    frozen_clock: None, request: tuple[Any, ...], credentials: Credentials
) -> None:
    """Any method, URL, headers (spaces, non-ASCII values, a Host of its own), body (bytes, text, a form)
    and query: the same headers, in the same order, the signature included."""
    assert _signed(FastSigV4Auth, credentials, request) == _signed(SigV4Auth, credentials, request)


class _Body:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.content


class Wire:
    """The end of the wire: keeps each signed request; answers each with the next status (then 200)."""

    def __init__(self, client: Any, statuses: tuple[int, ...] = ()) -> None:
        self.requests: list[Any] = []
        self.statuses = list(statuses)
        client.meta.events.register("before-send", self._send)

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        body = b"{}" if status == 200 else json.dumps({"__type": "ThrottlingException", "message": "slow"}).encode()
        headers = {"x-amzn-requestid": "test", "content-type": "application/x-amz-json-1.0"}
        if request.url.startswith("https://sns") or "Action=" in str(request.body):
            body = b"<PublishResponse><PublishResult><MessageId>m</MessageId></PublishResult></PublishResponse>"
            headers["content-type"] = "text/xml"
        return AWSResponse(request.url, status, headers, _Body(body))


#: Headers botocore adds per call after signing (unsigned): a new id each call.
PER_CALL = {"amz-sdk-invocation-id"}


def _sent(wire: Wire) -> list[dict[str, Any]]:
    return [{k: v for k, v in sent.headers.items() if k not in PER_CALL} for sent in wire.requests]


def _clients(service: str = "dynamodb", **options: Any) -> tuple[Any, Wire, Any, Wire]:
    """A client that signs fast and one with botocore's signer, each with its wire."""
    made = []
    for fast in (True, False):
        session = boto3.Session(
            region_name="eu-central-1", aws_access_key_id="AKIDTEST", aws_secret_access_key="secret"
        )
        config = Config(retries={"mode": "standard", "total_max_attempts": 3})
        client = session.client(service, config=config, **options)
        if fast:
            assert use_fast_signing(client)
            signer = client._request_signer
            assert type(signer.get_auth_instance(signer.signing_name, signer.region_name)) is FastSigV4Auth
        made.append((client, Wire(client)))
    (fast_client, fast_wire), (plain, plain_wire) = made
    return fast_client, fast_wire, plain, plain_wire


@pytest.mark.parametrize("endpoint_url", [None, "http://127.0.0.1:4566"])
def test_a_clients_calls_are_signed_as_botocore_signs_them(frozen_clock: None, endpoint_url: str | None) -> None:
    """On AWS and on the local emulator (``AWS_ENDPOINT_URL``): the same headers go out, the signature included."""
    fast, fast_wire, plain, plain_wire = _clients(endpoint_url=endpoint_url)
    for client in (fast, plain):
        client.put_item(TableName="History", Item={"Store": {"S": "Zürich"}})
        client.get_item(TableName="History", Key={"Store": {"S": "Berlin"}})
    assert _sent(fast_wire) == _sent(plain_wire)
    assert len(fast_wire.requests) == 2
    assert fast_wire.requests[0].url == f"{endpoint_url or 'https://dynamodb.eu-central-1.amazonaws.com'}/"


def test_sns_form_requests_are_signed_as_botocore_signs_them(frozen_clock: None) -> None:
    fast, fast_wire, plain, plain_wire = _clients("sns")
    for client in (fast, plain):
        client.publish(TopicArn="arn:aws:sns:eu-central-1:123456789012:alerts", Message="Out: Zürich & co")
    assert _sent(fast_wire) == _sent(plain_wire)
    assert len(fast_wire.requests) == 1


def test_a_retry_is_signed_again_as_botocore_signs_it(frozen_clock: None) -> None:
    """botocore's retry handler sends the request again (its attempt header changed): signed anew."""
    fast, fast_wire, plain, plain_wire = _clients()
    for client, wire in ((fast, fast_wire), (plain, plain_wire)):
        wire.statuses = [400, 400]
        client.put_item(TableName="History", Item={"Store": {"S": "Berlin"}})
    assert len(fast_wire.requests) == 3
    assert fast_wire.requests[-1].headers["amz-sdk-request"] == b"attempt=3; max=3"
    assert _sent(fast_wire) == _sent(plain_wire)


def test_credentials_that_refresh_sign_with_their_new_key(frozen_clock: None) -> None:
    """Temporary credentials change (a role's refresh): the next call signs with the new secret and token."""
    fast, fast_wire, plain, plain_wire = _clients()
    for client in (fast, plain):
        client.get_item(TableName="History", Key={"Store": {"S": "Berlin"}})
        client._request_signer._credentials = Credentials("ASIAFRESH", "another-secret", "session-token")
        client.get_item(TableName="History", Key={"Store": {"S": "Berlin"}})
    assert _sent(fast_wire) == _sent(plain_wire)
    first, second = _sent(fast_wire)
    assert b"Credential=AKIDTEST/" in first["Authorization"]
    assert b"Credential=ASIAFRESH/" in second["Authorization"]
    assert second["X-Amz-Security-Token"] == b"session-token"


def test_a_new_day_signs_with_that_days_key(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, fast_wire, plain, plain_wire = _clients()
    for day in (NOW, NOW + datetime.timedelta(days=1)):
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda day=day: day)
        for client in (fast, plain):
            client.get_item(TableName="History", Key={"Store": {"S": "Berlin"}})
    assert _sent(fast_wire) == _sent(plain_wire)
    assert [b"/20261123/" in sent["Authorization"] for sent in _sent(fast_wire)] == [False, True]


def test_a_botocore_that_signs_otherwise_keeps_its_signer(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a botocore whose signer lists the signed headers otherwise
    monkeypatch.setattr(SigV4Auth, "signed_headers", lambda self, headers: ";".join(sorted(set(headers), reverse=True)))
    session = boto3.Session(region_name="eu-central-1", aws_access_key_id="AKIDTEST", aws_secret_access_key="secret")
    client = session.client("dynamodb")
    botocores = client._request_signer.get_auth_instance

    # When fast signing is asked for, the self-check refuses it, and says so
    assert not use_fast_signing(client)
    assert "Requests keep botocore's signer" in caplog.text

    # And the client signs as botocore does
    assert client._request_signer.get_auth_instance == botocores
    assert type(client._request_signer.get_auth_instance("dynamodb", "eu-central-1")) is SigV4Auth


def test_other_signers_stay_botocores() -> None:
    """Only botocore's plain SigV4 changes hands (S3's signer, SigV4A, bearer tokens stay as they are)."""
    session = boto3.Session(region_name="eu-central-1", aws_access_key_id="AKIDTEST", aws_secret_access_key="secret")
    client = session.client("s3")
    assert use_fast_signing(client)
    assert type(client._request_signer.get_auth_instance("s3", "eu-central-1", "s3v4")).__name__ == "S3SigV4Auth"
    assert type(client._request_signer.get_auth_instance("dynamodb", "eu-central-1", "v4")) is FastSigV4Auth


def test_fast_signing_is_taken_on_the_botocore_it_was_proven_against() -> None:
    """On a botocore upgrade: re-run this file and bench's alerts CPU row, then move the pin."""
    assert botocore.__version__ == fast_signing.PROVEN_BOTOCORE
    assert fast_signing.self_check() == []
