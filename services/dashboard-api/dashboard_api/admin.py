"""Manage dashboard users: ``python -m dashboard_api.admin`` (``make user ARGS="..."``).

Examples::

    # on the local stack (reads .local/stack.json)
    python -m dashboard_api.admin --local create-user berlin-manager --store Berlin --email berlin@example.com
    # on a deployed stage (reads the stack's outputs; uses your AWS credentials)
    python -m dashboard_api.admin --stage prod --region eu-central-1 create-user anna --admin --email anna@example.com
    python -m dashboard_api.admin --stage prod list
    python -m dashboard_api.admin --stage prod set-access ravi --store Karachi --store Lahore
    python -m dashboard_api.admin --stage prod disable ravi        # enable ravi lets them back in
    python -m dashboard_api.admin --stage prod reset-password ravi  # --temporary: a new temporary password
    python -m dashboard_api.admin --stage prod delete ravi

A new user gets a temporary password (printed once, or ``--password``) and must choose their
own at first sign-in; ``--email`` (marked verified) is where a forgotten-password code goes.
Stores are stored in ``custom:stores`` as a JSON array, so any store name works; ``--admin``
adds the user to the ``admin`` group (every store, once they enrol TOTP MFA).

``set-access``, ``disable`` and ``delete`` sign the user out everywhere (the API refuses
their current tokens at once) and narrow or remove their alert subscriptions; the same code
serves the API's admin routes (``dashboard_api.logic.people``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from dashboard_api.dal.revocations import RevocationTable
from dashboard_api.dal.subscriptions import SubscriptionTable
from dashboard_api.dal.texts import PhoneTexts
from dashboard_api.dal.topic import AlertsTopic
from dashboard_api.dal.users import UserDirectory, stack_outputs
from dashboard_api.logic.people import People, temporary_password, user_view
from dashboard_api.logic.subscriptions import Subscriptions
from dashboard_api.models.errors import DomainError, InvalidInput, UserError
from dashboard_api.models.subscriptions import Cleanup
from dashboard_api.models.users import UserRecord

SERVICE = "inventory-dashboard-api"
LOCAL_STACK = Path(".local") / "stack.json"
#: Commands that end sessions and update subscriptions: they need the API's table and the topic.
NEEDS_TABLE = {"set-access", "disable", "delete", "reset-password"}

__all__ = ["main", "temporary_password"]


@dataclass(frozen=True)
class Target:
    """Where the command acts: a user pool, and (for access changes) the API's table and the alerts topic."""

    region: str | None
    endpoint_url: str | None
    user_pool_id: str
    people_table: str | None
    topic_arn: str | None


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m dashboard_api.admin", description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--local", action="store_true", help=f"the local stack ({LOCAL_STACK})")
    where.add_argument("--stage", help=f"a deployed stage (stack {SERVICE}-<stage>)")
    where.add_argument("--user-pool-id", help="a user pool id (with --people-table and --topic-arn for access changes)")
    parser.add_argument("--region", help="AWS region (default: your AWS configuration)")
    parser.add_argument("--stack-json", type=Path, default=LOCAL_STACK, help="the local stack's file (with --local)")
    parser.add_argument("--people-table", help="the API's People table (with --user-pool-id)")
    parser.add_argument("--topic-arn", help="the alerts topic (with --user-pool-id)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("create-user", "create a user"), ("set-access", "change a user's stores / admin")):
        command = commands.add_parser(name, help=text)
        command.add_argument("username")
        command.add_argument("--store", action="append", default=[], help="a store the user may see (repeatable)")
        command.add_argument("--admin", action="store_true", help="head office: every store")
        if name == "create-user":
            command.add_argument("--email", help="the user's email address, marked verified (password recovery)")
            command.add_argument("--password", help="the temporary password (default: a random one)")
    commands.add_parser("list", help="list every user")
    for name, text in (
        ("show", "show one user"),
        ("disable", "disable a user: signed out everywhere, subscriptions removed"),
        ("enable", "let a disabled user sign in again"),
        ("delete", "delete a user: signed out everywhere, subscriptions removed"),
        ("reset-password", "email a reset code to the user's verified address (or --temporary)"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("username")
        if name == "reset-password":
            command.add_argument("--temporary", action="store_true", help="set and print a new temporary password")
    return parser.parse_args(argv)


def _target(args: argparse.Namespace) -> Target:
    if args.local:
        stack = json.loads(args.stack_json.read_text())
        return Target(
            region=stack["region"],
            endpoint_url=stack.get("cognito_endpoint") or stack["endpoint_url"],
            user_pool_id=stack["user_pool_id"],
            # The local stack names the table as serverless.yml does for stage `local`.
            people_table=stack.get("people_table") or f"{SERVICE}-local-people",
            topic_arn=stack.get("topic_arn"),
        )
    if args.stage:
        cloudformation = boto3.client("cloudformation", region_name=args.region)
        outputs = stack_outputs(
            cloudformation, f"{SERVICE}-{args.stage}", ("UserPoolId", "PeopleTableName", "AlertsTopicArn")
        )
        return Target(args.region, None, outputs["UserPoolId"], outputs["PeopleTableName"], outputs["AlertsTopicArn"])
    return Target(args.region, None, args.user_pool_id, args.people_table, args.topic_arn)


def _client(service: str, target: Target) -> Any:
    if target.endpoint_url:
        return boto3.client(
            service,
            region_name=target.region,
            endpoint_url=target.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - the local emulator accepts any key
        )
    return boto3.client(service, region_name=target.region)


def _people(target: Target) -> People:
    cognito = _client("cognito-idp", target)
    users = UserDirectory(cognito, target.user_pool_id)
    dynamodb = _client("dynamodb", target)
    sns = _client("sns", target)
    subscriptions = Subscriptions(
        topic=AlertsTopic(sns, target.topic_arn or ""),
        rows=SubscriptionTable(dynamodb, target.people_table or ""),
        # The command narrows and removes subscriptions and never makes one: the cap (the stage's
        # `maxSubscriptionsPerUser`, which the API applies when one is made) never applies here.
        max_per_user=0,
        texts=PhoneTexts(sns),
        code_limit=lambda _: None,  # the command narrows and removes subscriptions; it never texts codes
        mapper=lambda function, values: [function(value) for value in values],
    )
    return People(
        users=users,
        subscriptions=subscriptions,
        revocations=RevocationTable(dynamodb, target.people_table or ""),
        mapper=lambda function, values: [function(value) for value in values],
    )


def _describe(user: UserRecord) -> list[str]:
    view = user_view(user)
    access = "admin (every store)" if view.admin else ", ".join(view.stores) or "(no stores)"
    lines = [f"user:     {view.username}", f"access:   {access}"]
    if view.admin:
        lines.append(
            f"mfa:      {'enrolled' if view.mfa_enabled else 'NOT enrolled: no admin rights until they enrol'}"
        )
    lines += [
        f"email:    {view.email or '-'}{' (verified)' if view.email and view.email_verified else ''}",
        f"status:   {view.status}{'' if view.enabled else ', DISABLED'}",
    ]
    return lines


def _cleanup(cleanup: Cleanup) -> str:
    pending = f", {cleanup.pending} pending confirmation (matching no alert; removed once SNS allows)"
    return (
        f"sessions: ended everywhere\nalerts:   {cleanup.narrowed} subscription(s) narrowed, {cleanup.removed} removed"
        + (pending if cleanup.pending else "")
    )


def _run(args: argparse.Namespace, people: People, pool: str) -> list[str]:
    if args.command == "list":
        lines, cursor = [], None
        header = f"{'USERNAME':24} {'STATUS':22} {'ENABLED':8} {'ACCESS':30} EMAIL"
        while True:
            users, cursor = people.page(60, cursor)
            for user in users:
                view = user_view(user)
                access = ("admin" + ("" if view.mfa_enabled else " (no MFA)")) if view.admin else ",".join(view.stores)
                enabled = "yes" if view.enabled else "NO"
                lines.append(f"{view.username:24} {view.status:22} {enabled:8} {access:30} {view.email or '-'}")
            if not cursor:
                return [header, *lines, f"{len(lines)} user(s) in {pool}"]
    if args.command == "show":
        return _describe(people.get(args.username))
    if args.command == "create-user":
        user, password = people.create(
            args.username, email=args.email, stores=args.store, admin=args.admin, password=args.password
        )
        return [
            *_describe(user),
            f"password: {password}  (temporary: to be changed at first sign-in)",
            f"pool:     {pool}",
        ]
    if args.command == "set-access":
        user, cleanup = people.set_access(args.username, stores=args.store, admin=args.admin)
        return [*_describe(user), _cleanup(cleanup), f"pool:     {pool}"]
    if args.command == "disable":
        user, cleanup = people.disable(args.username)
        return [*_describe(user), _cleanup(cleanup)]
    if args.command == "enable":
        return _describe(people.enable(args.username))
    if args.command == "delete":
        cleanup = people.delete(args.username)
        return [f"user:     {args.username} deleted", _cleanup(cleanup)]
    reset = people.reset_password(args.username, temporary=args.temporary)
    if reset.delivery == "email":
        return [
            f"user:     {args.username}",
            "reset:    Cognito emailed a code to the verified address",
            "sessions: ended",
        ]
    return [
        f"user:     {args.username}",
        f"password: {reset.temporary_password}  (temporary: to be changed at next sign-in)",
        "sessions: ended",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        target = _target(args)
    except FileNotFoundError:
        print(f"error: {args.stack_json} not found: start the local stack first (make dev)", file=sys.stderr)
        return 1
    except (KeyError, ValueError) as error:
        print(f"error: {args.stack_json} has no user pool ({error})", file=sys.stderr)
        return 1
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.command in NEEDS_TABLE and not (target.people_table and target.topic_arn):
        print(
            f"error: {args.command} ends sessions and updates alert subscriptions: give --people-table and "
            "--topic-arn with --user-pool-id (or use --stage / --local)",
            file=sys.stderr,
        )
        return 2
    try:
        lines = _run(args, _people(target), target.user_pool_id)
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2 if isinstance(error, InvalidInput) else 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
