"""What ingest knows about one uploaded file and what it reports back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from inventory.models import RowError, StockStatus

#: Rejected rows listed in a report; the rest are only counted.
MAX_REPORTED_ERRORS = 1000
#: Store names listed in a report.
MAX_REPORTED_STORES = 1000


@dataclass(frozen=True, slots=True)
class Upload:
    """An object-created notification for one file, its key already decoded."""

    bucket: str
    key: str
    event_time: str = ""  # when S3 created the object (ms precision); orders uploads
    version_id: str = ""
    sequencer: str = ""


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
        for name in ("written", "unchanged", "stale", "duplicates"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(slots=True)
class Report:
    """The JSON report written for every file at ``reports/<key>.json``."""

    bucket: str
    key: str
    etag: str = ""
    version_id: str = ""
    started_at: str = ""
    finished_at: str = ""
    reason: str | None = None
    rows: RowCounts = field(default_factory=RowCounts)
    errors: list[RowError] = field(default_factory=list)
    stores: set[str] = field(default_factory=set)
    stores_truncated: bool = False

    def reject(self, error: RowError) -> None:
        """Count a rejected row, keeping the first :data:`MAX_REPORTED_ERRORS` for the report."""
        self.rows.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def saw_store(self, store: str) -> None:
        if store not in self.stores:
            if len(self.stores) < MAX_REPORTED_STORES:
                self.stores.add(store)
            else:
                self.stores_truncated = True

    @property
    def status(self) -> str:
        """``failed`` when nothing could be loaded, ``partial`` when some rows or part of the file
        were rejected, else ``ok``."""
        if self.rows.accepted == 0:
            return "failed"
        return "partial" if self.rows.rejected or self.reason else "ok"

    def as_json(self) -> dict[str, Any]:
        return {
            "source": {"bucket": self.bucket, "key": self.key, "etag": self.etag, "version_id": self.version_id},
            "status": self.status,
            "reason": self.reason,
            "rows": asdict(self.rows),
            "errors": [{"line": error.line, "reason": error.reason} for error in self.errors],
            "errors_truncated": self.rows.rejected > len(self.errors),
            "stores": sorted(self.stores),
            "stores_truncated": self.stores_truncated,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


@dataclass(slots=True)
class StoreChange:
    """How one file moved a store's summary: new items and out / low counts gained or lost."""

    items: int = 0
    out: int = 0
    low: int = 0

    def add(self, other: StoreChange) -> None:
        self.items += other.items
        self.out += other.out
        self.low += other.low

    def record(self, before: StockStatus | None, after: StockStatus) -> None:
        if before is None:
            self.items += 1
        for status, step in ((before, -1), (after, 1)):
            if status is StockStatus.OUT:
                self.out += step
            elif status is StockStatus.LOW:
                self.low += step
