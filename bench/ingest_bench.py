"""Ingest benchmarks: ours vs the lab's loader vs the floor on the emulator, the unchanged re-upload,
peak memory, simulated latency (ours, the lab, the three write strategies) and the 5,000,000-row file.
What each one does is told on the page (bench/page.md)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import boto3

from bench import REPO, lab_baseline, workload
from bench.big_file_bench import BigFileRun, run_big_file
from bench.emulator import REGION, Emulator, default_session, environment, metered_client
from bench.report import Section, Target, seconds_text, table
from bench.standins import Calls, FileBucket, Meter, QueuedInvoker, WireTable
from bench.write_strategies import PER_ITEM_CONCURRENCY, PerItemTable
from devstack.definitions import create_table, service_definition
from tests.builders import LambdaContext, function_environment, s3_event

#: What a DynamoDB call costs in the simulated-latency runs (a typical in-region round trip).
SIMULATED_LATENCY = 0.020
PROJECTED_ROWS = 1_000_000
#: The write strategies compared (see bench/write_strategies.py); ingest's is the first.
TRANSACTIONS = "TransactWriteItems"
STRATEGIES = (TRANSACTIONS, "PutItem", "UpdateItem")
UPLOAD_KEY = "uploads/bench/inventory.csv"
#: BatchWriteItem takes at most 25 puts: the floor's batches.
FLOOR_BATCH_SIZE = 25
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:ingest"


def write_concurrency() -> int:
    """The writer lanes a deployed ingest function gets: serverless.yml's default ``writeConcurrency``."""
    return int(service_definition("ingest")["params"]["default"]["writeConcurrency"])


@dataclass
class Run(Calls):
    """One contender's load of one file."""

    name: str
    rows: int
    seconds: float
    calls: Counter[str] = field(default_factory=Counter)  # on the Inventory table
    detail: str = ""
    all_seconds: list[float] = field(default_factory=list)
    lanes: int = 0  # writer threads, for ours
    cpu_seconds: float = 0.0  # the whole process's CPU time, for the stand-in runs (no emulator in them)
    write_units: int = 0  # what the Inventory writes consume if every item lands
    read_units: float = 0.0  # what its Inventory reads consume, as DynamoDB bills them

    @property
    def calls_text(self) -> str:
        return ", ".join(f"{n:,} {name}" for name, n in sorted(self.calls.items())) or "none"

    def metered(self, meter: Meter) -> Run:
        self.calls, self.write_units, self.read_units = Counter(meter.calls), meter.write_units, meter.read_units
        return self


# -- the emulator contenders ----------------------------------------------------------------------


class OursOnEmulator:
    """The real ingest handler (S3 event -> stream the object -> parse -> Loader), wired to the emulator.

    The handler builds its own boto3 clients from the environment, as on Lambda; they inherit the
    meter from boto3's default session.
    """

    def __init__(self, emu: Emulator, bucket: str, table: str) -> None:
        self.emu = emu
        self.bucket = bucket
        self.table = table
        self.env = {
            **function_environment("ingest", "ingestUpload"),  # the stage parameters' defaults
            "AWS_ENDPOINT_URL": emu.endpoint_url,
            "INVENTORY_TABLE": table,
            "STORES_TABLE": f"{table}-stores",
            "UPLOADS_TABLE": f"{table}-uploads",
            "PEOPLE_TABLE": f"{table}-people",
            "WRITE_CONCURRENCY": str(write_concurrency()),
            "POWERTOOLS_SERVICE_NAME": "ingest",
            "POWERTOOLS_METRICS_NAMESPACE": "Inventory",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
        emu.create_inventory_table(table)
        create_table(emu.client("dynamodb"), "ingest", "StoresTable", f"{table}-stores")
        create_table(emu.client("dynamodb"), "ingest", "UploadsTable", f"{table}-uploads")
        create_table(emu.client("dynamodb"), "dashboard-api", "PeopleTable", f"{table}-people")

    def load(self, name: str, body: bytes, rows: int) -> Run:
        """Upload ``body`` (not timed), then time the handler on its event."""
        from inventory.uploads import report_key, version_tag

        s3 = self.emu.client("s3")
        version_id = s3.put_object(Bucket=self.bucket, Key=UPLOAD_KEY, Body=body)["VersionId"]
        meter = Meter(self.table)
        with default_session(meter, self.env):
            from ingest.handlers.upload import handler, ingestor

            ingestor.cache_clear()
            started = time.perf_counter()
            result = handler(s3_event(self.bucket, UPLOAD_KEY, version_id=version_id), LambdaContext())
            seconds = time.perf_counter() - started
            ingestor.cache_clear()
        answer = s3.get_object(Bucket=self.bucket, Key=report_key(UPLOAD_KEY, version_tag(version_id)))
        report = json.loads(answer["Body"].read())
        if result["files"][0]["status"] != "ok":
            raise RuntimeError(f"ingest did not load the benchmark file: {report}")
        return Run(name, rows, seconds, detail=json.dumps(report["rows"])).metered(meter)


def lab_loader(body: Any, table: Any, rows: int, bucket: str = "bench") -> Run:
    """The lab's Load-Inventory: download, csv.DictReader, one PutItem per row, every row printed."""
    meter = Meter().attach(table.meta.client.meta.events)
    with tempfile.TemporaryDirectory() as scratch, open(os.devnull, "w") as sink:
        started, cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(sink):  # the lab printed every row to its log
            answer = lab_baseline.lambda_handler(
                s3_event(bucket, UPLOAD_KEY),
                None,
                s3=body,
                inventory_table=table,
                local_filename=os.path.join(scratch, "inventory.txt"),
            )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Run("lab loader", rows, seconds, detail=answer, cpu_seconds=cpu).metered(meter)


def lab_on_emulator(emu: Emulator, bucket: str, table: str, body: bytes, rows: int) -> Run:
    emu.client("s3").put_object(Bucket=bucket, Key=UPLOAD_KEY, Body=body)
    emu.create_inventory_table(table)
    return lab_loader(emu.resource("s3"), emu.resource("dynamodb").Table(table), rows, bucket)


def floor_on_emulator(emu: Emulator, table: str, rows: int) -> Run:
    """The least a loader can do: every row already in a 25-item BatchWriteItem, sent from one thread."""
    from inventory.models import SourceVersion, utc_now
    from inventory.table import StoredItem, to_attributes

    emu.create_inventory_table(table)
    now = utc_now()
    source = SourceVersion(now, UPLOAD_KEY)
    items = [
        {"PutRequest": {"Item": to_attributes(StoredItem(store, item, count, None, now, source), 5)}}
        for store, item, count in workload.rows(rows)
    ]
    batches = [{table: items[i : i + FLOOR_BATCH_SIZE]} for i in range(0, len(items), FLOOR_BATCH_SIZE)]
    meter = Meter()
    client = emu.client("dynamodb")
    meter.attach(client.meta.events)
    started = time.perf_counter()
    for request in batches:
        if client.batch_write_item(RequestItems=request).get("UnprocessedItems"):
            raise RuntimeError("the emulator left items unprocessed")
    return Run("floor", rows, time.perf_counter() - started).metered(meter)


# -- stand-in runs --------------------------------------------------------------------------------


def ingestor(
    table: Any, bucket: Any, invoker: Any, client: Any, lanes: int, store_items: int | None = None, **timing: Any
) -> Any:
    """The real Ingestor and Loader on the stand-ins given; ``timing``: a simulated clock's hooks;
    ``store_items``: the loader's budget of items of stores read whole (0: every batch read by key)."""
    from ingest.dal.roles import ApiRole
    from ingest.dal.stores import StoreActivity
    from ingest.dal.uploads import UploadsIndex
    from ingest.logic.ingest import Ingestor
    from ingest.logic.loader import Loader
    from inventory.models import utc_now

    options: dict[str, Any] = {"monotonic": timing["monotonic"]} if "monotonic" in timing else {}
    if store_items is not None:
        options["store_items"] = store_items
    return Ingestor(
        bucket=bucket,
        loader=Loader(table, default_threshold=5, concurrency=lanes, clock=utc_now, **options),
        index=UploadsIndex(client, "uploads", **({"now": timing["now"]} if "now" in timing else {})),
        stores=StoreActivity(client, "stores"),
        invoker=invoker,
        signer=ApiRole(None, ""),  # no role: no uploaded-by metadata is believed
        clock=utc_now,
        **timing,
    )


def ours_on_stand_in(
    rows: int,
    client: Any,
    lanes: int | None = None,
    strategy: str = TRANSACTIONS,
    chunks: Callable[[], Iterator[bytes]] | None = None,
    store_items: int | None = None,
) -> Run:
    """The Ingestor and Loader on a generated file, against a stand-in DynamoDB client, in one invocation.

    ``strategy`` picks the Inventory writes: ingest's transactions, or one of the per-item contenders;
    ``chunks``, the file (by default :func:`bench.workload.csv_chunks` of ``rows``); ``store_items``, the
    loader's budget of items of stores it reads whole (0: the design before, every batch read by key).
    """
    from ingest.dal.inventory import InventoryTable
    from ingest.logic.ingest import Invocation
    from ingest.models.upload import Upload
    from inventory.models import utc_now

    lanes = lanes or write_concurrency()
    table = InventoryTable(client, "inventory") if strategy == TRANSACTIONS else PerItemTable(client, strategy)
    invoker = QueuedInvoker()
    bucket = FileBucket(chunks or (lambda: workload.csv_chunks(rows)))
    ours = ingestor(table, bucket, invoker, client, lanes, store_items)
    invocation = Invocation("bench", FUNCTION_ARN, lambda: 900.0)
    started, cpu = time.perf_counter(), time.process_time()
    outcome = ours.ingest(Upload(bucket="bench", key=UPLOAD_KEY, event_time=utc_now(), etag="e"), invocation)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    report = outcome.report
    if report is None or report.rows.accepted != rows or invoker.events:
        raise RuntimeError(f"ingest did not accept all {rows} rows in one invocation: {outcome}")
    rows_json = json.dumps(report.to_json()["rows"])
    return Run(f"ours ({lanes} writer lanes)", rows, seconds, detail=rows_json, lanes=lanes, cpu_seconds=cpu)


def ours_with_latency(rows: int, latency: float = SIMULATED_LATENCY, strategy: str = TRANSACTIONS) -> Run:
    """Ours with the deployed settings on a real boto3 client answered by the stand-in after ``latency``."""
    meter = Meter("inventory", latency=latency, answer=True)
    lanes = write_concurrency()
    per_item = 0 if strategy == TRANSACTIONS else PER_ITEM_CONCURRENCY
    pool = lanes * (per_item or 1) + 10  # as the ingest handler sizes it (one call at a time per lane)
    client = metered_client(meter, max_pool_connections=pool, retries={"mode": "standard"}, parameter_validation=False)
    run = ours_on_stand_in(rows, client, lanes, strategy).metered(meter)
    if strategy != TRANSACTIONS:
        run.name = f"conditional {strategy} ({lanes} lanes x {per_item})"
    return run


def lab_with_latency(rows: int, latency: float = SIMULATED_LATENCY) -> Run:
    table = boto3.Session(region_name="us-east-1").resource("dynamodb").Table("Inventory")
    Meter(latency=latency, answer=True).attach(table.meta.client.meta.events)

    def download_file(_bucket: str, _key: str, filename: str) -> None:
        with open(filename, "wb") as out:  # S3's share of the time is left out, as for ours
            out.writelines(workload.csv_chunks(rows))

    generated = SimpleNamespace(meta=SimpleNamespace(client=SimpleNamespace(download_file=download_file)))
    return lab_loader(generated, table, rows)


#: The steady state: a store's next daily file, one count in this many changed.
CHANGED_EVERY = 20


def changed_chunks(rows: int, every: int = CHANGED_EVERY) -> Iterator[bytes]:
    """:func:`bench.workload.csv_chunks` with every ``every``-th row's count one more (95% unchanged at 20)."""
    pending = ["store,item,count\n"]
    for n, (store, item, level) in enumerate(workload.rows(rows)):
        pending.append(f"{store},{item},{level + 1 if n % every == 0 else level}\n")
        if len(pending) == 2_000:
            yield "".join(pending).encode()
            pending = []
    yield "".join(pending).encode()


@dataclass
class CpuRun:
    """Ours' CPU time on one file, the stand-in's own left out."""

    scenario: str
    rows: int
    cpu_seconds: float
    calls: Counter[str]
    detail: str

    @property
    def per_row_us(self) -> float:
        return self.cpu_seconds / self.rows * 1e6


def cpu_per_row(rows: int, latency: float = SIMULATED_LATENCY, *, shortcuts: bool = True) -> list[CpuRun]:
    """Ours with the deployed client (``ingest.dal.clients.dynamodb_client``) on :class:`WireTable` at
    ``latency`` a call: a first load into an empty table, then the steady state (the same items, 95%
    unchanged). CPU is the whole process's, less the stand-in's."""
    from ingest.dal.clients import dynamodb_client

    wire = WireTable(latency)
    lanes = write_concurrency()
    credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": REGION}
    with environment(credentials):
        boto3.setup_default_session(region_name=REGION)
        client = dynamodb_client(lanes + 10, shortcuts=shortcuts)
        boto3.DEFAULT_SESSION = None
    wire.attach(client.meta.events)
    runs = []
    for scenario, chunks in (
        ("first load", lambda: workload.csv_chunks(rows)),
        (f"steady state ({100 - 100 // CHANGED_EVERY}% unchanged)", lambda: changed_chunks(rows)),
    ):
        wire.calls.clear()
        own = wire.cpu_seconds
        run = ours_on_stand_in(rows, client, lanes, chunks=chunks)
        cpu = run.cpu_seconds - (wire.cpu_seconds - own)
        runs.append(CpuRun(scenario, rows, cpu, Counter(wire.calls), run.detail))
    return runs


@dataclass
class ReadUnits:
    """Inventory read units of one store's file: its first load, and a day's once the store is settled
    (95% unchanged, every item with a before-image)."""

    design: str
    rows: int
    first_load: float
    steady_state: float
    calls: Counter[str]  # the steady state's Inventory requests


def read_units_per_file(rows: int, *, by_key: bool) -> ReadUnits:
    """Ours on :class:`WireTable` (which keeps what lands and answers reads with it), metered: the read
    units of a store's first file, and of a day's file once every item carries a before-image (a day that
    changed every count came in between, as days of real uploads do): the items a Query reads are as big
    as the store's will be. ``by_key``: the design before (BatchGetItem a batch)."""
    from ingest.dal.clients import dynamodb_client

    wire = WireTable()
    lanes = write_concurrency()
    credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": REGION}
    with environment(credentials):
        boto3.setup_default_session(region_name=REGION)
        client = dynamodb_client(lanes + 10)
        boto3.DEFAULT_SESSION = None
    meter = Meter("inventory").attach(client.meta.events)
    wire.attach(client.meta.events)
    units = []
    days = (lambda: changed_chunks(rows, 1), lambda: workload.csv_chunks(rows), lambda: changed_chunks(rows))
    for chunks in days:
        meter.reset()
        ours_on_stand_in(rows, client, lanes, chunks=chunks, store_items=0 if by_key else None)
        units.append(meter.read_units)
    design = "the design before (BatchGetItem a batch)" if by_key else "ours (a Query a store)"
    return ReadUnits(design, rows, units[0], units[-1], Counter(meter.calls))


def round_trip_bound(run: Run, latency: float, rows: int = PROJECTED_ROWS) -> float:
    """Seconds ``rows`` rows spend waiting, at the least: each of ours' lanes waits, per batch, for one read
    and then its writes (one transaction, or per-item calls :data:`PER_ITEM_CONCURRENCY` at a time); the
    lab's one thread waits for every call in turn. The few uploads-index and Stores calls are left out."""
    if not run.lanes:
        return run.requests * latency * rows / run.rows
    per_item = run.calls["PutItem"] + run.calls["UpdateItem"]
    rounds = run.calls["TransactWriteItems"] + math.ceil(per_item / PER_ITEM_CONCURRENCY)
    reads = run.calls["BatchGetItem"] + run.calls["Query"]
    return (reads + rounds) / run.lanes * latency * rows / run.rows


def projected(run: Run, rows: int = PROJECTED_ROWS) -> float:
    """Seconds for ``rows`` rows at this run's rate (ingest's cost per row is flat: fixed-size batches)."""
    return run.seconds * rows / run.rows


@dataclass
class MemoryProbe:
    rows: int
    seconds: float
    peak_rss_mb: float


def measure_memory(rows: int) -> MemoryProbe:
    """Ingest ``rows`` generated rows in a fresh Python process (bench/memory_probe.py); its peak RSS."""
    command = [sys.executable, "-m", "bench.memory_probe", str(rows)]
    output = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True).stdout
    data = json.loads(output.strip().splitlines()[-1])
    return MemoryProbe(rows, data["seconds"], data["peak_rss_mb"])


# -- the suite ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestSizes:
    """How big each run is; ``make bench`` uses the defaults, the smoke test tiny ones."""

    rows: int = 20_000
    memory_rows: tuple[int, int] = (10_000, 500_000)
    #: Rows each write strategy (ours first) loads at simulated latency (bench/write_strategies.py).
    latency_rows: int = 20_000
    lab_latency_rows: int = 250
    latency: float = SIMULATED_LATENCY
    #: Ours and the floor run this many times each, alternating; the best time counts.
    rounds: int = 2
    #: The big file loaded through continuations in simulated time (bench/big_file_bench.py).
    big_file_rows: int = 5_000_000
    big_file_budget: float = 900.0
    big_file_bad_every: int = 250_000
    #: Rows of each CPU-per-row load (first load, steady state), each design this many rounds (best kept).
    cpu_rows: int = 20_000
    cpu_rounds: int = 3


@dataclass
class IngestResults:
    sizes: IngestSizes
    lanes: int
    ours: Run
    reupload: Run
    first_load: Run  # the load the re-upload followed
    lab: Run
    floor: Run
    stored: dict[str, int]
    memory: list[MemoryProbe]
    latency_ours: Run
    latency_lab: Run
    strategies: list[Run]
    big_file: BigFileRun
    cpu: list[CpuRun]  # ingest's client, first load and steady state
    cpu_botocore: list[CpuRun]  # the same with botocore's steps only (the design before the shortcuts)


def _best(runs: list[Run]) -> Run:
    """The fastest of repeated runs (the machine may be busy with other work), keeping every time."""
    best = min(runs, key=lambda run: run.seconds)
    best.all_seconds = [run.seconds for run in runs]
    return best


def run_ingest(sizes: IngestSizes, log: Any = print) -> IngestResults:
    """Every ingest benchmark; see docs/benchmarks.md for what each one does."""
    from bench.emulator import emulator

    body = workload.csv_file(sizes.rows)
    stored: dict[str, int] = {}
    ours_runs: list[Run] = []
    floor_runs: list[Run] = []
    with emulator(own_process=True) as emu:
        # Every contender starts on an empty emulator (reset in between) with a fresh table;
        # ours and the floor alternate, and each keeps its best time.
        for round_ in range(sizes.rounds):
            ours = OursOnEmulator(emu, emu.create_bucket("inventory-bench-uploads"), "inventory-ours")
            log(f"ingest: ours, {sizes.rows:,} rows on the emulator (round {round_ + 1})")
            ours_runs.append(ours.load("ours", body, sizes.rows))
            if round_ == 0:
                log("  re-upload of the same file")
                reupload = ours.load("ours, re-upload", body, sizes.rows)
                stored["ours"] = emu.item_count("inventory-ours")
            emu.reset()
            log(f"ingest: the floor (round {round_ + 1})")
            floor_runs.append(floor_on_emulator(emu, "inventory-floor", sizes.rows))
            stored["floor"] = stored.get("floor") or emu.item_count("inventory-floor")
            emu.reset()
        log("ingest: the lab loader (one PutItem per row)")
        lab = lab_on_emulator(emu, emu.create_bucket("inventory-bench-uploads"), "inventory-lab", body, sizes.rows)
        stored["lab"] = emu.item_count("inventory-lab")
        emu.reset()
    memory = []
    for rows in sizes.memory_rows:
        log(f"ingest: peak memory, {rows:,} rows (fresh process, stand-in DynamoDB)")
        memory.append(measure_memory(rows))
    strategies = []
    for strategy in STRATEGIES:
        log(f"ingest: write strategy {strategy}, {sizes.latency_rows:,} rows at {sizes.latency * 1000:.0f} ms a call")
        strategies.append(ours_with_latency(sizes.latency_rows, sizes.latency, strategy))
    log(f"ingest: simulated latency, the lab loader on {sizes.lab_latency_rows:,} rows")
    latency_lab = lab_with_latency(sizes.lab_latency_rows, sizes.latency)
    big_file = run_big_file(sizes.big_file_rows, sizes.big_file_budget, log, sizes.big_file_bad_every)
    log(f"ingest: CPU per row, {sizes.cpu_rows:,} rows, first load and steady state, with and without shortcuts")
    cpu, cpu_botocore = _least_cpu(sizes.cpu_rows, sizes.latency, sizes.cpu_rounds)
    first_load = dataclasses.replace(ours_runs[0], name="ours, first load (round 1)", all_seconds=[])
    return IngestResults(
        sizes,
        write_concurrency(),
        _best(ours_runs),
        reupload,
        first_load,
        lab,
        _best(floor_runs),
        stored,
        memory,
        strategies[0],
        latency_lab,
        strategies,
        big_file,
        cpu,
        cpu_botocore,
    )


def _least_cpu(rows: int, latency: float, rounds: int) -> tuple[list[CpuRun], list[CpuRun]]:
    """Both designs' CPU runs, alternating, each scenario's least over ``rounds`` (other work on the machine
    only ever adds CPU time, through contention for caches and cores)."""
    runs: dict[bool, list[list[CpuRun]]] = {True: [], False: []}
    for _ in range(rounds):
        for shortcuts in (True, False):
            runs[shortcuts].append(cpu_per_row(rows, latency, shortcuts=shortcuts))

    def least(rounds_run: list[list[CpuRun]]) -> list[CpuRun]:
        return [min(scenario, key=lambda run: run.cpu_seconds) for scenario in zip(*rounds_run, strict=True)]

    return least(runs[True]), least(runs[False])


def _minutes(seconds: float) -> str:
    return f"{seconds:,.0f} s ({seconds / 60:,.1f} min)" if seconds < 7200 else f"{seconds / 3600:,.1f} h"


def _latency_table(first: str, runs: list[Run], latency: float) -> str:
    """Simulated-latency runs: requests and write units per 1,000 rows and the projections."""
    header = [
        first,
        "Rows run",
        "Seconds",
        "DynamoDB requests",
        "Requests per 1,000 rows",
        "Write units per 1,000 rows",
    ]
    header += [f"Projected, {PROJECTED_ROWS:,} rows", "Of which waiting, at least", "CPU time, projected"]
    rows = [
        [
            run.name,
            f"{run.rows:,}",
            seconds_text(run.seconds),
            f"{run.requests:,} ({run.calls_text})",
            f"{run.requests * 1000 / run.rows:,.1f}",
            f"{run.write_units * 1000 / run.rows:,.0f}",
            _minutes(projected(run)),
            _minutes(round_trip_bound(run, latency)),
            _minutes(run.cpu_seconds * PROJECTED_ROWS / run.rows),
        ]
        for run in runs
    ]
    return table(header, rows)


def ingest_section(r: IngestResults) -> Section:
    speedup = r.lab.seconds / r.ours.seconds
    of_floor = r.ours.seconds / r.floor.seconds
    low, high = r.memory[0], r.memory[-1]
    growth = high.peak_rss_mb - low.peak_rss_mb
    projected_ours = projected(r.latency_ours)
    big = r.big_file
    big_verdict = (
        f"{big.invocations} invocations, {big.simulated_seconds / 3600:.1f} h simulated; "
        + ("table = file" if big.table_matches else f"{big.mismatches:,} items differ")
        + ("; report exact" if big.report_exact else "; report differs")
    )
    s = seconds_text
    targets = [
        Target(
            "Ingest: first load vs the lab loader",
            ">= 8x faster",
            f"{speedup:.1f}x ({s(r.ours.seconds)} vs {s(r.lab.seconds)})",
            speedup >= 8,
        ),
        Target(
            "Ingest: first load vs the floor",
            "<= 1.3x the floor",
            f"{of_floor:.2f}x ({s(r.ours.seconds)} vs {s(r.floor.seconds)})",
            of_floor <= 1.3,
        ),
        Target("Ingest: unchanged re-upload", "0 writes", f"{r.reupload.writes:,} writes", r.reupload.writes == 0),
        Target(
            f"Ingest: peak memory, {low.rows:,} -> {high.rows:,} rows",
            "grows <= 30 MB",
            f"{growth:+.1f} MB ({low.peak_rss_mb:.1f} -> {high.peak_rss_mb:.1f} MB RSS)",
            growth <= 30,
        ),
        Target(
            f"Ingest: {PROJECTED_ROWS:,} rows at {r.sizes.latency * 1000:.0f} ms per call (projected)",
            "< 5 min",
            _minutes(projected_ours),
            projected_ours < 300,
        ),
        Target(
            f"Ingest CPU per row, {PROJECTED_ROWS:,} rows at {r.sizes.latency * 1000:.0f} ms per call",
            "<= 60 µs/row (first load and steady state)",
            " / ".join(f"{run.per_row_us:.0f} µs ({run.scenario.split(' (')[0]})" for run in r.cpu)
            + " (botocore's steps: "
            + " / ".join(f"{run.per_row_us:.0f} µs" for run in r.cpu_botocore)
            + ")",
            all(run.per_row_us <= 60 for run in r.cpu),
        ),
        Target(
            f"Ingest: {big.rows:,}-row file, 20 ms per call, 1,000 write units/s per store",
            "completes; table = file; report exact",
            big_verdict,
            big.passed,
        ),
    ]
    load_rows = [
        [
            run.name,
            s(run.seconds)
            + (f" (best of {', '.join(s(t) for t in run.all_seconds)})" if len(run.all_seconds) > 1 else ""),
            f"{run.rows / run.seconds:,.0f}",
            f"{run.requests:,}",
            run.calls_text,
            f"{run.writes:,}",
            f"{r.stored[key]:,}",
            f"{run.seconds / r.ours.seconds:.2f}x",
        ]
        for run, key in ((r.ours, "ours"), (r.lab, "lab"), (r.floor, "floor"))
    ]
    ours_strategy, *others = r.strategies
    rows_big = big.report["rows"]
    big_errors = [error["line"] for error in big.report["errors"]]
    offsets = ", ".join(f"{offset:,}" for offset in big.opened_at[:6]) + (" ..." if len(big.opened_at) > 6 else "")
    values = {
        "rows": f"{r.sizes.rows:,}",
        "stores": workload.shape(r.sizes.rows)[0],
        "items": f"{workload.shape(r.sizes.rows)[1]:,}",
        "lanes": r.lanes,
        "latency_ms": f"{r.sizes.latency * 1000:.0f}",
        "per_item": PER_ITEM_CONCURRENCY,
        "speedup": f"{speedup:.1f}",
        "fewer_requests": f"{r.lab.requests / r.ours.requests:.0f}",
        "of_floor": f"{of_floor:.2f}",
        "load_table": table(
            [
                "Contender",
                "Seconds",
                "Rows/s",
                "DynamoDB requests",
                "By operation",
                "Write requests",
                "Items in its table",
                "Time vs ours",
            ],
            load_rows,
        ),
        "reupload_table": table(
            ["Run", "Seconds", "DynamoDB requests", "By operation", "Write requests", "Read units", "Report rows"],
            [
                [
                    run.name,
                    s(run.seconds),
                    f"{run.requests:,}",
                    run.calls_text,
                    f"{run.writes:,}",
                    f"{run.read_units:,.0f}",
                    f"`{run.detail}`",
                ]
                for run in (r.first_load, r.reupload)
            ],
        ),
        "memory_table": table(
            ["Rows", "Peak RSS", "Growth over the smallest", "Seconds (stand-in DynamoDB)"],
            [
                [f"{p.rows:,}", f"{p.peak_rss_mb:.1f} MB", f"{p.peak_rss_mb - low.peak_rss_mb:+.1f} MB", s(p.seconds)]
                for p in r.memory
            ],
        ),
        "latency_table": _latency_table("Contender", [r.latency_ours, r.latency_lab], r.sizes.latency),
        "strategy_table": _latency_table("Strategy", r.strategies, r.sizes.latency),
        "cpu_rows": f"{r.sizes.cpu_rows:,}",
        "cpu_rounds": r.sizes.cpu_rounds,
        "changed_every": CHANGED_EVERY,
        "cpu_table": table(
            ["Client", "Load", "CPU per row", f"CPU for {PROJECTED_ROWS:,} rows", "DynamoDB requests", "Report rows"],
            [
                [
                    design,
                    run.scenario,
                    f"{run.per_row_us:.1f} µs",
                    _minutes(run.cpu_seconds * PROJECTED_ROWS / run.rows),
                    ", ".join(f"{n:,} {name}" for name, n in sorted(run.calls.items())),
                    f"`{run.detail}`",
                ]
                for design, runs in (("ingest's (shortcuts)", r.cpu), ("botocore's steps only", r.cpu_botocore))
                for run in runs
            ],
        ),
        "strategy_ratios": "; ".join(
            f"{other.name.split(' (')[0]}: {other.requests / ours_strategy.requests:,.0f}x the requests, "
            f"{other.write_units / max(1, ours_strategy.write_units):.2f}x the write units, "
            f"{projected(other) / projected(ours_strategy):.1f}x the time"
            for other in others
        ),
        "big_rows": f"{big.rows:,}",
        "big_stores": f"{workload.shape(big.rows)[0]:,}",
        "big_items": f"{workload.shape(big.rows)[1]:,}",
        "big_table": table(
            ["", ""],
            [
                [
                    "File",
                    f"{big.rows:,} rows, {big.file_bytes / 2**20:,.0f} MiB, {len(big.bad_lines)} with a bad count",
                ],
                ["Invocations", f"{big.invocations} ({big.lambda_retries} of them Lambda's retries of a failed one)"],
                ["Simulated time", f"{big.simulated_seconds:,.0f} s ({big.simulated_seconds / 3600:.1f} h)"],
                ["Rows per simulated second", f"{big.rows / big.simulated_seconds:,.0f}"],
                ["Inventory requests", ", ".join(f"{n:,} {name}" for name, n in sorted(big.calls.items()))],
                ["Transactions throttled (each retried as botocore would)", f"{big.throttled:,}"],
                ["Write units consumed", f"{big.write_units:,}"],
                ["Byte offsets the parts opened the object at", offsets],
                [
                    "Report",
                    f"status {big.report['status']}, rows `{rows_big}`, errors on lines {big_errors}",
                ],
                [
                    "Table",
                    f"{big.stored_items:,} items ({big.expected_items:,} expected), {big.mismatches:,} unlike the file",
                ],
                ["Uploads index row", "final, no checkpoint left" if big.index_final else "NOT final"],
                ["Real time / CPU time of the run", f"{s(big.real_seconds)} / {s(big.cpu_seconds)}"],
            ],
        ),
    }
    return Section("ingest", "Ingest", values, targets)
