"""Upload grants as the deployed function signs them: SigV4, the bucket's regional address.

moto accepts any signature at any address, so these checks read the signed form itself. Signing a
presigned POST is local (no call to S3): the handler's own S3 client signs here with fake credentials.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import pytest
from dashboard_api.dal.clients import aws_clients
from dashboard_api.dal.grants import PresignedPosts

pytestmark = pytest.mark.unit

BUCKET = "inventory-ingest-prod-uploads"
KEY = "uploads/stores/Berlin/20261122T031500Z-0123456789abcdef/berlin.csv"


def signed_grant(monkeypatch: pytest.MonkeyPatch, region: str) -> tuple[str, dict[str, str]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv("AWS_REGION", region)
    grant = PresignedPosts(aws_clients().s3, BUCKET).sign(KEY, max_bytes=100, uploaded_by="anna", expires_in=600)
    return grant.url, grant.fields


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1"])
def test_a_grant_is_signed_with_sigv4_for_its_region(monkeypatch: pytest.MonkeyPatch, region: str) -> None:
    """Buckets created after 24 June 2020 refuse SigV2, which botocore uses in us-east-1 unless asked."""
    _, fields = signed_grant(monkeypatch, region)

    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert fields["x-amz-credential"].split("/")[2:] == [region, "s3", "aws4_request"]
    assert fields["x-amz-signature"]
    assert not {"AWSAccessKeyId", "signature"} & set(fields)
    conditions = json.loads(base64.b64decode(fields["policy"]))["conditions"]
    assert {"x-amz-algorithm": "AWS4-HMAC-SHA256"} in conditions
    assert {"x-amz-credential": fields["x-amz-credential"]} in conditions


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1"])
def test_a_grant_posts_to_the_buckets_regional_address(monkeypatch: pytest.MonkeyPatch, region: str) -> None:
    """The global address is redirected (307) for up to a day after a bucket outside us-east-1 is
    created, and a browser's CORS preflight does not follow a redirect."""
    url, _ = signed_grant(monkeypatch, region)

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", f"{BUCKET}.s3.{region}.amazonaws.com", "/")


def test_a_grant_of_the_local_stack_posts_to_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")

    url, fields = signed_grant(monkeypatch, "us-east-1")

    assert url == f"http://127.0.0.1:4566/{BUCKET}"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"


def test_a_dry_run_grant_signs_the_mode_so_the_file_cannot_be_sent_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """S3 refuses a POST whose fields do not meet every policy condition (moto does not check): the
    mode is a condition of a dry-run grant, and absent from an ordinary one."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    posts = PresignedPosts(aws_clients().s3, BUCKET)

    dry = posts.sign(KEY, max_bytes=100, uploaded_by="anna", expires_in=600, dry_run=True)
    plain = posts.sign(KEY, max_bytes=100, uploaded_by="anna", expires_in=600)

    assert dry.fields["x-amz-meta-mode"] == "dry-run"
    assert {"x-amz-meta-mode": "dry-run"} in json.loads(base64.b64decode(dry.fields["policy"]))["conditions"]
    assert {"x-amz-meta-uploaded-by": "anna"} in json.loads(base64.b64decode(dry.fields["policy"]))["conditions"]
    assert "x-amz-meta-mode" not in plain.fields
    assert "x-amz-meta-mode" not in base64.b64decode(plain.fields["policy"]).decode()


def test_a_full_list_grant_signs_its_metadata_and_another_grant_leaves_it_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """S3 refuses a POST with a field its policy does not name: only a grant that says so lets the file
    say it is its store's full list (ingest then retires what it omits)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    posts = PresignedPosts(aws_clients().s3, BUCKET)

    full = posts.sign(KEY, max_bytes=100, uploaded_by="anna", expires_in=600, full_list=True).fields
    plain = posts.sign(KEY, max_bytes=100, uploaded_by="anna", expires_in=600).fields

    assert full["x-amz-meta-full-list"] == "true"
    assert {"x-amz-meta-full-list": "true"} in json.loads(base64.b64decode(full["policy"]))["conditions"]
    assert "x-amz-meta-full-list" not in plain
    assert "x-amz-meta-full-list" not in base64.b64decode(plain["policy"]).decode()
