"""When each user's access last changed, so tokens issued before it are refused.

Cognito's global sign-out revokes refresh tokens, but an ID token stays valid at the HTTP
API's JWT authorizer until it expires (an hour). The API therefore keeps ``RevokedBefore``
(epoch seconds) on the user's item of its People table (``PK = USER#<username>``,
``SK = USER``, see :mod:`dashboard_api.dal.subscriptions`) and refuses any token whose
``iat`` is earlier.

The same item holds the user's current access (``inventory.people.PersonAccess``), written by
:mod:`dashboard_api.logic.people` whenever head office changes it: ingest reads it before loading a
store's file, and reserving a subscription is conditional on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from inventory.people import PersonAccess

from dashboard_api.dal.subscriptions import USER_SK, user_key
from dashboard_api.models.access import SessionLimits
from dashboard_api.models.errors import Unavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any


#: The user item's map of signed-out sessions: ``origin_jti`` -> epoch seconds until which it is kept.
ENDED = "EndedSessions"


class RevocationTable:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _key(self, username: str) -> dict[str, Any]:
        return {"PK": {"S": user_key(username)}, "SK": {"S": USER_SK}}

    def revoked_before(self, username: str) -> int | None:
        """Epoch seconds before which the user's tokens are void; None if never revoked."""
        return self.limits(username).revoked_before

    def limits(self, username: str) -> SessionLimits:
        """When the user's tokens were last revoked and when their MFA was set up."""
        try:
            item = self._client.get_item(
                TableName=self._table,
                Key=self._key(username),
                ProjectionExpression="#revoked, #mfa, #ended",
                ExpressionAttributeNames={"#revoked": "RevokedBefore", "#mfa": "MfaEnrolledAt", "#ended": ENDED},
            ).get("Item")
        except (ClientError, BotoCoreError) as error:
            raise Unavailable("your session could not be checked; try again shortly") from error
        revoked = (item or {}).get("RevokedBefore", {}).get("N")
        enrolled = (item or {}).get("MfaEnrolledAt", {}).get("N")
        ended = (item or {}).get(ENDED, {}).get("M") or {}
        return SessionLimits(
            revoked_before=int(revoked) if revoked is not None else None,
            mfa_enrolled_at=int(enrolled) if enrolled is not None else None,
            ended_sessions=frozenset(ended),
        )

    def end_session(self, username: str, session: str, *, until: int, now: int) -> None:
        """Refuse the tokens of one session (``origin_jti``) until ``until``; entries past their time go."""
        try:
            item = self._client.get_item(
                TableName=self._table,
                Key=self._key(username),
                ProjectionExpression="#ended",
                ExpressionAttributeNames={"#ended": ENDED},
                ConsistentRead=True,
            ).get("Item")
            ended = (item or {}).get(ENDED, {}).get("M")
            if ended is None and self._first_ended_session(username, session, until):
                return
            expired = [key for key, value in (ended or {}).items() if key != session and int(value["N"]) <= now]
            names = {"#ended": ENDED, "#session": session, **{f"#x{n}": key for n, key in enumerate(expired[:50])}}
            removed = ", ".join(f"#ended.#x{n}" for n in range(len(expired[:50])))
            self._client.update_item(
                TableName=self._table,
                Key=self._key(username),
                UpdateExpression="SET #ended.#session = :until" + (f" REMOVE {removed}" if removed else ""),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":until": {"N": str(until)}},
            )
        except (ClientError, BotoCoreError) as error:
            raise Unavailable("signing out failed; try again") from error

    def _first_ended_session(self, username: str, session: str, until: int) -> bool:
        """Create the map with this session; False when another request created it meanwhile."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(username),
                UpdateExpression="SET #ended = :ended",
                ConditionExpression="attribute_not_exists(#ended)",
                ExpressionAttributeNames={"#ended": ENDED},
                ExpressionAttributeValues={":ended": {"M": {session: {"N": str(until)}}}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record_mfa_enrolment(self, username: str, at: int) -> None:
        """Admin rights need a sign-in at or after ``at`` (the user's MFA was set up then)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(username),
                UpdateExpression="SET #mfa = :at",
                ExpressionAttributeNames={"#mfa": "MfaEnrolledAt"},
                ExpressionAttributeValues={":at": {"N": str(at)}},
            )
        except (ClientError, BotoCoreError) as error:
            raise Unavailable("recording the MFA enrolment failed; try again") from error

    def revoke(self, username: str, before: int) -> None:
        """Void the user's tokens issued before ``before``; the time only moves forward."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(username),
                UpdateExpression="SET RevokedBefore = :before",
                ConditionExpression="attribute_not_exists(RevokedBefore) OR RevokedBefore < :before",
                ExpressionAttributeValues={":before": {"N": str(before)}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return  # a later revocation is already recorded
            raise Unavailable("ending the user's sessions failed; try again") from error
        except BotoCoreError as error:
            raise Unavailable("ending the user's sessions failed; try again") from error

    def access(self, username: str) -> PersonAccess:
        """The user's access as head office last recorded it (``known`` False: never recorded)."""
        try:
            item = self._client.get_item(TableName=self._table, Key=self._key(username), ConsistentRead=True).get(
                "Item"
            )
        except (ClientError, BotoCoreError) as error:
            raise Unavailable("the user's access could not be read; try again shortly") from error
        return PersonAccess.from_item(item)

    def record_access(self, username: str, access: PersonAccess) -> None:
        """Record what the user may change now (enabled, admin, stores), replacing what was recorded."""
        values = access.to_item()
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(username),
                UpdateExpression="SET #enabled = :enabled, #admin = :admin, #stores = :stores",
                ExpressionAttributeNames={"#enabled": "Enabled", "#admin": "Admin", "#stores": "Stores"},
                ExpressionAttributeValues={
                    ":enabled": values["Enabled"],
                    ":admin": values["Admin"],
                    ":stores": values["Stores"],
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise Unavailable("recording the user's access failed; try again") from error
