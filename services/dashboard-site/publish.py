"""Publish the dashboard to its site stack: config.json from the stack outputs, then the files.

    python services/dashboard-site/publish.py --stage prod [--region us-east-1] [--dry-run]

Reads the outputs of ``inventory-dashboard-api-<stage>`` (API URL, user pool, app client, region),
``inventory-ingest-<stage>`` (upload bucket, default low-stock level), ``inventory-alerts-<stage>``
(``SoonDays``: config.json is built by ``inventory.dashboard_config``) and
``inventory-dashboard-site-<stage>`` (bucket, distribution), uploads every file under ``dashboard/``
with its content type, removes files no longer in the tree, and invalidates the CloudFront cache so
every user gets the same set of modules.

``index.html`` goes up with a Content-Security-Policy whose ``connect-src`` names exactly the hosts
this stage's page talks to: the API, Cognito, and the upload bucket (for presigned POSTs). The
CloudFront response headers policy carries the rest of the policy and leaves ``connect-src`` to this
one, because the site stack does not know the other stacks' hosts.

``--origin`` prints the site stack's ``DashboardOrigin`` (nothing when the stage has no site yet):
``make deploy`` passes it to ingest and dashboard-api as their ``dashboardOrigin``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from inventory.dashboard_config import DashboardConfigError
from inventory.dashboard_config import dashboard_config as build_config

REPO = Path(__file__).resolve().parents[2]
SITE_ROOT = REPO / "dashboard"
API_STACK = "inventory-dashboard-api-{stage}"
INGEST_STACK = "inventory-ingest-{stage}"
ALERTS_STACK = "inventory-alerts-{stage}"
SITE_STACK = "inventory-dashboard-site-{stage}"
CONFIG_KEY = "config.json"
INDEX_KEY = "index.html"
# Notes for developers beside the code, not part of the site.
NOT_SERVED = {"README.md"}
# The page's own policy (index.html's meta element). connect-src is filled in per stage.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src {connect}; object-src 'none'; base-uri 'self'; form-action 'none'"
)
META_POLICY = re.compile(r'(<meta\s+http-equiv="Content-Security-Policy"\s+content=")[^"]*(")', re.IGNORECASE)
# Files are revalidated on every load (ETag): the modules carry no content hash in their names.
CACHE_CONTROL = "no-cache"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}


class PublishError(Exception):
    """The dashboard cannot be published as asked."""


@dataclass(frozen=True)
class SiteFile:
    key: str
    path: Path
    content_type: str


def site_files(root: Path = SITE_ROOT) -> list[SiteFile]:
    """Every file to serve, keyed by its path under the root. Unknown types are refused, not guessed."""
    files = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        if relative.as_posix() == CONFIG_KEY:
            continue  # a local config.json must never reach a deployed site
        if path.name in NOT_SERVED:
            continue
        content_type = CONTENT_TYPES.get(path.suffix.lower())
        if content_type is None:
            raise PublishError(f"{relative}: no content type known for {path.suffix or 'files without a suffix'}")
        files.append(SiteFile(relative.as_posix(), path, content_type))
    if not any(file.key == "index.html" for file in files):
        raise PublishError(f"{root} has no index.html")
    return files


def dashboard_config(
    api_outputs: Mapping[str, str], ingest_outputs: Mapping[str, str], alerts_outputs: Mapping[str, str]
) -> dict[str, Any]:
    """The dashboard's config.json from the dashboard-api, ingest and alerts stack outputs."""
    try:
        return build_config(api_outputs, ingest_outputs, alerts_outputs)
    except DashboardConfigError as error:
        raise PublishError(str(error)) from error


def _origin(url: str) -> str:
    match = re.fullmatch(r"(https://[A-Za-z0-9.-]+(?::\d+)?)(/.*)?", url.strip())
    if not match:
        raise PublishError(f"not an https URL: {url!r}")
    return match.group(1)


def content_security_policy(config: Mapping[str, Any], upload_bucket: str) -> str:
    """The page's policy for a deployed stage: it may connect to these hosts and no others."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", upload_bucket or ""):
        raise PublishError(f"not an S3 bucket name: {upload_bucket!r}")
    region = config["region"]
    hosts = [
        "'self'",
        _origin(config["apiUrl"]),
        _origin(config["cognitoEndpoint"]),
        # Presigned POSTs name the bucket's regional virtual-hosted address (dashboard_api.dal.clients).
        f"https://{upload_bucket}.s3.{region}.amazonaws.com",
    ]
    return PAGE_POLICY.format(connect=" ".join(dict.fromkeys(hosts)))


def with_policy(page: bytes, policy: str) -> bytes:
    """index.html with its Content-Security-Policy meta element set to ``policy``."""
    text = page.decode("utf-8")
    updated, count = META_POLICY.subn(lambda m: f"{m.group(1)}{policy}{m.group(2)}", text)
    if count != 1:
        raise PublishError(f"{INDEX_KEY} must have exactly one Content-Security-Policy meta element (found {count})")
    return updated.encode("utf-8")


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        raise PublishError(f"stack {stack_name} cannot be read: {error}") from error
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


def site_origin(cloudformation: Any, stage: str) -> str:
    """The site stack's DashboardOrigin; empty when the stage has no site, or none that was created
    (a new account's first try fails until AWS verifies it for CloudFront). Other failures raise, so
    a deploy never drops the origin of a site it could not read."""
    stack = SITE_STACK.format(stage=stage)
    try:
        outputs = stack_outputs(cloudformation, stack)
    except PublishError as error:
        if "does not exist" in str(error):
            return ""
        raise
    origin = outputs.get("DashboardOrigin")
    if not origin:
        print(f"{stack} has no DashboardOrigin output (not created?): no site origin", file=sys.stderr)
        return ""
    return _origin(origin)


def publish(
    s3: Any, bucket: str, files: Iterable[SiteFile], config: Mapping[str, Any], policy: str | None = None
) -> list[str]:
    """Upload the files (index.html with ``policy``) and config.json, then delete objects no longer in the site."""
    uploaded = []
    for file in files:
        body = file.path.read_bytes()
        if file.key == INDEX_KEY and policy is not None:
            body = with_policy(body, policy)
        s3.put_object(
            Bucket=bucket,
            Key=file.key,
            Body=body,
            ContentType=file.content_type,
            CacheControl=CACHE_CONTROL,
        )
        uploaded.append(file.key)
    s3.put_object(
        Bucket=bucket,
        Key=CONFIG_KEY,
        Body=(json.dumps(config, indent=2) + "\n").encode(),
        ContentType=CONTENT_TYPES[".json"],
        CacheControl="no-store",
    )
    uploaded.append(CONFIG_KEY)
    keep = set(uploaded)
    stale = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
        if item["Key"] not in keep
    ]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in stale[start : start + 1000]]})
    return uploaded


def invalidate(cloudfront: Any, distribution_id: str, reference: str) -> str:
    result = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": reference},
    )
    return str(result["Invalidation"]["Id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--region", default=None, help="default: the AWS configuration's region")
    parser.add_argument("--dry-run", action="store_true", help="print what would be uploaded, change nothing")
    parser.add_argument(
        "--origin", action="store_true", help="only print the site's origin (nothing if the stage has no site)"
    )
    args = parser.parse_args(argv)
    try:
        if args.origin:
            print(site_origin(boto3.session.Session(region_name=args.region).client("cloudformation"), args.stage))
            return 0
        files = site_files()
        if args.dry_run:
            for file in files:
                print(f"{file.key}\t{file.content_type}")
            print(
                f"{CONFIG_KEY}\t{CONTENT_TYPES['.json']}\t(written from {API_STACK.format(stage=args.stage)} outputs)"
            )
            print(f"{INDEX_KEY}: connect-src set to the API, Cognito and the upload bucket of stage {args.stage}")
            return 0
        session = boto3.session.Session(region_name=args.region)
        cloudformation = session.client("cloudformation")
        api = stack_outputs(cloudformation, API_STACK.format(stage=args.stage))
        ingest = stack_outputs(cloudformation, INGEST_STACK.format(stage=args.stage))
        alerts = stack_outputs(cloudformation, ALERTS_STACK.format(stage=args.stage))
        site = stack_outputs(cloudformation, SITE_STACK.format(stage=args.stage))
        config = dashboard_config(api, ingest, alerts)
        if not ingest.get("UploadBucketName"):
            raise PublishError(f"the stack {INGEST_STACK.format(stage=args.stage)} lacks the output UploadBucketName")
        policy = content_security_policy(config, ingest["UploadBucketName"])
        uploaded = publish(session.client("s3"), site["SiteBucketName"], files, config, policy)
        invalidation = invalidate(session.client("cloudfront"), site["DistributionId"], f"publish-{time.time_ns()}")
    except PublishError as error:
        print(f"publish failed: {error}", file=sys.stderr)
        return 1
    print(f"Uploaded {len(uploaded)} files; cache invalidation {invalidation}.")
    print(f"Page policy: {policy}")
    print(f"Dashboard: {site['DashboardUrl']}")
    if api.get("ApiUrl") and site.get("DashboardOrigin"):
        print(f"The API must allow the origin {site['DashboardOrigin']} (dashboard-api param dashboardOrigin).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
