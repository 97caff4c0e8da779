"""Alert subscriptions: what a caller asks for, what the API answers, and the row it keeps.

SNS cannot tag a subscription with its owner, so the API keeps one row per subscription in
its own table (see :mod:`dashboard_api.dal.subscriptions`) beside the SNS subscription itself.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal

from inventory.models import Alert
from pydantic import BaseModel, ConfigDict, Field

#: Protocols anyone may subscribe with; the others reach systems, not people, and are for admins.
PERSONAL_PROTOCOLS = ("email", "sms")
ADMIN_PROTOCOLS = ("https", "sqs", "lambda")
Protocol = Literal["email", "sms", "https", "sqs", "lambda"]
#: Longest endpoint accepted (an https URL or an ARN; SNS has no smaller published limit).
MAX_ENDPOINT_LENGTH = 2048
#: Most stores one subscription may name. SNS also caps a filter policy at 150 combinations
#: of values (stores x severities), which logic checks.
MAX_STORES_PER_SUBSCRIPTION = 150
#: SNS: "the total combination of values in a filter policy must not exceed 150".
MAX_FILTER_COMBINATIONS = 150
#: Message attributes the alerts service publishes and filter policies select on.
STORE_ATTRIBUTE = "store"
SEVERITIES_ATTRIBUTE = "severities"


class State(enum.StrEnum):
    """Where a subscription row stands in its life (see ``logic.subscriptions`` for the transitions)."""

    VERIFYING = "verifying"  # a phone number awaiting the code texted to it: no claim on it, nothing in SNS
    CREATING = "creating"  # reserved in the table; SNS has not (knowingly) subscribed it yet
    ACTIVE = "active"  # subscribed; SubscriptionArn known
    REMOVING = "removing"  # deleted by its owner or an access change; SNS still holds it (pending confirmation)


SubscriptionStatus = Literal["awaiting_code", "pending_confirmation", "confirmed", "incomplete", "removing", "expired"]
#: Digits of the code texted to a phone number, minutes it holds, and wrong tries it allows.
CODE_DIGITS = 6
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
#: Seconds before the same subscription may have another code texted.
CODE_RESEND_SECONDS = 60


@dataclass(frozen=True, slots=True)
class PendingCode:
    """The code texted to a phone number, kept only as a salted hash."""

    digest: str
    salt: str
    sent_at: int  # epoch seconds
    expires_at: int  # epoch seconds
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    """One subscription as the API's table holds it."""

    owner: str
    id: str
    protocol: str
    endpoint: str
    stores: tuple[str, ...]
    severities: tuple[str, ...]
    state: State
    created_at: str
    arn: str | None = None
    code: PendingCode | None = None  # while VERIFYING


@dataclass(frozen=True, slots=True)
class SnsSubscription:
    """What SNS reports about a subscription: confirmation and the filter policy in force."""

    pending_confirmation: bool
    filter_policy: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Listed:
    """A confirmed subscription as SNS lists it on the alerts topic."""

    arn: str
    protocol: str
    endpoint: str


@dataclass(frozen=True, slots=True)
class Sweep:
    """What one sweep did: rows whose removal was finished or is still refused, orphans removed,
    subscriptions narrowed to their owner's recorded access, and half-made ones finished."""

    removed: int = 0
    pending: int = 0
    orphans: int = 0
    narrowed: int = 0
    finished: int = 0


@dataclass(frozen=True, slots=True)
class RecordPage:
    records: list[SubscriptionRecord]
    last_key: tuple[str, str] | None  # (owner, id) to resume after; None at the end


@dataclass(frozen=True, slots=True)
class Cleanup:
    """What an access change did to a user's subscriptions."""

    narrowed: int = 0
    removed: int = 0
    pending: int = 0  # to be removed, but SNS holds them pending confirmation (status ``removing``)


# -- the API's shapes (also the OpenAPI document) ---------------------------------------------


class SubscriptionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    protocol: Protocol = Field(description="`email` or `sms` for anyone; `https`, `sqs`, `lambda` for admins")
    endpoint: str = Field(
        min_length=1,
        max_length=MAX_ENDPOINT_LENGTH,
        description="An email address, an E.164 phone number (+4915112345678), an https URL or an ARN",
    )
    stores: list[str] = Field(
        min_length=1, max_length=MAX_STORES_PER_SUBSCRIPTION, description="Stores to hear about; yours only"
    )
    severities: list[Alert] = Field(min_length=1, description="Alert severities to hear about")


class SubscriptionView(BaseModel):
    id: str
    owner: str = Field(description="Username of the subscriber")
    protocol: str
    endpoint: str
    stores: list[str] = Field(description="Stores in the filter policy in force")
    severities: list[str] = Field(description="Severities in the filter policy in force")
    status: SubscriptionStatus = Field(
        description="`awaiting_code` for a phone number until the code texted to it is entered (POST "
        "`/subscriptions/{id}/verify`; nothing is sent to it before); then as SNS reports it: "
        "`pending_confirmation` until the link sent to the address is followed "
        "(SNS drops it after 3 days), `confirmed`; `expired` when SNS no longer has it; `incomplete` when "
        "creating it failed half way (repeat the request, or delete it); `removing` when it was deleted "
        "while pending confirmation (SNS refuses to remove those; it matches no alert and goes within 3 days)"
    )
    created_at: str


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        pattern=rf"^\s*[0-9]{{{CODE_DIGITS}}}\s*$", description=f"The {CODE_DIGITS}-digit code texted to the number"
    )


class SubscriptionsPage(BaseModel):
    subscriptions: list[SubscriptionView]
    next_cursor: str | None = Field(default=None, description="With `all=true`: pass as `cursor` for more")
