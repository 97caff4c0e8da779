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

from dashboard_api.models.errors import Conflict, EndpointTaken, TooManySubscriptions, Unavailable
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


def _strings(values: tuple[str, ...]) -> dict[str, Any]:
    return {"L": [{"S": value} for value in values]}


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

    def reserve(self, record: SubscriptionRecord, endpoint_key: str, cap: int) -> None:
        """Write a new row, claim its address (unless it is a phone number still to be verified)
        and count it, all or nothing.

        Raises :class:`EndpointTaken` (naming the claim's holder) when the address is claimed,
        :class:`TooManySubscriptions` when the owner already has ``cap``.
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
        claims = record.state is not State.VERIFYING
        writes: list[Any] = [self._claim_put(record, endpoint_key)] if claims else []
        writes += [
            {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}},
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _user_item_key(record.owner),
                    "UpdateExpression": "SET Subscriptions = if_not_exists(Subscriptions, :zero) + :one",
                    "ConditionExpression": "attribute_not_exists(Subscriptions) OR Subscriptions < :cap",
                    "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}, ":cap": {"N": str(cap)}},
                }
            },
        ]
        try:
            self._client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            reasons = _reasons(error)
            if claims and reasons and reasons[0] == "ConditionalCheckFailed":
                raise self._taken(endpoint_key) from error
            if len(reasons) == len(writes) and reasons[-1] == "ConditionalCheckFailed":
                raise TooManySubscriptions(
                    f"you have {cap} subscriptions, the most allowed; delete one first"
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
        :class:`Conflict` when the row is no longer awaiting its code."""
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
                raise Conflict("this subscription is not awaiting a code", "not_awaiting_code") from error
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
        """Replace the row's code (a new one was asked for); :class:`Conflict` when it is no longer awaiting one."""
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
                raise Conflict("this subscription is not awaiting a code", "not_awaiting_code") from error
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

    def _update(self, record: SubscriptionRecord, expression: str, values: dict[str, Any]) -> None:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Key": _subscription_key(record.owner, record.id),
            "UpdateExpression": expression,
            "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeValues": values,
        }
        if "#state" in expression:
            kwargs["ExpressionAttributeNames"] = {"#state": "State"}
        with _table("saving the subscription"):
            try:
                self._client.update_item(**kwargs)
            except ClientError as error:
                if not _conditional(error):  # the row is gone: nothing left to update
                    raise

    def activate(self, record: SubscriptionRecord, arn: str) -> None:
        self._update(
            record,
            "SET #state = :state, SubscriptionArn = :arn",
            {":state": {"S": State.ACTIVE.value}, ":arn": {"S": arn}},
        )

    def mark_removing(self, record: SubscriptionRecord) -> None:
        self._update(record, "SET #state = :state", {":state": {"S": State.REMOVING.value}})

    def set_stores(self, record: SubscriptionRecord, stores: tuple[str, ...]) -> None:
        self._update(record, "SET Stores = :stores", {":stores": _strings(stores)})

    def delete(self, record: SubscriptionRecord) -> None:
        """Delete a row, release its address and uncount it, all or nothing; a repeat does nothing."""
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
            self._delete(record, endpoint_key, uncount)
        except ClientError as error:
            reasons = _reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return  # deleted meanwhile by a concurrent request: done
            if len(reasons) > 2 and reasons[2] == "ConditionalCheckFailed":
                # The counter is already at zero (it can only drift low): delete without it.
                with _table("removing the subscription"):
                    self._delete(record, endpoint_key, None)
                return
            raise Unavailable("removing the subscription failed; try again shortly") from error
        except BotoCoreError as error:
            raise Unavailable("removing the subscription failed; try again shortly") from error

    def _delete(self, record: SubscriptionRecord, endpoint_key: str, uncount: dict[str, Any] | None) -> None:
        items: list[Any] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": _subscription_key(record.owner, record.id),
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
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
