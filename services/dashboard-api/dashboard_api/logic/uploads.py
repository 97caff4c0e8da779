"""Uploads, as the uploads index tells them: who may see which, newest first, and one upload's versions.

Visibility follows the key: a file uploaded under a store's prefix belongs to that store (its users
and admins see it, failed or not, whatever rows it held); a head-office file (anywhere else under
the upload prefix) is seen by admins only.

Listing a non-admin's uploads merges one time-ordered stream per store they may see
(``UploadsByScope``); an admin's is one stream (``UploadsByTime``), or one store's with ``store=``.
Streams are merged newest first; rows with the same time are taken store by store in name order,
so a cursor (the last row consumed) says exactly where every stream resumes:

- in the cursor row's own stream, right after it (``ExclusiveStartKey``);
- in a stream whose store sorts before it, at rows older than its time;
- in a stream whose store sorts after it, at rows of its time or older.

Reads are bounded: each stream is read in pages no bigger than the page asked for, and a request
stops after examining :data:`MAX_EXAMINED` rows, answering with what it has and a cursor.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from inventory.report import UploadReport
from inventory.uploads import UPLOAD_PREFIX, InvalidUploadKey, UploadEntry, store_of_key

from dashboard_api.logic.cursor import CursorCodec
from dashboard_api.logic.permissions import Caller
from dashboard_api.models.api import UploadsPage
from dashboard_api.models.errors import NotAllowed, Unknown
from dashboard_api.models.records import IndexedUpload, IndexPage, StreamRead, UploadPosition, UploadStream

#: Index rows a listing request examines at most (summed over every stream it reads), and the
#: Queries it may send beyond the first one per stream.
MAX_EXAMINED = 1_000
MAX_FURTHER_QUERIES = 20
#: Index rows read for one key's versions (the table's key is Key + Version, not time-ordered).
MAX_VERSIONS_READ = 1_000


class UploadIndexSource(Protocol):
    def page(self, read: StreamRead, limit: int) -> IndexPage: ...
    def versions(self, key: str, max_rows: int) -> list[UploadEntry]: ...


class ReportSource(Protocol):
    def read(self, report_key: str) -> UploadReport | None: ...


@dataclass
class _Stream:
    """One stream being merged: what is buffered, and how the next Query continues."""

    stream: UploadStream
    after: UploadPosition | None = None
    older_than: str | None = None
    inclusive: bool = False
    buffer: deque[IndexedUpload] = field(default_factory=deque)
    done: bool = False

    def resume_from(self, position: UploadPosition) -> None:
        if position.partition == self.stream.partition:
            self.after = position
        else:
            self.older_than = position.received_at
            self.inclusive = self.stream.partition > position.partition


class UploadListing:
    def __init__(
        self,
        *,
        index: UploadIndexSource,
        reports: ReportSource,
        cursors: CursorCodec,
        scope_stream: Callable[[str], UploadStream],
        time_stream: Callable[[], UploadStream],
        mapper: Callable[[Callable[[Any], Any], Iterable[Any]], list[Any]],
    ) -> None:
        self._index = index
        self._reports = reports
        self._cursors = cursors
        self._scope_stream = scope_stream
        self._time_stream = time_stream
        self._map = mapper

    # -- the listing ----------------------------------------------------------------

    def uploads(self, caller: Caller, store: str | None, limit: int, cursor: str | None) -> UploadsPage:
        """The newest uploads the caller may see (only ``store``'s with ``store``), ``limit`` at most."""
        if store is not None:
            caller.require(store)
            listing, streams = f"store:{store}", [self._scope_stream(store)]
        elif caller.admin:
            listing, streams = "all", [self._time_stream()]
        else:
            listing, streams = "mine", [self._scope_stream(name) for name in sorted(caller.stores)]
        if not streams:
            return UploadsPage(uploads=[], next_cursor=None, report=None)
        merging = [_Stream(stream) for stream in streams]
        if cursor:
            position = self._cursors.decode_uploads(cursor, listing)
            for stream in merging:
                stream.resume_from(position)
        rows, last, more = self._merge(merging, limit)
        return UploadsPage(
            uploads=rows,
            next_cursor=self._cursors.encode_uploads(last, listing) if more and last else None,
            report=None,
        )

    def _merge(self, streams: list[_Stream], limit: int) -> tuple[list[UploadEntry], UploadPosition | None, bool]:
        """Up to ``limit`` rows, newest first, the position of the last row consumed, and whether
        anything is left."""
        examined = 0
        further_queries = 0

        def fill(stream: _Stream, size: int) -> int:
            page = self._index.page(StreamRead(stream.stream, stream.after, stream.older_than, stream.inclusive), size)
            stream.buffer.extend(page.rows)
            stream.after, stream.done = page.last, page.last is None
            return len(page.rows)

        # First pages in parallel, each sized for its share of the page (plus one, to see past it).
        first = min(limit + 1, max(2, math.ceil((limit + 1) / len(streams)) + 1))
        examined += sum(self._map(lambda stream: fill(stream, first), streams))
        shown: list[UploadEntry] = []
        last: UploadPosition | None = None
        order = {stream.stream.partition: rank for rank, stream in enumerate(streams)}
        while len(shown) < limit:
            starved = [stream for stream in streams if not stream.buffer and not stream.done]
            if starved and (examined >= MAX_EXAMINED or further_queries >= MAX_FURTHER_QUERIES):
                break
            for stream in starved:
                further_queries += 1
                examined += fill(stream, max(2, min(limit + 1 - len(shown), MAX_EXAMINED - examined)))
            if any(not stream.buffer and not stream.done for stream in streams):
                continue  # an empty page that still has a LastEvaluatedKey: read on (within the budget)
            heads = [stream for stream in streams if stream.buffer]
            if not heads:
                break
            newest = max(
                heads,
                key=lambda s: (s.buffer[0].position.received_at, -order[s.stream.partition]),
            )
            row = newest.buffer.popleft()
            last = row.position
            if row.entry is not None:
                shown.append(row.entry)
        more = any(stream.buffer or not stream.done for stream in streams)
        return shown, last, more

    # -- one upload -----------------------------------------------------------------

    def upload(self, caller: Caller, key: str, version: str | None, limit: int) -> UploadsPage:
        """One upload's versions, newest first, and the whole report of the newest (or of ``version``)."""
        self._require_key(caller, key)
        entries = [
            entry
            for entry in self._index.versions(key, MAX_VERSIONS_READ)
            if caller.admin or (entry.store is not None and caller.may_see(entry.store))
        ]
        if not entries:
            raise Unknown("no upload with this key")
        entries.sort(key=lambda entry: (entry.received_at, entry.version), reverse=True)
        chosen: UploadEntry | None = entries[0]
        if version is not None:
            chosen = next((entry for entry in entries if entry.version == version), None)
        if chosen is None:
            raise Unknown("no such version of this upload")
        report = self._reports.read(chosen.report_key)
        return UploadsPage(
            uploads=entries[:limit],
            next_cursor=None,
            report=report,
        )

    def _require_key(self, caller: Caller, key: str) -> None:
        """:class:`NotAllowed` unless the caller may see uploads under ``key``; :class:`Unknown` for keys
        that are no upload."""
        if not key.startswith(UPLOAD_PREFIX):
            raise Unknown("no upload with this key")
        try:
            store = store_of_key(key)
        except InvalidUploadKey:
            store = None  # not a store's folder in canonical form: not any store's file
        if caller.admin:
            return
        if store is None:
            raise NotAllowed("head-office uploads are visible to admins only")
        caller.require(store)
