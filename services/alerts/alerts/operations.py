"""Operator commands for the alerts service: ``make recount`` and ``make replay``.

Examples::

    # the local stack (reads .local/stack.json)
    python -m alerts.operations recount --local
    python -m alerts.operations replay --local --list
    # a deployed stage, with your own AWS credentials
    python -m alerts.operations recount --stage prod --region eu-central-1 --dry-run
    python -m alerts.operations replay --stage prod --store Berlin

Both read their tables and settings from the deployed function's own environment (locally:
from stack.json), so they act on exactly what the functions use. ``recount`` compares each
store's totals with its items and repairs drift, skipping stores whose changes may still be in
the stream (see :mod:`alerts.logic.recount`). ``replay`` announces the records the archiver
saved from the failure queue, through the same flow as the stream, each change only if its item
is still in that state, one replay at a time (a lock); replaying twice announces once (see
:mod:`alerts.logic.replay`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from inventory.models import utc_now

from alerts.dal.clients import Clients
from alerts.dal.failed_records import FailedRecords
from alerts.dal.inventory import InventoryItems
from alerts.handlers.recount import SETTLE, build_recounter, record_outcome
from alerts.handlers.stream import build_alert_service
from alerts.logic.replay import Replayer
from alerts.models.errors import ConfigurationMissing, ReplayBusy
from alerts.models.recount import StoreRecount, Verdict
from alerts.settings import AlertSettings, ArchiveSettings, RecountSettings

SERVICE = "inventory-alerts"
LOCAL_STACK = Path(".local") / "stack.json"
HANDLERS = {
    "stream": "alerts/handlers/stream.handler",
    "archive": "alerts/handlers/archive.handler",
    "recount": "alerts/handlers/recount.handler",
}
FUNCTIONS = {"stream": "alertsStream", "archive": "alertsFailureArchive", "recount": "alertsRecount"}


class Stack:
    """Where the commands act: the local stack's file, or a deployed stage."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._args = args
        if args.local:
            try:
                self._local = json.loads(Path(args.stack_json).read_text())
            except FileNotFoundError:
                raise ConfigurationMissing(
                    f"{args.stack_json} not found: start the local stack first (make dev)"
                ) from None
            self.clients = Clients.local(self._local["endpoint_url"], self._local["region"])
        else:
            self.clients = Clients.for_region(args.region)

    def environment(self, function: str) -> Mapping[str, str]:
        """A function's environment variables, as deployed (or as the local stack runs it)."""
        if self._args.local:
            for entry in (self._local.get("functions") or {}).values():
                if entry.get("service") == "alerts" and entry.get("handler") == HANDLERS[function]:
                    return dict(entry.get("environment") or {})
            raise ConfigurationMissing(f"{self._args.stack_json} lists no {HANDLERS[function]} function")
        name = f"{SERVICE}-{self._args.stage}-{FUNCTIONS[function]}"
        try:
            configuration = self.clients.lambda_().get_function_configuration(FunctionName=name)
        except (ClientError, BotoCoreError) as error:
            raise ConfigurationMissing(f"cannot read function {name}: {error}") from error
        return configuration.get("Environment", {}).get("Variables", {})


def recount(stack: Stack, args: argparse.Namespace) -> int:
    settings = RecountSettings.from_env(stack.environment("recount"))
    settle = SETTLE if args.settle_minutes is None else timedelta(minutes=args.settle_minutes)
    recounter = build_recounter(settings, stack.clients, repair=not args.dry_run, settle=settle)
    results: list[StoreRecount] = []
    print(f"{'store':30} {'verdict':9} {'found (items/out/low)':>22} {'counted':>16}  note")
    for result in recounter.recount_all(args.store or None):
        results.append(result)
        counted = "" if result.counted is None else _totals(result.counted)
        note = result.reason or (f"{result.unreadable} unreadable item(s) not counted" if result.unreadable else "")
        print(f"{result.store[:30]:30} {result.verdict.value:9} {_totals(result.found):>22} {counted:>16}  {note}")
    summary = record_outcome(results)
    print(f"\n{json.dumps(summary)}")
    return 1 if any(result.verdict is Verdict.DRIFT for result in results) else 0


def replay(stack: Stack, args: argparse.Namespace) -> int:
    archive = FailedRecords(
        stack.clients.dynamodb(), ArchiveSettings.from_env(stack.environment("archive")).failed_records_table
    )
    service = build_alert_service(AlertSettings.from_env(stack.environment("stream")), stack.clients)
    inventory = InventoryItems(
        stack.clients.dynamodb(), RecountSettings.from_env(stack.environment("recount")).inventory_table
    )
    replayer = Replayer(archive, service, clock=utc_now, current=inventory, now=lambda: datetime.now(UTC))
    if args.list:
        pending = replayer.pending(args.store)
        for record in pending:
            event = record.record.get("eventName", "?")
            print(f"{record.store[:30]:30} {record.sequence:>40} {event:7} {record.archived_at} {record.failure}")
        print(f"{len(pending)} record(s) wait for replay")
        return 0
    failures = 0
    try:
        results = replayer.replay(args.store)
    except ReplayBusy as error:
        print(f"error: {error}; nothing was replayed", file=sys.stderr)
        return 1
    for result in results:
        print(f"{result.store}: {result.replayed} replayed, {len(result.failed)} left")
        for sequence, reason in result.failed.items():
            print(f"  {sequence}: {reason}")
        failures += len(result.failed)
    if not results:
        print("no failed records wait for replay")
    return 1 if failures else 0


def _totals(totals: object) -> str:
    return "/".join(str(getattr(totals, name)) for name in ("items", "out", "low"))


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m alerts.operations", description=(__doc__ or "").split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("recount", "recount each store's totals and repair drift"),
        ("replay", "announce saved failed records"),
    ):
        command = commands.add_parser(name, help=text)
        where = command.add_mutually_exclusive_group(required=True)
        where.add_argument("--local", action="store_true", help=f"the local stack ({LOCAL_STACK})")
        where.add_argument("--stage", help=f"a deployed stage (functions {SERVICE}-<stage>-...)")
        command.add_argument("--region", help="AWS region (default: your AWS configuration)")
        command.add_argument(
            "--stack-json", type=Path, default=LOCAL_STACK, help="the local stack's file (with --local)"
        )
        if name == "recount":
            command.add_argument("--store", action="append", default=[], help="only this store (repeatable)")
            command.add_argument("--dry-run", action="store_true", help="report drift, repair nothing")
            command.add_argument("--settle-minutes", type=int, help="skip stores changed more recently than this")
        else:
            command.add_argument("--store", help="only this store's records")
            command.add_argument("--list", action="store_true", help="list what waits, replay nothing")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        stack = Stack(args)
        return recount(stack, args) if args.command == "recount" else replay(stack, args)
    except ConfigurationMissing as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (KeyError, ValueError) as error:
        print(f"error: the function's configuration is incomplete ({error})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
