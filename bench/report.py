"""The results page: bench/page.md filled in with the machine's facts, the targets with pass/fail and
one section per suite. The page's prose lives in the template; the code fills in measured numbers.

The template is split by lines ``<!-- section: NAME -->``: the part before the first is the page's
head; each suite's part is formatted (``str.format``) with the values its section function measured.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Target:
    name: str
    wanted: str
    measured: str
    passed: bool

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "**FAIL**"


@dataclass
class Section:
    """One suite's part of the page: ``values`` fill its part of the template; ``text`` (a suite
    that did not run, or failed) stands in its place."""

    name: str
    title: str
    values: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    text: str = ""
    seconds: float = 0.0


TEMPLATE = Path(__file__).with_name("page.md")


def templates() -> dict[str, str]:
    """The page's head (``""``) and each suite's part of the template, by suite name."""
    parts = re.split(r"^<!-- section: (\w+) -->\n", TEMPLATE.read_text(), flags=re.MULTILINE)
    return {"": parts[0], **dict(zip(parts[1::2], parts[2::2], strict=True))}


def render(section: Section) -> str:
    if section.text:
        return f"## {section.title}\n\n{section.text}\n"
    took = f"\n_This suite took {section.seconds:,.0f} s._\n" if section.seconds else ""
    return templates()[section.name].format(**section.values).strip() + "\n" + took


def seconds_text(seconds: float) -> str:
    return f"{seconds:,.2f} s" if seconds < 100 else f"{seconds:,.0f} s"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _proc(path: str, field: str) -> str | None:
    """The value of ``field`` in a /proc file (``model name``, ``MemTotal:``), if there is one."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _memory() -> str:
    total = _proc("/proc/meminfo", "MemTotal:")
    return f"{int(total.split()[0]) / 2**20:.1f} GiB" if total else "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> list[list[str]]:
    return [
        ["CPU", _proc("/proc/cpuinfo", "model name") or platform.processor() or "unknown"],
        ["CPUs (nproc)", str(os.cpu_count())],
        ["Memory", _memory()],
        ["OS", f"{platform.system()} {platform.release()}"],
        ["Python", sys.version.split()[0]],
        ["moto / boto3 / botocore", f"{_version('moto')} / {_version('boto3')} / {_version('botocore')}"],
    ]


def load_average() -> str:
    """The machine's 1-minute load average over its CPUs: above 1, other work competed for the CPUs."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def page(command: str, sections: list[Section], started: datetime, seconds: float, load: str = "") -> str:
    targets = [target for section in sections for target in section.targets]
    head = templates()[""].format(
        command=command,
        date=started.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        seconds=f"{seconds:,.0f}",
        load=load or "not recorded",
        cpus=os.cpu_count(),
        machine=table(["Machine", ""], machine()),
        met=sum(target.passed for target in targets),
        targets_total=len(targets),
        targets=table(
            ["Benchmark", "Target", "Measured", "Result"],
            [[t.name, t.wanted, t.measured, t.verdict] for t in targets],
        ),
    )
    return "\n".join([head.strip() + "\n", *(render(section) for section in sections)])
