"""In-memory stand-ins for the dashboard API's integrations: the readers behind its logic, the alerts
topic's subscriptions, texts, the People table and the user pool."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from inventory.history import HistoryEntry
from inventory.people import PersonAccess

if TYPE_CHECKING:
    from collections.abc import Callable

    from dashboard_api.models.records import (
        ForecastRows,
        IndexPage,
        ItemPage,
        ItemRecord,
        SignedPost,
        StreamRead,
        UploadPosition,
        UploadStream,
    )
    from dashboard_api.models.subscriptions import (
        Listed,
        PendingCode,
        RecordPage,
        SnsSubscription,
        State,
        SubscriptionRecord,
    )
    from dashboard_api.models.users import UserListing, UserRecord
    from inventory.models import Ordering, StockStatus
    from inventory.report import UploadReport
    from inventory.stores import StoreSummary
    from inventory.table import StoredItem
    from inventory.uploads import UploadEntry

# -- dashboard API: the readers behind the API's logic ----------------------------------
# Each one satisfies a Protocol of dashboard_api.logic (checked by mypy where the logic is built
# with it in tests/unit/api).


class FakeStoreDirectory:
    """The Stores table in memory: store name -> StoreSummary (``StoreSource``)."""

    def __init__(self, summaries: list[StoreSummary] | None = None) -> None:
        self.summaries = {summary.store: summary for summary in summaries or []}
        self.scans = 0

    def get(self, store: str) -> StoreSummary | None:
        return self.summaries.get(store)

    def all(self) -> list[StoreSummary]:
        self.scans += 1
        return list(self.summaries.values())

    def set_full_list(self, store: str, full_list: bool) -> StoreSummary | None:
        summary = self.summaries.get(store)
        if summary is not None:
            summary = self.summaries[store] = dataclasses.replace(summary, full_list=full_list)
        return summary


class FakeItemReader:
    """The Inventory table and its alerts index in memory, paged like DynamoDB Query (``ItemSource``):
    ``limit`` items examined per page, ``scanned`` counting items examined before a filter."""

    def __init__(self, default_threshold: int = 5) -> None:
        self.items: dict[str, dict[str, StoredItem]] = {}
        self.default_threshold = default_threshold
        self.pages: list[dict[str, Any]] = []
        self.alert_queries: list[str] = []

    def add(
        self,
        store: str,
        item: str,
        count: int,
        threshold: int | None = None,
        updated_at: str = "",
        ordering: Ordering | None = None,
    ) -> None:
        from inventory.models import NO_ORDERING, SourceVersion
        from inventory.table import StoredItem

        stored = StoredItem(store, item, count, threshold, updated_at or "2026-11-22T03:00:00.000Z",
                            SourceVersion("2026-11-22T03:00:00.000Z", f"uploads/{store}.csv"),
                            ordering or NO_ORDERING)  # fmt: skip
        self.items.setdefault(store, {})[item] = stored

    def orderings(self, store: str, max_rows: int) -> dict[str, Ordering]:
        from inventory.models import NO_ORDERING

        return {name: s.ordering for name, s in self.items.get(store, {}).items() if s.ordering != NO_ORDERING}

    def _records(self, store: str) -> list[ItemRecord]:
        from dashboard_api.models.records import ItemRecord

        return [
            ItemRecord(stored, stored.status(self.default_threshold))
            for _, stored in sorted(self.items.get(store, {}).items())
        ]

    def page(
        self,
        store: str,
        *,
        status: StockStatus | None,
        limit: int,
        after_item: str | None = None,
        after_status: str | None = None,
    ) -> ItemPage:
        from dashboard_api.models.records import ItemPage
        from inventory.models import StockStatus

        assert limit >= 1, "DynamoDB refuses a Limit below 1"
        self.pages.append({"store": store, "status": status, "limit": limit, "after": after_item})
        indexed = status in (StockStatus.OUT, StockStatus.LOW)
        candidates = [r for r in self._records(store) if not indexed or r.status is status]
        if after_item is not None:
            candidates = [r for r in candidates if r.stored.item > after_item]
        examined = candidates[:limit]
        more = len(candidates) > limit
        returned = [r for r in examined if status is not StockStatus.OK or r.status is StockStatus.OK]
        last = examined[-1] if more and examined else None
        return ItemPage(
            items=returned,
            scanned=len(examined),
            last_item=last.stored.item if last else None,
            last_status=last.status.value if last and indexed else None,
        )

    def one(self, store: str, item: str) -> ItemRecord | None:
        return next((r for r in self._records(store) if r.stored.item == item), None)

    def alerts(self, store: str, status: StockStatus | None) -> list[ItemRecord]:
        from inventory.models import StockStatus

        self.alert_queries.append(store)
        wanted = {status} if status else {StockStatus.OUT, StockStatus.LOW}
        return [r for r in self._records(store) if r.status in wanted]


class FakeHistoryReader:
    """The History table, empty (``HistorySource``): records what was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, str]] = []

    def changes(self, store: str, item: str, start: str, end: str, limit: int) -> tuple[list[HistoryEntry], bool]:
        self.calls.append((store, item, start, end))
        return [], False


class FakeForecastReader:
    """The Forecast table and its RunningOut index in memory (``ForecastSource``), read as DynamoDB would:
    a store's rows in item order, the index in order of cover. ``reads`` records each read's kind."""

    def __init__(self) -> None:
        from inventory.forecast import ForecastRow

        self.table: dict[str, dict[str, ForecastRow]] = {}
        self.reads: list[tuple[str, str]] = []

    def add(
        self, store: str, item: str, count: int, rate_per_day: float | None, at: str, daily_sd: float = 0.0
    ) -> None:
        """A row as alerts writes it: ``count`` seen at ``at``, used at ``rate_per_day`` (``None``: not used up)."""
        from datetime import timedelta

        from inventory.forecast import Forecast, ForecastRow, ModelState, parse_time
        from inventory.models import iso_utc

        used = rate_per_day or 0.0
        state = ModelState(count, at, "1", consumed=used, elapsed=1.0 if used else 0.0)
        forecast = None
        if used:
            days = count / used
            forecast = Forecast(count, used, days, iso_utc(parse_time(at) + timedelta(days=days)), daily_sd)
        self.table.setdefault(store, {})[item] = ForecastRow(store, item, state, forecast)

    def _sorted(self, store: str) -> list[Any]:
        return [row for _, row in sorted(self.table.get(store, {}).items())]

    def store_rows(self, store: str, max_rows: int) -> ForecastRows:
        from dashboard_api.models.records import ForecastRows

        self.reads.append(("store_rows", store))
        rows = self._sorted(store)
        examined = rows[:max_rows]
        return ForecastRows([r for r in examined if r.forecast], len(examined), len(rows) <= max_rows)

    def running_out(self, store: str, by: str, max_rows: int) -> ForecastRows:
        from dashboard_api.models.records import ForecastRows
        from inventory.forecast import running_out_week

        self.reads.append(("running_out", store))
        week = running_out_week(by)
        indexed = [r for r in self._sorted(store) if r.running_out_in is not None and r.running_out_in <= week]
        indexed.sort(key=lambda r: r.running_out_in)
        return ForecastRows(indexed[:max_rows], min(max_rows, len(indexed)), len(indexed) <= max_rows)

    def between(self, store: str, first: str, last: str, max_rows: int) -> ForecastRows:
        from dashboard_api.models.records import ForecastRows

        self.reads.append(("between", store))
        rows = [r for r in self._sorted(store) if first <= r.item <= last]
        return ForecastRows(rows[:max_rows], min(max_rows, len(rows)), len(rows) <= max_rows)

    def keyed(self, keys: Any, what: str = "") -> ForecastRows:
        from dashboard_api.models.records import ForecastRows

        self.reads.append(("keyed", ""))
        found = [self.table[store][item] for store, item in keys if item in self.table.get(store, {})]
        return ForecastRows(found, len(found), True)

    def rows(self, store: str, items: Any) -> ForecastRows:
        from dashboard_api.models.records import ForecastRows

        self.reads.append(("rows", store))
        stored = self.table.get(store, {})
        found = [stored[item] for item in items if item in stored]
        return ForecastRows(found, len(found), True)


class FakeUploadIndex:
    """The uploads index in memory (``UploadIndexSource``), queried like its two GSIs: by Scope or by
    Feed, newest ReceivedAt first, ties in table-key order, ``ExclusiveStartKey`` resuming right after
    a row. ``queries`` records every Query (stream partition and Limit)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.queries: list[tuple[str, int]] = []

    def add(self, entry: UploadEntry) -> None:
        self.rows[(entry.key, entry.version)] = entry.to_item()

    def add_raw(self, item: dict[str, Any]) -> None:
        """A row as some other writer left it (a claim without its summary, say)."""
        self.rows[(item["Key"]["S"], item["Version"]["S"])] = item

    def _stream(self, stream: UploadStream) -> list[dict[str, Any]]:
        attribute = "Scope" if stream.index == "UploadsByScope" else "Feed"
        rows = [row for row in self.rows.values() if row.get(attribute, {}).get("S") == stream.partition]
        rows.sort(key=lambda row: (row["ReceivedAt"]["S"], row["Key"]["S"], row["Version"]["S"]), reverse=True)
        return rows

    def page(self, read: StreamRead, limit: int) -> IndexPage:
        from dashboard_api.dal.uploads import summary
        from dashboard_api.models.records import IndexedUpload, IndexPage, UploadPosition

        stream, after, older_than, inclusive = read.stream, read.after, read.older_than, read.inclusive
        assert limit >= 1, "DynamoDB refuses a Limit below 1"
        self.queries.append((stream.partition, limit))
        rows = self._stream(stream)

        def position(row: dict[str, Any]) -> UploadPosition:
            return UploadPosition(stream.partition, row["ReceivedAt"]["S"], row["Key"]["S"], row["Version"]["S"])

        if after is not None:
            marks = [position(row) for row in rows]
            rows = rows[marks.index(after) + 1 :]
        elif older_than is not None:
            rows = [
                r
                for r in rows
                if r["ReceivedAt"]["S"] < older_than or (inclusive and r["ReceivedAt"]["S"] == older_than)
            ]
        taken = rows[:limit]
        return IndexPage(
            rows=[IndexedUpload(position(row), summary(row)) for row in taken],
            last=position(taken[-1]) if len(rows) > limit else None,
        )

    def versions(self, key: str, max_rows: int) -> list[UploadEntry]:
        from dashboard_api.dal.uploads import summary

        found = [summary(row) for (row_key, _), row in self.rows.items() if row_key == key][:max_rows]
        return [entry for entry in found if entry is not None]


class FakeReports:
    """Whole upload reports by report key (``ReportSource``); records which were read."""

    def __init__(self) -> None:
        self.reports: dict[str, UploadReport] = {}
        self.read_keys: list[str] = []

    def read(self, report_key: str) -> UploadReport | None:
        self.read_keys.append(report_key)
        return self.reports.get(report_key)


class FakeSigner:
    """Signs nothing (``Signer``): answers a form naming the key, and records what it was asked."""

    def __init__(self) -> None:
        self.signed: list[dict[str, Any]] = []

    def sign(
        self,
        key: str,
        *,
        max_bytes: int,
        uploaded_by: str,
        expires_in: int,
        full_list: bool = False,
        dry_run: bool = False,
    ) -> SignedPost:
        from dashboard_api.models.records import SignedPost

        self.signed.append({"key": key, "max_bytes": max_bytes, "uploaded_by": uploaded_by, "expires_in": expires_in})
        if full_list:
            self.signed[-1]["full_list"] = True
        if dry_run:
            self.signed[-1]["dry_run"] = True
        return SignedPost(url="https://bucket.example/", fields={"key": key, "policy": "unsigned"})


# -- dashboard API: the alerts topic's subscriptions and the People table ------------------


class FakeAlertsTopic:
    """SNS subscriptions on the alerts topic in memory, as SNS behaves (not as moto does):

    - subscribing the same protocol and endpoint again answers the existing ARN, or refuses
      when the attributes differ;
    - email and https subscriptions stay pending until :meth:`confirm`; SNS refuses to
      unsubscribe a pending one (and, with ``refuse_pending_changes``, to change it).

    Faults: ``fail_subscribe`` (SNS unavailable, nothing made), ``lose_answer`` (made, but the
    answer never arrives), ``refused`` (endpoints SNS rejects), ``fail_calls`` (any call fails).
    Races: ``before[name]`` runs once, as the next call of that name (``Subscribe``, ...) begins.
    """

    TOPIC = "arn:aws:sns:us-east-1:123456789012:inventory-alerts-test-no-stock"

    def __init__(self) -> None:
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.fail_subscribe = 0
        self.lose_answer = 0
        self.fail_calls = 0
        self.refused: set[str] = set()
        self.refuse_pending_changes = False
        self.before: dict[str, Callable[[], Any]] = {}
        self._next = 0

    def _call(self, name: str) -> None:
        from dashboard_api.models.errors import Unavailable

        self.calls.append(name)
        race = self.before.pop(name, None)
        if race is not None:
            race()
        if self.fail_calls:
            self.fail_calls -= 1
            raise Unavailable(f"{name} failed (Throttling); try again shortly")

    def subscribe(self, protocol: str, endpoint: str, filter_policy: dict[str, list[str]]) -> str:
        from dashboard_api.models.errors import InvalidInput, StateConflict, Unavailable

        self._call("Subscribe")
        if self.fail_subscribe:
            self.fail_subscribe -= 1
            raise Unavailable("subscribing failed (ServiceUnavailable); try again shortly")
        if endpoint in self.refused:
            raise InvalidInput("SNS refused the endpoint: Invalid parameter: Endpoint", "invalid_endpoint")
        for arn, existing in self.subscriptions.items():
            if (existing["protocol"], existing["endpoint"]) == (protocol, endpoint):
                if existing["policy"] != filter_policy:
                    raise StateConflict(
                        "this address is already subscribed to the alerts topic with other settings",
                        "already_subscribed",
                    )
                return arn
        self._next += 1
        arn = f"{self.TOPIC}:{self._next:08d}-0000-0000-0000-000000000000"
        pending = protocol in ("email", "https")
        self.subscriptions[arn] = {
            "protocol": protocol,
            "endpoint": endpoint,
            "policy": filter_policy,
            "pending": pending,
        }
        if self.lose_answer:
            self.lose_answer -= 1
            raise Unavailable("subscribing failed (timeout); try again shortly")
        return arn

    def confirm(self, arn: str) -> None:
        self.subscriptions[arn]["pending"] = False

    def listed(self) -> list[Listed]:
        from dashboard_api.models.subscriptions import Listed

        self._call("ListSubscriptionsByTopic")
        return [
            Listed(arn, entry["protocol"], entry["endpoint"])
            for arn, entry in self.subscriptions.items()
            if not entry["pending"]  # SNS lists a pending one as "PendingConfirmation", no ARN
        ]

    def describe(self, subscription_arn: str) -> SnsSubscription | None:
        from dashboard_api.models.subscriptions import SnsSubscription

        self._call("GetSubscriptionAttributes")
        found = self.subscriptions.get(subscription_arn)
        return SnsSubscription(found["pending"], dict(found["policy"])) if found else None

    def set_filter(self, subscription_arn: str, filter_policy: dict[str, list[str]]) -> str:
        self._call("SetSubscriptionAttributes")
        found = self.subscriptions.get(subscription_arn)
        if found is None:
            return "gone"
        if found["pending"] and self.refuse_pending_changes:
            return "pending"
        found["policy"] = filter_policy
        return "updated"

    def unsubscribe(self, subscription_arn: str) -> str:
        self._call("Unsubscribe")
        found = self.subscriptions.get(subscription_arn)
        if found is None:
            return "gone"
        if found["pending"]:
            return "pending"
        del self.subscriptions[subscription_arn]
        return "removed"

    def policies(self) -> list[dict[str, list[str]]]:
        return [entry["policy"] for entry in self.subscriptions.values()]


class FakeTexts:
    """Texts to phone numbers, kept in order: (number, text)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, number: str, text: str) -> None:
        self.sent.append((number, text))

    def last_code(self, number: str) -> str:
        import re

        text = next(text for to, text in reversed(self.sent) if to == number)
        match = re.search(r"\b(\d{6})\b", text)
        assert match, text
        return match.group(1)


class FakeSubscriptionRows:
    """The People table's subscription rows, address claims and counters in memory, with the
    same all-or-nothing reserve and delete as the DynamoDB transactions.

    Faults: ``fail_activate`` / ``fail_delete`` / ``fail_set_stores`` make the next such writes fail.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], SubscriptionRecord] = {}
        self.claims: dict[str, tuple[str, str]] = {}
        self.endpoint_keys: dict[tuple[str, str], str] = {}
        self.counts: dict[str, int] = {}
        self.fail_activate = 0
        self.fail_delete = 0
        self.fail_set_stores = 0

    @staticmethod
    def _failed(what: str) -> Exception:
        from dashboard_api.models.errors import Unavailable

        return Unavailable(f"{what} failed; try again shortly")

    def reserve(
        self, record: SubscriptionRecord, endpoint_key: str, cap: int, *, issued_at: int | None, admin: bool
    ) -> None:
        del issued_at, admin  # the owner's standing is the DynamoDB condition's (tests/integration/api)
        from dashboard_api.models.errors import EndpointTaken, StateConflict
        from dashboard_api.models.subscriptions import State

        claims = record.state is not State.VERIFYING  # a number awaiting its code claims nothing
        if claims and endpoint_key in self.claims:
            owner, subscription_id = self.claims[endpoint_key]
            raise EndpointTaken("this address is subscribed already", owner, subscription_id)
        if self.counts.get(record.owner, 0) >= cap:
            raise StateConflict(
                f"you have {cap} subscriptions, the most allowed; delete one first", "too_many_subscriptions"
            )
        if claims:
            self.claims[endpoint_key] = (record.owner, record.id)
        self.rows[(record.owner, record.id)] = record
        self.endpoint_keys[(record.owner, record.id)] = endpoint_key
        self.counts[record.owner] = self.counts.get(record.owner, 0) + 1

    def get(self, owner: str, subscription_id: str) -> SubscriptionRecord | None:
        return self.rows.get((owner, subscription_id))

    def claim(self, record: SubscriptionRecord, endpoint_key: str) -> None:
        from dashboard_api.models.errors import EndpointTaken, StateConflict
        from dashboard_api.models.subscriptions import State

        if endpoint_key in self.claims:
            owner, subscription_id = self.claims[endpoint_key]
            raise EndpointTaken("this address is subscribed already", owner, subscription_id)
        current = self.rows.get((record.owner, record.id))
        if current is None or current.state is not State.VERIFYING:
            raise StateConflict("this subscription is not awaiting a code", "not_awaiting_code")
        self.claims[endpoint_key] = (record.owner, record.id)
        self._replace(record, state=State.CREATING, code=None)

    def spend_attempt(self, record: SubscriptionRecord, most: int) -> bool:
        from dataclasses import replace

        current = self.rows.get((record.owner, record.id))
        code = current.code if current else None
        if code is None or record.code is None or code.digest != record.code.digest or code.attempts >= most:
            return False
        self._replace(record, code=replace(code, attempts=code.attempts + 1))
        return True

    def set_code(self, record: SubscriptionRecord, code: PendingCode) -> None:
        from dashboard_api.models.errors import StateConflict
        from dashboard_api.models.subscriptions import State

        current = self.rows.get((record.owner, record.id))
        if current is None or current.state is not State.VERIFYING:
            raise StateConflict("this subscription is not awaiting a code", "not_awaiting_code")
        self._replace(record, code=code)

    def _replace(self, record: SubscriptionRecord, **changes: Any) -> None:
        from dataclasses import replace

        key = (record.owner, record.id)
        if key in self.rows:
            self.rows[key] = replace(self.rows[key], **changes)

    def activate(self, record: SubscriptionRecord, arn: str) -> bool:
        from dashboard_api.models.subscriptions import State

        if self.fail_activate:
            self.fail_activate -= 1
            raise self._failed("saving the subscription")
        current = self.rows.get((record.owner, record.id))
        if current is None or not (
            current.state is State.CREATING or (current.state is State.ACTIVE and current.arn == arn)
        ):
            return False
        self._replace(record, state=State.ACTIVE, arn=arn)
        return True

    def mark_removing(self, record: SubscriptionRecord) -> None:
        from dashboard_api.models.subscriptions import State

        if record.arn is None:
            self._replace(record, state=State.REMOVING)
        else:
            self._replace(record, state=State.REMOVING, arn=record.arn)

    def set_stores(self, record: SubscriptionRecord, stores: tuple[str, ...]) -> None:
        if self.fail_set_stores:
            self.fail_set_stores -= 1
            raise self._failed("saving the subscription")
        self._replace(record, stores=stores)

    def claim_of(self, endpoint_key: str) -> tuple[str, str] | None:
        return self.claims.get(endpoint_key)

    def delete(self, record: SubscriptionRecord, *, state: State | None = None) -> None:
        if self.fail_delete:
            self.fail_delete -= 1
            raise self._failed("removing the subscription")
        key = (record.owner, record.id)
        if key not in self.rows or (state is not None and self.rows[key].state is not state):
            return
        del self.rows[key]
        endpoint_key = self.endpoint_keys.pop(key)
        if self.claims.get(endpoint_key) == key:
            del self.claims[endpoint_key]
        self.counts[record.owner] -= 1

    def of_owner(self, owner: str) -> list[SubscriptionRecord]:
        return [record for (row_owner, _), record in sorted(self.rows.items()) if row_owner == owner]

    def page_all(self, limit: int, after: tuple[str, str] | None) -> RecordPage:
        from dashboard_api.models.subscriptions import RecordPage

        keys = sorted(self.rows)
        if after is not None:
            keys = [key for key in keys if key > after]
        chosen = keys[:limit]
        return RecordPage([self.rows[key] for key in chosen], chosen[-1] if len(chosen) == limit else None)


class FakeUserDirectory:
    """The user pool in memory (``logic.people.Directory``), as Cognito behaves for what People uses:
    usernames match in any case, a disabled user cannot be signed out, a user still on their first
    temporary password cannot be reset by email. ``events`` records every change in order."""

    def __init__(self) -> None:
        self.users: dict[str, UserRecord] = {}
        self.passwords: dict[str, str] = {}
        self.events: list[tuple[str, str]] = []

    def add(self, username: str, *, stores: str = "", admin: bool = False, email: str | None = None,
            status: str = "CONFIRMED", mfa: bool = False) -> None:  # fmt: skip
        from dashboard_api.models.users import UserRecord

        self.users[username.casefold()] = UserRecord(
            username, email, email is not None, True, status, admin, stores or None, "2026-11-22T03:00:00.000Z", mfa
        )

    def _user(self, username: str) -> UserRecord:
        from dashboard_api.models.errors import Unknown

        if username.casefold() not in self.users:
            raise Unknown(f"no such user: {username}")
        return self.users[username.casefold()]

    def _change(self, event: str, username: str, **changes: Any) -> None:
        from dataclasses import replace

        user = self._user(username)
        self.events.append((event, user.username))
        self.users[username.casefold()] = replace(user, **changes)

    def get(self, username: str) -> UserRecord:
        return self._user(username)

    def mfa_enabled(self, username: str) -> bool:
        return bool(self._user(username).mfa_enabled)

    def page(self, limit: int, token: str | None) -> UserListing:
        from dashboard_api.models.users import UserListing

        start = int(token or 0)
        users = sorted(self.users.values(), key=lambda user: user.username)
        more = len(users) > start + limit
        return UserListing(users[start : start + limit], str(start + limit) if more else None)

    def create(
        self, username: str, temporary_password: str, stores_attribute: str, admin: bool, email: str | None = None
    ) -> None:
        from dashboard_api.models.errors import StateConflict

        if username.casefold() in self.users:
            raise StateConflict(f"user {username!r} already exists (UsernameExistsException)", "user_exists")
        self.add(username, stores=stores_attribute, admin=admin, email=email, status="FORCE_CHANGE_PASSWORD")
        self.passwords[username] = temporary_password
        self.events.append(("create", username))

    def set_access(self, username: str, stores_attribute: str, admin: bool) -> None:
        self._change("set_access", username, stores_attribute=stores_attribute, admin=admin)

    def disable(self, username: str) -> None:
        self._change("disable", username, enabled=False)

    def enable(self, username: str) -> None:
        self._change("enable", username, enabled=True)

    def delete(self, username: str) -> None:
        user = self._user(username)
        self.events.append(("delete", user.username))
        del self.users[username.casefold()]

    def sign_out_everywhere(self, username: str) -> None:
        from dashboard_api.models.errors import InvalidInput

        if not self._user(username).enabled:
            raise InvalidInput("Cognito refused the change: User is disabled.", "refused")
        self._change("sign_out", username)

    def reset_password(self, username: str) -> None:
        from dashboard_api.models.errors import InvalidInput

        if self._user(username).status == "FORCE_CHANGE_PASSWORD":
            raise InvalidInput("User password cannot be reset in the current state.", "refused")
        self._change("reset_password", username, status="RESET_REQUIRED")

    def set_temporary_password(self, username: str, password: str) -> None:
        self._change("set_temporary_password", username, status="FORCE_CHANGE_PASSWORD")
        self.passwords[self._user(username).username] = password


class FakeRevocations:
    """RevokedBefore per user in memory, only ever moving forward (``logic.people.Revoker``)."""

    def __init__(self) -> None:
        self.before: dict[str, int] = {}
        self.access: dict[str, PersonAccess] = {}
        self.mfa_enrolled_at: dict[str, int] = {}
        self.ended: dict[str, dict[str, int]] = {}

    def record_access(self, username: str, access: PersonAccess) -> None:
        self.access[username] = access

    def record_mfa_enrolment(self, username: str, at: int) -> None:
        self.mfa_enrolled_at[username] = at

    def end_session(self, username: str, session: str, *, until: int, now: int) -> None:
        del now
        self.ended.setdefault(username, {})[session] = until

    def revoke(self, username: str, before: int) -> None:
        self.before[username] = max(before, self.before.get(username, 0))

    def revoked_before(self, username: str) -> int | None:
        return self.before.get(username)
