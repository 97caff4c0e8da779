"""The upload report: what became of one uploaded file, row by row.

Written by ingest beside every file (one report per object version, see
:func:`inventory.uploads.report_key`), read back and served as it is by the dashboard API. One
class is the contract: :class:`UploadReport`'s fields are the JSON (``to_json`` writes them,
``from_json`` reads them back by their types) and the API's response schema (derived from the
same fields, their docstrings the descriptions). A new field is one line here.

Statuses:

- ``loading``: a big file is being loaded in several invocations; the tallies so far are true;
- ``retrying``: the last attempt failed for a passing reason and Lambda will try again;
- ``ok``: every row was accepted;
- ``partial``: some rows, or the end of the file, were rejected;
- ``failed``: nothing was loaded (``reason`` says why), or the last retry failed too;
- ``needs_confirmation``: nothing was loaded yet: a dry run planned the file (``plan``) and it waits
  for its uploader or head office to confirm it (then it is loaded) or discard it;
- ``discarded``: a held file its uploader or head office discarded; nothing was loaded;
- ``undone``: an applied file its store or head office undid: the items it set went back to what they were
  (``reason`` counts them); the tallies are the file's own.
"""

from __future__ import annotations

import bisect
import enum
import functools
import types
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

from inventory.models import RowError

#: Rejected rows listed in a report; the rest are only counted.
MAX_REPORTED_ERRORS = 1000
#: Store names listed in a report.
MAX_REPORTED_STORES = 1000

_Model = TypeVar("_Model")


class ReportStatus(enum.StrEnum):
    """loading (a big file is still being loaded), retrying (the last attempt failed for a passing reason and will
    be retried), ok, partial (some rows rejected), failed (reason says why), needs_confirmation (held after its
    dry run until its uploader or head office confirms or discards it), discarded, or undone (an applied file its
    store or head office undid)"""

    LOADING = "loading"
    RETRYING = "retrying"
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    NEEDS_CONFIRMATION = "needs_confirmation"
    DISCARDED = "discarded"
    UNDONE = "undone"

    @property
    def final(self) -> bool:
        """True when nothing more will happen to the file (a held one waits for a person, not for ingest)."""
        return self not in (ReportStatus.LOADING, ReportStatus.RETRYING)


class MalformedReport(ValueError):
    """A stored report that is not in the format :meth:`UploadReport.to_json` writes."""


@dataclass(slots=True)
class RowCounts:
    """Row tallies of one file. Every accepted row ends as written, unchanged, stale or duplicate.

    ``retired`` counts no row: the items of the file's stores that a full list omitted and retired.
    """

    read: int = 0
    """Data rows read"""
    accepted: int = 0
    """Rows that passed every check"""
    rejected: int = 0
    """Rows refused, each with its line and reason"""
    written: int = 0
    """Accepted rows that changed an item"""
    unchanged: int = 0
    """Accepted rows equal to what was stored"""
    stale: int = 0
    """Accepted rows older than what was stored (a newer upload won)"""
    duplicates: int = 0
    """Rows replaced by a later row of the same store and item in the file"""
    retired: int = 0
    """Items of the file's stores a full list omitted and retired (counts no row)"""

    def add(self, other: RowCounts) -> None:
        """Add another tally's outcomes (written, unchanged, stale, duplicates) to this one."""
        for name in ("written", "unchanged", "stale", "duplicates"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: Any) -> RowCounts:
        return _read_model(cls, value)


@dataclass(slots=True)
class UploadSource:
    """The object version a report is about."""

    bucket: str
    key: str
    etag: str = ""
    version_id: str = ""


@dataclass(slots=True)
class Plan:
    """What a file changes (or, held, would change), from its dry run."""

    changed: int = 0
    """Items set to another count or threshold"""
    out_of_stock: int = 0
    """Of those, items going out of stock (count 0, not 0 before)"""
    retired: int = 0
    """Items retired (omitted from a store's full list)"""

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: Any) -> Plan:
        return _read_model(cls, value, "plan")


@dataclass(slots=True)
class UploadReport:
    """The whole report ingest wrote for one object version."""

    source: UploadSource
    store: str | None = None
    """The store the file was uploaded for (its key is under that store's folder); null for a head-office file,
    which may name any store"""
    uploaded_by: str | None = None
    """Who uploaded it: the dashboard user (signed metadata, believed only on objects the API's role put), else
    the AWS principal"""
    principal: str | None = field(default=None, metadata={"exclude": True})
    """Who put the object, as the S3 event names it (its principal id), always; kept for operators, not served
    (for a dashboard upload it names the API's role)"""
    status: ReportStatus = ReportStatus.LOADING
    reason: str | None = None
    rows: RowCounts = field(default_factory=RowCounts)
    errors: list[RowError] = field(default_factory=list)
    """The first 1,000 rejected rows"""
    errors_truncated: bool = False
    """More rows were rejected than listed"""
    stores: list[str] = field(default_factory=list)
    """Stores the file named in accepted rows, sorted (at most 1,000)"""
    stores_truncated: bool = False
    started_at: str = ""
    finished_at: str = ""
    plan: Plan | None = None
    """The dry run's summary, when the file had one"""

    def reject(self, error: RowError) -> None:
        """Count a rejected row, keeping the first :data:`MAX_REPORTED_ERRORS` for the report."""
        self.rows.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)
        else:
            self.errors_truncated = True

    def saw_store(self, store: str) -> None:
        """Note a store the file named in an accepted row (``stores`` stays sorted)."""
        at = bisect.bisect_left(self.stores, store)
        if at < len(self.stores) and self.stores[at] == store:
            return
        if len(self.stores) < MAX_REPORTED_STORES:
            self.stores.insert(at, store)
        else:
            self.stores_truncated = True

    def outcome(self) -> ReportStatus:
        """The final status the tallies and ``reason`` call for: ``failed`` when nothing was
        accepted, ``partial`` when some rows or part of the file were rejected, else ``ok``."""
        if self.rows.accepted == 0:
            return ReportStatus.FAILED
        return ReportStatus.PARTIAL if self.rows.rejected or self.reason else ReportStatus.OK

    def to_json(self) -> dict[str, Any]:
        return asdict(self, dict_factory=_plain)

    @classmethod
    def from_json(cls, value: Any) -> UploadReport:
        """Read a report written by :meth:`to_json`; raises :class:`MalformedReport` otherwise."""
        return _read_model(cls, value)


def _plain(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {name: value.value if isinstance(value, enum.Enum) else value for name, value in pairs}


def _read_model(model: type[_Model], value: Any, name: str = "report") -> _Model:
    """An instance of the dataclass ``model`` from JSON written by :func:`dataclasses.asdict`, read
    by its fields' types: a missing field takes its default, anything else out of shape raises
    :class:`MalformedReport` (counts and line numbers are whole numbers of 0 or more)."""
    if not isinstance(value, Mapping):
        raise MalformedReport(f"{name} is not an object")
    kind: Any = model  # a dataclass, by the callers' types
    hints = _hints(kind)
    values: dict[str, Any] = {}
    for item in fields(kind):
        if item.name in value:
            values[item.name] = _read(hints[item.name], value[item.name], f"{name}.{item.name}")
        elif item.default is MISSING and item.default_factory is MISSING:
            raise MalformedReport(f"{name}.{item.name} is missing")
    return model(**values)


@functools.cache
def _hints(model: Any) -> dict[str, Any]:
    return get_type_hints(model)


def _read(kind: Any, value: Any, name: str) -> Any:
    origin, args = get_origin(kind), get_args(kind)
    if origin is types.UnionType:  # X | None
        return None if value is None else _read(args[0], value, name)
    if origin is list:
        if not isinstance(value, list):
            raise MalformedReport(f"{name} is not a list")
        return [_read(args[0], element, f"{name}[]") for element in value]
    if isinstance(kind, type) and is_dataclass(kind):
        return _read_model(kind, value, name)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(value)
        except ValueError:
            raise MalformedReport(f"unknown {name} {str(value)[:40]!r}") from None
    if kind is bool and isinstance(value, bool):
        return value
    if kind is int and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if kind is str and isinstance(value, str):
        return value
    raise MalformedReport(f"{name} is not {'a count' if kind is int else kind.__name__}")
