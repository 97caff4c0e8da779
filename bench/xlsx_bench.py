"""Excel workbooks and text files through the parser as shipped: a large workbook, a far-cell workbook and
CSV files with lone-CR line ends (the page, bench/page.md, tells what each is).

Run by ``make bench`` (suite ``xlsx``); ``python -m bench.xlsx_bench --probe PROBE PATH`` is the child
process that measures one file, each in a fresh process (peak memory is per process).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import REPO
from bench.memory_probe import peak_rss_mb
from bench.report import Section, Target, table
from tests.builders import workbook_parts

#: The text files read beside the workbooks: (label, line end, rows or only blank lines).
TEXT_FILES = (("LF rows", b"\n", True), ("CR-only rows", b"\r", True), ("CR-only blank lines", b"\r", False))
#: The address space a probe of the far-cell workbook may take: a parser that asks for more fails there.
SPARSE_MEMORY_LIMIT = 4 * 1024**3


@dataclass(frozen=True)
class XlsxSizes:
    rows: int = 200_000
    far_row: int = 1_048_576  # the row of the far cell in the small workbook
    timeout: float = 60.0  # per probe of the far-cell workbook
    text_mib: int = 32  # the size of each text file


@dataclass(frozen=True)
class ReaderRun:
    reader: str
    rows: int
    seconds: float
    peak_rss_mb: float
    outcome: str  # "read", "rejected: ...", "aborted (signal 6)", "timed out after 60 s", "failed: ..."

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class XlsxResults:
    sizes: XlsxSizes
    workbook_bytes: int
    sheet_bytes: int
    sparse_bytes: int
    baseline_rss_mb: float
    ours: ReaderRun
    sparse: ReaderRun
    text: list[ReaderRun] = field(default_factory=list)  # ``reader`` is the file's label


# -- workbooks --------------------------------------------------------------------------------

_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
STORES = 50


def write_workbook(path: Path, rows: int) -> int:
    """Write a workbook of ``rows`` inventory rows as Excel lays one out; return the sheet XML's size.

    Streamed part by part, so writing a large workbook holds no more than a row at a time.
    """
    header = ["store", "item", "count", "threshold"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in workbook_parts(shared_strings=True):
            archive.writestr(name, part)
        # Shared strings: the header's four names, the stores, then one item name per row.
        unique = len(header) + STORES + rows
        with archive.open("xl/sharedStrings.xml", "w") as strings:
            strings.write(
                f'{_SHEET_START.split("<worksheet", maxsplit=1)[0]}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                f'2006/main" count="{len(header) + 2 * rows}" uniqueCount="{unique}">'.encode()
            )
            texts = [*header, *(f"Store {n}" for n in range(STORES))]
            strings.write("".join(f"<si><t>{text}</t></si>" for text in texts).encode())
            for n in range(rows):
                strings.write(f"<si><t>Item number {n}</t></si>".encode())
            strings.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'{_SHEET_START}<dimension ref="A1:D{rows + 1}"/><sheetData>'.encode())
            sheet.write(
                b'<row r="1">' + "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABCD")).encode()
            )
            sheet.write(b"</row>")
            for n in range(rows):
                line = n + 2
                threshold = n % 7
                cells = (
                    f'<row r="{line}"><c r="A{line}" t="s"><v>{len(header) + n % STORES}</v></c>'
                    f'<c r="B{line}" t="s"><v>{len(header) + STORES + n}</v></c><c r="C{line}"><v>{n % 500}</v></c>'
                    + (f'<c r="D{line}"><v>{threshold}</v></c>' if threshold else "")
                    + "</row>"
                )
                sheet.write(cells.encode())
            sheet.write(b"</sheetData></worksheet>")
        return archive.getinfo("xl/worksheets/sheet1.xml").file_size


def write_sparse_workbook(path: Path, far_row: int) -> None:
    """A header, then one row far down with a store in A and a cell in XFD, the last column Excel has."""
    far = f'<row r="{far_row}"><c r="A{far_row}" t="inlineStr"><is><t>B</t></is></c><c r="XFD{far_row}"><v>1</v></c>'
    header = "".join(
        f'<c r="{c}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for c, name in zip("ABC", ["store", "item", "count"], strict=True)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in workbook_parts(shared_strings=True):
            archive.writestr(name, part)
        archive.writestr(
            "xl/sharedStrings.xml",
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>',
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f'{_SHEET_START}<sheetData><row r="1">{header}</row>{far}</row></sheetData></worksheet>',
        )


def write_text(path: Path, end: bytes, rows: bool, mib: int) -> None:
    """A CSV file of ``mib`` MiB: inventory rows ending in ``end``, or a header and blank lines only."""
    if rows:
        block = b"".join(b"Store %d,Item number %d,%d,5" % (n % STORES, n, n % 500) + end for n in range(10_000))
    else:
        block = end * (1024 * 1024 // len(end))
    with path.open("wb") as out:
        out.write(b"store,item,count,threshold" + end)
        while out.tell() < mib * 1024 * 1024:
            out.write(block)


# -- probes (in a child process) ------------------------------------------------------------


def _read_ours(path: Path, file_format: str = "xlsx") -> tuple[int, str]:
    from ingest.logic.parser import FileFormat, FileRejected, open_inventory

    def chunks() -> object:
        with path.open("rb") as body:
            while chunk := body.read(256 * 1024):
                yield chunk

    rows = 0
    try:
        for _ in open_inventory(chunks(), FileFormat(file_format), size=path.stat().st_size):  # type: ignore[arg-type]
            rows += 1
    except FileRejected as rejected:
        return rows, f"rejected: {rejected.reason}"
    return rows, "read"


PROBES: dict[str, Callable[[Path], tuple[int, str]]] = {
    "ours": _read_ours,
    "text": lambda path: _read_ours(path, "csv"),
    "python": lambda _: (0, "read"),  # the bare interpreter: what every probe starts from
}


def _probe_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="measure the parser on one file")
    parser.add_argument("--probe", choices=sorted(PROBES), required=True)
    parser.add_argument("--memory-limit", type=int, default=0, help="address space cap in bytes (0: none)")
    parser.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    if args.memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (args.memory_limit, args.memory_limit))
    started = time.perf_counter()
    rows, outcome = PROBES[args.probe](args.path)
    seconds = time.perf_counter() - started
    # Our parser reads the sheet in a child process: both peaks count, as if they came at once (the
    # child's ru_maxrss, at least this process's size when it was started, errs on the high side).
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_mb": peak_rss_mb() + children, "outcome": outcome}))


def probe(reader: str, path: Path, *, timeout: float | None = None, memory_limit: int = 0) -> ReaderRun:
    """Run one probe on one file in a fresh process; an abort or a timeout is an outcome, not an error."""
    command = [sys.executable, "-m", "bench.xlsx_bench", "--probe", reader, "--memory-limit", str(memory_limit)]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [*command, str(path)], check=False, cwd=REPO, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return ReaderRun(reader, 0, time.perf_counter() - started, 0.0, f"timed out after {timeout:.0f} s")
    seconds = time.perf_counter() - started
    if done.returncode < 0:
        return ReaderRun(reader, 0, seconds, 0.0, f"aborted (signal {-done.returncode})")
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return ReaderRun(reader, 0, seconds, 0.0, f"failed: {last[:160]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return ReaderRun(reader, result["rows"], result["seconds"], result["peak_rss_mb"], result["outcome"])


# -- the suite --------------------------------------------------------------------------------


def run_xlsx(sizes: XlsxSizes, log: Callable[[str], None] = print) -> XlsxResults:
    with tempfile.TemporaryDirectory(prefix="xlsx-bench-") as folder:
        book, sparse = Path(folder) / "inventory.xlsx", Path(folder) / "far-cell.xlsx"
        log(f"xlsx: writing a {sizes.rows:,}-row workbook")
        sheet_bytes = write_workbook(book, sizes.rows)
        write_sparse_workbook(sparse, sizes.far_row)
        log(f"xlsx: the parser on {sizes.rows:,} rows and on the far-cell workbook")
        results = XlsxResults(
            sizes=sizes,
            workbook_bytes=book.stat().st_size,
            sheet_bytes=sheet_bytes,
            sparse_bytes=sparse.stat().st_size,
            baseline_rss_mb=probe("python", book).peak_rss_mb,
            ours=probe("ours", book),
            sparse=probe("ours", sparse, timeout=sizes.timeout, memory_limit=SPARSE_MEMORY_LIMIT),
        )
        text = Path(folder) / "inventory.csv"
        for label, end, rows in TEXT_FILES:
            log(f"xlsx: the parser on {sizes.text_mib} MiB of {label}")
            write_text(text, end, rows, sizes.text_mib)
            run = probe("text", text)
            results.text.append(ReaderRun(label, run.rows, run.seconds, run.peak_rss_mb, run.outcome))
    return results


#: Most memory the parser may take on the benchmark workbook: a quarter of the ingest function's.
MEMORY_TARGET_MB = 256


def xlsx_section(results: XlsxResults) -> Section:
    r = results
    n = r.sizes.rows
    ours, sparse_ours = r.ours, r.sparse
    targets = [
        Target(
            f"Xlsx: every row of a {n:,}-row workbook",
            f"{n:,} rows",
            f"{ours.rows:,} rows ({ours.outcome})",
            ours.rows == n,
        ),
        Target(
            f"Xlsx: peak memory of the parser, {n:,} rows",
            f"<= {MEMORY_TARGET_MB} MB RSS",
            f"{ours.peak_rss_mb:.0f} MB",
            0 < ours.peak_rss_mb <= MEMORY_TARGET_MB,
        ),
        Target(
            f"Xlsx: a {r.sparse_bytes:,}-byte workbook with a cell in XFD{r.sizes.far_row}",
            "refused in seconds",
            f"{sparse_ours.outcome[:60]} ({sparse_ours.seconds:.2f} s)",
            sparse_ours.outcome.startswith("rejected") and sparse_ours.seconds < 10,
        ),
        Target(
            f"Text: {r.sizes.text_mib} MiB of lone-CR line ends (rows, or blank lines only)",
            "<= 2x the LF file's time",
            ", ".join(f"{run.seconds:.1f} s" for run in r.text[1:]) + f" (LF: {r.text[0].seconds:.1f} s)",
            all(run.outcome == "read" and run.seconds <= 2 * r.text[0].seconds for run in r.text[1:]),
        ),
    ]
    text_rows = [
        [
            run.reader,
            f"{run.rows:,}",
            f"{run.seconds:.1f}",
            f"{run.rows_per_second:,.0f}" if run.rows else "-",
            f"{r.sizes.text_mib / run.seconds:.0f}" if run.seconds else "-",
            f"{run.peak_rss_mb:.0f}",
            run.outcome[:60],
        ]
        for run in r.text
    ]
    values = {
        "rows": f"{n:,}",
        "workbook_mib": f"{r.workbook_bytes / 2**20:.1f}",
        "sheet_mib": f"{r.sheet_bytes / 2**20:.1f}",
        "sparse_bytes": f"{r.sparse_bytes:,}",
        "far_row": r.sizes.far_row,
        "far_rows": f"{r.sizes.far_row:,}",
        "text_mib": r.sizes.text_mib,
        "baseline_mb": f"{r.baseline_rss_mb:.0f}",
        "ours": f"{ours.seconds:.1f} s, {ours.rows_per_second:,.0f} rows/s, {ours.peak_rss_mb:.0f} MB peak RSS",
        "text": table(["File", "Rows", "Seconds", "Rows/s", "MiB/s", "Peak RSS (MB)", "Outcome"], text_rows),
    }
    return Section("xlsx", "Excel workbooks", values, targets)


if __name__ == "__main__":
    _probe_main(sys.argv[1:])
