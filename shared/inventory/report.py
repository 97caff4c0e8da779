"""The upload report: what became of one uploaded file, row by row.

Written by ingest beside every file (one report per object version, see
:func:`inventory.uploads.report_key`) and read back by the dashboard API, both through
:class:`UploadReport`: ``to_json`` is the only writer of the format and ``from_json`` the
only reader, so the two services cannot drift apart.

Statuses:

- ``loading``: a big file is being loaded in several invocations; the tallies so far are true;
- ``retrying``: the last attempt failed for a passing reason and Lambda will try again;
- ``ok``: every row was accepted;
- ``partial``: some rows, or the end of the file, were rejected;
- ``failed``: nothing was loaded (``reason`` says why), or the last retry failed too;
- ``needs_confirmation``: nothing was loaded yet: a dry run planned the file (``plan``) and it waits
  for its uploader or head office to confirm it (then it is loaded) or discard it;
- ``discarded``: a held file its uploader or head office discarded; nothing was loaded.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from inventory.models import RowError

#: Rejected rows listed in a report; the rest are only counted.
MAX_REPORTED_ERRORS = 1000
#: Store names listed in a report.
MAX_REPORTED_STORES = 1000


class ReportStatus(enum.StrEnum):
    LOADING = "loading"
    RETRYING = "retrying"
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    NEEDS_CONFIRMATION = "needs_confirmation"
    DISCARDED = "discarded"

    @property
    def final(self) -> bool:
        """True when nothing more will happen to the file (a held one waits for a person, not for ingest)."""
        return self not in (ReportStatus.LOADING, ReportStatus.RETRYING)


class MalformedReport(ValueError):
    """A stored report that is not in the format :meth:`UploadReport.to_json` writes."""


@dataclass(slots=True)
class RowCounts:
    """Row tallies of one file. Every accepted row ends as written, unchanged, stale or duplicate."""

    read: int = 0
    accepted: int = 0
    rejected: int = 0
    written: int = 0
    unchanged: int = 0
    stale: int = 0
    duplicates: int = 0

    def add(self, other: RowCounts) -> None:
        """Add another tally's outcomes (written, unchanged, stale, duplicates) to this one."""
        for name in ("written", "unchanged", "stale", "duplicates"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_json(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @classmethod
    def from_json(cls, value: Any) -> RowCounts:
        if not isinstance(value, Mapping):
            raise MalformedReport("rows is not an object")
        counts = cls()
        for item in fields(cls):
            number = value.get(item.name, 0)
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                raise MalformedReport(f"rows.{item.name} is not a count")
            setattr(counts, item.name, number)
        return counts


@dataclass(slots=True)
class Plan:
    """What a file changes (or would change, before it is confirmed), from its dry run: the items it
    sets to another count or threshold, those of them going out of stock (count 0, not 0 before), and
    the items it retires."""

    changed: int = 0
    out_of_stock: int = 0
    retired: int = 0

    def to_json(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @classmethod
    def from_json(cls, value: Any) -> Plan | None:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise MalformedReport("plan is not an object")
        plan = cls()
        for item in fields(cls):
            number = value.get(item.name, 0)
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                raise MalformedReport(f"plan.{item.name} is not a count")
            setattr(plan, item.name, number)
        return plan


@dataclass(slots=True)
class UploadReport:
    """The report of one uploaded file (one object version)."""

    bucket: str
    key: str
    etag: str = ""
    version_id: str = ""
    #: The store the file was uploaded for (its key is under that store's prefix); ``None``
    #: for head-office files at the plain upload prefix, which may name any store.
    store: str | None = None
    #: Who uploaded it: the signed ``uploaded-by`` metadata of a dashboard upload (trusted only
    #: when the object was put by the API's role), else the S3 event's principal.
    uploaded_by: str | None = None
    #: Who put the object, as the S3 event names it (``userIdentity.principalId``), always.
    principal: str | None = None
    status: ReportStatus = ReportStatus.LOADING
    reason: str | None = None
    rows: RowCounts = field(default_factory=RowCounts)
    errors: list[RowError] = field(default_factory=list)
    stores: set[str] = field(default_factory=set)
    stores_truncated: bool = False
    started_at: str = ""
    finished_at: str = ""
    #: The dry run's summary, for a file that was planned before it was applied (else ``None``).
    plan: Plan | None = None

    def reject(self, error: RowError) -> None:
        """Count a rejected row, keeping the first :data:`MAX_REPORTED_ERRORS` for the report."""
        self.rows.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def saw_store(self, store: str) -> None:
        """Note a store the file named in an accepted row."""
        if store not in self.stores:
            if len(self.stores) < MAX_REPORTED_STORES:
                self.stores.add(store)
            else:
                self.stores_truncated = True

    @property
    def errors_truncated(self) -> bool:
        return self.rows.rejected > len(self.errors)

    def outcome(self) -> ReportStatus:
        """The final status the tallies and ``reason`` call for: ``failed`` when nothing was
        accepted, ``partial`` when some rows or part of the file were rejected, else ``ok``."""
        if self.rows.accepted == 0:
            return ReportStatus.FAILED
        return ReportStatus.PARTIAL if self.rows.rejected or self.reason else ReportStatus.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "source": {"bucket": self.bucket, "key": self.key, "etag": self.etag, "version_id": self.version_id},
            "store": self.store,
            "uploaded_by": self.uploaded_by,
            "principal": self.principal,
            "status": self.status.value,
            "reason": self.reason,
            "rows": self.rows.to_json(),
            "errors": [{"line": error.line, "reason": error.reason} for error in self.errors],
            "errors_truncated": self.errors_truncated,
            "stores": sorted(self.stores),
            "stores_truncated": self.stores_truncated,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "plan": None if self.plan is None else self.plan.to_json(),
        }

    @classmethod
    def from_json(cls, value: Any) -> UploadReport:
        """Read a report written by :meth:`to_json`; raises :class:`MalformedReport` otherwise."""
        if not isinstance(value, Mapping):
            raise MalformedReport("a report is a JSON object")
        source = value.get("source")
        if not isinstance(source, Mapping):
            raise MalformedReport("source is not an object")
        try:
            status = ReportStatus(str(value.get("status")))
        except ValueError:
            raise MalformedReport(f"unknown status {str(value.get('status'))[:40]!r}") from None
        errors = value.get("errors", [])
        stores = value.get("stores", [])
        if not isinstance(errors, list) or not isinstance(stores, list):
            raise MalformedReport("errors and stores are lists")
        return cls(
            bucket=_text(source, "bucket"),
            key=_text(source, "key"),
            etag=_text(source, "etag"),
            version_id=_text(source, "version_id"),
            store=_optional_text(value, "store"),
            uploaded_by=_optional_text(value, "uploaded_by"),
            principal=_optional_text(value, "principal"),
            status=status,
            reason=_optional_text(value, "reason"),
            rows=RowCounts.from_json(value.get("rows", {})),
            errors=[_row_error(error) for error in errors],
            stores={store for store in stores if isinstance(store, str)},
            stores_truncated=bool(value.get("stores_truncated", False)),
            started_at=_text(value, "started_at"),
            finished_at=_text(value, "finished_at"),
            plan=Plan.from_json(value.get("plan")),
        )


def _text(value: Mapping[str, Any], name: str) -> str:
    text = value.get(name) or ""
    if not isinstance(text, str):
        raise MalformedReport(f"{name} is not text")
    return text


def _optional_text(value: Mapping[str, Any], name: str) -> str | None:
    text = value.get(name)
    if text is not None and not isinstance(text, str):
        raise MalformedReport(f"{name} is not text")
    return text


def _row_error(value: Any) -> RowError:
    if not isinstance(value, Mapping):
        raise MalformedReport("an error is not an object")
    line, reason = value.get("line"), value.get("reason")
    if not isinstance(line, int) or isinstance(line, bool) or not isinstance(reason, str):
        raise MalformedReport("an error needs a line number and a reason")
    return RowError(line=line, reason=reason)
