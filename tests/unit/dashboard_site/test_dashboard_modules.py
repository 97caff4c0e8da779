"""The dashboard's pure ES modules (urgency order, upload checks, late answers, views' render functions) under node.

The render functions build elements with ``js/fake_dom.mjs``, the little of the DOM that ``dom.js`` uses.

The tests themselves are in ``js/*.test.mjs`` beside this file. A missing ``node`` fails, never skips.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

TESTS = Path(__file__).resolve().parent / "js"


def test_dashboard_modules_pass_their_node_tests() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the dashboard's module tests need Node.js 20 or newer")
    files = sorted(str(path) for path in TESTS.glob("*.test.mjs"))
    assert files, f"no module tests found in {TESTS}"
    # The dashboard's modules are plain .js ES modules without a package.json of their own.
    result = subprocess.run(
        [node, "--experimental-detect-module", "--test", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
