"""``python -m devstack [--no-samples]``: run the whole system locally until Ctrl-C or SIGTERM.

Ports come from ``INVENTORY_AWS_PORT`` (default 4566) and ``INVENTORY_WEB_PORT`` (default 8000); state
(``stack.json``, caches) goes to ``INVENTORY_STATE_DIR`` (default ``.local/``). Exit status 1 when the stack
cannot start (a port in use, a service whose configuration does not print or provision).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from devstack.emulator import PortInUse
from devstack.stack import LocalStack, Settings, StackError, say


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.splitlines()[0])
    parser.add_argument("--no-samples", action="store_true", help="do not load the lab sample files at start")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's per-request lines

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001 - signal handler signature
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    try:
        stack = LocalStack(Settings.from_env(samples=not args.no_samples))
    except StackError as error:
        say(f"cannot start: {error}")
        return 1
    try:
        stack.start()
    except (PortInUse, StackError) as error:
        say(f"cannot start: {error}")
        stack.stop()
        return 1
    except BaseException:
        stack.stop()
        raise
    if stop.is_set():  # a signal during start-up
        stack.stop()
        return 0
    while not stop.wait(1):
        pass
    say("stopping")
    stack.stop()
    say("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
