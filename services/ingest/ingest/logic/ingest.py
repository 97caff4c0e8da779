"""Ingest one uploaded file: claim it, stream, parse, check, load, and report, across invocations if need be.

Every object version gets exactly one report, at ``inventory.uploads.report_key``, and one
uploads index row beside it (written by ``ingest.dal.uploads``). The row is also the claim:

- an event for a version whose row is final is a duplicate: skipped, the file is not read again
  (unless the row says its report is still to be written: then that is written from the row);
- an event for a version another request holds (an unexpired lease) stands down at once, at no
  cost: if that holder dies, Lambda's retry of its request (which takes over a lease its own
  earlier attempt held) or a later delivery (once the lease has run out) carries on from its
  last checkpoint;
- every write for the upload is fenced by the claim: items in transactions that check the row
  still names this invocation's owner token, the row by the same condition, and the report only
  right after a write to the row has landed; so an invocation presumed dead and taken over
  changes nothing once it wakes (``LeaseLost``);
- every failure ends in a report: ``failed`` with a reason when the file itself is the problem;
  ``retrying`` when AWS failed and Lambda will try again (the report says which attempt it was);
  ``failed`` after the last attempt, keeping the tallies of everything that landed. The row is
  the commit point: it turns final first, the report is written from it (see ``ingest.dal.uploads``).

A big file is loaded in parts: before Lambda's time runs out the loader stops at a batch
boundary, every row read so far lands, the parser's position and the tallies are saved on the
row (status ``loading``, and a ``loading`` report), and the function invokes itself with a
continuation event that opens the object at the saved byte and carries on; the lease is handed
to it (the event names the holder's owner token), so nothing else comes in between. On the way, a
checkpoint is saved every ``checkpoint_seconds``, so a killed invocation's successor redoes
little; rows it finds already landed by this upload count as written, so the tallies stay exact.

A file under a store's folder (``uploads/stores/<store>/...``) may change that store only; any
row naming another store is rejected with its line. Other files under the upload prefix are
head-office files and may name any store.

The uploader a grant named (the signed ``uploaded_by`` metadata) must still be allowed to change the
file's store (or, for a head-office file, every store) when ingest starts on it: a user disabled,
deleted or moved off the store after the grant was signed gets a ``failed`` report and nothing is
loaded (``inventory.people``; the grant's time is the key's time folder).

An applied upload its store or head office undoes (the dashboard API writes the decision ``undo`` on
its row and invokes this function with a resume event) is claimed like any other: the items it set
go back to what they were (``ingest.logic.undo``, fenced by the claim), and its report, read back
from the bucket, turns ``undone`` with the counts in its reason. The row is final again, so a
repeated event does nothing; a retry after a passing failure undoes again, which changes nothing twice.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from inventory.models import InventoryRow, RowError, SourceVersion, comparable_sequencer
from inventory.people import granted_at
from inventory.report import MAX_REPORTED_STORES, ReportStatus, RowCounts, UploadReport, UploadSource
from inventory.uploads import (
    DISCARD,
    HEAD_OFFICE,
    REPORTS_PREFIX,
    UNDO,
    UPLOAD_PREFIX,
    InvalidUploadKey,
    UploadEntry,
    report_key,
    store_of_key,
)

from ingest.logic.guard import Guard, PlanningTable, PlanTally
from ingest.logic.loader import Loader, Pause
from ingest.logic.parser import (
    FORMATS_BY_SUFFIX,
    FileFormat,
    FileRejected,
    ParsedRow,
    ParsePosition,
    RowStream,
    format_for_key,
    open_inventory,
)
from ingest.logic.ports import Bucket, Index, Invoker, Signer, StoreMarks, Uploaders
from ingest.logic.retirement import Retirer
from ingest.logic.undo import Undoer
from ingest.models.claim import Checkpoint, Claim, ClaimState, Source
from ingest.models.errors import LeaseLost, Unavailable, UploadGone, UploadRefused
from ingest.models.upload import Continuation, OpenedUpload, Upload

#: Stores named by a head-office file are marked (LastUploadAt) this many at a time.
STORE_MARK_BATCH = 100
#: The phase of a file being dry-run.
PLAN = "plan"


@dataclass(frozen=True, slots=True)
class Invocation:
    """The Lambda invocation a file is handled in."""

    request_id: str
    function_arn: str
    remaining_seconds: Callable[[], float]


@dataclass(frozen=True, slots=True)
class Timing:
    """How ingest paces itself inside Lambda's time limit: the defaults are the deployed values (tests
    shorten them); serverless.yml's timeout and maximumRetryAttempts are checked against them."""

    attempts: int = 3  # Lambda's tries of one event: the first and serverless.yml's maximumRetryAttempts
    lease_seconds: float = 180.0  # renewed at every checkpoint
    checkpoint_seconds: float = 30.0
    #: Time kept back when stopping for a continuation: a batch in flight (BATCH_SECONDS at most),
    #: saving the checkpoint and the report, and invoking the function.
    stop_margin_seconds: float = 100.0


@dataclass(slots=True)
class Outcome:
    """What became of one file in this invocation."""

    key: str
    report: UploadReport | None = None  # None: skipped (see ``skipped``)
    skipped: str | None = None
    handed_off: bool = False  # the load goes on in a continuation
    failure: Exception | None = None  # raise it: Lambda retries (or gives up and keeps the event)
    unreadable: int = 0  # stored items that could not be read (counted as no prior state)
    unexpected: bool = False


@dataclass(slots=True)
class _State:
    """One invocation's work on a file: the live report and the last consistent checkpoint."""

    report: UploadReport
    checkpoint: Checkpoint
    done: bool = False
    unreadable: int = 0
    pending_stores: set[str] = field(default_factory=set)
    #: ``PLAN`` while the file is dry-run (``ingest.logic.guard``), with what the dry run found.
    phase: str = ""
    tally: PlanTally | None = None
    #: The final status when it is not the tallies' (a held, discarded or undone file).
    status: ReportStatus | None = None


@dataclass
class Ingestor:
    """Everything a file needs; the handler builds it once, tests hand in fakes or moto."""

    bucket: Bucket
    loader: Loader
    index: Index
    stores: StoreMarks
    invoker: Invoker
    signer: Signer
    clock: Callable[[], str]
    timing: Timing = field(default_factory=Timing)
    now: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    new_owner: Callable[[], str] = lambda: uuid.uuid4().hex
    uploaders: Uploaders | None = None  # None: nobody's access is checked (tests of the loading alone)
    retirer: Retirer | None = None  # None: a full list retires nothing (tests of the loading alone)
    guard: Guard | None = None  # None: no file is planned or held
    undoer: Undoer | None = None  # None: an undo is refused (tests of the loading alone)

    def is_upload(self, key: str) -> bool:
        """An object under the upload prefix (never a report, never a folder marker)."""
        return key.startswith(UPLOAD_PREFIX) and not key.startswith(REPORTS_PREFIX) and not key.endswith("/")

    # -- entry points -------------------------------------------------------------------------------

    def ingest(self, upload: Upload, invocation: Invocation) -> Outcome:
        """Load one uploaded file (an S3 notification) and write its report; see the module docstring."""
        if not self.is_upload(upload.key):
            return Outcome(upload.key, skipped="not under the upload prefix")
        scope, _ = self._scope(upload.key)
        source = Source(
            bucket=upload.bucket,
            key=upload.key,
            version=upload.version,
            version_id=upload.version_id,
            sequencer=upload.sequencer,
            event_time=upload.event_time,
            principal=upload.principal,
            scope=scope,
            report_key=report_key(upload.key, upload.version),
        )
        report = self._fresh_report(source, started_at=self.clock())
        try:
            claim = self._claim(source, self._entry(source, report), invocation)
        except Unavailable as error:
            return self._unclaimed(source, report, error)
        if claim.state is not ClaimState.CLAIMED:
            return Outcome(upload.key, skipped=_skip_reason(claim))
        return self._run(claim, invocation)

    def carry_on(self, continuation: Continuation, invocation: Invocation) -> Outcome:
        """Load the next part of a big file, from the checkpoint its index row holds."""
        source = Source(continuation.bucket, continuation.key, continuation.version, "", "", "", "", HEAD_OFFICE, "")
        try:
            claim = self._claim(source, None, invocation, handed_by=continuation.holder)
        except Unavailable as error:  # its "loading" report and checkpoint stand; Lambda retries this event
            return Outcome(continuation.key, skipped=f"not claimed: {error}", failure=error)
        if claim.state is not ClaimState.CLAIMED:
            return Outcome(continuation.key, skipped=_skip_reason(claim))
        return self._run(claim, invocation)

    # -- claiming -----------------------------------------------------------------------------------

    def _claim(self, source: Source, entry: UploadEntry | None, invocation: Invocation, handed_by: str = "") -> Claim:
        # Held by another request: stand down at once rather than wait (billed) for its lease; see
        # the module docstring for who carries on if that holder dies.
        return self.index.claim(
            source,
            entry,
            owner=self.new_owner(),
            request_id=invocation.request_id,
            lease_seconds=self.timing.lease_seconds,
            handed_by=handed_by,
        )

    # -- one invocation's work on a claimed file ---------------------------------------------------

    def _run(self, claim: Claim, invocation: Invocation) -> Outcome:
        checkpoint = claim.checkpoint or Checkpoint()
        state = _State(self._restored_report(claim, checkpoint), checkpoint, phase=checkpoint.phase)
        state.tally = PlanTally.from_json(checkpoint.plan) if checkpoint.plan else None
        try:
            if claim.decision == UNDO:
                if not checkpoint.done:
                    self._undo(claim, state)
                state.done = True
                return self._finish(claim, state)
            # A person decided on the held upload, and nothing has been done about it yet.
            discarded = claim.checkpoint is None and bool(claim.decision) and self._decided(claim, state)
            if not (checkpoint.done or discarded):
                try:
                    if not self._load(claim, state, invocation):
                        return Outcome(claim.source.key, state.report, handed_off=True, unreadable=state.unreadable)
                except (FileRejected, UploadGone, UploadRefused) as problem:
                    self._refused(state.report, problem)
            state.done = True
            return self._finish(claim, state)
        except LeaseLost:
            return Outcome(claim.source.key, skipped="another invocation took the upload over")
        except Unavailable as error:
            return self._passing_failure(claim, state, error)
        except Exception as error:  # a defect, or a failure nobody foresaw: the file still gets its report
            return self._unexpected(claim, state, error)

    def _load(self, claim: Claim, state: _State, invocation: Invocation) -> bool:
        """Load from the checkpoint on; ``False`` if the rest was handed to a continuation."""
        source, report, checkpoint = claim.source, state.report, state.checkpoint
        store = None if source.scope == HEAD_OFFICE else source.scope
        first = checkpoint.part == 1 and checkpoint.position is None
        if store is not None and first:
            self.stores.mark_upload([store], self._upload_time(source, report))
        refusal = self._refusal(source.key)
        if refusal:
            raise UploadRefused(refusal)
        if first and self.bucket.deleted(source.bucket, source.key):
            raise UploadRefused("the file was deleted before it could be loaded; nothing was loaded")
        file_format = format_for_key(source.key)
        assert file_format is not None  # _refusal said so
        position = ParsePosition.from_json(checkpoint.position) if checkpoint.position else None
        opened = self._open(source, report.source.version_id, store, _resume_byte(position, file_format))
        report.source.etag, report.source.version_id = opened.etag, opened.version_id
        if checkpoint.position is None:
            report.uploaded_by = self._uploader(source.principal, opened.uploaded_by)
            if opened.uploaded_by and report.uploaded_by == opened.uploaded_by:
                self._check_uploader(opened.uploaded_by, store, source.key)
            if self._plans(claim, state, opened):
                state.phase, state.tally = PLAN, PlanTally()
        chunks = _read_guard(opened.chunks, invocation, self.timing.stop_margin_seconds / 2, opened.size)
        stream = open_inventory(chunks, file_format, start=position, size=opened.size)
        stopped: list[FileRejected] = []
        rows: Iterator[ParsedRow] = _until_rejected(stream, stopped)
        if store is not None:
            rows = _for_store(rows, store)
        version = SourceVersion(
            source.event_time or opened.last_modified, source.key, comparable_sequencer(source.sequencer)
        )
        pacer = _Pacer(self, claim, state, stream, invocation)

        def heard(store_name: str) -> None:
            state.pending_stores.add(store_name)
            if len(state.pending_stores) >= STORE_MARK_BATCH:
                self._mark_stores(claim, state)

        tally = state.tally if state.phase == PLAN else None
        loader = self.loader if tally is None else self.loader.over(lambda table: PlanningTable(table, tally))
        result = loader.load(
            rows,
            version,
            report,
            pacer,
            on_store=heard if store is None and state.phase != PLAN else lambda _: None,
            fence=self.index.fence(claim),
            full_list=opened.full_list,
        )
        state.unreadable += result.unreadable
        if not result.finished:
            self._hand_off(claim, state, stream.position, invocation)
            return False
        self._mark_stores(claim, state)
        if stopped:
            self._refused(report, stopped[0])  # after the rows before the problem have landed and been counted
        elif report.rows.read == 0:
            raise FileRejected("the file has no inventory rows")
        elif report.rows.accepted == 0:
            report.reason = "every row was rejected"
        if state.phase == PLAN:  # a dry run retires nothing either
            return self._planned(claim, state, invocation, opened)
        if opened.full_list:
            self._retire_omitted(claim, report, store, version, broke_off=bool(stopped))
        return True

    def _open(self, source: Source, version_id: str, store: str | None, start: int) -> OpenedUpload:
        """Open the upload from byte ``start``; a file of a store that asked for it (its Stores row's
        ``FullList``) is its full list, with or without the metadata."""
        opened = self.bucket.open(source.bucket, source.key, version_id, start=start)
        if store is not None and not opened.full_list and self.stores.remembers_full_list(store):
            return dataclasses.replace(opened, full_list=True)
        return opened

    # -- dry runs and holds (ingest.logic.guard) --------------------------------------------------------

    def _plans(self, claim: Claim, state: _State, opened: OpenedUpload) -> bool:
        """Whether to dry-run the file before applying it (not twice, nor once a person decided)."""
        if self.guard is None or claim.decision or state.tally is not None:
            return False
        signed = bool(opened.uploaded_by) and state.report.uploaded_by == opened.uploaded_by
        return self.guard.planned(dry_run=opened.dry_run, signed=signed)

    def _planned(self, claim: Claim, state: _State, invocation: Invocation, opened: OpenedUpload) -> bool:
        """The dry run is over: hold the file, or load it for real from its first row."""
        assert self.guard is not None
        assert state.tally is not None
        report = state.report
        if opened.full_list and self.retirer is not None and not _retirement_refusal(report, report.reason is not None):
            scope = claim.source.scope
            for name in [scope] if scope != HEAD_OFFICE else list(report.stores):
                state.tally.retire(name, self.retirer.live_items(name))
        report.plan = state.tally.plan()
        hold = self.guard.hold_reason(state.tally, dry_run=opened.dry_run) if report.rows.accepted else None
        if hold:
            state.status = ReportStatus.NEEDS_CONFIRMATION
            report.rows.written = 0  # nothing was: the plan says what would be
            report.reason = f"{hold} {report.reason}" if report.reason else hold
            return True
        state.phase = ""
        _restart(report)
        state.checkpoint = Checkpoint(part=state.checkpoint.part, plan=state.tally.to_json())
        return self._load(claim, state, invocation)

    def _decided(self, claim: Claim, state: _State) -> bool:
        """Take up a person's decision on a held upload: ``True`` if it was discarded (nothing to load);
        confirmed, it is loaded from its first row, keeping its dry run's plan."""
        held = claim.held or Checkpoint()
        state.report = self._restored_report(claim, held)
        state.tally = PlanTally.from_json(held.plan) if held.plan else None
        if claim.decision == DISCARD:
            state.status = ReportStatus.DISCARDED
            state.report.reason = f"Discarded by {claim.decided_by or 'someone'}: nothing was loaded."
            return True
        _restart(state.report)
        return False

    def _undo(self, claim: Claim, state: _State) -> None:
        """Undo the applied upload (see the module docstring); its report is the applied one's, read back
        from the bucket once (a retry has it from the checkpoint), with the outcome in its reason."""
        source = claim.source
        if state.checkpoint.report is None:
            state.report = UploadReport.from_json(self.bucket.read_report(source.bucket, source.report_key))
            state.report.status, state.report.finished_at = ReportStatus.LOADING, ""
            state.checkpoint = Checkpoint(part=state.checkpoint.part, report=copy.deepcopy(state.report))
        assert self.undoer is not None, "an Ingestor that is sent undos needs an undoer"
        report = state.report
        stores = [source.scope] if source.scope != HEAD_OFFICE else list(report.stores)
        version = SourceVersion(source.event_time, source.key, comparable_sequencer(source.sequencer))
        undone = self.undoer.undo(stores, version, self.index.fence(claim))
        state.status = ReportStatus.UNDONE
        done = [_items(undone.restored, "put back as it was", "put back as they were")] if undone.restored else []
        done += [_items(undone.retired, "it created retired", "it created retired")] if undone.retired else []
        by = claim.decided_by or "someone"
        report.reason = f"Undone by {by}: {', '.join(done) or 'no item was still as it set'}."
        if undone.stale:
            kept = _items(undone.stale, "a newer upload set keeps", "a newer upload set keep")
            report.reason += f" {kept} that upload's values."
        if report.stores_truncated:
            report.reason += f" Only the first {MAX_REPORTED_STORES:,} stores it named were undone."

    def _retire_omitted(
        self, claim: Claim, report: UploadReport, store: str | None, version: SourceVersion, *, broke_off: bool
    ) -> None:
        """A loaded full list retires the items of its stores it omitted (``ingest.logic.retirement``),
        then marks those stores as listed in full at the upload's time."""
        if self.retirer is None:
            return
        refusal = _retirement_refusal(report, broke_off)
        if refusal:
            report.reason = f"{report.reason}; {refusal}" if report.reason else refusal
            return
        stores = [store] if store is not None else sorted(report.stores)
        fence = self.index.fence(claim)
        for name in stores:
            report.rows.retired += self.retirer.retire_omitted(name, version, fence).retired
        self.stores.mark_full_list(stores, self._upload_time(claim.source, report))

    def _check_uploader(self, uploader: str, store: str | None, key: str) -> None:
        """Refuse the file if its uploader may no longer change what it is for."""
        if self.uploaders is None:
            return
        refusal = self.uploaders.access(uploader).refusal(uploader, store, granted_at(key))
        if refusal:
            raise UploadRefused(refusal)

    def save(self, claim: Claim, state: _State, position: ParsePosition | None, lease_until: float, part: int) -> None:
        """Save a consistent checkpoint (everything before ``position`` has landed) and the summary so far."""
        self._mark_stores(claim, state)
        checkpoint = _snapshot(state, position, part, state.done)
        self.index.save(claim, self._entry(claim.source, state.report), checkpoint, lease_until)
        state.checkpoint = checkpoint

    def _hand_off(self, claim: Claim, state: _State, position: ParsePosition, invocation: Invocation) -> None:
        part = state.checkpoint.part + 1
        # The lease is kept for the continuation (named as its holder), so the report below is
        # written while this invocation still holds the upload.
        self.save(claim, state, position, lease_until=self.now() + self.timing.lease_seconds, part=part)
        state.report.status = ReportStatus.LOADING
        self.bucket.put_report(claim.source.bucket, claim.source.report_key, state.report.to_json())
        continuation = Continuation(claim.source.bucket, claim.source.key, claim.source.version, part, claim.owner)
        self.invoker.invoke_async(invocation.function_arn, continuation.to_event())

    def _finish(self, claim: Claim, state: _State) -> Outcome:
        report, checkpoint = state.report, state.checkpoint
        if checkpoint.status:  # committed already: only its report is still to be written
            report.status, report.finished_at = ReportStatus(checkpoint.status), checkpoint.finished_at
        else:
            report.status, report.finished_at = state.status or report.outcome(), self.clock()
            self._commit(claim, state)
        try:
            self._publish(claim, state)
        except Unavailable as error:  # committed: the next delivery writes the report from the row
            return Outcome(claim.source.key, report, failure=error, unreadable=state.unreadable)
        return Outcome(claim.source.key, report, unreadable=state.unreadable)

    def _commit(self, claim: Claim, state: _State) -> None:
        """Make the report's final status the row's (the commit point), keeping what the report needs."""
        report = state.report
        checkpoint = _snapshot(state, None, state.checkpoint.part, done=True)
        checkpoint.status, checkpoint.finished_at = report.status.value, report.finished_at
        lease_until = self.now() + self.timing.lease_seconds  # held until the report is written
        self.index.finish(claim, self._entry(claim.source, report), checkpoint, lease_until)
        state.checkpoint = checkpoint

    def _publish(self, claim: Claim, state: _State) -> None:
        """Write the committed report, then drop the row's copy of it."""
        self.bucket.put_report(claim.source.bucket, claim.source.report_key, state.report.to_json())
        held = state.report.status is ReportStatus.NEEDS_CONFIRMATION
        self.index.settle(claim, held=state.checkpoint if held else None)

    # -- failures -----------------------------------------------------------------------------------

    @staticmethod
    def _refused(report: UploadReport, problem: Exception) -> None:
        """A final problem with the file: it is the report's reason (and, mid-file, its last error)."""
        report.reason = str(problem)
        line = getattr(problem, "line", 0)
        if line and report.rows.accepted:
            report.errors.append(RowError(line, f"{problem}; the rest of the file was not read"))

    def _passing_failure(self, claim: Claim, state: _State, error: Unavailable) -> Outcome:
        """AWS failed after the retry layer gave up: say so, keep the tallies, and let Lambda retry."""
        report = state.report
        if state.done:  # only the report is missing: the next attempt writes it from this checkpoint
            state.checkpoint = _snapshot(state, None, state.checkpoint.part, done=True)
        last = claim.attempt >= self.timing.attempts
        resume_line = (state.checkpoint.position or {}).get("line")
        if last:
            report.status = ReportStatus.FAILED
            report.reason = (
                f"{error}. Gave up after {self.timing.attempts} attempts; the rows counted as written stay loaded."
                " Upload the file again to load the rest."
            )
            report.finished_at = self.clock()
        else:
            report.status = ReportStatus.RETRYING
            where = f" from line {resume_line}" if resume_line and not state.done else ""
            report.reason = (
                f"{error}. Attempt {claim.attempt} of {self.timing.attempts} failed;"
                f" Lambda will try again and carry on{where}."
            )
        # The row first, then the report: a report is written only while this invocation
        # still holds the upload, and never says more than the row. If the row cannot be
        # written, the report keeps what it said; the next attempt writes both.
        with contextlib.suppress(Unavailable, LeaseLost):
            self._write_row(claim, state, last)
            if last:
                self._publish(claim, state)
            else:
                self._write_report(claim, state)
        return Outcome(claim.source.key, report, failure=error, unreadable=state.unreadable)

    def _write_report(self, claim: Claim, state: _State) -> None:
        self.bucket.put_report(claim.source.bucket, claim.source.report_key, state.report.to_json())

    def _write_row(self, claim: Claim, state: _State, last: bool) -> None:
        if last:
            self._commit(claim, state)
        else:  # the lease stays held: Lambda's retry of this request takes it over, others wait it out
            lease_until = self.now() + self.timing.lease_seconds
            self.index.save(claim, self._entry(claim.source, state.report), state.checkpoint, lease_until)

    def _unclaimed(self, source: Source, report: UploadReport, error: Unavailable) -> Outcome:
        """The uploads index failed before the upload could be claimed: the report says so, as far as
        anything can be said without the row that counts the attempts."""
        report.status = ReportStatus.RETRYING
        report.reason = (
            f"{error}. The upload could not be claimed; Lambda retries the event twice. If this report"
            " still says retrying a few minutes later, every retry failed: upload the file again."
        )
        with contextlib.suppress(Unavailable):  # never over a report that says more
            self.bucket.put_report(source.bucket, source.report_key, report.to_json(), only_new=True)
        return Outcome(source.key, report, failure=error)

    def _unexpected(self, claim: Claim, state: _State, error: Exception) -> Outcome:
        report = state.report
        if state.checkpoint.status:  # committed: the row stands, and the next delivery writes its report
            return Outcome(claim.source.key, report, failure=error, unexpected=True, unreadable=state.unreadable)
        report.status = ReportStatus.FAILED
        report.reason = (
            f"ingest stopped on an unexpected error ({type(error).__name__}: {str(error)[:200]});"
            " the rows counted as written stay loaded"
        )
        report.finished_at = self.clock()
        with contextlib.suppress(Exception):  # nothing more can be said; the outcome carries the error
            self._commit(claim, state)
            self._publish(claim, state)
        return Outcome(claim.source.key, report, failure=error, unexpected=True, unreadable=state.unreadable)

    # -- helpers ------------------------------------------------------------------------------------

    def _uploader(self, principal: str, signed: str | None) -> str | None:
        """Who uploaded the file: the ``uploaded-by`` metadata when the API put it (the API signs it into
        each upload grant), else whoever put it. Anyone who may put objects can write that metadata."""
        if signed and principal and self.signer.signed(principal):
            return signed
        return principal or None

    def _scope(self, key: str) -> tuple[str, str | None]:
        """The index scope of a key (its store, or head office) and why its folder is refused, if it is."""
        try:
            store = store_of_key(key)
        except InvalidUploadKey as error:
            return HEAD_OFFICE, f"the file is in a store folder that names no store: {error}"
        return (HEAD_OFFICE if store is None else store), None

    def _refusal(self, key: str) -> str | None:
        _, refusal = self._scope(key)
        if refusal:
            return refusal
        if format_for_key(key) is None:
            return f"not an inventory file: the name must end in {_accepted_extensions()} (in any case)"
        return None

    def _fresh_report(self, source: Source, started_at: str) -> UploadReport:
        return UploadReport(
            source=UploadSource(bucket=source.bucket, key=source.key, version_id=source.version_id),
            store=None if source.scope == HEAD_OFFICE else source.scope,
            uploaded_by=source.principal or None,
            principal=source.principal or None,
            status=ReportStatus.LOADING,
            started_at=started_at,
        )

    def _restored_report(self, claim: Claim, checkpoint: Checkpoint) -> UploadReport:
        """The report as the checkpoint left it (a fresh one without), on the claim's source, not final yet."""
        fresh = self._fresh_report(claim.source, claim.started_at or self.clock())
        if checkpoint.report is None:
            return fresh
        report = copy.deepcopy(checkpoint.report)
        report.status, report.finished_at = ReportStatus.LOADING, ""  # final once committed (checkpoint.status)
        if not report.source.key:  # an older checkpoint's report (see ingest.models.claim): the claim fills it in
            saved = report.source
            report.source = dataclasses.replace(
                fresh.source, etag=saved.etag, version_id=saved.version_id or fresh.source.version_id
            )
            report.store, report.started_at = fresh.store, fresh.started_at
            report.uploaded_by = fresh.uploaded_by if report.uploaded_by is None else report.uploaded_by
            report.principal = fresh.principal if report.principal is None else report.principal
        return report

    def _entry(self, source: Source, report: UploadReport) -> UploadEntry:
        return UploadEntry.of(
            report,
            version=source.version,
            received_at=self._upload_time(source, report),
            report_key=source.report_key,
        )

    @staticmethod
    def _upload_time(source: Source, report: UploadReport) -> str:
        return source.event_time or report.started_at

    def _mark_stores(self, claim: Claim, state: _State) -> None:
        if state.pending_stores:
            self.stores.mark_upload(state.pending_stores, self._upload_time(claim.source, state.report))
            state.pending_stores = set()


class _Pacer:
    """Tells the loader when to checkpoint (every ``checkpoint_seconds``) and when to stop (time is short)."""

    def __init__(
        self, ingestor: Ingestor, claim: Claim, state: _State, stream: RowStream, invocation: Invocation
    ) -> None:
        self._ingestor = ingestor
        self._claim = claim
        self._state = state
        self._stream = stream
        self._invocation = invocation
        self._last = ingestor.monotonic()

    def due(self) -> Pause:
        timing = self._ingestor.timing
        if self._invocation.remaining_seconds() < timing.stop_margin_seconds:
            return Pause.STOP
        if self._ingestor.monotonic() - self._last >= timing.checkpoint_seconds:
            return Pause.CHECKPOINT
        return Pause.NONE

    def checkpoint(self) -> None:
        lease_until = self._ingestor.now() + self._ingestor.timing.lease_seconds
        part = self._state.checkpoint.part
        self._ingestor.save(self._claim, self._state, self._stream.position, lease_until, part)
        self._last = self._ingestor.monotonic()


def _snapshot(state: _State, position: ParsePosition | None, part: int, done: bool) -> Checkpoint:
    report = state.report
    return Checkpoint(
        position=None if position is None else position.to_json(),
        done=done,
        part=part,
        report=copy.deepcopy(report),  # as it stands at ``position``: the load goes on changing the report
        phase=state.phase,
        plan=None if state.tally is None else state.tally.to_json(),
    )


def _restart(report: UploadReport) -> None:
    """Forget the tallies of a dry run: the file is loaded from its first row."""
    report.rows, report.errors, report.errors_truncated, report.reason = RowCounts(), [], False, None
    report.stores, report.stores_truncated = [], False


def _retirement_refusal(report: UploadReport, broke_off: bool) -> str:
    """Why a full list retires nothing (empty: it retires what it omitted)."""
    if broke_off or report.rows.rejected or not report.rows.accepted:
        return "a full list retires nothing unless every row is accepted: correct the file and upload it again"
    if report.stores_truncated:
        return f"a full list retires nothing when it names more than {MAX_REPORTED_STORES:,} stores"
    return ""


def _resume_byte(position: ParsePosition | None, file_format: FileFormat) -> int:
    """Where to start reading the object: text resumes at the position's byte; a workbook (a zip,
    read from its end) is read whole and its reader skips the rows already consumed."""
    if position is None or file_format not in (FileFormat.CSV, FileFormat.JSON):
        return 0
    return position.offset


def _accepted_extensions() -> str:
    suffixes = sorted(FORMATS_BY_SUFFIX)
    return ", ".join(suffixes[:-1]) + f" or {suffixes[-1]}" if len(suffixes) > 1 else suffixes[0]


def _skip_reason(claim: Claim) -> str:
    if claim.state is ClaimState.FINAL:
        return f"already {claim.status}: a duplicate event"
    if claim.state is ClaimState.HELD:
        return "another invocation is loading it"
    return "no upload of that version is being loaded"


def _read_guard(chunks: Iterator[bytes], invocation: Invocation, floor: float, size: int) -> Iterator[bytes]:
    """The object's chunks, unless Lambda's time runs this short while they are read.

    The loader stops for a continuation between rows, well before this; a stretch of the file
    with no rows in it (millions of blank lines) gives it no chance, and cannot be resumed from
    (a position is saved after a row). Such a file ends here with a reason, not in a timeout.
    """
    read = 0
    for chunk in chunks:
        if invocation.remaining_seconds() < floor:
            raise FileRejected(
                f"the file could not be read in the time one invocation has: {read:,} of {size:,} bytes read"
                " with no inventory row for too long (blank or unreadable lines)"
            )
        read += len(chunk)
        yield chunk


def _until_rejected(rows: Iterator[ParsedRow], stopped: list[FileRejected]) -> Iterator[ParsedRow]:
    """Pass rows through; if the file breaks off, end there and keep the reason in ``stopped``."""
    try:
        yield from rows
    except FileRejected as problem:
        stopped.append(problem)


def _for_store(rows: Iterator[ParsedRow], store: str) -> Iterator[ParsedRow]:
    """Reject every row of a store's file that names another store; the others pass."""
    for row in rows:
        if isinstance(row, InventoryRow) and row.store != store:
            yield RowError(row.line, f"this file was uploaded for store {store!r}; it may not change {row.store!r}")
        else:
            yield row


def _items(count: int, one: str, many: str) -> str:
    """``count`` items and what became of them, in words (``one`` or ``many`` by the count)."""
    return f"1 item {one}" if count == 1 else f"{count:,} items {many}"
