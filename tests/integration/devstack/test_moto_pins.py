"""Where the local stack patches or reads moto's private internals, each pinned to the moto version it was
written against: on a moto upgrade these fail, and each patch is re-checked against the new moto (dropped
where moto now does the job, or through its public configuration), then the pin moves.

moto's public configuration (``mock_aws(config=...)``, ``MOTO_*`` variables) covers none of these: its one
near miss, ``MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP``, checks codes against one secret shared by every user,
where the local stack gives each user a key of their own (tests/integration/devstack/test_gateway.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import boto3
import moto
import pytest
from moto import mock_aws

pytestmark = pytest.mark.integration

#: The moto version every patch below was checked against (requirements-dev.txt pins the same).
PINNED = "5.2.5"


def parameters(function: Callable[..., Any]) -> list[str]:
    """The original's parameters (a wrapper made with functools.wraps leads to it)."""
    return list(inspect.signature(function).parameters)


def test_moto_is_the_version_the_patches_were_checked_against() -> None:
    assert moto.__version__ == PINNED


def test_s3_events_builder_still_leaves_out_the_version_and_sequencer_the_patch_adds() -> None:
    """devstack.s3_events wraps ``_get_s3_event`` and replaces ``_invoke_awslambda`` (which needs Docker)."""
    from moto.s3 import notifications

    assert parameters(notifications._get_s3_event) == ["event_name", "bucket", "key", "notification_id"]
    assert parameters(notifications._invoke_awslambda) == ["account_id", "event_body", "fn_arn", "region_name"]
    source = inspect.getsource(notifications._get_s3_event)  # the original's, through functools.wraps
    assert "versionId" not in source
    assert "sequencer" not in source


def test_sns_delivery_methods_the_console_wraps_keep_their_signatures() -> None:
    """devstack.notifications wraps ``Topic.publish`` and ``Subscription.publish`` and reads filter policies
    with moto's ``FilterPolicyMatcher``."""
    from moto.sns.models import Subscription, Topic
    from moto.sns.utils import FilterPolicyMatcher

    optional = ["subject", "message_attributes", "group_id", "deduplication_id", "message_structure"]
    assert parameters(Topic.publish) == ["self", "message", *optional]
    assert parameters(Subscription.publish) == ["self", "message", "message_id", *optional]
    assert parameters(FilterPolicyMatcher) == ["filter_policy", "filter_policy_scope"]
    assert parameters(FilterPolicyMatcher.matches) == ["self", "message_attributes", "message"]


def test_stream_filters_use_moto_event_patterns_as_the_pollers_call_them() -> None:
    """devstack.streams matches Lambda filter criteria with ``EventPattern(None, pattern).matches_event``."""
    from moto.events.models import EventPattern

    pattern = EventPattern(None, {"dynamodb": {"NewImage": {"Count": {"N": ["0"]}}}})

    assert pattern.matches_event({"dynamodb": {"NewImage": {"Count": {"N": "0"}}}})  # type: ignore[arg-type]
    assert not pattern.matches_event({"dynamodb": {"NewImage": {"Count": {"N": "3"}}}})  # type: ignore[arg-type]


def test_user_pools_keep_tokens_as_revoke_token_reads_them() -> None:
    """devstack.cognito answers RevokeToken (moto has none) by editing a pool's ``refresh_tokens`` (token ->
    (client id, username, origin jti), None once revoked) and ``access_tokens``."""
    from moto.cognitoidp.models import cognitoidp_backends

    from devstack.intrinsics import ACCOUNT_ID

    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        pool = cognito.create_user_pool(PoolName="pins")["UserPool"]["Id"]
        client = cognito.create_user_pool_client(
            UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        cognito.admin_create_user(UserPoolId=pool, Username="ann", MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=pool, Username="ann", Password="Passw0rd!x", Permanent=True)
        tokens = cognito.initiate_auth(
            ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "ann", "PASSWORD": "Passw0rd!x"}
        )["AuthenticationResult"]
        stored = cognitoidp_backends[ACCOUNT_ID]["us-east-1"].user_pools[pool]

        issued_to, username, origin_jti = stored.refresh_tokens[tokens["RefreshToken"]]
        assert (issued_to, username, bool(origin_jti)) == (client, "ann", True)
        assert stored.access_tokens[tokens["AccessToken"]] == (client, "ann")


def test_the_dynamodb_internals_the_transaction_and_reserved_word_fixes_replace_are_there() -> None:
    """devstack.moto_transactions replaces ``DynamoDBBackend.transact_write_items`` and the models module's
    ``copy``; devstack.moto_reserved_words wraps ``DynamoHandler`` methods and reads the parsed ``body``; the
    dashboard benchmark fills tables through ``DynamoDBBackend.put_item`` (setup, not timed)."""
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    from devstack.moto_reserved_words import CHECKED_ACTIONS

    assert parameters(DynamoDBBackend.transact_write_items) == ["self", "transact_items"]
    assert parameters(DynamoDBBackend.put_item)[:3] == ["self", "table_name", "item_attrs"]
    assert models.copy is not None
    assert all(parameters(getattr(DynamoHandler, action)) == ["self"] for action in CHECKED_ACTIONS)


def test_the_emulator_builds_on_motos_server_app() -> None:
    """devstack.emulator serves moto's WSGI app itself (ThreadedMotoServer would wait forever on a busy port)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    assert parameters(DomainDispatcherApplication) == ["create_app"]
    assert parameters(create_backend_app) == ["service"]
