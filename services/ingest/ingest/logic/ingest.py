"""Ingest one uploaded file: stream, parse, validate, load, and report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from inventory.models import RowError, SourceVersion
from inventory.report import UploadReport

from ingest.dal.inventory import TableUnavailable
from ingest.dal.objects import UploadBucket, UploadGone
from ingest.dal.stores import StoreSummaries
from ingest.logic.loader import Loader
from ingest.logic.parser import FileRejected, ParsedRow, format_for_key, parse_inventory
from ingest.models.upload import Upload


class RetryLater(Exception):
    """The file could not be loaded for a passing reason (throttling, an outage): retry the event."""


@dataclass
class Ingestor:
    """Everything one file needs; the handler builds it once, tests hand in fakes or moto."""

    bucket: UploadBucket
    loader: Loader
    stores: StoreSummaries
    upload_prefix: str
    reports_prefix: str
    clock: Callable[[], str]

    def report_key(self, key: str) -> str:
        return f"{self.reports_prefix}{key}.json"

    def should_ingest(self, upload: Upload) -> bool:
        """Only uploads (as the bucket's notification filter says), never our own reports."""
        return upload.key.startswith(self.upload_prefix) and not upload.key.startswith(self.reports_prefix)

    def ingest(self, upload: Upload) -> UploadReport:
        """Load one file and write its report. Bad content never raises; a passing failure raises RetryLater."""
        report = UploadReport(
            bucket=upload.bucket, key=upload.key, version_id=upload.version_id, started_at=self.clock()
        )
        try:
            self._load(upload, report)
        except (FileRejected, UploadGone) as problem:
            line = getattr(problem, "line", 0)
            report.reason = str(problem)
            if line and report.rows.accepted:
                report.errors.append(RowError(line, f"{problem}; the rest of the file was not read"))
        except TableUnavailable as error:
            report.reason = f"the table is busy ({error}); the upload will be retried automatically"
            self._finish(upload, report)
            raise RetryLater(report.reason) from error
        self._finish(upload, report)
        return report

    def _load(self, upload: Upload, report: UploadReport) -> None:
        file_format = format_for_key(upload.key)
        if file_format is None:
            raise FileRejected("not an inventory file: the name must end in .csv, .json or .jsonl")
        opened = self.bucket.open(upload.bucket, upload.key, upload.version_id)
        report.etag, report.version_id = opened.etag, opened.version_id
        # The event time has milliseconds where LastModified has whole seconds, so two
        # uploads in the same second still apply in the order they were made.
        source = SourceVersion(upload.event_time or opened.last_modified, upload.key, upload.sequencer)
        stopped: list[FileRejected] = []
        changes = self.loader.load(
            _until_rejected(parse_inventory(opened.chunks, file_format), stopped), source, report
        )
        now = self.clock()
        for store, change in changes.items():
            self.stores.apply(store, change, now)
        if stopped:
            raise stopped[0]  # after the rows before the problem have landed and been counted
        if report.rows.read == 0:
            raise FileRejected("the file has no inventory rows")
        if report.rows.accepted == 0:
            report.reason = "every row was rejected"

    def _finish(self, upload: Upload, report: UploadReport) -> None:
        report.finished_at = self.clock()
        report.status = report.outcome()
        self.bucket.put_report(upload.bucket, self.report_key(upload.key), report.to_json())


def _until_rejected(rows: Iterator[ParsedRow], stopped: list[FileRejected]) -> Iterator[ParsedRow]:
    """Pass rows through; if the file breaks off, end there and keep the reason in ``stopped``."""
    try:
        yield from rows
    except FileRejected as problem:
        stopped.append(problem)
