"""The cost model's DynamoDB lines (docs/cost.md), computed with what this run measures side by side: the
read units ingest spends on a store's daily file (:func:`bench.ingest_bench.read_units_per_file`), the
write units per change of the History rows and store totals (:mod:`bench.history_writes`) and of the
RunningOut index (:mod:`bench.index_options`), for the design before and ours; everything else is the
model's assumptions, named in bench/page.md. The lab's column: one PutItem per row a day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench.report import Section, Target, table

# -- the model's workload and prices (docs/cost.md) --------------------------------------------------
FILES_PER_DAY = 10_000
ROWS_PER_FILE = 1_000
CHANGED = 0.05
DAYS = 30
WRU_PRICE = 0.625 / 1e6
RRU_PRICE = 0.125 / 1e6
STORAGE_PRICE = 0.25  # a GB-month
BACKUP_PRICE = 0.20  # a GB-month of point-in-time recovery

ROWS = FILES_PER_DAY * ROWS_PER_FILE * DAYS  # read by ingest every day
CHANGES = round(ROWS * CHANGED)
#: Of the changes, those that are or become out or low (A2): their AlertsByStore entry, their mark.
ALERTING = 0.20
#: A store's changes of one file reach the alerts function in about one stream batch (batch size 500).
CHANGES_PER_STORE_BATCH = 50
#: Moving a store's total: the alerting changes and about as many again, no more (issue 19: about 80%
#: of changes move none).
MOVING = 0.20
#: Storage: Inventory 10 M items, History 45 M rows (90 days), Forecast and its index 10 M each, the
#: uploads index, with DynamoDB's 100 bytes an item and an index entry (about 27 GB), all under PITR.
STORAGE_GB = 27.0
#: The recount reads every item of every store once a day, strongly consistent, about 200 bytes each.
RECOUNT_ITEM_BYTES = 200
TARGET_RATIO = 0.35
#: Request units per changed item, per unchanged row and per file: at most this share of the design before's.
UNITS_TARGET = 0.5
#: Write units every file costs whatever it holds: the uploads index, the claim, the Stores row's last
#: upload (5) and the digest's record (1).
FILE_UNITS = 6


@dataclass(frozen=True)
class Line:
    name: str
    before: float  # dollars a month, the design before
    ours: float


@dataclass
class CostResults:
    read_units: tuple[float, float]  # ingest's, per daily file: before, ours
    history_units: tuple[float, float]  # per change: before, ours
    index_units: tuple[float, float]
    lines: list[Line]
    lab: float

    def per_change(self, design: int) -> float:
        """Read and write units of one changed item: its Inventory write (a transaction), its share of the
        AlertsByStore index and of announcement marks, its History row and store totals, its Forecast row
        (a read and a write) and index entry."""
        alerting = ALERTING * (1.5 + 2)
        return 2 + alerting + self.history_units[design] + 1 + 1 + self.index_units[design]

    def per_unchanged_row(self, design: int) -> float:
        return self.read_units[design] / ROWS_PER_FILE

    def per_file(self, design: int) -> float:
        """Everything one daily file costs: its reads, its fixed writes and its changes."""
        return self.read_units[design] + FILE_UNITS + ROWS_PER_FILE * CHANGED * self.per_change(design)

    @property
    def before(self) -> float:
        return sum(line.before for line in self.lines)

    @property
    def ours(self) -> float:
        return sum(line.ours for line in self.lines)


def run_cost(log: Callable[[str], None] = print, index_items: int = 20) -> CostResults:
    from bench.history_writes import every_change_in_a_transaction, units
    from bench.index_options import run
    from bench.ingest_bench import read_units_per_file

    log(f"cost: ingest's read units, a store's daily file of {ROWS_PER_FILE:,} rows ({CHANGED:.0%} changed)")
    reads_before = read_units_per_file(ROWS_PER_FILE, by_key=True).steady_state
    reads_ours = read_units_per_file(ROWS_PER_FILE, by_key=False).steady_state

    log(f"cost: History and totals, {CHANGES_PER_STORE_BATCH} changes a store-batch, {MOVING:.0%} moving a total")
    with every_change_in_a_transaction():
        history_before = units(CHANGES_PER_STORE_BATCH, MOVING)
    history_ours = units(CHANGES_PER_STORE_BATCH, MOVING)
    log(f"cost: the RunningOut index, {index_items} items a forecast pattern")
    tallies, changes, _, _ = run(index_items, 7.0)
    index_before = tallies["today: DaysLeft, ALL, 30 days"].index_writes / changes
    index_ours = tallies["run-out week, ALL"].index_writes / changes

    def both(name: str, value: float) -> Line:
        return Line(name, value, value)

    announced = CHANGES * ALERTING
    digests = FILES_PER_DAY * DAYS  # at most one a store's file
    recount = FILES_PER_DAY * ROWS_PER_FILE * RECOUNT_ITEM_BYTES / 4096 * DAYS
    lines = [
        Line(
            "Ingest reads, strongly consistent (measured a file: BatchGetItem a batch before, a Query a store ours)",
            FILES_PER_DAY * DAYS * reads_before * RRU_PRICE,
            FILES_PER_DAY * DAYS * reads_ours * RRU_PRICE,
        ),
        both("Inventory writes: 2 WRU a changed item (transactions)", CHANGES * 2 * WRU_PRICE),
        both("AlertsByStore index: 1.5 WRU an alerting change", announced * 1.5 * WRU_PRICE),
        both("Uploads index, claims, Stores' last upload: 5 WRU a file", digests * 5 * WRU_PRICE),
        Line(
            "History rows and store totals (measured per change)",
            CHANGES * history_before * WRU_PRICE,
            CHANGES * history_ours * WRU_PRICE,
        ),
        both("Announcement marks (2 WRU each) and digest records (1 WRU)", (announced * 2 + digests) * WRU_PRICE),
        Line(
            "Forecast: 1 RRU, 1 WRU a change, plus its index (measured)",
            CHANGES * (RRU_PRICE + (1 + index_before) * WRU_PRICE),
            CHANGES * (RRU_PRICE + (1 + index_ours) * WRU_PRICE),
        ),
        both("The recount's reads (every item once a day)", recount * RRU_PRICE),
        both(f"Storage and PITR, ~{STORAGE_GB:.0f} GB", STORAGE_GB * (STORAGE_PRICE + BACKUP_PRICE)),
    ]
    lab = ROWS * WRU_PRICE + 2.0 * STORAGE_PRICE  # one PutItem a row; ~2 GB, no backups
    return CostResults(
        (reads_before, reads_ours), (history_before, history_ours), (index_before, index_ours), lines, lab
    )


def cost_section(r: CostResults) -> Section:
    ratio = r.ours / r.lab
    target = Target(
        f"DynamoDB cost model: ours <= {TARGET_RATIO}x the lab's",
        f"<= {TARGET_RATIO}x",
        f"{ratio:.2f}x (${r.ours:,.2f} vs ${r.lab:,.2f} a month; the design before {r.before / r.lab:.2f}x)",
        ratio <= TARGET_RATIO,
    )
    units = [
        (what, measure(0), measure(1))
        for what, measure in (
            ("a changed item", r.per_change),
            ("an unchanged row", r.per_unchanged_row),
            ("a file", r.per_file),
        )
    ]
    per_unit = Target(
        "DynamoDB request units per changed item, per unchanged row and per file",
        f"<= {UNITS_TARGET}x the design before's",
        "; ".join(f"{what} {ours:,.2f} vs {before:,.2f} ({ours / before:.2f}x)" for what, before, ours in units),
        all(ours <= UNITS_TARGET * before for _, before, ours in units),
    )
    rows = [[line.name, f"{line.before:,.2f}", f"{line.ours:,.2f}"] for line in r.lines]
    rows.append(["**DynamoDB total**", f"**{r.before:,.2f}**", f"**{r.ours:,.2f}**"])
    rows.append(["The lab's DynamoDB (one PutItem a row a day, ~2 GB)", f"{r.lab:,.2f}", f"{r.lab:,.2f}"])
    rows.append(["Ours vs the lab's", f"{r.before / r.lab:.2f}x", f"{ratio:.2f}x"])
    return Section(
        "cost",
        "Cost model",
        {
            "table": table(["Per month ($)", "The design before", "Ours"], rows),
            "reads_before": f"{r.read_units[0]:,.0f}",
            "reads_ours": f"{r.read_units[1]:,.0f}",
            "history_before": f"{r.history_units[0]:.2f}",
            "history_ours": f"{r.history_units[1]:.2f}",
            "index_before": f"{r.index_units[0]:.2f}",
            "index_ours": f"{r.index_units[1]:.2f}",
            "changes": f"{CHANGES / 1e6:,.0f}",
            "per_batch": CHANGES_PER_STORE_BATCH,
            "moving": f"{MOVING:.0%}",
        },
        [per_unit, target],
    )
