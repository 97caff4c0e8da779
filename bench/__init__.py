"""Benchmarks run by ``make bench`` (``python -m bench``); results go to docs/benchmarks.md.

Each service's package lives in ``services/<name>/`` (Lambda bundles it from there), so the
benchmark puts those folders on the import path, as pytest's ``pythonpath`` setting does.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_FOLDERS = (REPO, REPO / "shared", *(REPO / "services" / name for name in ("ingest", "alerts", "dashboard-api")))
for _folder in _FOLDERS:
    if _folder.is_dir() and str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))
