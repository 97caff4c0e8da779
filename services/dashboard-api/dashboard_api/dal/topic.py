"""Subscriptions on the alerts topic (owned by the alerts service), through SNS."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from dashboard_api.models.errors import InvalidInput, StateConflict, Unavailable
from dashboard_api.models.subscriptions import Listed, SnsSubscription

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
else:
    SNSClient = Any

Removal = Literal["removed", "gone", "pending"]
FilterUpdate = Literal["updated", "gone", "pending"]
Done = TypeVar("Done", Literal["removed"], Literal["updated"])


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def _gone(error: ClientError) -> bool:
    return _code(error) in {"NotFound", "NotFoundException", "ResourceNotFound"}


def _pending(error: ClientError) -> bool:
    # SNS refuses to unsubscribe (or change) a subscription still pending confirmation; it
    # deletes unconfirmed subscriptions itself after three days.
    return _code(error) in {"InvalidParameter", "InvalidParameterException"} and "pending" in _message(error).lower()


def _changed(what: str, change: Callable[[], object], done: Done) -> Done | Literal["gone", "pending"]:
    """``done`` once SNS made ``change``; ``gone`` when the subscription no longer exists, ``pending``
    when SNS refuses to change one still awaiting confirmation."""
    with _sns(what):
        try:
            change()
        except ClientError as error:
            if _gone(error):
                return "gone"
            if _pending(error):
                return "pending"
            raise
    return done


def _failure(what: str, error: Exception) -> Unavailable:
    """An SNS failure the caller cannot fix: :class:`Unavailable`, naming what failed."""
    code = _code(error) if isinstance(error, ClientError) else "unreachable"
    if code == "FilterPolicyLimitExceeded":
        return Unavailable(
            "the alerts topic holds as many filtered subscriptions as the AWS quota allows; "
            "head office must raise the quota (SNS: filter policies per topic)",
            "quota_reached",
        )
    return Unavailable(f"{what} failed ({code or 'error'}); try again shortly")


@contextmanager
def _sns(what: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        raise _failure(what, error) from error


class AlertsTopic:
    """The API's view of the alerts topic: only subscriptions it made, by their ARN."""

    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self.topic_arn = topic_arn

    def owns(self, subscription_arn: str) -> bool:
        """Whether an ARN is a subscription of this topic: the only ones this API may touch."""
        return subscription_arn.startswith(f"{self.topic_arn}:")

    def _checked(self, subscription_arn: str) -> str:
        if not self.owns(subscription_arn):
            raise ValueError(f"{subscription_arn!r} is not a subscription of the alerts topic")
        return subscription_arn

    def subscribe(self, protocol: str, endpoint: str, filter_policy: dict[str, list[str]]) -> str:
        """Subscribe with the filter policy in place from the start; the subscription's ARN.

        SNS answers the existing ARN when the same endpoint is subscribed again with the same
        attributes, so a repeated call is harmless (an email that is still pending may get
        its confirmation message again).
        """
        try:
            response = self._client.subscribe(
                TopicArn=self.topic_arn,
                Protocol=protocol,
                Endpoint=endpoint,
                Attributes={"FilterPolicy": json.dumps(filter_policy), "FilterPolicyScope": "MessageAttributes"},
                ReturnSubscriptionArn=True,
            )
        except ClientError as error:
            if _code(error) in {"InvalidParameter", "InvalidParameterException"}:
                if "already exists" in _message(error).lower():
                    raise StateConflict(
                        "this address is already subscribed to the alerts topic with other settings",
                        "already_subscribed",
                    ) from error
                raise InvalidInput(f"SNS refused the endpoint: {_message(error)}", "invalid_endpoint") from error
            raise _failure("subscribing", error) from error
        except BotoCoreError as error:
            raise _failure("subscribing", error) from error
        return self._checked(str(response["SubscriptionArn"]))

    def listed(self) -> list[Listed]:
        """Every confirmed subscription of the topic (SNS lists a pending one with no ARN: skipped)."""
        found: list[Listed] = []
        with _sns("listing the topic's subscriptions"):
            for page in self._client.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=self.topic_arn):
                for entry in page.get("Subscriptions", []):
                    arn = str(entry.get("SubscriptionArn", ""))
                    if self.owns(arn):
                        found.append(Listed(arn, str(entry.get("Protocol", "")), str(entry.get("Endpoint", ""))))
        return found

    def describe(self, subscription_arn: str) -> SnsSubscription | None:
        """Confirmation status and filter policy; None when SNS no longer has the subscription."""
        with _sns("reading a subscription"):
            try:
                attributes = self._client.get_subscription_attributes(SubscriptionArn=self._checked(subscription_arn))[
                    "Attributes"
                ]
            except ClientError as error:
                if _gone(error):
                    return None
                raise
        try:
            policy = json.loads(attributes.get("FilterPolicy") or "{}")
        except ValueError:
            policy = {}
        pending = str(attributes.get("PendingConfirmation", "false")).lower() == "true"
        return SnsSubscription(pending_confirmation=pending, filter_policy=policy if isinstance(policy, dict) else {})

    def set_filter(self, subscription_arn: str, filter_policy: dict[str, list[str]]) -> FilterUpdate:
        return _changed(
            "changing a subscription",
            lambda: self._client.set_subscription_attributes(
                SubscriptionArn=self._checked(subscription_arn),
                AttributeName="FilterPolicy",
                AttributeValue=json.dumps(filter_policy),
            ),
            "updated",
        )

    def unsubscribe(self, subscription_arn: str) -> Removal:
        """Remove a subscription: ``removed``, ``gone`` (already) or ``pending`` (SNS refused)."""
        return _changed(
            "unsubscribing",
            lambda: self._client.unsubscribe(SubscriptionArn=self._checked(subscription_arn)),
            "removed",
        )
