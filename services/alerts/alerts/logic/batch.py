"""Powertools' batch processor with a batch-level step: one digest per store after the records."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

from alerts.logic.alerting import AlertService
from alerts.models.digest import Announcement


class DigestBatchProcessor(BatchProcessor):
    """Runs :meth:`AlertService.record_change` per record, then :meth:`AlertService.announce`.

    A store whose digest is not published turns exactly its announced records from
    successes into failures, so ``process_partial_response`` reports them to Lambda.
    """

    def __init__(self, service: AlertService, **kwargs: Any) -> None:
        super().__init__(event_type=EventType.DynamoDBStreams, **kwargs)
        self._service = service

    def process(self) -> list[tuple]:
        results = super().process()
        pending: list[tuple[Announcement, dict[str, Any]]] = [
            (result, record) for status, result, record in results if status == "success" and result is not None
        ]
        failed = self._service.announce([announcement for announcement, _ in pending])
        errors = {id(announcement): error for announcement, error in failed}
        for announcement, record in pending:
            error = errors.get(id(announcement))
            if error is None:
                continue
            self.success_messages = [message for message in self.success_messages if message is not record]
            data = self._to_batch_type(record=record, event_type=self.event_type)
            self.failure_handler(record=data, exception=(type(error), error, error.__traceback__))
        return results
