"""Ingest's function, invoked asynchronously to carry out a decision on a held upload, or an undo."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dashboard_api.models.errors import Unavailable

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


class IngestFunction:
    def __init__(self, client: LambdaClient, function_arn: str) -> None:
        self._client = client
        self._function_arn = function_arn

    def invoke_async(self, event: dict[str, Any]) -> None:
        """Queue ``event`` for ingest (InvocationType ``Event``: Lambda retries a failed run)."""
        try:
            self._client.invoke(
                FunctionName=self._function_arn, InvocationType="Event", Payload=json.dumps(event).encode()
            )
        except (ClientError, BotoCoreError) as error:
            raise Unavailable("ingest could not be asked to carry the decision out; try again shortly") from error
