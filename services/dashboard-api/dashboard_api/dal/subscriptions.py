"""The API's People table: who owns which alert subscription, and when a user's access last changed.

One table, generic keys ``PK`` / ``SK``, three kinds of item:

=============================  ==============  ==================================================
PK                             SK              holds
=============================  ==============  ==================================================
``USER#<username>``            ``SUB#<id>``    a subscription: Protocol, Endpoint, Stores,
                                               Severities, State, SubscriptionArn, EndpointKey
``USER#<username>``            ``USER``        the user's subscription count (the cap's counter)
                                               and ``RevokedBefore`` (see ``dal.revocations``)
``ENDPOINT#<protocol>#<addr>`` ``ENDPOINT``    the claim on an address: Owner and Id of the one
                                               subscription that may use it
``USER#<username>``            ``THROTTLE#<b>`` a request bucket (see ``dal.throttle``)
=============================  ==============  ==================================================

A phone number is claimed only once its owner has entered the code texted to it: until then
the row (state ``verifying``, holding the code's salted hash) claims nothing, so nobody can
block a number by asking for it first.

SNS keeps one subscription per topic, protocol and endpoint, so the claim makes the API
refuse a second subscription of the same address instead of silently sharing (or, in SNS,
overwriting) it. Reserving a subscription writes the row, the claim and the counter in one
transaction, so the cap holds under concurrent requests and nothing is half-reserved;
removing one deletes all three changes in one transaction too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.people import PersonAccess

from dashboard_api.models.errors import (
    EndpointTaken,
    NotAllowed,
    NotSignedIn,
    StateConflict,
    Unavailable,
)
from dashboard_api.models.subscriptions import PendingCode, RecordPage, State, SubscriptionRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

USER_PREFIX = "USER#"
SUBSCRIPTION_PREFIX = "SUB#"
ENDPOINT_PREFIX = "ENDPOINT#"
USER_SK = "USER"
ENDPOINT_SK = "ENDPOINT"
SUBSCRIPTION_KIND = "subscription"


def user_key(username: str) -> str:
    return f"{USER_PREFIX}{username}"


def _subscription_key(owner: str, subscription_id: str) -> dict[str, Any]:
    return {"PK": {"S": user_key(owner)}, "SK": {"S": f"{SUBSCRIPTION_PREFIX}{subscription_id}"}}


def _claim_key(endpoint_key: str) -> dict[str, Any]:
    return {"PK": {"S": f"{ENDPOINT_PREFIX}{endpoint_key}"}, "SK": {"S": ENDPOINT_SK}}


def _user_item_key(owner: str) -> dict[str, Any]:
    return {"PK": {"S": user_key(owner)}, "SK": {"S": USER_SK}}


def _code_attributes(code: PendingCode) -> dict[str, Any]:
    return {
        "CodeHash": {"S": code.digest},
        "CodeSalt": {"S": code.salt},
        "CodeSentAt": {"N": str(code.sent_at)},
        "CodeExpires": {"N": str(code.expires_at)},
        "CodeAttempts": {"N": str(code.attempts)},
    }


def _code(item: Mapping[str, Any]) -> PendingCode | None:
    if "CodeHash" not in item:
        return None
    return PendingCode(
        digest=item["CodeHash"]["S"],
        salt=item["CodeSalt"]["S"],
        sent_at=int(item["CodeSentAt"]["N"]),
        expires_at=int(item["CodeExpires"]["N"]),
        attempts=int(item.get("CodeAttempts", {}).get("N", "0")),
    )


def _record(item: Mapping[str, Any]) -> SubscriptionRecord:
    return SubscriptionRecord(
        owner=item["Owner"]["S"],
        id=item["Id"]["S"],
        protocol=item["Protocol"]["S"],
        endpoint=item["Endpoint"]["S"],
        stores=tuple(value["S"] for value in item.get("Stores", {}).get("L", [])),
        severities=tuple(value["S"] for value in item.get("Severities", {}).get("L", [])),
        state=State(item["State"]["S"]),
        created_at=item.get("CreatedAt", {}).get("S", ""),
        arn=item.get("SubscriptionArn", {}).get("S"),
        code=_code(item),
    )


#: Placeholders of the row's attributes in update expressions (``State`` is a reserved word).
_NAMES = {"#state": "State", "#arn": "SubscriptionArn"}


def _strings(values: tuple[str, ...]) -> dict[str, Any]:
    return {"L": [{"S": value} for value in values]}


#: Stores of a subscription checked one by one against the owner's recorded stores. DynamoDB allows an
#: expression 4 KB and 300 operators and functions; a subscription naming more stores (SNS allows 150)
#: is held by the revocation time alone, which every access change moves.
MAX_STORES_CHECKED = 100


def _standing_condition(stores: tuple[str, ...], cap: int, *, issued_at: int | None, admin: bool) -> dict[str, Any]:
    """The condition on the owner's item for one more subscription (see ``SubscriptionTable.reserve``)."""
    names = {"#count": "Subscriptions", "#revoked": "RevokedBefore", "#enabled": "Enabled", "#admin": "Admin"}
    values: dict[str, Any] = {":zero": {"N": "0"}, ":one": {"N": "1"}, ":cap": {"N": str(cap)}, ":yes": {"BOOL": True}}
    revoked = "attribute_not_exists(#revoked)"
    if issued_at is not None:
        revoked = f"({revoked} OR #revoked <= :issued)"
        values[":issued"] = {"N": str(issued_at)}
    allowed = "#admin = :yes"
    if not admin and 0 < len(stores) <= MAX_STORES_CHECKED:
        names["#s"] = "Stores"
        values.update({f":s{n}": {"S": store} for n, store in enumerate(stores)})
        every = " AND ".join(f"contains(#s,:s{n})" for n in range(len(stores)))
        allowed = f"{allowed} OR ({every})"
    condition = (
        "(attribute_not_exists(#count) OR #count < :cap)"
        f" AND {revoked}"
        " AND (attribute_not_exists(#enabled) OR #enabled = :yes)"
        f" AND (attribute_not_exists(#enabled) OR {allowed})"
    )
    return {
        "UpdateExpression": "SET #count = if_not_exists(#count, :zero) + :one",
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _reasons(error: ClientError) -> list[str]:
    return [str(reason.get("Code", "None")) for reason in error.response.get("CancellationReasons", [])]  # type: ignore[attr-defined]


def _conditional(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


@contextmanager
def _table(what: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        raise Unavailable(f"{what} failed; try again shortly") from error


class SubscriptionTable:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def reserve(
        self, record: SubscriptionRecord, endpoint_key: str, cap: int, *, issued_at: int | None, admin: bool
    ) -> None:
        """Write a new row, claim its address (unless it is a phone number still to be verified)
        and count it, all or nothing.

        The count is conditional on the owner's item as it is now, not as a cache saw it: no
        revocation since their token was issued (``issued_at``), not disabled, and (when head office
        has recorded their access) still an admin or still given every store of the subscription.

        Raises :class:`EndpointTaken` (naming the claim's holder) when the address is claimed,
        :class:`NotSignedIn` (``session_revoked``) or :class:`NotAllowed` when the owner's access
        changed, :class:`StateConflict` (``too_many_subscriptions``) when the owner already has ``cap``.
        """
        item = {
            **_subscription_key(record.owner, record.id),
            "Kind": {"S": SUBSCRIPTION_KIND},
            "Owner": {"S": record.owner},
            "Id": {"S": record.id},
            "Protocol": {"S": record.protocol},
            "Endpoint": {"S": record.endpoint},
            "EndpointKey": {"S": endpoint_key},
            "Stores": _strings(record.stores),
            "Severities": _strings(record.severities),
            "State": {"S": record.state.value},
            "CreatedAt": {"S": record.created_at},
            **(_code_attributes(record.code) if record.code else {}),
        }
        count: Any = {
            "TableName": self._table,
            "Key": _user_item_key(record.owner),
            **_standing_condition(record.stores, cap, issued_at=issued_at, admin=admin),
        }
        claims = record.state is not State.VERIFYING
        writes: list[Any] = [self._claim_put(record, endpoint_key)] if claims else []
        writes += [
            {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Update": count},
        ]
        try:
            self._client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            reasons = _reasons(error)
            if claims and reasons and reasons[0] == "ConditionalCheckFailed":
                raise self._taken(endpoint_key) from error
            if len(reasons) == len(writes) and reasons[-1] == "ConditionalCheckFailed":
                self._refuse_owner(record, issued_at=issued_at, admin=admin)
                raise StateConflict(
                    f"you have {cap} subscriptions, the most allowed; delete one first", "too_many_subscriptions"
                ) from error
            raise Unavailable("saving the subscription failed; try again shortly") from error
        except BotoCoreError as error:
            raise Unavailable("saving the subscription failed; try again shortly") from error

    def _claim_put(self, record: SubscriptionRecord, endpoint_key: str) -> dict[str, Any]:
        claim = {**_claim_key(endpoint_key), "Owner": {"S": record.owner}, "Id": {"S": record.id}}
        return {"Put": {"TableName": self._table, "Item": claim, "ConditionExpression": "attribute_not_exists(PK)"}}

    def _taken(self, endpoint_key: str) -> EndpointTaken:
        owner, subscription_id = self.claim_of(endpoint_key) or ("", "")
        return EndpointTaken("this address is subscribed already", owner, subscription_id)

    def claim(self, record: SubscriptionRecord, endpoint_key: str) -> None:
        """A verified phone number: claim it and move the row from ``verifying`` to ``creating``
        (forgetting the code), both or neither. :class:`EndpointTaken` when it is claimed already;
        :class:`StateConflict` when the row is no longer awaiting its code."""
        writes: list[Any] = [
            self._claim_put(record, endpoint_key),
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _subscription_key(record.owner, record.id),
                    "UpdateExpression": "SET #state = :creating "
                    "REMOVE CodeHash, CodeSalt, CodeSentAt, CodeExpires, CodeAttempts",
                    "ConditionExpression": "#state = :verifying",
                    "ExpressionAttributeNames": {"#state": "State"},
                    "ExpressionAttributeValues": {
                        ":creating": {"S": State.CREATING.value},
                        ":verifying": {"S": State.VERIFYING.value},
                    },
                }
            },
        ]
        try:
            self._client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            reasons = _reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise self._taken(endpoint_key) from error
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                raise StateConflict("this subscription is not awaiting a code", "not_awaiting_code") from error
            raise Unavailable("saving the subscription failed; try again shortly") from error
        except BotoCoreError as error:
            raise Unavailable("saving the subscription failed; try again shortly") from error

    def spend_attempt(self, record: SubscriptionRecord, most: int) -> bool:
        """Count one try at the code in force; False when it has had ``most`` tries or was replaced."""
        assert record.code is not None
        try:
            self._code_update(
                record,
                "ADD CodeAttempts :one",
                "#state = :verifying AND CodeHash = :hash AND CodeAttempts < :most",
                {":one": {"N": "1"}, ":hash": {"S": record.code.digest}, ":most": {"N": str(most)}},
            )
        except ClientError as error:
            if _conditional(error):
                return False
            raise Unavailable("checking the code failed; try again shortly") from error
        except BotoCoreError as error:
            raise Unavailable("checking the code failed; try again shortly") from error
        return True

    def set_code(self, record: SubscriptionRecord, code: PendingCode) -> None:
        """Replace the row's code (a new one was asked for); :class:`StateConflict` when it is no longer
        awaiting one."""
        values = {f":{name}": value for name, value in _code_attributes(code).items()}
        try:
            self._code_update(
                record,
                "SET CodeHash = :CodeHash, CodeSalt = :CodeSalt, CodeSentAt = :CodeSentAt, "
                "CodeExpires = :CodeExpires, CodeAttempts = :CodeAttempts",
                "#state = :verifying",
                values,
            )
        except ClientError as error:
            if _conditional(error):
                raise StateConflict("this subscription is not awaiting a code", "not_awaiting_code") from error
            raise Unavailable("saving the code failed; try again shortly") from error
        except BotoCoreError as error:
            raise Unavailable("saving the code failed; try again shortly") from error

    def _code_update(self, record: SubscriptionRecord, expression: str, condition: str, values: dict[str, Any]) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=_subscription_key(record.owner, record.id),
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames={"#state": "State"},
            ExpressionAttributeValues={":verifying": {"S": State.VERIFYING.value}, **values},
        )

    def _refuse_owner(self, record: SubscriptionRecord, *, issued_at: int | None, admin: bool) -> None:
        """Raise why the owner's item refused a new subscription, unless it was only the cap."""
        with _table("reading the subscriptions"):
            item = self._client.get_item(
                TableName=self._table, Key=_user_item_key(record.owner), ConsistentRead=True
            ).get("Item")
        access = PersonAccess.from_item(item)
        revoked = access.revoked_before is not None and (issued_at is None or issued_at < access.revoked_before)
        if revoked or not access.enabled:
            raise NotSignedIn("your access changed or your sessions were ended: sign in again", "session_revoked")
        if access.known and not access.admin and (admin or not set(record.stores) <= access.stores):
            raise NotAllowed("you do not have access to this store")

    def claim_of(self, endpoint_key: str) -> tuple[str, str] | None:
        """(owner, id) of the subscription holding an address, or None."""
        with _table("reading the subscriptions"):
            item = self._client.get_item(TableName=self._table, Key=_claim_key(endpoint_key), ConsistentRead=True).get(
                "Item"
            )
        return (item["Owner"]["S"], item["Id"]["S"]) if item else None

    def get(self, owner: str, subscription_id: str) -> SubscriptionRecord | None:
        with _table("reading the subscriptions"):
            item = self._client.get_item(
                TableName=self._table, Key=_subscription_key(owner, subscription_id), ConsistentRead=True
            ).get("Item")
        return _record(item) if item else None

    def _update(self, record: SubscriptionRecord, expression: str, values: dict[str, Any], condition: str = "") -> bool:
        """Update an existing row (on ``condition`` too, when given); False when the row is gone (or
        the condition fails)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Key": _subscription_key(record.owner, record.id),
            "UpdateExpression": expression,
            "ConditionExpression": f"attribute_exists(PK) AND ({condition})" if condition else "attribute_exists(PK)",
            "ExpressionAttributeValues": values,
        }
        names = {name: attribute for name, attribute in _NAMES.items() if name in expression + condition}
        if names:
            kwargs["ExpressionAttributeNames"] = names
        with _table("saving the subscription"):
            try:
                self._client.update_item(**kwargs)
            except ClientError as error:
                if not _conditional(error):
                    raise
                return False  # the row is gone: nothing left to update
        return True

    def activate(self, record: SubscriptionRecord, arn: str) -> bool:
        """Mark the row active with its ARN, from ``creating`` only (or again, with the same ARN: a
        repeated request); False when it was removed or is being removed meanwhile (deleted, or its
        owner's access changed)."""
        return self._update(
            record,
            "SET #state = :state, #arn = :arn",
            {":state": {"S": State.ACTIVE.value}, ":arn": {"S": arn}, ":creating": {"S": State.CREATING.value}},
            "#state = :creating OR (#state = :state AND #arn = :arn)",
        )

    def mark_removing(self, record: SubscriptionRecord) -> None:
        """The row ``removing``, keeping ``record.arn`` (when set) as its subscription's ARN."""
        if record.arn is None:
            self._update(record, "SET #state = :state", {":state": {"S": State.REMOVING.value}})
            return
        self._update(
            record,
            "SET #state = :state, #arn = :arn",
            {":state": {"S": State.REMOVING.value}, ":arn": {"S": record.arn}},
        )

    def set_stores(self, record: SubscriptionRecord, stores: tuple[str, ...]) -> None:
        self._update(record, "SET Stores = :stores", {":stores": _strings(stores)})

    def delete(self, record: SubscriptionRecord, *, state: State | None = None) -> None:
        """Delete a row (only while it is in ``state``, when given), release its address and uncount
        it, all or nothing; a repeat, or a row no longer in ``state``, does nothing."""
        with _table("reading the subscriptions"):
            item = self._client.get_item(
                TableName=self._table, Key=_subscription_key(record.owner, record.id), ConsistentRead=True
            ).get("Item")
        if not item:
            return
        endpoint_key = item["EndpointKey"]["S"]
        uncount = {
            "Update": {
                "TableName": self._table,
                "Key": _user_item_key(record.owner),
                "UpdateExpression": "SET Subscriptions = Subscriptions - :one",
                "ConditionExpression": "Subscriptions > :zero",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":zero": {"N": "0"}},
            }
        }
        try:
            self._delete(record, endpoint_key, uncount, state)
        except ClientError as error:
            reasons = _reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return  # deleted meanwhile by a concurrent request: done
            if len(reasons) > 2 and reasons[2] == "ConditionalCheckFailed":
                # The counter is already at zero (it can only drift low): delete without it.
                with _table("removing the subscription"):
                    self._delete(record, endpoint_key, None, state)
                return
            raise Unavailable("removing the subscription failed; try again shortly") from error
        except BotoCoreError as error:
            raise Unavailable("removing the subscription failed; try again shortly") from error

    def _delete(
        self, record: SubscriptionRecord, endpoint_key: str, uncount: dict[str, Any] | None, state: State | None
    ) -> None:
        row: dict[str, Any] = {
            "TableName": self._table,
            "Key": _subscription_key(record.owner, record.id),
            "ConditionExpression": "attribute_exists(PK)",
        }
        if state is not None:
            row["ConditionExpression"] = "attribute_exists(PK) AND #state = :state"
            row["ExpressionAttributeNames"] = {"#state": "State"}
            row["ExpressionAttributeValues"] = {":state": {"S": state.value}}
        items: list[Any] = [
            {"Delete": row},
            {
                # Only this subscription's claim: never release an address another row holds.
                "Delete": {
                    "TableName": self._table,
                    "Key": _claim_key(endpoint_key),
                    "ConditionExpression": "attribute_not_exists(PK) OR (#owner = :owner AND #id = :id)",
                    "ExpressionAttributeNames": {"#owner": "Owner", "#id": "Id"},  # OWNER is a reserved word
                    "ExpressionAttributeValues": {":owner": {"S": record.owner}, ":id": {"S": record.id}},
                }
            },
        ]
        if uncount:
            items.append(uncount)
        self._client.transact_write_items(TransactItems=items)

    def of_owner(self, owner: str) -> list[SubscriptionRecord]:
        """Every subscription of one user, oldest id first (a handful: the cap bounds it)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :sub)",
            "ExpressionAttributeValues": {":pk": {"S": user_key(owner)}, ":sub": {"S": SUBSCRIPTION_PREFIX}},
            "ConsistentRead": True,
        }
        records: list[SubscriptionRecord] = []
        with _table("reading the subscriptions"):
            for page in self._client.get_paginator("query").paginate(**kwargs):
                records.extend(_record(item) for item in page.get("Items", []))
        return records

    def page_all(self, limit: int, after: tuple[str, str] | None) -> RecordPage:
        """Up to ``limit`` subscriptions of everyone, in the table's scan order, after ``after``.

        A Scan: subscriptions are few (the cap per user bounds them), the listing is for
        admins only, and the page stops as soon as ``limit`` rows are found.
        """
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "Kind = :kind",
            "ExpressionAttributeValues": {":kind": {"S": SUBSCRIPTION_KIND}},
            "Limit": max(limit * 4, 100),
        }
        if after:
            kwargs["ExclusiveStartKey"] = _subscription_key(*after)
        found: list[SubscriptionRecord] = []
        with _table("reading the subscriptions"):
            while True:
                response = self._client.scan(**kwargs)
                for item in response.get("Items", []):
                    found.append(_record(item))
                    if len(found) == limit:
                        return RecordPage(found, (found[-1].owner, found[-1].id))
                if "LastEvaluatedKey" not in response:
                    return RecordPage(found, None)
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
