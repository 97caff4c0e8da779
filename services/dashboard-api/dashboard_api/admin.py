"""Create dashboard users: ``python -m dashboard_api.admin`` (``make user ARGS="..."``).

Examples::

    # on the local stack (reads .local/stack.json)
    python -m dashboard_api.admin --local create-user berlin-manager --store Berlin
    # on a deployed stage (reads the stack's UserPoolId output; uses your AWS credentials)
    python -m dashboard_api.admin --stage prod --region eu-central-1 create-user anna --admin
    python -m dashboard_api.admin --user-pool-id eu-central-1_AbC create-user ravi --store Karachi --store Lahore
    # change an existing user's stores or admin membership
    python -m dashboard_api.admin --stage prod set-access ravi --store Karachi

A new user gets a temporary password (printed once, or ``--password``) and must choose
their own at first sign-in. Stores are stored in ``custom:stores`` as a JSON array, so
any store name works; ``--admin`` adds the user to the ``admin`` group (every store).
"""

from __future__ import annotations

import argparse
import json
import secrets
import string
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from inventory.models import InvalidValue, clean_name

from dashboard_api.dal.users import UserDirectory, user_pool_of_stack
from dashboard_api.logic.permissions import format_stores
from dashboard_api.models.errors import UserError

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

SERVICE = "inventory-dashboard-api"
LOCAL_STACK = Path(".local") / "stack.json"
PASSWORD_LENGTH = 20


def temporary_password(length: int = PASSWORD_LENGTH) -> str:
    """A random password that meets the pool's policy (upper, lower, digit, symbol; 12+ characters)."""
    symbols = "!#$%&*+-=?@^_"
    classes = [string.ascii_uppercase, string.ascii_lowercase, string.digits, symbols]
    alphabet = "".join(classes)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(char in group for char in password) for group in classes):
            return password


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m dashboard_api.admin", description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--local", action="store_true", help=f"the local stack ({LOCAL_STACK})")
    where.add_argument("--stage", help=f"a deployed stage (stack {SERVICE}-<stage>)")
    where.add_argument("--user-pool-id", help="a user pool id")
    parser.add_argument("--region", help="AWS region (default: your AWS configuration)")
    parser.add_argument("--stack-json", type=Path, default=LOCAL_STACK, help="the local stack's file (with --local)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("create-user", "create a user"), ("set-access", "change a user's stores / admin")):
        command = commands.add_parser(name, help=text)
        command.add_argument("username")
        command.add_argument("--store", action="append", default=[], help="a store the user may see (repeatable)")
        command.add_argument("--admin", action="store_true", help="head office: every store")
        if name == "create-user":
            command.add_argument("--password", help="the temporary password (default: a random one)")
    return parser.parse_args(argv)


def _cognito(args: argparse.Namespace) -> tuple[CognitoIdentityProviderClient, str]:
    """A Cognito client and the user pool id for where the arguments point."""
    if args.local:
        stack = json.loads(args.stack_json.read_text())
        endpoint = stack.get("cognito_endpoint") or stack["endpoint_url"]
        client = boto3.client(
            "cognito-idp",
            region_name=stack["region"],
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - the local emulator accepts any key
        )
        return client, stack["user_pool_id"]
    client = boto3.client("cognito-idp", region_name=args.region)
    if args.stage:
        cloudformation = boto3.client("cloudformation", region_name=args.region)
        return client, user_pool_of_stack(cloudformation, f"{SERVICE}-{args.stage}")
    return client, args.user_pool_id


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        stores = [clean_name(store, "store") for store in args.store]
        attribute = format_stores(stores)
    except (InvalidValue, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not stores and not args.admin:
        print("error: give at least one --store, or --admin", file=sys.stderr)
        return 2
    try:
        client, pool_id = _cognito(args)
    except FileNotFoundError:
        print(f"error: {args.stack_json} not found: start the local stack first (make dev)", file=sys.stderr)
        return 1
    except (KeyError, ValueError) as error:
        print(f"error: {args.stack_json} has no user pool ({error})", file=sys.stderr)
        return 1
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    users = UserDirectory(client, pool_id)
    try:
        if args.command == "create-user":
            password = args.password or temporary_password()
            users.create(args.username, password, attribute if stores else "", args.admin)
        else:
            users.set_access(args.username, attribute if stores else "[]", args.admin)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    access = "admin (every store)" if args.admin else ", ".join(stores)
    print(f"user:     {args.username}")
    if args.command == "create-user":
        print(f"password: {password}  (temporary: to be changed at first sign-in)")
    print(f"access:   {access}")
    print(f"pool:     {pool_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
