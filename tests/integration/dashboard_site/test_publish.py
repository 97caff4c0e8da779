"""Publishing the dashboard into its (emulated) site bucket."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tests.unit.dashboard_site.test_publish import ALERTS_OUTPUTS, API_OUTPUTS, publish

pytestmark = pytest.mark.integration


@mock_aws
def test_publish_uploads_files_and_config_and_removes_stale_ones() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="site")
    s3.put_object(Bucket="site", Key="js/removed-module.js", Body=b"old")
    files = publish.site_files()

    config = publish.dashboard_config(API_OUTPUTS, {}, ALERTS_OUTPUTS)
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


SITE_TEMPLATE = {
    "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    "Outputs": {"DashboardOrigin": {"Value": "https://d111111abcdef8.cloudfront.net"}},
}


@mock_aws
def test_the_origin_make_deploy_passes_is_the_site_stacks_or_none_when_the_stage_has_no_site() -> None:
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")

    assert publish.site_origin(cloudformation, "prod") == ""

    cloudformation.create_stack(StackName="inventory-dashboard-site-prod", TemplateBody=json.dumps(SITE_TEMPLATE))
    assert publish.site_origin(cloudformation, "prod") == "https://d111111abcdef8.cloudfront.net"
    assert publish.site_origin(cloudformation, "dev") == ""


def test_a_site_stack_that_cannot_be_read_stops_the_deploy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deploying on without the origin would take the site's CORS grant away."""
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name="us-east-1")

        def denied(**_: object) -> None:
            raise cloudformation.exceptions.ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "DescribeStacks"
            )

        monkeypatch.setattr(cloudformation, "describe_stacks", denied)
        with pytest.raises(publish.PublishError, match="cannot be read"):
            publish.site_origin(cloudformation, "prod")
