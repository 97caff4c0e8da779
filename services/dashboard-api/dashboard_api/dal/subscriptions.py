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
=============================  ==============  ==================================================

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

from dashboard_api.models.errors import EndpointTaken, Forbidden, TooManySubscriptions, Unauthorized, Unavailable
from dashboard_api.models.subscriptions import RecordPage, State, SubscriptionRecord

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
    )


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
        """Write a new row (state ``creating``), claim its address and count it, all or nothing.

        The count is conditional on the owner's item as it is now, not as a cache saw it: no
        revocation since their token was issued (``issued_at``), not disabled, and (when head office
        has recorded their access) still an admin or still given every store of the subscription.

        Raises :class:`EndpointTaken` (naming the claim's holder) when the address is claimed,
        :class:`Unauthorized` (``session_revoked``) or :class:`Forbidden` when the owner's access
        changed, :class:`TooManySubscriptions` when the owner already has ``cap``.
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
        }
        claim = {**_claim_key(endpoint_key), "Owner": {"S": record.owner}, "Id": {"S": record.id}}
        count: Any = {
            "TableName": self._table,
            "Key": _user_item_key(record.owner),
            **_standing_condition(record.stores, cap, issued_at=issued_at, admin=admin),
        }
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": claim,
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                    {"Update": count},
                ]
            )
        except ClientError as error:
            reasons = _reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                holder = self.claim_of(endpoint_key)
                owner, subscription_id = holder or ("", "")
                raise EndpointTaken("this address is subscribed already", owner, subscription_id) from error
            if len(reasons) > 2 and reasons[2] == "ConditionalCheckFailed":
                self._refuse_owner(record, issued_at=issued_at, admin=admin)
                raise TooManySubscriptions(
                    f"you have {cap} subscriptions, the most allowed; delete one first"
                ) from error
            raise Unavailable("saving the subscription failed; try again shortly") from error
        except BotoCoreError as error:
            raise Unavailable("saving the subscription failed; try again shortly") from error

    def _refuse_owner(self, record: SubscriptionRecord, *, issued_at: int | None, admin: bool) -> None:
        """Raise why the owner's item refused a new subscription, unless it was only the cap."""
        with _table("reading the subscriptions"):
            item = self._client.get_item(
                TableName=self._table, Key=_user_item_key(record.owner), ConsistentRead=True
            ).get("Item")
        access = PersonAccess.from_item(item)
        revoked = access.revoked_before is not None and (issued_at is None or issued_at < access.revoked_before)
        if revoked or not access.enabled:
            raise Unauthorized("your access changed or your sessions were ended: sign in again", "session_revoked")
        if access.known and not access.admin and (admin or not set(record.stores) <= access.stores):
            raise Forbidden("you do not have access to this store")

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

    def _update(self, record: SubscriptionRecord, expression: str, values: dict[str, Any]) -> bool:
        """Update an existing row; False when the row is gone."""
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
                if not _conditional(error):
                    raise
                return False  # the row is gone: nothing left to update
        return True

    def activate(self, record: SubscriptionRecord, arn: str) -> bool:
        """Mark the row active with its ARN; False when it was removed meanwhile (its owner's access changed)."""
        return self._update(
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
