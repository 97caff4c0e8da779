"""The alerts topic: one SNS message per digest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from alerts.models.digest import Digest
from alerts.models.errors import PublishFailed

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient


class DigestTopic:
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self.arn = topic_arn

    def publish(self, digest: Digest) -> None:
        try:
            self._client.publish(
                TopicArn=self.arn,
                Subject=digest.subject,
                Message=digest.message(),
                MessageStructure="json",
                MessageAttributes=digest.attributes(),  # type: ignore[arg-type]
            )
        except (ClientError, BotoCoreError) as error:
            raise PublishFailed(f"SNS publish for {digest.store!r} failed: {error}") from error
