"""The dashboard publisher: which files go up, with which content type, and the config it writes."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]


def load_publisher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dashboard_site_publish", REPO / "services/dashboard-site/publish.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


publish = load_publisher()

API_OUTPUTS = {
    "ApiUrl": "https://abc123.execute-api.eu-central-1.amazonaws.com/",
    "UserPoolId": "eu-central-1_AbCdEf",
    "UserPoolClientId": "client123",
    "Region": "eu-central-1",
}
ALERTS_OUTPUTS = {"SoonDays": "3"}


def test_every_dashboard_file_is_published_with_a_browser_content_type() -> None:
    files = {file.key: file.content_type for file in publish.site_files()}

    assert files["index.html"] == "text/html; charset=utf-8"
    assert files["js/app.js"] == "text/javascript; charset=utf-8"
    assert files["css/dashboard.css"] == "text/css; charset=utf-8"
    assert files["vendor/qrcode-generator/qrcode.mjs"] == "text/javascript; charset=utf-8"
    assert files["vendor/swagger-ui/swagger-ui-bundle.js"] == "text/javascript; charset=utf-8"
    assert all(key.startswith(("js/", "css/", "vendor/")) or key == "index.html" for key in files)
    on_disk = {p.relative_to(REPO / "dashboard").as_posix() for p in (REPO / "dashboard").rglob("*") if p.is_file()}
    assert set(files) == on_disk - {"config.json", "README.md"}


def test_a_local_config_json_and_hidden_files_are_never_published(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "config.json").write_text('{"apiUrl": "http://127.0.0.1:8000/api"}')
    (tmp_path / ".DS_Store").write_text("x")

    assert [file.key for file in publish.site_files(tmp_path)] == ["index.html"]


def test_a_file_of_unknown_type_stops_the_publish(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "notes.md").write_text("x")

    with pytest.raises(publish.PublishError, match=r"notes\.md"):
        publish.site_files(tmp_path)


def test_config_comes_from_the_api_stack_outputs() -> None:
    assert publish.dashboard_config(API_OUTPUTS, {}, ALERTS_OUTPUTS) == {
        "apiUrl": "https://abc123.execute-api.eu-central-1.amazonaws.com",
        "region": "eu-central-1",
        "userPoolId": "eu-central-1_AbCdEf",
        "userPoolClientId": "client123",
        "cognitoEndpoint": "https://cognito-idp.eu-central-1.amazonaws.com/",
        "smsEnabled": False,
        "soonDays": 3.0,
    }


def test_the_page_flags_runs_out_soon_with_the_alerts_stacks_soon_days() -> None:
    assert publish.dashboard_config(API_OUTPUTS, {}, {"SoonDays": "4.5"})["soonDays"] == 4.5
    for wrong in ({}, {"SoonDays": ""}, {"SoonDays": "three"}, {"SoonDays": "0"}, {"SoonDays": "nan"}):
        with pytest.raises(publish.PublishError, match="SoonDays"):
            publish.dashboard_config(API_OUTPUTS, {}, wrong)


def test_the_dashboard_offers_sms_only_where_the_api_stack_says_the_stage_can_send_it() -> None:
    assert publish.dashboard_config(API_OUTPUTS | {"SmsEnabled": "true"}, {}, ALERTS_OUTPUTS)["smsEnabled"] is True
    assert publish.dashboard_config(API_OUTPUTS | {"SmsEnabled": "false"}, {}, ALERTS_OUTPUTS)["smsEnabled"] is False


def test_missing_api_outputs_are_named() -> None:
    with pytest.raises(publish.PublishError, match="UserPoolClientId"):
        publish.dashboard_config({**API_OUTPUTS, "UserPoolClientId": ""}, {}, ALERTS_OUTPUTS)


INGEST_OUTPUTS = {"UploadBucketName": "inventory-ingest-prod-eu-central-1-uploads", "LowStockDefault": "5"}


def test_config_carries_the_stage_default_low_stock_level_for_the_chart_marks() -> None:
    assert publish.dashboard_config(API_OUTPUTS, INGEST_OUTPUTS, ALERTS_OUTPUTS)["lowStockDefault"] == 5
    assert "lowStockDefault" not in publish.dashboard_config(API_OUTPUTS, {}, ALERTS_OUTPUTS)
    with pytest.raises(publish.PublishError, match="LowStockDefault"):
        publish.dashboard_config(API_OUTPUTS, {"LowStockDefault": "five"}, ALERTS_OUTPUTS)


def connect_sources(policy: str) -> list[str]:
    [directive] = [part.split()[1:] for part in policy.split(";") if part.split()[:1] == ["connect-src"]]
    return directive


def test_the_deployed_page_may_connect_to_its_own_api_cognito_and_upload_bucket_only() -> None:
    config = publish.dashboard_config(API_OUTPUTS, INGEST_OUTPUTS, ALERTS_OUTPUTS)

    policy = publish.content_security_policy(config, INGEST_OUTPUTS["UploadBucketName"])

    assert connect_sources(policy) == [
        "'self'",
        "https://abc123.execute-api.eu-central-1.amazonaws.com",
        "https://cognito-idp.eu-central-1.amazonaws.com",
        "https://inventory-ingest-prod-eu-central-1-uploads.s3.eu-central-1.amazonaws.com",
    ]
    assert "*" not in policy
    assert "https: " not in policy
    assert "script-src 'self';" in policy
    assert "'unsafe-inline'" not in policy


def test_a_policy_is_not_written_for_hosts_that_are_not_what_they_claim() -> None:
    config = publish.dashboard_config(API_OUTPUTS, {}, ALERTS_OUTPUTS)
    with pytest.raises(publish.PublishError, match="bucket"):
        publish.content_security_policy(config, "x; script-src *")
    with pytest.raises(publish.PublishError, match="https"):
        publish.content_security_policy({**config, "apiUrl": "http://abc.example"}, "bucket-1")


def test_index_html_gets_the_policy_in_place_of_the_local_one() -> None:
    page = (publish.SITE_ROOT / "index.html").read_bytes()
    config = publish.dashboard_config(API_OUTPUTS, {}, ALERTS_OUTPUTS)
    policy = publish.content_security_policy(config, "uploads-bucket")

    published = publish.with_policy(page, policy).decode()

    assert f'content="{policy}"' in published
    assert "127.0.0.1" not in published
    assert published.replace(policy, "") == page.decode().replace(
        re.search(r'http-equiv="Content-Security-Policy"\s+content="([^"]*)"', page.decode()).group(1),
        "",  # type: ignore[union-attr]
    )


def test_a_page_without_exactly_one_policy_is_refused() -> None:
    with pytest.raises(publish.PublishError, match="exactly one"):
        publish.with_policy(b"<html><head></head></html>", "default-src 'self'")


def test_the_repository_page_allows_connections_to_loopback_only() -> None:
    """The policy served by the local stack: its own origin and the emulator, never any https host."""
    page = (publish.SITE_ROOT / "index.html").read_text()
    [policy] = re.findall(r'http-equiv="Content-Security-Policy"\s+content="([^"]*)"', page)

    assert connect_sources(policy) == ["'self'", "http://127.0.0.1:*", "http://localhost:*"]
    assert "'unsafe-inline'" not in policy
