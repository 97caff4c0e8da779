"""``make bench``: run the benchmarks side by side and write docs/benchmarks.md.

python -m bench [--only ingest,alerts,dashboard,forecast,reorder,xlsx,coldstart,cost] [--rows N] [--output PATH]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import REPO
from bench.report import Section, Target, load_average, page


def _ingest(args: argparse.Namespace) -> Section:
    from bench.ingest_bench import IngestSizes, ingest_section, run_ingest

    return ingest_section(run_ingest(IngestSizes(rows=args.rows, latency_rows=args.latency_rows)))


def _alerts(args: argparse.Namespace) -> Section:
    from bench.alerts_bench import alerts_section, run_alerts

    return alerts_section(run_alerts(args.stream_records))


def _dashboard(args: argparse.Namespace) -> Section:
    from bench.dashboard_bench import DashboardSizes, dashboard_section, run_dashboard

    return dashboard_section(run_dashboard(DashboardSizes(items_per_store=args.items_per_store)))


def _forecast(args: argparse.Namespace) -> Section:
    from bench.forecast_bench import forecast_section, run_forecast

    return forecast_section(run_forecast(args.forecast_items))


def _reorder(args: argparse.Namespace) -> Section:
    from bench.reorder_bench import reorder_section, run_reorder

    return reorder_section(run_reorder(args.reorder_items))


def _xlsx(args: argparse.Namespace) -> Section:
    from bench.xlsx_bench import XlsxSizes, run_xlsx, xlsx_section

    return xlsx_section(run_xlsx(XlsxSizes(rows=args.xlsx_rows)))


def _coldstart(args: argparse.Namespace) -> Section:
    from bench.coldstart_bench import coldstart_section, run_coldstart

    return coldstart_section(run_coldstart(args.import_runs))


def _cost(args: argparse.Namespace) -> Section:
    from bench.cost_bench import cost_section, run_cost

    return cost_section(run_cost(index_items=args.cost_index_items))


Runner = Callable[[argparse.Namespace], Section]
#: Each suite's title on the page and its runner.
RUNNERS: dict[str, tuple[str, Runner]] = {
    "ingest": ("Ingest", _ingest),
    "alerts": ("Alerts", _alerts),
    "dashboard": ("Dashboard API", _dashboard),
    "forecast": ("Forecast", _forecast),
    "reorder": ("Reorder", _reorder),
    "xlsx": ("Excel workbooks", _xlsx),
    "coldstart": ("Cold start", _coldstart),
    "cost": ("Cost model", _cost),
}
SUITES = tuple(RUNNERS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", default=",".join(SUITES), help=f"comma-separated suites out of {', '.join(SUITES)}")
    parser.add_argument("--rows", type=int, default=20_000, help="rows in the side-by-side ingest file")
    parser.add_argument("--latency-rows", type=int, default=20_000, help="rows in each simulated-latency run")
    parser.add_argument("--stream-records", type=int, default=10_000, help="stream records in the alerts run")
    parser.add_argument(
        "--items-per-store", type=int, default=100, help="items in each of the 100 stores of the alerts query"
    )
    parser.add_argument("--forecast-items", type=int, default=150, help="synthetic items per forecast backtest pattern")
    parser.add_argument("--reorder-items", type=int, default=60, help="synthetic items per reorder backtest run")
    parser.add_argument("--xlsx-rows", type=int, default=200_000, help="rows in the Excel workbook")
    parser.add_argument("--cost-index-items", type=int, default=20, help="items per pattern in the index model")
    parser.add_argument("--import-runs", type=int, default=7, help="fresh processes per handler import timed")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(SUITES))
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(unknown)}")

    started_at = datetime.now(UTC)
    load_at_start = load_average()
    started = time.perf_counter()
    sections: list[Section] = []
    for name in wanted:
        title, runner = RUNNERS[name]
        suite_started = time.perf_counter()
        try:
            section = runner(args)
        except Exception as error:  # one suite failing must not lose the others' results
            message = f"{type(error).__name__}: {error}"
            print(f"{name}: failed: {message}", file=sys.stderr)
            target = Target(f"{title}: the suite runs to the end", "completes", message[:200], passed=False)
            section = Section(name, title, targets=[target], text=f"The run failed: `{message[:500]}`")
        section.seconds = time.perf_counter() - suite_started
        print(f"{name}: {section.seconds:,.0f} s", file=sys.stderr)
        sections.append(section)

    command = "make bench" if len(sys.argv) <= 1 else "python -m bench " + shlex.join(sys.argv[1:])
    load = f"{load_at_start} / {load_average()}"
    text = page(command, sections, started_at, time.perf_counter() - started, load)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    failed = [target for section in sections for target in section.targets if not target.passed]
    met = sum(len(section.targets) for section in sections) - len(failed)
    print(f"wrote {args.output}: {met} targets met, {len(failed)} missed")
    for target in failed:
        print(f"  missed: {target.name}: {target.measured} (target {target.wanted})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
