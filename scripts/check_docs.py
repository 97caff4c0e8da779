"""One home per fact in the docs: `make lint` runs this (and tests/unit/docs runs it with the unit tests).

- **Stage parameters**: every ``${param:NAME}`` a service's ``serverless.yml`` reads is a row of the one
  table under "## Stage parameters" in docs/deploy.md, that table names no parameter nobody reads, its
  Default column holds each plain default the services give, and no other table in README.md or docs/
  documents a parameter (a row whose first cell names one). Prose may still mention a parameter by name.
- **Measured numbers** live only in docs/benchmarks.md, which ``make bench`` writes: elsewhere in
  README.md and docs/, a number with a unit of time, size, rate or ratio (``20 ms``, ``164 MB``, ``0.4x``,
  ``98%``) is an error unless it is one of the constants in :data:`CONSTANTS`. Fenced code is not read.

Run: ``python scripts/check_docs.py`` from the repository root; it prints each problem and exits 1.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PARAM_PAGE = "docs/deploy.md"
PARAM_HEADING = "## Stage parameters"
GENERATED = {"docs/benchmarks.md"}

PARAM_USE = re.compile(r"\$\{param:(\w+)")
BACKTICKED = re.compile(r"`([^`]+)`")
NUMBER = r"(?<![\w.,$/-])\d[\d,]*(?:\.\d+)?"
UNIT = r"(?:\s?(?:ms|µs|s|KB|MB|MiB|GB|GiB|records/s|rows/s|times (?:faster|fewer|more|slower))|x|%)"
MEASURE = re.compile(NUMBER + UNIT + r"(?![\w/-])")

# Constants, not measurements: limits and timings fixed in the code or by AWS, and the cost model's
# stated assumptions. A number measured by `make bench` belongs in docs/benchmarks.md instead.
CONSTANTS = frozenset(
    {
        # DynamoDB's read and write unit sizes
        "1 KB", "4 KB",
        # ingest: caps, pacing and retries (ingest/logic, ingest/settings.py, shared/inventory/clients.py)
        "1 GiB", "1 MiB", "50 MB", "512 MiB", "256 MiB", "64 MiB", "32 MiB", "768 MiB", "300 KB",
        "60 s", "31 s", "900 s",
        # dashboard-api: caches, revocation and the per-user request buckets (dashboard_api/models/throttle.py)
        "1 s", "5 s", "3 s", "20 s",
        # alerts: a recount run stops this long before its time is up
        "30 s",
        # the cost model's assumptions (docs/cost.md)
        "5%", "20%", "10%", "1.5 s", "0.6 s", "6 s", "0.2 s", "30 KB",
        "1,024 MB", "512 MB", "128 MB", "1 GB", "2 GB", "7 GB",
    }
)  # fmt: skip


def used_params(root: Path) -> dict[str, dict[str, str]]:
    """Each parameter any service reads, with the plain default each service gives it (if any)."""
    params: dict[str, dict[str, str]] = {}
    for path in [*sorted(root.glob("services/*/serverless.yml")), root / "services/serverless.common.yml"]:
        text = path.read_text(encoding="utf-8")
        defaults = _defaults(text)
        for name in PARAM_USE.findall(text):
            params.setdefault(name, {})
            value = defaults.get(name)
            if isinstance(value, (str, int, float)) and str(value) and "${" not in str(value):
                params[name][path.parent.name] = str(value)
    return params


def _defaults(text: str) -> dict[str, Any]:
    """The ``params: default:`` block of a serverless.yml (CloudFormation tags read as plain values)."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda *_: None)
    document = yaml.load(text, Loader=Loader) or {}  # noqa: S506 - a SafeLoader subclass
    return dict((document.get("params") or {}).get("default") or {})


def table_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every Markdown table row outside fenced code."""
    for number, line in _prose_lines(text):
        if line.startswith("|") and not re.fullmatch(r"\|[\s:|-]+\|?", line.strip()):
            yield number, [cell.strip() for cell in line.strip().strip("|").split("|")]


def _prose_lines(text: str) -> Iterator[tuple[int, str]]:
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            yield number, line


def _section(text: str, heading: str) -> range:
    """Line numbers of ``heading`` and what follows it up to the next heading of its level."""
    lines = text.splitlines()
    start = lines.index(heading)
    level = heading.split(" ", 1)[0] + " "
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(level)), len(lines))
    return range(start + 1, end + 1)


def param_problems(root: Path, pages: Iterable[Path]) -> list[str]:
    """Undocumented, stale, doubly documented or wrongly defaulted stage parameters."""
    params = used_params(root)
    home = (root / PARAM_PAGE).read_text(encoding="utf-8")
    table = _section(home, PARAM_HEADING)
    rows = [(number, cells) for number, cells in table_rows(home) if number in table]
    documented = {name: f"{PARAM_PAGE}:{number}" for number, cells in rows for name in BACKTICKED.findall(cells[0])}
    problems = [
        f"{PARAM_PAGE}: stage parameter `{name}` is not in the table" for name in params if name not in documented
    ]
    problems += _row_problems(rows, params)
    for page in pages:
        relative = page.relative_to(root).as_posix()
        for number, cells in table_rows(page.read_text(encoding="utf-8")):
            again = set(BACKTICKED.findall(cells[0])) & params.keys()
            if again and not (relative == PARAM_PAGE and number in table):
                problems += [
                    f"{relative}:{number}: `{name}` is documented again (its home: {documented.get(name, PARAM_PAGE)})"
                    for name in sorted(again)
                ]
    return problems


def _row_problems(rows: list[tuple[int, list[str]]], params: dict[str, dict[str, str]]) -> list[str]:
    """Rows of the parameter table that name no parameter, or give a default the services do not."""
    problems = []
    for number, cells in rows:
        default = cells[2] if len(cells) > 2 else ""
        for name in BACKTICKED.findall(cells[0]):
            if name not in params:
                problems.append(f"{PARAM_PAGE}:{number}: `{name}` is no stage parameter of any serverless.yml")
            problems += [
                f"{PARAM_PAGE}:{number}: `{name}` defaults to `{value}` in {service}"
                for service, value in params.get(name, {}).items()
                if f"`{value}`" not in default
            ]
    return problems


def number_problems(root: Path, pages: Iterable[Path]) -> list[str]:
    """Numbers that look measured, outside the page the benchmarks write."""
    problems = []
    for page in pages:
        relative = page.relative_to(root).as_posix()
        for number, line in _prose_lines(page.read_text(encoding="utf-8")):
            for match in MEASURE.finditer(line):
                if " ".join(match.group().split()) not in CONSTANTS:
                    problems.append(
                        f"{relative}:{number}: '{match.group()}' looks measured: link to docs/benchmarks.md "
                        "(or add it to CONSTANTS in scripts/check_docs.py if it is a limit or a default)"
                    )
    return problems


def doc_pages(root: Path) -> list[Path]:
    """README.md and the manual, without the generated benchmark page."""
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    return [page for page in pages if page.relative_to(root).as_posix() not in GENERATED]


def problems(root: Path = ROOT) -> list[str]:
    pages = doc_pages(root)
    return param_problems(root, pages) + number_problems(root, pages)


def main() -> int:
    found = problems()
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
