"""The alerts topic: one SNS message per digest."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from alerts.models.digest import Digest
from alerts.models.errors import PublishFailed


class AlertsTopic:
    """``client`` is a boto3 SNS client."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self.arn = topic_arn

    def publish(self, digest: Digest) -> None:
        try:
            self._client.publish(
                TopicArn=self.arn,
                Subject=digest.subject,
                Message=digest.body,
                MessageAttributes=digest.attributes(),
            )
        except (ClientError, BotoCoreError) as error:
            raise PublishFailed(f"SNS publish for {digest.store!r} failed: {error}") from error
