"""SNS, locally: what each email or SMS subscriber would receive is printed on the console.

moto keeps email and SMS deliveries to itself, so the local stack wraps its delivery to one subscription (the
emulator runs in this process) and, for an email or SMS subscription whose filter policy passes the message
(moto's own filter-policy matching), prints one line: who, by which protocol, under which filter, and the
message. Every publish to a topic is printed once too, with its attributes, so a developer sees which
subscribers a digest reached and which the filter policies kept it from. Each topic also gets an inbox
queue that scripts and tests read (``alerts_queue_url`` in stack.json).
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable
from typing import Any

CONSOLE_WIDTH = 200
PERSONAL = ("email", "email-json", "sms")


def describe_filter(policy: dict[str, Any] | None) -> str:
    """``store=Berlin severities=out`` for ``{"store": ["Berlin"], "severities": ["out"]}``."""
    if not policy:
        return "no filter"
    parts = []
    for name, rules in policy.items():
        values = rules if isinstance(rules, list) else [rules]
        parts.append(f"{name}=" + ",".join(v if isinstance(v, str) else json.dumps(v) for v in values))
    return "filter " + " ".join(parts)


def describe_attributes(attributes: dict[str, Any] | None) -> str:
    """Message attributes as ``store=Berlin severities=out,low`` (String.Array values joined)."""
    parts = []
    for name, attribute in (attributes or {}).items():
        value = attribute.get("Value", "") if isinstance(attribute, dict) else attribute
        if isinstance(value, str) and value.startswith("["):
            with contextlib.suppress(ValueError):
                value = ",".join(str(v) for v in json.loads(value))
        parts.append(f"{name}={value}")
    return " ".join(parts)


def one_line(text: str) -> str:
    return " | ".join(line.strip() for line in str(text).splitlines() if line.strip())


def for_protocol(message: str, protocol: str, structure: str | None) -> str:
    """The text a protocol receives: with ``MessageStructure="json"`` its own key, else ``default``."""
    if structure != "json":
        return message
    try:
        texts = json.loads(message)
        return str(texts.get(protocol) or texts["default"])
    except (ValueError, KeyError, AttributeError):
        return message


def delivery_line(
    protocol: str, endpoint: str, policy: dict[str, Any] | None, subject: str | None, message: str
) -> str:
    body = one_line(message)
    if subject and protocol != "sms" and not str(message).startswith(subject):
        body = f"{subject} | {body}"
    return shorten(f"to {endpoint} ({protocol}, {describe_filter(policy)}): {body}")


def shorten(line: str) -> str:
    return line if len(line) <= CONSOLE_WIDTH else line[: CONSOLE_WIDTH - 3] + "..."


_console: list[Callable[[str], None]] = []


def print_deliveries(say: Callable[[str], None]) -> None:
    """Print every publish, and every email/SMS delivery its subscriptions' filter policies let through."""
    from moto.sns.models import Subscription, Topic
    from moto.sns.utils import FilterPolicyMatcher

    _console[:] = [say]
    if getattr(Subscription.publish, "devstack", False):
        return
    deliver, publish = Subscription.publish, Topic.publish

    def emit(line: str) -> None:  # the latest console, also once moto's methods are wrapped
        _console[0](line)

    @functools.wraps(publish)
    def publish_to_topic(topic: Any, message: str, subject: str | None = None, *args: Any, **kwargs: Any) -> str:
        attributes = kwargs.get("message_attributes") if "message_attributes" in kwargs else (args or [None])[0]
        text = for_protocol(message, "default", kwargs.get("message_structure"))
        body = one_line(text) if not subject or text.startswith(subject) else f"{subject} | {one_line(text)}"
        emit(shorten(f"topic {topic.name} ({describe_attributes(attributes) or 'no attributes'}): {body}"))
        return str(publish(topic, message, subject, *args, **kwargs))

    @functools.wraps(deliver)
    def deliver_to_subscriber(subscription: Any, message: str, message_id: str, *args: Any, **kwargs: Any) -> None:
        if subscription.protocol in PERSONAL:
            subject = kwargs.get("subject", args[0] if args else None)
            attributes = kwargs.get("message_attributes", args[1] if len(args) > 1 else None)
            raw = subscription.attributes.get("FilterPolicy") or ""
            policy = json.loads(raw) if raw else None
            scope = subscription.attributes.get("FilterPolicyScope")
            if not policy or FilterPolicyMatcher(policy, scope).matches(attributes, message):
                text = for_protocol(message, subscription.protocol, kwargs.get("message_structure"))
                emit(delivery_line(subscription.protocol, subscription.endpoint, policy, subject, text))
        deliver(subscription, message, message_id, *args, **kwargs)

    deliver_to_subscriber.devstack = True  # type: ignore[attr-defined]
    Subscription.publish = deliver_to_subscriber  # type: ignore[method-assign,assignment]
    Topic.publish = publish_to_topic  # type: ignore[method-assign,assignment]


def inbox(sns: Any, sqs: Any, topic_arn: str) -> str:
    """An SQS queue subscribed to the topic, for scripts and tests to read; returns its URL."""
    name = topic_arn.rsplit(":", 1)[-1]
    url = str(sqs.create_queue(QueueName=f"{name}-inbox"[:80])["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return url
