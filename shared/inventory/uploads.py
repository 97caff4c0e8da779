"""Where uploads live in the bucket, where their reports go, and the uploads index.

Key layout (the upload prefix is ``uploads/`` unless a stage says otherwise):

- ``uploads/stores/<store>/<grant>/<file name>``: a file uploaded for one store (a dashboard
  upload grant points here). It may change that store only. ``<store>`` is the store's name
  percent-encoded with nothing left safe (``/`` is ``%2F``, ``#`` is ``%23``, a space is
  ``%20``, ``.`` is ``%2E``), so any name is exactly one key segment and decodes back to itself.
- anything else under ``uploads/``: a head-office file (AWS CLI, or a head-office grant) that
  may name any store.

Reports: one per object version, at ``reports/<key>/<version>.json``; a key too long for that
(S3 keys hold at most 1,024 bytes) gets ``reports/_long/<sha256 of the key>/<version>.json``.

The uploads index (a DynamoDB table owned by ingest, read by the dashboard API) has one row
per object version, :class:`UploadEntry`, so the uploads of a store are a query by store and
time, never a listing of the bucket.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from inventory.models import HEAD_OFFICE_SCOPE, InvalidValue, RowError, clean_store
from inventory.report import Plan, ReportStatus, RowCounts, UploadReport

#: Where uploads go unless the stage says otherwise.
UPLOAD_PREFIX = "uploads/"
#: Where reports go unless the stage says otherwise.
REPORTS_PREFIX = "reports/"
#: Under the upload prefix: the folder holding one folder per store.
STORES_FOLDER = "stores/"
#: S3's limit on a key's length, in UTF-8 bytes.
MAX_KEY_BYTES = 1024
#: The Scope of a head-office upload in the uploads index (no store may have this name:
#: ``inventory.models.RESERVED_STORE_NAMES``).
HEAD_OFFICE = HEAD_OFFICE_SCOPE
#: The constant partition key of the index's all-uploads-by-time view.
ALL_UPLOADS = "uploads"
#: Index names of the uploads table.
UPLOADS_BY_SCOPE = "UploadsByScope"
UPLOADS_BY_TIME = "UploadsByTime"
#: A person's decision on an upload, written on its index row by the dashboard API (with who made it)
#: and carried out by ingest: load a held (``needs_confirmation``) one, discard it, or undo an applied one.
DECISION = "Decision"
DECIDED_BY = "DecidedBy"
CONFIRM = "confirm"
DISCARD = "discard"
UNDO = "undo"
#: Errors and stores copied into an index row, so a listing needs no report reads.
INDEX_ERRORS = 10
INDEX_STORES = 20


class InvalidUploadKey(ValueError):
    """A key under the stores folder whose store segment is not a store name in canonical form."""


def encode_store(store: str) -> str:
    """A store's name as one key segment (see the module docstring)."""
    return quote(store, safe="").replace(".", "%2E")


def store_prefix(store: str, upload_prefix: str = UPLOAD_PREFIX) -> str:
    """The prefix under which every upload of ``store`` lives, ending in ``/``."""
    return f"{upload_prefix}{STORES_FOLDER}{encode_store(store)}/"


def store_of_key(key: str, upload_prefix: str = UPLOAD_PREFIX) -> str | None:
    """The store an upload was made for, or ``None`` for a head-office upload.

    Raises :class:`InvalidUploadKey` when the key is under the stores folder but its store
    segment is missing, is not valid percent-encoded UTF-8, is not in canonical form, or is
    not a valid store name.
    """
    folder = f"{upload_prefix}{STORES_FOLDER}"
    if not key.startswith(folder):
        return None
    segment, slash, rest = key[len(folder) :].partition("/")
    if not slash or not segment or not rest:
        raise InvalidUploadKey("a store upload's key must be <prefix>stores/<store>/<file>")
    try:
        store = unquote(segment, errors="strict")
        clean = clean_store(store)
    except (UnicodeDecodeError, InvalidValue) as error:
        raise InvalidUploadKey(f"the key's store folder is not a valid store name ({error})") from None
    if clean != store or encode_store(store) != segment:
        raise InvalidUploadKey("the key's store folder is not a store name in canonical (percent-encoded) form")
    return store


def version_tag(version_id: str, sequencer: str = "", etag: str = "") -> str:
    """A name for one version of an object, safe as a key segment.

    The bucket is versioned, so S3 names every version; the sequencer or the ETag stand in
    for buckets (or emulators) that do not.
    """
    for candidate in (version_id, sequencer, etag):
        if candidate and candidate != "null":
            return quote(candidate, safe="")
    return "unversioned"


def report_key(key: str, version: str, reports_prefix: str = REPORTS_PREFIX) -> str:
    """Where the report of version ``version`` (a :func:`version_tag`) of ``key`` is written."""
    direct = f"{reports_prefix}{key}/{version}.json"
    if len(direct.encode()) <= MAX_KEY_BYTES:
        return direct
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{reports_prefix}_long/{digest}/{version[:200]}.json"


def resume_event(bucket: str, key: str, version: str) -> dict[str, Any]:
    """The ingest function's own event that takes up an upload nobody holds (ingest's continuation
    event, part 1, handed over by nobody): how the dashboard API has a decision carried out."""
    return {"continuation": {"bucket": bucket, "key": key, "version": version, "part": 1, "holder": ""}}


def file_name(key: str) -> str:
    """The file name part of a key."""
    return key.rsplit("/", 1)[-1]


#: Field metadata (read by pydantic) of what the index row keeps but the API does not show.
_NOT_SERVED = {"exclude": True}


@dataclass(slots=True, kw_only=True)
class UploadEntry:
    """One uploaded object version, as the uploads index summarises it."""

    # The row carries a summary of the report (tallies, the first errors and stores) so listings read
    # only the index; the whole report is at ``report_key``. The dashboard API serves these fields as
    # they are, but those marked not served; their docstrings are the API's descriptions.

    key: str
    """The uploaded file's key in the bucket"""
    version: str
    """Which version of the key (the bucket is versioned)"""
    file_name: str = field(init=False, default="")
    """The file name part of the key"""
    store: str | None = None
    """The store the file was uploaded for; null for a head-office file"""
    uploaded_by: str | None = None
    """Who uploaded it (dashboard user name, or the AWS principal)"""
    status: ReportStatus
    reason: str | None = None
    rows: RowCounts = field(default_factory=RowCounts)
    errors: list[RowError] = field(default_factory=list)
    """The first rejected rows (at most 10 here)"""
    errors_truncated: bool = False
    """More rows were rejected than listed"""
    stores: list[str] = field(default_factory=list)
    """Stores the file named in accepted rows (at most 20 here)"""
    stores_truncated: bool = False
    received_at: str
    """When the upload arrived (the S3 event time), ISO 8601 UTC with milliseconds: orders the listing"""
    started_at: str | None = None
    finished_at: str | None = None
    plan: Plan | None = None
    """The dry run's summary, when the file had one (in one upload's versions; listings leave it out: the
    index's listings do not carry it)"""
    bucket: str = field(metadata=_NOT_SERVED)
    report_key: str = field(metadata=_NOT_SERVED)

    def __post_init__(self) -> None:
        self.file_name = file_name(self.key)

    @property
    def scope(self) -> str:
        """The row's partition in ``UploadsByScope``: its store, or :data:`HEAD_OFFICE`."""
        return HEAD_OFFICE if self.store is None else self.store

    @classmethod
    def of(cls, report: UploadReport, *, version: str, received_at: str, report_key: str) -> UploadEntry:
        """The index row summarising ``report``."""
        return cls(
            key=report.source.key,
            version=version,
            bucket=report.source.bucket,
            store=report.store,
            received_at=received_at,
            status=report.status,
            report_key=report_key,
            uploaded_by=report.uploaded_by,
            reason=report.reason,
            rows=report.rows,
            errors=report.errors[:INDEX_ERRORS],
            errors_truncated=report.errors_truncated or len(report.errors) > INDEX_ERRORS,
            stores=report.stores[:INDEX_STORES],
            stores_truncated=report.stores_truncated or len(report.stores) > INDEX_STORES,
            started_at=report.started_at or None,
            finished_at=report.finished_at or None,
            plan=report.plan,
        )

    def to_item(self) -> dict[str, dict[str, Any]]:
        """The row in DynamoDB's attribute-value form."""
        item: dict[str, dict[str, Any]] = {
            "Key": {"S": self.key},
            "Version": {"S": self.version},
            "Bucket": {"S": self.bucket},
            "Scope": {"S": self.scope},
            "Feed": {"S": ALL_UPLOADS},
            "ReceivedAt": {"S": self.received_at},
            "Status": {"S": self.status.value},
            "ReportKey": {"S": self.report_key},
            "Rows": {"M": {name: {"N": str(value)} for name, value in self.rows.to_json().items()}},
            "Errors": {"L": [{"M": {"Line": {"N": str(e.line)}, "Reason": {"S": e.reason}}} for e in self.errors]},
            "ErrorsTruncated": {"BOOL": self.errors_truncated},
            "Stores": {"L": [{"S": store} for store in self.stores]},
            "StoresTruncated": {"BOOL": self.stores_truncated},
            "StartedAt": {"S": self.started_at or ""},
            "FinishedAt": {"S": self.finished_at or ""},
        }
        if self.uploaded_by is not None:
            item["UploadedBy"] = {"S": self.uploaded_by}
        if self.reason is not None:
            item["Reason"] = {"S": self.reason}
        if self.plan is not None:
            item["Plan"] = {"M": {name: {"N": str(value)} for name, value in self.plan.to_json().items()}}
        return item

    @classmethod
    def from_item(cls, item: Mapping[str, Mapping[str, Any]]) -> UploadEntry:
        """Read a row written by :meth:`to_item`; raises ``KeyError`` or ``ValueError`` otherwise (an
        unknown status, say)."""
        rows = RowCounts.from_json({name: int(value["N"]) for name, value in item.get("Rows", {}).get("M", {}).items()})
        return cls(
            key=item["Key"]["S"],
            version=item["Version"]["S"],
            bucket=item["Bucket"]["S"],
            store=None if item["Scope"]["S"] == HEAD_OFFICE else item["Scope"]["S"],
            received_at=item["ReceivedAt"]["S"],
            status=ReportStatus(item["Status"]["S"]),
            report_key=item["ReportKey"]["S"],
            uploaded_by=item.get("UploadedBy", {}).get("S"),
            reason=item.get("Reason", {}).get("S"),
            rows=rows,
            errors=[
                RowError(int(error["M"]["Line"]["N"]), error["M"]["Reason"]["S"])
                for error in item.get("Errors", {}).get("L", [])
            ],
            errors_truncated=bool(item.get("ErrorsTruncated", {}).get("BOOL", False)),
            stores=[store["S"] for store in item.get("Stores", {}).get("L", [])],
            stores_truncated=bool(item.get("StoresTruncated", {}).get("BOOL", False)),
            started_at=item.get("StartedAt", {}).get("S") or None,
            finished_at=item.get("FinishedAt", {}).get("S") or None,
            plan=Plan.from_json({name: int(value["N"]) for name, value in item["Plan"]["M"].items()})
            if "Plan" in item
            else None,
        )
