"""Held uploads: a file ingest planned and held (``needs_confirmation``) is confirmed (loaded) or
discarded by the person who uploaded it (while they may still change its store) or by head office.

The decision is recorded on the upload's index row by a conditional write (so of two decisions,
or a decision and its retry, exactly one lands) and handed to ingest, which carries it out and
writes the report: ``loading`` then ``ok``/``partial`` for a confirmed file, ``discarded`` for a
discarded one. The uploaded object is never changed or deleted.
"""

from __future__ import annotations

from typing import Any, Protocol

from inventory.report import ReportStatus
from inventory.uploads import CONFIRM, DISCARD, HEAD_OFFICE, UploadEntry, resume_event

from dashboard_api.logic.permissions import Caller
from dashboard_api.models.api import UploadsPage
from dashboard_api.models.errors import Conflict, Forbidden, NotFound

DECISIONS = (CONFIRM, DISCARD)


class DecisionIndex(Protocol):
    def entry(self, key: str, version: str) -> UploadEntry | None: ...

    def decide(self, key: str, version: str, decision: str, by: str) -> bool: ...


class Ingest(Protocol):
    def invoke_async(self, event: dict[str, Any]) -> None: ...


class HeldUploads:
    def __init__(self, *, index: DecisionIndex, ingest: Ingest) -> None:
        self._index = index
        self._ingest = ingest

    def decide(self, caller: Caller, key: str, version: str, decision: str) -> UploadsPage:
        """Confirm or discard one held upload version; answers its row as it now stands (``loading``)."""
        assert decision in DECISIONS
        entry = self._index.entry(key, version)
        if entry is None:
            raise NotFound("no upload with this key and version")
        self._require_decider(caller, entry)
        if not self._index.decide(key, version, decision, caller.username):
            raise Conflict(f"this upload is not waiting for confirmation (it is {entry.status})", "not_held")
        self._ingest.invoke_async(resume_event(entry.bucket, key, version))
        entry.status = ReportStatus.LOADING
        return UploadsPage(uploads=[entry], next_cursor=None, report=None)

    @staticmethod
    def _require_decider(caller: Caller, entry: UploadEntry) -> None:
        """Head office, or the uploader while they may still see the file's store."""
        if entry.scope == HEAD_OFFICE:
            caller.require_admin()
            return
        caller.require(entry.scope)
        if not caller.admin and entry.uploaded_by != caller.username:
            raise Forbidden("only the person who uploaded this file, or head office, may confirm or discard it")
