"""The dashboard API's user pool, People table and the alerts topic in moto, defined as
serverless.yml defines them, with helpers to add users (admins with TOTP enrolled, or not)
and to call any route as API Gateway would."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from devstack.definitions import create_table, resource_properties
from tests.builders import LambdaContext, api_claims, api_event, function_environment

PEOPLE = "inventory-dashboard-api-test-people"
TOPIC_NAME = "inventory-alerts-test-no-stock"
PASSWORD = "Correct-Horse-9-Battery"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class PeopleWorld:
    cognito: Any
    dynamodb: Any
    sns: Any
    pool_id: str
    client_id: str
    topic_arn: str

    @classmethod
    def create(cls, monkeypatch: pytest.MonkeyPatch, dynamodb: Any, *, cap: int = 10) -> PeopleWorld:
        """Everything the subscriptions and user routes need, inside an active ``mock_aws``."""
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        sns = boto3.client("sns", region_name="us-east-1")
        props = resource_properties("dashboard-api", "UserPool")
        kwargs = {
            key: props[key]
            for key in ("Policies", "AdminCreateUserConfig", "Schema", "MfaConfiguration", "AccountRecoverySetting")
        }
        pool_id = cognito.create_user_pool(PoolName="dashboard", **kwargs)["UserPool"]["Id"]
        app = resource_properties("dashboard-api", "UserPoolClient")
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName="dashboard", ExplicitAuthFlows=app["ExplicitAuthFlows"]
        )["UserPoolClient"]["ClientId"]
        cognito.create_group(
            UserPoolId=pool_id, GroupName=resource_properties("dashboard-api", "AdminGroup")["GroupName"]
        )
        create_table(dynamodb, "dashboard-api", "PeopleTable", PEOPLE)
        topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
        # The People settings as serverless.yml sets them (the sweep's environment holds just those),
        # with what is made here; SMS on, as a stage that has set it up.
        for name, value in function_environment(
            "dashboard-api",
            "sweepSubscriptions",
            PEOPLE_TABLE=PEOPLE,
            USER_POOL_ID=pool_id,
            ALERTS_TOPIC_ARN=topic_arn,
            MAX_SUBSCRIPTIONS_PER_USER=str(cap),
            SMS_ENABLED="true",
        ).items():
            monkeypatch.setenv(name, value)
        return cls(cognito, dynamodb, sns, pool_id, client_id, topic_arn)

    # -- users ----------------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        *,
        admin: bool = False,
        stores: tuple[str, ...] = (),
        email: str | None = None,
        mfa: bool = False,
    ) -> None:
        """A confirmed user with a permanent password; ``mfa`` enrols TOTP as the dashboard would."""
        attributes = [{"Name": "custom:stores", "Value": json.dumps(list(stores))}] if stores else []
        if email:
            attributes += [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        self.cognito.admin_create_user(
            UserPoolId=self.pool_id, Username=username, MessageAction="SUPPRESS", UserAttributes=attributes
        )
        self.cognito.admin_set_user_password(
            UserPoolId=self.pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        if admin:
            self.cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=username, GroupName="admin")
        if mfa:
            self.enrol_totp(username)

    def sign_in(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        return dict(
            self.cognito.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        )

    def enrol_totp(self, username: str) -> None:
        token = self.sign_in(username)["AuthenticationResult"]["AccessToken"]
        self.cognito.associate_software_token(AccessToken=token)
        # moto accepts any code here (the local stack's middleware checks them for real).
        self.cognito.verify_software_token(AccessToken=token, UserCode="123456")
        self.cognito.admin_set_user_mfa_preference(
            UserPoolId=self.pool_id, Username=username, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
        )

    def claims(
        self, username: str, *, admin: bool = False, stores: tuple[str, ...] = (), issued_at: float | None = None
    ) -> dict[str, Any]:
        """ID-token claims for the user, issued now (or at ``issued_at``), as the authorizer passes them."""
        claims = api_claims(username, admin=admin, stores=stores)
        claims["iat"] = str(int(time.time() if issued_at is None else issued_at))
        return claims

    def user(self, username: str) -> dict[str, Any]:
        return dict(self.cognito.admin_get_user(UserPoolId=self.pool_id, Username=username))

    # -- the alerts topic -------------------------------------------------------------------------

    def sns_subscriptions(self) -> dict[str, dict[str, Any]]:
        """Every subscription on the alerts topic with its attributes (filter policy parsed)."""
        found = {}
        for entry in self.sns.list_subscriptions_by_topic(TopicArn=self.topic_arn)["Subscriptions"]:
            attributes = self.sns.get_subscription_attributes(SubscriptionArn=entry["SubscriptionArn"])["Attributes"]
            attributes["FilterPolicy"] = json.loads(attributes.get("FilterPolicy") or "null")
            found[entry["Endpoint"]] = attributes
        return found

    def texted_code(self, number: str) -> str:
        """The code last texted to a phone number (moto keeps each SNS Publish to a number)."""
        import re

        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns.models import sns_backends

        texts = [
            text for to, text in sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values() if to == number
        ]
        assert texts, f"nothing was texted to {number}"
        match = re.search(r"\b(\d{6})\b", texts[-1])
        assert match, texts[-1]
        return match.group(1)

    def texts_to(self, number: str) -> list[str]:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns.models import sns_backends

        return [
            text for to, text in sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values() if to == number
        ]

    # -- calling the API ----------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        claims: dict[str, Any] | None,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
        route: str | None = None,
    ) -> Reply:
        """Any route, through the real handler, with the event API Gateway builds."""
        from dashboard_api.handlers.api import handler

        event = api_event(path, claims=claims, query=query, route=route, method=method)
        if body is not None:
            event["body"] = json.dumps(body)
            event["headers"]["content-type"] = "application/json"
        response = handler(event, LambdaContext())
        text = response.get("body") or ""
        return Reply(response["statusCode"], json.loads(text) if text else None, response.get("headers") or {})
