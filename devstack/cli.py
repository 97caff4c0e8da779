"""Tools for a running local stack (``make dev``), found through its ``stack.json``.

- ``invoke FN EVENT``: run one function with the event in a JSON file (``-`` reads standard input), in its own
  worker with its own environment, through the emulator's Lambda Invoke API; prints the result (exit status 1
  when the function failed). ``make invoke FN=ingestUpload EVENT=event.json``.
- ``logs FN``: follow the function's output (its whole log, in Powertools' development format) until Ctrl-C.
- ``token USER``: print an ID token of a user of the local pool (a demo user's password is in stack.json;
  another user's comes from ``PASSWORD``), for ``curl -H "Authorization: Bearer $(make -s token USER=admin)"``.
  A user with TOTP MFA on is signed in with a code of their authenticator key (a demo admin's is in
  stack.json; another user's comes from ``TOTP_SECRET``).
- ``code USER``: print the current 6-digit code of that key, to sign in to the dashboard by hand
  (``make code USER=admin``).

FN is the function's key in serverless.yml (``ingestUpload``) or its deployed name.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from devstack import state
from devstack.cognito import totp
from devstack.emulator import emulator_client


class CliError(Exception):
    """Something the developer can fix; printed without a traceback."""


def stack_info() -> dict[str, Any]:
    path = state.state_dir() / "stack.json"
    if not path.is_file():
        raise CliError(f"no local stack is running ({path} does not exist): start it with `make dev`")
    return dict(json.loads(path.read_text()))


def function_of(info: dict[str, Any], wanted: str) -> tuple[str, dict[str, Any]]:
    """The deployed name and stack.json entry of a function given by key or name."""
    functions: dict[str, dict[str, Any]] = info.get("functions", {})
    for name, function in functions.items():
        if wanted in (name, function.get("key")):
            return name, function
    known = ", ".join(sorted(str(f.get("key", n)) for n, f in functions.items()))
    raise CliError(f"no function {wanted!r} in the local stack; FN= one of: {known}")


def invoke(info: dict[str, Any], wanted: str, event_file: str) -> int:
    name, _ = function_of(info, wanted)
    if not event_file:
        raise CliError("EVENT= names a JSON file with the event (or - for standard input)")
    try:
        text = sys.stdin.read() if event_file == "-" else Path(event_file).read_text()
        event = json.loads(text)
    except OSError as error:
        raise CliError(f"cannot read {event_file}: {error}") from error
    except ValueError as error:
        raise CliError(f"{event_file} is not JSON: {error}") from error
    function = emulator_client("lambda", info["endpoint_url"])
    response = function.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    result = json.loads(response["Payload"].read() or b"null")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 1 if response.get("FunctionError") else 0


def follow(info: dict[str, Any], wanted: str, lines: int = 40) -> int:
    _, function = function_of(info, wanted)
    path = Path(function["log_file"])
    print(f"following {path} (Ctrl-C stops)", file=sys.stderr, flush=True)
    with path.open() as log:
        sys.stdout.writelines(log.readlines()[-lines:])
        sys.stdout.flush()
        while True:
            line = log.readline()
            if line:
                sys.stdout.write(line)
                sys.stdout.flush()
            elif not path.exists() or path.stat().st_size < log.tell():
                return 0  # the stack stopped, or a new run started a new log
            else:
                time.sleep(0.2)


def demo_user(info: dict[str, Any], username: str) -> dict[str, Any]:
    demo = {user["username"].lower(): user for user in info.get("users", [])}
    return dict(demo.get(username.lower(), {}))


def totp_secret(info: dict[str, Any], username: str) -> str:
    secret = os.environ.get("TOTP_SECRET") or demo_user(info, username).get("totp_secret")
    if not secret:
        raise CliError(f"no authenticator key for {username!r}: give it with TOTP_SECRET=... (shown at enrolment)")
    return str(secret)


def token(info: dict[str, Any], username: str) -> int:
    password = os.environ.get("PASSWORD") or demo_user(info, username).get("password")
    if not password:
        raise CliError(f"{username!r} is not a demo user: give its password with PASSWORD=...")
    cognito = emulator_client("cognito-idp", info["endpoint_url"])
    try:
        answer = cognito.initiate_auth(
            ClientId=info["user_pool_client_id"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        if answer.get("ChallengeName") == "SOFTWARE_TOKEN_MFA":
            answer = cognito.respond_to_auth_challenge(
                ClientId=info["user_pool_client_id"],
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=answer["Session"],
                ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": totp(totp_secret(info, username))},
            )
    except cognito.exceptions.ClientError as error:
        raise CliError(f"cannot sign in as {username}: {error}") from error
    if "AuthenticationResult" not in answer:
        raise CliError(
            f"{username} must answer the {answer.get('ChallengeName')} challenge first (sign in on the dashboard)"
        )
    print(answer["AuthenticationResult"]["IdToken"])
    return 0


def code(info: dict[str, Any], username: str) -> int:
    print(totp(totp_secret(info, username)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("invoke", help="run one function with an event")
    run.add_argument("function")
    run.add_argument("event")
    commands.add_parser("logs", help="follow one function's output").add_argument("function")
    commands.add_parser("token", help="an ID token of a local user").add_argument("username")
    commands.add_parser("code", help="the current TOTP code of a local user").add_argument("username")
    args = parser.parse_args(argv)
    try:
        if not getattr(args, "function", getattr(args, "username", "")):
            raise CliError("name a user: USER=<name>" if "username" in args else "name a function: FN=<function>")
        info = stack_info()
        if args.command == "invoke":
            return invoke(info, args.function, args.event)
        if args.command == "logs":
            return follow(info, args.function)
        if args.command == "code":
            return code(info, args.username)
        return token(info, args.username)
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
