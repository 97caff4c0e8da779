"""Where the local stack keeps its state: ``.local/`` (or ``$INVENTORY_STATE_DIR``), and ``stack.json`` in it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from devstack.config import REPO


def state_dir() -> Path:
    return Path(os.environ.get("INVENTORY_STATE_DIR") or REPO / ".local").resolve()


#: Printed service configurations, keyed by a hash of their files: shared by every state directory.
CACHE_DIR = REPO / ".local" / "cache"


def write_atomically(path: Path, content: dict[str, Any]) -> None:
    """Readers (scripts waiting for the stack) see either no file or the whole file, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(content, indent=2) + "\n")
    tmp.replace(path)
