"""The function invoking itself, asynchronously, to carry on with a big file."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ingest.models.errors import ContinuationFailed

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


def unqualified(function_arn: str) -> str:
    """A function ARN without a version or alias (``arn:aws:lambda:r:a:function:name``)."""
    return ":".join(function_arn.split(":")[:7])


class FunctionInvoker:
    def __init__(self, client: LambdaClient) -> None:
        self._client = client

    def invoke_async(self, function_arn: str, event: dict[str, Any]) -> None:
        """Queue ``event`` for the function (InvocationType ``Event``): Lambda retries it on failure."""
        try:
            self._client.invoke(
                FunctionName=unqualified(function_arn), InvocationType="Event", Payload=json.dumps(event).encode()
            )
        except (ClientError, BotoCoreError) as error:
            raise ContinuationFailed(f"could not invoke {unqualified(function_arn)} to carry on: {error}") from error
