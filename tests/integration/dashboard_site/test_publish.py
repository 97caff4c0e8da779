"""Publishing the dashboard into its (emulated) site bucket."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tests.unit.dashboard_site.test_publish import API_OUTPUTS, publish

pytestmark = pytest.mark.integration


@mock_aws
def test_publish_uploads_files_and_config_and_removes_stale_ones() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="site")
    s3.put_object(Bucket="site", Key="js/removed-module.js", Body=b"old")
    files = publish.site_files()

    config = publish.dashboard_config(API_OUTPUTS)
    policy = publish.content_security_policy(config, "uploads-bucket")

    uploaded = publish.publish(s3, "site", files, config, policy)

    keys = {item["Key"] for item in s3.list_objects_v2(Bucket="site")["Contents"]}
    assert keys == set(uploaded) == {file.key for file in files} | {"config.json"}
    index = s3.get_object(Bucket="site", Key="index.html")
    assert index["ContentType"] == "text/html; charset=utf-8"
    assert index["CacheControl"] == "no-cache"
    assert index["Body"].read() == publish.with_policy(Path(publish.SITE_ROOT / "index.html").read_bytes(), policy)
    assert s3.head_object(Bucket="site", Key="js/app.js")["ContentType"] == "text/javascript; charset=utf-8"
    config = s3.get_object(Bucket="site", Key="config.json")
    assert config["CacheControl"] == "no-store"
    assert json.loads(config["Body"].read())["apiUrl"] == "https://abc123.execute-api.eu-central-1.amazonaws.com"
