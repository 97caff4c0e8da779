"""The dashboard site stack: a private bucket that only its CloudFront distribution can read."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.definitions import service_definition

pytestmark = pytest.mark.deploy


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return service_definition("dashboard-site")["resources"]["Resources"]


def test_the_site_bucket_blocks_every_kind_of_public_access(resources: dict[str, Any]) -> None:
    bucket = resources["SiteBucket"]["Properties"]

    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "WebsiteConfiguration" not in bucket


def test_cloudfront_reads_the_bucket_through_origin_access_control_over_https(resources: dict[str, Any]) -> None:
    oac = resources["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    config = resources["SiteDistribution"]["Properties"]["DistributionConfig"]
    [origin] = config["Origins"]

    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3",
        "always",
        "sigv4",
    )
    assert origin["OriginAccessControlId"] == {"GetAtt": "SiteOriginAccessControl.Id"}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    behaviours = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
    assert {b["ViewerProtocolPolicy"] for b in behaviours} == {"redirect-to-https"}
    assert {b["ResponseHeadersPolicyId"]["Ref"] for b in behaviours} == {"SiteHeadersPolicy"}
    assert config["DefaultRootObject"] == "index.html"


def test_only_this_distribution_may_read_the_files(resources: dict[str, Any]) -> None:
    statements = resources["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]

    assert len(allows) == 1
    [allow] = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Sub"]
    assert source.endswith(":distribution/${SiteDistribution}")


def test_the_page_may_run_only_its_own_scripts(resources: dict[str, Any]) -> None:
    headers = resources["SiteHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    policy = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]

    assert "script-src 'self';" in policy
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy


def test_the_header_policy_lets_no_api_gateway_or_other_host_in(resources: dict[str, Any]) -> None:
    """connect-src comes from index.html's policy, written per stage with exact hosts (publish.py).

    The header must not widen it: no wildcard host, and no connect-src or default-src of its own
    (a browser enforces both policies, so the page's exact list is what holds).
    """
    headers = resources["SiteHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    policy = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    directives = {part.split()[0] for part in policy.split(";") if part.strip()}

    assert isinstance(policy, str)
    assert "*" not in policy
    assert "execute-api" not in policy
    assert not directives & {"connect-src", "default-src"}
    assert {"script-src", "style-src", "object-src", "base-uri", "form-action", "frame-ancestors"} <= directives


def test_outputs_give_the_url_and_the_origin_the_api_allows() -> None:
    outputs = service_definition("dashboard-site")["resources"]["Outputs"]

    assert {"DashboardUrl", "DashboardOrigin", "SiteBucketName", "DistributionId"} <= set(outputs)
