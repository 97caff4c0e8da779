"""SNS topics, locally: each gets an inbox queue for scripts and tests, and its messages printed as emails.

An email subscriber receives the message's subject and text; the console shows exactly that, so a
developer sees the alert digest as a store manager would read it.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass
from typing import Any, TextIO


@dataclass(frozen=True)
class TopicQueues:
    topic_arn: str
    inbox_url: str  # left for scripts and tests to read
    console_url: str  # read by the console printer


def format_email(topic_arn: str, envelope: dict[str, Any]) -> str:
    """An SNS notification as an email subscriber of the topic would read it."""
    topic = topic_arn.rsplit(":", 1)[-1]
    subject = envelope.get("Subject") or "AWS Notification Message"
    rule = "-" * 72
    return "\n".join(
        [
            rule,
            "From: AWS Notifications <no-reply@sns.amazonaws.com>",
            f"To: subscribers of {topic}",
            f"Subject: {subject}",
            "",
            str(envelope.get("Message", "")),
            "",
            "--",
            f"Sent to the topic {topic_arn} (local stack: printed here instead of emailed)",
            rule,
        ]
    )


class NotificationConsole:
    """Subscribes queues to topics and prints every notification as an email."""

    def __init__(self, sns: Any, sqs: Any, output: TextIO = sys.stdout) -> None:
        self._sns = sns
        self._sqs = sqs
        self._output = output
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.topics: dict[str, TopicQueues] = {}

    def subscribe(self, topic_arn: str) -> TopicQueues:
        name = topic_arn.rsplit(":", 1)[-1]
        urls = []
        for suffix in ("inbox", "console"):
            url = self._sqs.create_queue(QueueName=f"{name}-{suffix}"[:80])["QueueUrl"]
            arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self._sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
            urls.append(url)
        queues = TopicQueues(topic_arn, urls[0], urls[1])
        self.topics[topic_arn] = queues
        thread = threading.Thread(target=self._print_from, args=(queues,), name=f"email-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)
        return queues

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _print_from(self, queues: TopicQueues) -> None:
        while not self._stop.is_set():
            try:
                messages = self._sqs.receive_message(
                    QueueUrl=queues.console_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
                ).get("Messages", [])
            except Exception:
                self._stop.wait(1)
                continue
            for message in messages:
                try:
                    envelope = json.loads(message["Body"])
                except ValueError:
                    envelope = {"Message": message["Body"]}
                print(format_email(queues.topic_arn, envelope), file=self._output, flush=True)
                self._sqs.delete_message(QueueUrl=queues.console_url, ReceiptHandle=message["ReceiptHandle"])
