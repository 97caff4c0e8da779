"""Alert subscriptions people manage themselves: who may subscribe to what, and keeping SNS and
the API's table in step when a call fails half way or is repeated.

A subscription lives in two places: the SNS subscription on the alerts topic (with a filter
policy ``{"store": [...], "severities": [...]}``) and the row in the API's table saying whose
it is. The row moves through these states:

- ``verifying`` (phone numbers only): a code was texted to the number and its salted hash kept on
  the row, which counts against the cap but claims nothing and is not in SNS. Nothing else is
  ever sent to a number before its owner enters the code: then the number is claimed (unless
  another subscription holds it already) and the row goes on to ``creating``. Codes per user
  are throttled, each code holds ``CODE_MINUTES`` and ``CODE_ATTEMPTS`` tries, each try is
  counted before it is checked (so parallel guesses cannot share one count).
- ``creating``: reserved (address claimed, counted against the cap) before SNS is asked.
  If SNS then refuses the address the row is deleted again. If the outcome is unknown (a
  timeout, or the row could not be marked active afterwards) the row stays ``creating``: the
  same request repeated resumes it (SNS answers the existing subscription's ARN for the same
  topic, protocol, endpoint and attributes), and deleting it first asks SNS for that ARN the
  same way so nothing is left behind.
- ``active``: SNS subscribed it; the row holds the ARN.
- ``removing``: deleted (by its owner, an admin or an access change) while SNS still had it
  pending confirmation. SNS refuses to unsubscribe those and drops them itself after three
  days; until then the API sets a filter policy that matches no alert (where SNS allows it)
  and retries the unsubscribe whenever the row is touched again.

Every SNS change comes before the table change that records it, and a narrowing sets the
narrower filter in SNS first: a failure half way can leave the table claiming more than SNS
delivers, never the reverse.

Races between requests end reconciled because each step is conditional on the row's state:

- a row becomes ``active`` only from ``creating`` (or again, with the same ARN, by a repeat of the
  request): a subscription deleted, narrowed away or disabled while SNS was asked is undone by
  the request that made it, never revived;
- a request whose address SNS refused deletes its row only while it is still ``creating``: a
  row a concurrent removal left ``removing`` keeps owning what SNS holds pending;
- the hourly sweep (:meth:`Subscriptions.sweep`) finishes what a request left half done: it fits
  every user's subscriptions to the access head office recorded (a narrowing or a disable that
  failed half way, still delivering a store the user lost), finishes ``creating`` rows whose
  subscription SNS made with the row's filter, retries removals SNS refused while pending, and
  removes subscriptions of the topic the API made that no row owns, unless their address was
  claimed again meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import urlsplit

from inventory.models import InvalidValue, clean_store, utc_now
from inventory.people import PersonAccess

from dashboard_api.logic.dashboard import parallel_map
from dashboard_api.logic.permissions import Caller
from dashboard_api.models.errors import (
    DomainError,
    EndpointTaken,
    InvalidCursor,
    InvalidInput,
    NotAllowed,
    StateConflict,
    TooManyRequests,
    Unavailable,
    Unknown,
)
from dashboard_api.models.subscriptions import (
    ADMIN_PROTOCOLS,
    CODE_ATTEMPTS,
    CODE_DIGITS,
    CODE_MINUTES,
    CODE_RESEND_SECONDS,
    MAX_FILTER_COMBINATIONS,
    SEVERITIES_ATTRIBUTE,
    STORE_ATTRIBUTE,
    Cleanup,
    Listed,
    PendingCode,
    RecordPage,
    SnsSubscription,
    State,
    SubscriptionRecord,
    SubscriptionRequest,
    SubscriptionsPage,
    SubscriptionStatus,
    SubscriptionView,
    Sweep,
)
from dashboard_api.models.users import Access

#: A filter policy no alert matches: the alerts service never sends this attribute. Set on a
#: subscription SNS will not remove yet (pending confirmation), so confirming it later brings nothing.
MATCH_NOTHING: dict[str, list[str]] = {"subscription": ["removed"]}
#: Most subscriptions an admin listing returns per page.
MAX_PAGE = 100

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PHONE_SEPARATORS = re.compile(r"[\s().\-]")
_SQS_ARN = re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$")
_LAMBDA_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$"
)


class Topic(Protocol):
    def listed(self) -> list[Listed]: ...
    def subscribe(self, protocol: str, endpoint: str, filter_policy: dict[str, list[str]]) -> str: ...
    def describe(self, subscription_arn: str) -> SnsSubscription | None: ...
    def set_filter(self, subscription_arn: str, filter_policy: dict[str, list[str]]) -> str: ...
    def unsubscribe(self, subscription_arn: str) -> str: ...


class Texts(Protocol):
    def send(self, number: str, text: str) -> None: ...


class Rows(Protocol):
    def reserve(
        self, record: SubscriptionRecord, endpoint_key: str, cap: int, *, issued_at: int | None, admin: bool
    ) -> None: ...
    def claim(self, record: SubscriptionRecord, endpoint_key: str) -> None: ...
    def spend_attempt(self, record: SubscriptionRecord, most: int) -> bool: ...
    def set_code(self, record: SubscriptionRecord, code: PendingCode) -> None: ...
    def get(self, owner: str, subscription_id: str) -> SubscriptionRecord | None: ...
    def claim_of(self, endpoint_key: str) -> tuple[str, str] | None: ...
    def activate(self, record: SubscriptionRecord, arn: str) -> bool:
        """``creating`` (or ``active`` with ``arn``) to ``active`` with ``arn``; False when it is not."""
        ...

    def mark_removing(self, record: SubscriptionRecord) -> None:
        """The row ``removing``, keeping ``record.arn`` (when set) as its subscription's ARN."""
        ...

    def set_stores(self, record: SubscriptionRecord, stores: tuple[str, ...]) -> None: ...
    def delete(self, record: SubscriptionRecord, *, state: State | None = None) -> None:
        """Delete the row (only while it is in ``state``, when given), its claim and its count."""
        ...

    def of_owner(self, owner: str) -> list[SubscriptionRecord]: ...
    def page_all(self, limit: int, after: tuple[str, str] | None) -> RecordPage: ...


def filter_policy(stores: Iterable[str], wanted: Iterable[str]) -> dict[str, list[str]]:
    """The SNS filter policy for these stores and severities, on the digest's message attributes."""
    return {STORE_ATTRIBUTE: sorted(set(stores)), SEVERITIES_ATTRIBUTE: sorted(set(wanted))}


def checked_endpoint(protocol: str, endpoint: str) -> tuple[str, str]:
    """The endpoint as it will be subscribed, and the key that makes an address unique.

    :class:`InvalidInput` (``invalid_endpoint``) saying why for anything SNS would refuse or deliver nowhere.
    """
    text = endpoint.strip()
    if not text or any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise InvalidInput("the endpoint is empty or holds control characters", "invalid_endpoint")
    if protocol == "email":
        if len(text) > 254 or not _EMAIL.match(text):
            raise InvalidInput(f"{text!r} is not an email address (name@example.com)", "invalid_endpoint")
        local, _, domain = text.rpartition("@")
        text = f"{local}@{domain.lower()}"
        return text, f"email#{text.lower()}"
    if protocol == "sms":
        number = _PHONE_SEPARATORS.sub("", text)
        if not _E164.match(number):
            raise InvalidInput(
                f"{text!r} is not a phone number in E.164 form: + then country code and number, e.g. +4915112345678",
                "invalid_endpoint",
            )
        return number, f"sms#{number}"
    if protocol == "https":
        try:
            parts = urlsplit(text)
            host = parts.hostname
        except ValueError:
            host = None
            parts = None
        if parts is None or parts.scheme != "https" or not host:
            raise InvalidInput(f"{text!r} is not an https URL", "invalid_endpoint")
        if parts.username or parts.password:
            # The listing shows endpoints to admins: credentials do not belong in them.
            raise InvalidInput("put no credentials in the URL", "invalid_endpoint")
        return text, f"https#{text}"
    pattern = {"sqs": _SQS_ARN, "lambda": _LAMBDA_ARN}.get(protocol)
    if pattern is None:
        raise InvalidInput(f"unknown protocol {protocol!r}", "invalid_endpoint")
    if not pattern.match(text):
        raise InvalidInput(
            f"{text!r} is not the ARN of an {protocol.upper()} {'queue' if protocol == 'sqs' else 'function'}",
            "invalid_endpoint",
        )
    return text, f"{protocol}#{text}"


def code_text(code: str) -> str:
    """The text that carries a code: fixed words only (never anything a user typed)."""
    return (
        f"Your inventory alerts code is {code}. It expires in {CODE_MINUTES} minutes. "
        "If you did not ask for stock alerts, ignore this text."
    )


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def public_id(owner: str, subscription_id: str) -> str:
    """The id the API shows: the owner and the row's id, so an admin's delete needs nothing else."""
    return f"{base64.urlsafe_b64encode(owner.encode()).rstrip(b'=').decode()}.{subscription_id}"


def parse_public_id(value: str) -> tuple[str, str]:
    """(owner, id) from a public id; :class:`Unknown` for anything this API did not issue."""
    encoded, dot, subscription_id = value.rpartition(".")
    try:
        if not dot or not re.fullmatch(r"[0-9a-f]{32}", subscription_id):
            raise ValueError
        owner = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Unknown("no such subscription") from None
    if not owner:
        raise Unknown("no such subscription")
    return owner, subscription_id


def _cursor(key: tuple[str, str] | None) -> str | None:
    if key is None:
        return None
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).rstrip(b"=").decode()


def _after(cursor: str | None) -> tuple[str, str] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (isinstance(key, list) and len(key) == 2 and all(isinstance(part, str) and part for part in key)):
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor("the cursor is not one this API issued") from None
    return key[0], key[1]


class Subscriptions:
    def __init__(
        self,
        *,
        topic: Topic,
        rows: Rows,
        max_per_user: int,
        sms_enabled: bool = False,
        clock: Callable[[], str] = utc_now,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        texts: Texts,
        code_limit: Callable[[str], None],
        mapper: Callable[[Callable[[Any], Any], Iterable[Any]], list[Any]] = parallel_map,
        now: Callable[[], float] = time.time,
        new_code: Callable[[], str] = lambda: f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}",
    ) -> None:
        """``code_limit(username)`` raises :class:`TooManyRequests` when the user may have no more
        codes texted for now (a per-user bucket)."""
        self._topic = topic
        self._rows = rows
        self._texts = texts
        self._code_limit = code_limit
        self._now = now
        self._new_code = new_code
        self._max = max_per_user
        self._sms = sms_enabled
        self._clock = clock
        self._new_id = new_id
        self._map = mapper

    # -- subscribing ----------------------------------------------------------------------------

    def create(self, caller: Caller, request: SubscriptionRequest) -> SubscriptionView:
        """Subscribe the caller's endpoint to alerts of their stores; a repeat answers the same subscription."""
        if request.protocol in ADMIN_PROTOCOLS:
            try:
                caller.require_admin()
            except NotAllowed as refusal:
                if refusal.reason == "mfa_required":
                    raise
                raise NotAllowed(f"only head office may subscribe with {request.protocol}; use email or sms") from None
        if request.protocol == "sms" and not self._sms:
            # SNS would accept the subscription and then drop every message: a new account is in the
            # SMS sandbox with a $1 monthly spend limit, and many countries need an origination identity.
            raise InvalidInput(
                "text messages (SMS) are not set up on this stage; subscribe by email", "sms_not_enabled"
            )
        endpoint, endpoint_key = checked_endpoint(request.protocol, request.endpoint)
        stores = self._stores(caller, request.stores)
        wanted = tuple(sorted({severity.value for severity in request.severities}))
        if len(stores) * len(wanted) > MAX_FILTER_COMBINATIONS:
            raise InvalidInput(
                f"{len(stores)} stores x {len(wanted)} severities is more than the {MAX_FILTER_COMBINATIONS} "
                "combinations SNS allows in one subscription; split it",
                "too_many_stores",
            )
        record = SubscriptionRecord(
            owner=caller.username,
            id=self._new_id(),
            protocol=request.protocol,
            endpoint=endpoint,
            stores=stores,
            severities=wanted,
            state=State.VERIFYING if request.protocol == "sms" else State.CREATING,
            created_at=self._clock(),
        )
        if record.state is State.VERIFYING:
            return self._text_a_code(caller, record, endpoint_key)
        try:
            # Conditional on the caller's access now, not on the few seconds' cache that admitted them.
            self._rows.reserve(record, endpoint_key, self._max, issued_at=caller.issued_at, admin=caller.admin)
        except EndpointTaken as taken:
            if taken.owner != caller.username and self._released(taken):
                self._rows.reserve(  # once: the address was free after all
                    record, endpoint_key, self._max, issued_at=caller.issued_at, admin=caller.admin
                )
                return self._subscribe(record)
            record = self._repeat_or_refuse(caller, record, taken)
            if record.state is State.ACTIVE:
                return self._view(record)
        return self._subscribe(record)

    def _released(self, taken: EndpointTaken) -> bool:
        """Let go of another user's claim on an address that SNS no longer delivers to: SNS dropped its
        subscription (never confirmed within 3 days, or unsubscribed by the link in an email). So asking
        first for someone else's address holds it for 3 days at most, never for good."""
        holder = self._rows.get(taken.owner, taken.subscription_id)
        if holder is None or holder.state is not State.ACTIVE or holder.arn is None:
            return False
        if self._topic.describe(holder.arn) is not None:
            return False
        self._rows.delete(holder)
        return True

    def _stores(self, caller: Caller, names: list[str]) -> tuple[str, ...]:
        stores: set[str] = set()
        for name in names:
            try:
                store = clean_store(name)
            except InvalidValue as error:
                raise InvalidInput(str(error), "invalid_name") from None
            caller.require(store)
            stores.add(store)
        return tuple(sorted(stores))

    def _repeat_or_refuse(self, caller: Caller, record: SubscriptionRecord, taken: EndpointTaken) -> SubscriptionRecord:
        """The existing row when this request repeats one already made; :class:`EndpointTaken` otherwise."""
        existing = self._rows.get(taken.owner, taken.subscription_id) if taken.owner == caller.username else None
        if existing is None:
            # Nothing about who holds it, or since when, or whether it is confirmed.
            raise EndpointTaken(
                "this address is subscribed to alerts already, or awaits confirmation of an earlier request "
                "(which ends after 3 days); ask head office",
                "",
                "",
            ) from None
        same = (existing.protocol, existing.endpoint, existing.stores, existing.severities) == (
            record.protocol,
            record.endpoint,
            record.stores,
            record.severities,
        )
        shown = public_id(existing.owner, existing.id)
        if existing.state is State.REMOVING:
            raise EndpointTaken(
                "this address was unsubscribed while its confirmation was pending; SNS keeps such a "
                "subscription for up to 3 days, after which it can be subscribed again",
                existing.owner,
                shown,
            )
        if not same:
            raise EndpointTaken(
                f"you have subscribed this address already (subscription {shown}); delete it first to change it",
                existing.owner,
                shown,
            )
        return existing

    # -- proving a phone number -----------------------------------------------------------------

    def _text_a_code(self, caller: Caller, record: SubscriptionRecord, endpoint_key: str) -> SubscriptionView:
        """A new phone subscription: the row (``verifying``) and a code texted to the number."""
        for existing in self._rows.of_owner(caller.username):
            if (existing.protocol, existing.endpoint) != (record.protocol, record.endpoint):
                continue
            if (existing.stores, existing.severities) == (record.stores, record.severities):
                return self._view(existing)  # a repeat: the code sent stands (a new one: POST .../code)
            raise EndpointTaken(
                "you have subscribed this number already "
                f"(subscription {public_id(existing.owner, existing.id)}); delete it first to change it",
                existing.owner,
                existing.id,
            )
        self._code_limit(caller.username)
        code, pending = self._fresh_code()
        record = replace(record, code=pending)
        self._rows.reserve(record, endpoint_key, self._max, issued_at=caller.issued_at, admin=caller.admin)
        try:
            self._texts.send(record.endpoint, code_text(code))
        except DomainError:
            with suppress(DomainError):
                self._rows.delete(record)
            raise
        return self._view(record)

    def _fresh_code(self) -> tuple[str, PendingCode]:
        code, salt, now = self._new_code(), secrets.token_hex(16), int(self._now())
        return code, PendingCode(_digest(salt, code), salt, now, now + CODE_MINUTES * 60)

    def _awaiting_code(self, caller: Caller, subscription: str) -> SubscriptionRecord:
        """The caller's own subscription (admins too: only the number's owner can enter its code)."""
        owner, subscription_id = parse_public_id(subscription)
        record = self._rows.get(owner, subscription_id) if owner == caller.username else None
        if record is None:
            raise Unknown("no such subscription")
        return record

    def verify(self, caller: Caller, subscription: str, code: str) -> SubscriptionView:
        """Enter the code texted to the number: the number is subscribed (SMS needs no other confirmation)."""
        record = self._awaiting_code(caller, subscription)
        if record.state is not State.VERIFYING:
            if record.state is State.ACTIVE:
                return self._view(record)  # entered already (a repeat)
            raise StateConflict("this subscription is not awaiting a code", "not_awaiting_code")
        pending = record.code
        spent = "the code has expired or was tried too often; ask for a new one"
        if pending is None or self._now() > pending.expires_at or pending.attempts >= CODE_ATTEMPTS:
            raise InvalidInput(spent, "code_expired")
        if not self._rows.spend_attempt(record, CODE_ATTEMPTS):
            raise InvalidInput(spent, "code_expired")
        if not hmac.compare_digest(_digest(pending.salt, code.strip()), pending.digest):
            left = CODE_ATTEMPTS - pending.attempts - 1
            raise InvalidInput(
                f"that is not the code; {left} {'try' if left == 1 else 'tries'} left"
                if left
                else "that is not the code, and it has been tried too often; ask for a new one",
                "wrong_code",
            )
        _, endpoint_key = checked_endpoint(record.protocol, record.endpoint)
        try:
            self._rows.claim(record, endpoint_key)
        except EndpointTaken as taken:
            if taken.owner == caller.username:
                shown = public_id(taken.owner, taken.subscription_id)
                raise EndpointTaken(
                    f"you have subscribed this number already (subscription {shown})",
                    taken.owner,
                    taken.subscription_id,
                ) from None
            # The caller holds the number, but says nothing about whose subscription has it.
            raise EndpointTaken(
                "this number receives alerts through another subscription already; ask head office", "", ""
            ) from None
        return self._subscribe(replace(record, state=State.CREATING, code=None))

    def resend(self, caller: Caller, subscription: str) -> SubscriptionView:
        """Text a new code (the old one stops working); at most one a minute, and the user's codes bucket."""
        record = self._awaiting_code(caller, subscription)
        if record.state is not State.VERIFYING:
            raise StateConflict("this subscription is not awaiting a code", "not_awaiting_code")
        if record.code is not None:
            wait = record.code.sent_at + CODE_RESEND_SECONDS - int(self._now())
            if wait > 0:
                raise TooManyRequests(f"a code was texted less than a minute ago; try again in {wait} s", wait)
        self._code_limit(caller.username)
        code, pending = self._fresh_code()
        self._rows.set_code(record, pending)
        self._texts.send(record.endpoint, code_text(code))
        return self._view(replace(record, code=pending))

    def _subscribe(self, record: SubscriptionRecord) -> SubscriptionView:
        try:
            arn = self._topic.subscribe(
                record.protocol, record.endpoint, filter_policy(record.stores, record.severities)
            )
        except DomainError as error:
            if not isinstance(error, Unavailable):
                # SNS refused for good: release the address and the count again, unless a removal
                # made the row `removing` meanwhile (it owns what SNS holds pending). Should that
                # fail too, the row stays `creating` (listed as incomplete) for a repeat or a delete.
                with suppress(DomainError):
                    self._rows.delete(record, state=State.CREATING)
            # Unavailable leaves the row `creating`: the same request repeated resumes it.
            raise
        if not self._rows.activate(record, arn):
            # Removed while SNS was asked (deleted, or the owner was disabled or lost the store): undo
            # it. One SNS holds pending now matches nothing, and the sweep removes it once SNS lets go.
            self._remove(replace(record, state=State.ACTIVE, arn=arn))
            raise StateConflict(
                "the subscription was removed while it was being made (deleted, or your access changed)",
                "access_changed",
            )
        return self._view(replace(record, state=State.ACTIVE, arn=arn))

    # -- listing --------------------------------------------------------------------------------

    def page(
        self,
        caller: Caller,
        *,
        everyone: bool = False,
        owner: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> SubscriptionsPage:
        """The caller's subscriptions; an admin may ask for one user's (``owner``) or everyone's (paged)."""
        if everyone or (owner is not None and owner != caller.username):
            caller.require_admin()
        if everyone:
            page = self._rows.page_all(min(limit, MAX_PAGE), _after(cursor))
            return SubscriptionsPage(subscriptions=self._views(page.records), next_cursor=_cursor(page.last_key))
        records = sorted(self._rows.of_owner(owner or caller.username), key=lambda r: (r.created_at, r.id))
        return SubscriptionsPage(subscriptions=self._views(records), next_cursor=None)

    def _views(self, records: list[SubscriptionRecord]) -> list[SubscriptionView]:
        return list(self._map(self._view, records))

    def _view(self, record: SubscriptionRecord) -> SubscriptionView:
        status: SubscriptionStatus
        stores, wanted = list(record.stores), list(record.severities)
        if record.state is State.VERIFYING:
            status = "awaiting_code"
        elif record.state is State.CREATING:
            status = "incomplete"
        elif record.state is State.REMOVING:
            status = "removing"
        else:
            reported = self._topic.describe(record.arn) if record.arn else None
            if reported is None:
                status = "expired"
            else:
                status = "pending_confirmation" if reported.pending_confirmation else "confirmed"
                # What SNS filters on is the truth; the row may lag behind after a failure.
                stores = list(reported.filter_policy.get(STORE_ATTRIBUTE, stores))
                wanted = list(reported.filter_policy.get(SEVERITIES_ATTRIBUTE, wanted))
        return SubscriptionView(
            id=public_id(record.owner, record.id),
            owner=record.owner,
            protocol=record.protocol,
            endpoint=record.endpoint,
            stores=stores,
            severities=wanted,
            status=status,
            created_at=record.created_at,
        )

    # -- unsubscribing --------------------------------------------------------------------------

    def delete(self, caller: Caller, subscription: str) -> SubscriptionView | None:
        """Unsubscribe one subscription of the caller's (an admin: anyone's).

        None when it is gone; its view (status ``removing``) when SNS holds it pending
        confirmation. Anyone else's is :class:`Unknown`, as if it did not exist.
        """
        owner, subscription_id = parse_public_id(subscription)
        if owner != caller.username and not caller.admin:
            raise Unknown("no such subscription")
        record = self._rows.get(owner, subscription_id)
        if record is None:
            raise Unknown("no such subscription")
        if self._remove(record):
            return None
        return self._view(replace(record, state=State.REMOVING))

    def _remove(self, record: SubscriptionRecord) -> bool:
        """Unsubscribe in SNS, then forget the row; False when SNS holds it pending (row kept ``removing``)."""
        if record.state is State.VERIFYING:  # not in SNS, claims nothing
            self._rows.delete(record)
            return True
        arn = record.arn or self._arn_of_unfinished(record)
        outcome = self._topic.unsubscribe(arn) if arn else "gone"
        if outcome == "pending":
            assert arn is not None
            self._topic.set_filter(arn, MATCH_NOTHING)  # refused too while pending, on some SNS versions
            if record.state is not State.REMOVING or record.arn != arn:
                # With the ARN: a later retry unsubscribes exactly it (asking SNS for it again by
                # the row's settings would be refused, its filter now matching nothing).
                self._rows.mark_removing(replace(record, arn=arn))
            return False
        self._rows.delete(record)
        return True

    def _arn_of_unfinished(self, record: SubscriptionRecord) -> str | None:
        """The ARN of a ``creating`` row's subscription, if SNS made it: asking again with the same
        settings answers the existing one (or makes it, to be removed straight away)."""
        try:
            return self._topic.subscribe(
                record.protocol, record.endpoint, filter_policy(record.stores, record.severities)
            )
        except DomainError as error:
            if not isinstance(error, Unavailable):
                return None  # SNS refuses it: it never subscribed this one
            raise

    # -- access changes -------------------------------------------------------------------------

    def narrow(self, owner: str, access: Access) -> Cleanup:
        """Fit a user's subscriptions to what they may now see: drop stores they lost, remove
        subscriptions left with no store or with a protocol only admins may use."""
        return self._fit(self._rows.of_owner(owner), access)

    def _fit(self, records: Iterable[SubscriptionRecord], access: Access) -> Cleanup:
        narrowed = removed = pending = 0
        for record in records:
            if record.state is State.REMOVING:
                # Already on its way out: SNS may let go of it now.
                gone = self._remove(record)
                removed, pending = removed + gone, pending + (not gone)
                continue
            keep = tuple(store for store in record.stores if access.may_see(store))
            allowed = access.admin or record.protocol not in ADMIN_PROTOCOLS
            if keep == record.stores and allowed:
                continue
            outcome = "remove"
            if keep and allowed and record.state is State.ACTIVE and record.arn is not None:
                outcome = self._topic.set_filter(record.arn, filter_policy(keep, record.severities))
            if outcome == "updated":
                self._rows.set_stores(record, keep)
                narrowed += 1
                continue
            # Nothing left to keep, or gone from SNS, or pending and unchangeable: remove it altogether.
            gone = self._remove(record)
            removed, pending = removed + gone, pending + (not gone)
        return Cleanup(narrowed=narrowed, removed=removed, pending=pending)

    def remove_all(self, owner: str) -> Cleanup:
        """Unsubscribe every subscription of a user (disabled or deleted); counts what SNS really removed
        and what it holds pending (those match no alert now, and the sweep retries them)."""
        return self._remove_each(self._rows.of_owner(owner))

    def _remove_each(self, records: Iterable[SubscriptionRecord]) -> Cleanup:
        removed = pending = 0
        for record in records:
            if self._remove(record):
                removed += 1
            else:
                pending += 1
        return Cleanup(removed=removed, pending=pending)

    # -- the sweep ------------------------------------------------------------------------------

    def sweep(self, access_of: Callable[[str], PersonAccess]) -> Sweep:
        """Finish what a request could not, so SNS and the table agree and nothing outlives a revocation:

        - every user's subscriptions are fitted to the access head office recorded (as
          :meth:`narrow` does): a narrowing that failed half way, or a subscription made in the
          moment of an access change, stops delivering the stores the user lost;
        - every subscription of a user head office disabled or deleted is removed (a disable that
          failed half way, or a subscription made in the moment of the disable);
        - a row ``removing`` (SNS held it pending) is unsubscribed again;
        - a row ``creating`` whose subscription SNS made with the row's filter (the answer was lost,
          and the request not repeated) is finished: ``active``, with the subscription's ARN;
        - a subscription of the topic that this API made (its filter policy says so) but no row
          knows of is removed (made while its row was being removed, or left by a failure), unless
          its address was claimed again meanwhile (a new subscription may be receiving it).

        SNS is listed before the table is read: any subscription listed was reserved in the table
        before, so one being made right now is never taken for an orphan.
        """
        listed = self._topic.listed()
        records = self._all_records()
        by_owner: dict[str, list[SubscriptionRecord]] = {}
        for record in records:
            by_owner.setdefault(record.owner, []).append(record)
        narrowed = removed = pending = 0
        for owner, own in by_owner.items():
            cleanup = self._reconcile(own, access_of(owner))
            narrowed, removed, pending = (
                narrowed + cleanup.narrowed, removed + cleanup.removed, pending + cleanup.pending
            )  # fmt: skip
        finished = self._finish(records, listed)
        known_arns = {record.arn for record in records if record.arn}
        # A number awaiting its code owns nothing in SNS (and claims nothing).
        known_endpoints = {
            (record.protocol, record.endpoint) for record in records if record.state is not State.VERIFYING
        }
        orphans = 0
        for entry in listed:
            if entry.arn in known_arns or (entry.protocol, entry.endpoint) in known_endpoints:
                continue
            if self._made_here(entry) and not self._claimed(entry) and self._topic.unsubscribe(entry.arn) != "pending":
                orphans += 1
        return Sweep(removed=removed, pending=pending, orphans=orphans, narrowed=narrowed, finished=finished)

    def _reconcile(self, records: list[SubscriptionRecord], access: PersonAccess) -> Cleanup:
        """One user's subscriptions fitted to their recorded access (all removed when disabled); with
        no access recorded, only the removals SNS refused before are retried."""
        if not access.enabled:
            return self._remove_each(records)
        if access.known:
            return self._fit(records, Access(admin=access.admin, stores=access.stores))
        return self._remove_each(record for record in records if record.state is State.REMOVING)

    def _finish(self, records: list[SubscriptionRecord], listed: list[Listed]) -> int:
        """Activate ``creating`` rows whose subscription SNS lists with the row's filter; how many."""
        arns = {(entry.protocol, entry.endpoint): entry.arn for entry in listed}
        finished = 0
        for record in records:
            arn = arns.get((record.protocol, record.endpoint))
            if record.state is not State.CREATING or arn is None:
                continue
            reported = self._topic.describe(arn)
            if reported is None or reported.filter_policy != filter_policy(record.stores, record.severities):
                continue
            finished += self._rows.activate(record, arn)
        return finished

    def _claimed(self, entry: Listed) -> bool:
        """Whether a row claims the address now (it was claimed after the table was read)."""
        try:
            _, endpoint_key = checked_endpoint(entry.protocol, entry.endpoint)
        except DomainError:
            return False  # an address this API would refuse: no row can claim it
        return self._rows.claim_of(endpoint_key) is not None

    def _all_records(self) -> list[SubscriptionRecord]:
        records: list[SubscriptionRecord] = []
        after: tuple[str, str] | None = None
        while True:
            page = self._rows.page_all(MAX_PAGE, after)
            records.extend(page.records)
            if page.last_key is None:
                return records
            after = page.last_key

    def _made_here(self, entry: Listed) -> bool:
        """Whether this API made a subscription: its filter policy is one the API writes (others, such
        as an operator's own queue on the topic, are never touched)."""
        reported = self._topic.describe(entry.arn)
        if reported is None:
            return False
        policy = reported.filter_policy
        return policy == MATCH_NOTHING or set(policy) == {STORE_ATTRIBUTE, SEVERITIES_ATTRIBUTE}
