"""The dashboard publisher: which files go up, with which content type, and the config it writes."""

from __future__ import annotations

import importlib.util
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


def test_every_dashboard_file_is_published_with_a_browser_content_type() -> None:
    files = {file.key: file.content_type for file in publish.site_files()}

    assert files["index.html"] == "text/html; charset=utf-8"
    assert files["js/app.js"] == "text/javascript; charset=utf-8"
    assert files["css/dashboard.css"] == "text/css; charset=utf-8"
    assert all(key.startswith(("js/", "css/")) or key == "index.html" for key in files)
    on_disk = {p.relative_to(REPO / "dashboard").as_posix() for p in (REPO / "dashboard").rglob("*") if p.is_file()}
    assert set(files) == on_disk - {"config.json"}


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
    assert publish.dashboard_config(API_OUTPUTS) == {
        "apiUrl": "https://abc123.execute-api.eu-central-1.amazonaws.com",
        "region": "eu-central-1",
        "userPoolId": "eu-central-1_AbCdEf",
        "userPoolClientId": "client123",
        "cognitoEndpoint": "https://cognito-idp.eu-central-1.amazonaws.com/",
    }


def test_missing_api_outputs_are_named() -> None:
    with pytest.raises(publish.PublishError, match="UserPoolClientId"):
        publish.dashboard_config({**API_OUTPUTS, "UserPoolClientId": ""})
