"""The workbook reader in a process of its own, so that no workbook can end the function.

The reader (python-calamine, Rust) aborts its process when an allocation fails, and nothing in
Python can catch that. The checks in :mod:`ingest.logic.xlsx` keep known hostile workbooks away
from it; this module makes sure that whatever they miss costs a failed report, not the function:

- the reader runs in a child process (``python -m ingest.logic.sheet_process``) with an address
  space of at most :data:`MEMORY_BYTES`: an allocation past it fails there (the child aborts or
  raises ``MemoryError``), never in the function, and the function's own memory stays its own;
- the child reads the workbook from a file given as its standard input, and writes the sheet's
  rows to its standard output as JSON lines (never pickle: the parent trusts nothing the child
  says beyond plain values), :data:`BATCH_ROWS` rows a line, as fast as the parent takes them.
  It sends only the cells up to the last column the parser may read, and no line over
  :data:`MAX_LINE_BYTES` reaches the parent: a sheet that names one long shared string in
  every cell costs the parent no more than the parser reads;
- the parent waits at most :data:`WAIT_SECONDS` for each line: a child that hangs is killed;
- a child that dies, is killed, or reports an error becomes :class:`ReaderFailed` with a reason.

A subprocess rather than ``multiprocessing``: Lambda has no ``/dev/shm`` (its queues and pools
fail there), a fork of a process with threads may deadlock, and the child gets no environment
but the module path and what the interpreter needs to start, so none of the function's credentials.

Protocol, one JSON value a line: ``{"start": [row, column] | null}`` first, then lists of rows
(a row is a list of cells: text, number, true/false, null, or ``{"time": text}`` for a date or
time, ``{"kind": name}`` for anything else), then ``"end"``; ``{"error": reason}`` at any point
instead.
"""

from __future__ import annotations

import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from datetime import date, timedelta
from datetime import time as clock_time
from typing import IO, Any

#: Most address space the reader's process may take: with the function's own (about 200 MB), within
#: the ingest function's 1,024 MB. A sheet within the cell cap needs less (see bench/page.md).
MEMORY_BYTES = 768 * 1024**2
#: Longest wait for the reader's next line (the first comes after the whole sheet is read).
WAIT_SECONDS = 60.0
#: Rows a line, unless that line would be over :data:`MAX_LINE_BYTES` (then a row a line).
BATCH_ROWS = 1_000
#: Longest line the parent takes from the child: a row of more text is refused.
MAX_LINE_BYTES = 16 * 1024**2

_READ = 256 * 1024


class ReaderFailed(Exception):
    """The reader's process could not read the sheet: ``reason`` says why, for the report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SheetProcess:
    """One sheet read in a child process; a context manager that always ends the child."""

    def __init__(
        self,
        workbook: IO[bytes],
        sheet: str,
        *,
        columns: int,
        skip: int = 0,
        memory_bytes: int | None = None,
        wait_seconds: float | None = None,
    ) -> None:
        """Start reading ``sheet`` of ``workbook`` (a real file, read from where it stands), after ``skip`` rows,
        up to column ``columns``."""
        self._wait = WAIT_SECONDS if wait_seconds is None else wait_seconds
        self._memory = MEMORY_BYTES if memory_bytes is None else memory_bytes
        request = {"sheet": sheet, "skip": skip, "columns": columns, "memory_bytes": self._memory}
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close(), with the child
        # The child reads the file's descriptor: put it where the (buffered) file object stands.
        if workbook.seekable():
            workbook.flush()
            os.lseek(workbook.fileno(), workbook.tell(), os.SEEK_SET)
        self._child = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", __name__, json.dumps(request)],
            stdin=workbook.fileno(),
            stdout=subprocess.PIPE,
            stderr=self._errors,
            env=child_environment(),
            bufsize=0,
        )
        assert self._child.stdout is not None
        self._out = self._child.stdout
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._out, selectors.EVENT_READ)
        self._buffer = b""
        self._lines: deque[bytes] = deque()

    def __enter__(self) -> SheetProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """End the child (if it still runs) and free what it held; safe to call again."""
        if self._child.poll() is None:
            self._child.kill()
        self._child.wait()
        if not self._out.closed:
            self._selector.close()
            self._out.close()
            self._errors.close()

    def ended(self) -> bool:
        """Whether the child has ended (it always has once closed)."""
        return self._child.poll() is not None

    def start(self) -> tuple[int, int] | None:
        """Where the sheet's used range starts, (row, column) from 0, as the reader says; ``None``: an empty sheet."""
        message = self._next()
        if not isinstance(message, dict) or "start" not in message:
            raise self._failed("the reader answered out of turn")
        start = message["start"]
        return (int(start[0]), int(start[1])) if start else None

    def rows(self) -> Iterator[list[Any]]:
        """The sheet's rows after the skipped ones, each a list of cells from the used range's first column."""
        while True:
            message = self._next()
            if message == "end":
                return
            if not isinstance(message, list):
                raise self._failed("the reader answered out of turn")
            yield from message

    # -- reading the child's lines --------------------------------------------------------------

    def _next(self) -> Any:
        line = self._line()
        try:
            message = json.loads(line)
        except ValueError:
            raise self._failed("the reader's output was cut off") from None
        if isinstance(message, dict) and "error" in message:
            self.close()
            raise ReaderFailed(f"unreadable workbook: {str(message['error'])[:200]}")
        return message

    def _line(self) -> bytes:
        deadline = time.monotonic() + self._wait
        while not self._lines:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                self.close()
                raise ReaderFailed(
                    f"the workbook could not be read: the reader gave no answer in {self._wait:.0f} s and was stopped"
                )
            block = os.read(self._out.fileno(), _READ)
            if not block:
                raise self._failed("the reader ended before the end of the sheet")
            *complete, self._buffer = (self._buffer + block).split(b"\n")
            self._lines.extend(complete)
            if len(self._buffer) > MAX_LINE_BYTES:
                self.close()
                raise ReaderFailed(
                    f"a row of the sheet holds more than {MAX_LINE_BYTES // 1024**2} MiB of text: not an inventory row"
                )
        return self._lines.popleft()

    def _failed(self, what: str) -> ReaderFailed:
        """The child broke the protocol or died: the reason says how it ended, with its last word."""
        if self._child.poll() is None:
            self._child.kill()
        code = self._child.wait()
        said = self._last_words()
        self.close()
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            return ReaderFailed(
                f"the workbook could not be read: the reader stopped on signal {name}{said}, most likely because the "
                f"sheet needs more than the {self._memory // 1024**2:,} MiB a workbook may take: save it as CSV"
                " (or split it)"
            )
        return ReaderFailed(f"the workbook could not be read: {what} (exit status {code}{said})")

    def _last_words(self) -> str:
        """The child's last line on standard error but Rust's notes (an abort says what it failed to allocate)."""
        if self._errors.closed:
            return ""
        self._errors.seek(max(0, self._errors.seek(0, os.SEEK_END) - 4096))
        text = self._errors.read().decode(errors="replace")
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("note:")]
        return f' ("{lines[-1].strip()[:160]}")' if lines else ""


def child_environment() -> dict[str, str]:
    """The module path, and what the interpreter needs to start (on Lambda, ``LD_LIBRARY_PATH`` finds
    libpython): nothing else, so none of the function's credentials."""
    passed = {name: os.environ[name] for name in _PASSED_VARIABLES if name in os.environ}
    return {**passed, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path), "RUST_BACKTRACE": "0"}


_PASSED_VARIABLES = ("PATH", "LD_LIBRARY_PATH", "LANG", "TZ")


# -- the child ----------------------------------------------------------------------------------


def _cell(value: object) -> dict[str, str]:
    """A cell JSON has no type for."""
    if isinstance(value, date | clock_time | timedelta):
        return {"time": str(value)[:30]}
    return {"kind": type(value).__name__}


def _send(out: IO[bytes], message: object) -> None:
    out.write(_encode(message) + b"\n")


def _encode(message: object) -> bytes:
    return json.dumps(message, default=_cell, separators=(",", ":")).encode()


def _send_rows(out: IO[bytes], rows: list[Any]) -> None:
    line = _encode(rows)
    if len(line) < MAX_LINE_BYTES or len(rows) == 1:
        out.write(line + b"\n")
    else:  # long texts: a row a line, so that only a row that is too long on its own is refused
        for row in rows:
            _send_rows(out, [row])


def main(argv: list[str]) -> None:
    """Read one sheet of the workbook on standard input and write its rows to standard output (the protocol)."""
    request = json.loads(argv[0])
    limit = int(request["memory_bytes"])
    _, ceiling = resource.getrlimit(resource.RLIMIT_AS)
    if ceiling != resource.RLIM_INFINITY:  # a process may lower its limit, never raise it past the hard one
        limit = min(limit, ceiling)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    out = sys.stdout.buffer
    try:
        import python_calamine

        book = python_calamine.CalamineWorkbook.from_filelike(sys.stdin.buffer)
        if book.sheet_names.count(request["sheet"]) != 1:
            raise ValueError("the reader does not see the checked sheet as one sheet")
        sheet = book.get_sheet_by_name(request["sheet"])
        start = sheet.start
        _send(out, {"start": list(start) if start else None})
        # Cells right of the last column the parser may read are not sent (one at least: the parser
        # sees a header too wide however far right the used range starts).
        width, skip = max(1, request["columns"] - (start[1] if start else 0)), request["skip"]
        batch: list[Any] = []
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            if number > skip:
                batch.append(cells[:width] if len(cells) > width else cells)
                if len(batch) >= BATCH_ROWS:
                    _send_rows(out, batch)
                    batch = []
        _send_rows(out, batch)
        _send(out, "end")
    except MemoryError:
        _send(out, {"error": f"the sheet needs more than the {limit // 1024**2:,} MiB a workbook may take"})
    except Exception as error:  # a third-party reader on hostile input may raise anything
        _send(out, {"error": str(error).strip() or type(error).__name__})
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
