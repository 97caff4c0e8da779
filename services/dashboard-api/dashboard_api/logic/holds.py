"""Held uploads: a file ingest planned and held (``needs_confirmation``) is confirmed (loaded) or
discarded by the person who uploaded it (while they may still change its store) or by head office.

The decision is recorded on the upload's index row by a conditional write (so of two decisions,
or a decision and its retry, exactly one lands) and handed to ingest, which carries it out and
writes the report: ``loading`` then ``ok``/``partial`` for a confirmed file, ``discarded`` for a
discarded one. The uploaded object is never changed or deleted.

An applied upload (``ok`` or ``partial``) is undone the same way, by head office or anyone who may see
its store (a head-office file: head office only): ingest puts back what the items it set were before
(``ingest.logic.undo``) and the report turns ``undone``.
"""

from __future__ import annotations

from typing import Any, Protocol

from inventory.report import ReportStatus
from inventory.uploads import CONFIRM, DISCARD, HEAD_OFFICE, UNDO, UploadEntry, resume_event

from dashboard_api.logic.permissions import Caller
from dashboard_api.models.api import UploadsPage
from dashboard_api.models.errors import NotAllowed, StateConflict, Unknown

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
        entry = self._entry(key, version)
        self._require_decider(caller, entry)
        return self._hand_over(
            caller, entry, decision, f"this upload is not waiting for confirmation (it is {entry.status})", "not_held"
        )

    def undo(self, caller: Caller, key: str, version: str) -> UploadsPage:
        """Undo one applied upload version; answers its row as it now stands (``loading``)."""
        entry = self._entry(key, version)
        if entry.scope == HEAD_OFFICE:
            caller.require_admin()
        else:
            caller.require(entry.scope)
        conflict = f"only an applied upload (ok or partial) can be undone, once (it is {entry.status})"
        return self._hand_over(caller, entry, UNDO, conflict, "not_applied")

    def _entry(self, key: str, version: str) -> UploadEntry:
        entry = self._index.entry(key, version)
        if entry is None:
            raise Unknown("no upload with this key and version")
        return entry

    def _hand_over(self, caller: Caller, entry: UploadEntry, decision: str, conflict: str, code: str) -> UploadsPage:
        """Record the decision on the row (or refuse: :class:`StateConflict`) and have ingest carry it out."""
        if not self._index.decide(entry.key, entry.version, decision, caller.username):
            raise StateConflict(conflict, code)
        self._ingest.invoke_async(resume_event(entry.bucket, entry.key, entry.version))
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
            raise NotAllowed("only the person who uploaded this file, or head office, may confirm or discard it")
