"""The vendored front-end libraries: unchanged from their packages, licensed, and loaded from this site."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

DASHBOARD = Path(__file__).resolve().parents[3] / "dashboard"


def recorded_hashes() -> dict[str, str]:
    readme = (DASHBOARD / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| (vendor/\S+) \| ([0-9a-f]{64}) \|$", readme, re.MULTILINE))


def test_every_vendored_file_is_byte_identical_to_the_package_it_came_from() -> None:
    hashes = recorded_hashes()
    code = {
        p.relative_to(DASHBOARD).as_posix()
        for p in (DASHBOARD / "vendor").rglob("*")
        if p.is_file() and p.suffix != ".txt"
    }

    assert code <= set(hashes), f"vendored files without a recorded hash: {code - set(hashes)}"
    for name, digest in hashes.items():
        assert hashlib.sha256((DASHBOARD / name).read_bytes()).hexdigest() == digest, name


def test_each_vendored_library_carries_its_licence() -> None:
    for library in (DASHBOARD / "vendor").iterdir():
        assert (library / "LICENSE.txt").is_file(), library.name
    assert "Apache License" in (DASHBOARD / "vendor/swagger-ui/LICENSE.txt").read_text()
    assert "MIT license" in (DASHBOARD / "vendor/qrcode-generator/LICENSE.txt").read_text()


def test_no_page_or_module_loads_code_from_another_host() -> None:
    for path in [DASHBOARD / "index.html", *(DASHBOARD / "js").rglob("*.js")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*[:=]\s*['"]https?://""", text), path
        assert not re.search(r"""import[^;]*['"]https?://""", text), path
