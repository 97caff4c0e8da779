"""``make bench`` still runs: each benchmark suite at a tiny size, with its request counts checked.

Not a timed test: it asserts what each contender asks DynamoDB for, never how long it takes.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from bench.alerts_bench import alerts_section, changes, run_alerts
from bench.dashboard_bench import DashboardSizes, dashboard_section, run_dashboard
from bench.forecast_bench import BASELINES, MODEL, PATTERNS, Model, forecast_section, items, run_forecast, score
from bench.ingest_bench import IngestSizes, ingest_section, run_ingest
from bench.reorder_bench import MIN_MAX, POLICIES, SUGGESTED, reorder_section, run_reorder
from bench.report import Section, page, render, templates
from bench.xlsx_bench import XlsxSizes, run_xlsx, xlsx_section

pytestmark = pytest.mark.bench

ROWS = 60  # 3 BatchWriteItem calls for the floor: two full, one of 10


def test_ingest_benchmark_runs_and_counts_requests_per_contender() -> None:
    # Given tiny sizes for every ingest benchmark
    sizes = IngestSizes(
        rows=ROWS,
        memory_rows=(200, 2_000),
        latency_rows=300,
        lab_latency_rows=20,
        latency=0.001,
        rounds=1,
        # The reader may run up to 1,600 rows ahead of the writers (4 lanes, 2 batches queued each),
        # so the file is far longer than that: the first part must stop (1 s of simulated time) while
        # rows are still unread, however the threads are scheduled on a busy machine.
        big_file_rows=6_000,
        big_file_budget=101,
        big_file_bad_every=2_000,
        cpu_rows=400,
        cpu_rounds=1,
    )

    # When the whole ingest suite runs
    results = run_ingest(sizes, log=lambda _: None)

    # Then the lab loader made one PutItem per row, the floor one BatchWriteItem per 25 rows,
    assert dict(results.lab.calls) == {"PutItem": ROWS}
    assert dict(results.floor.calls) == {"BatchWriteItem": math.ceil(ROWS / 25)}
    # ours read the store once (one Query, one read unit: it was empty) and wrote every row of the first
    # load in conditional transactions,
    assert (results.ours.calls["Query"], results.ours.calls["BatchGetItem"], results.ours.read_units) == (1, 0, 1)
    assert 1 <= results.ours.calls["TransactWriteItems"] < ROWS
    assert results.ours.write_units == 2 * ROWS + 2 * results.ours.calls["TransactWriteItems"]  # and each fence
    # and wrote nothing at all when the same file came again
    assert results.reupload.writes == 0
    assert set(results.reupload.calls) == {"Query"}
    # every contender's table holds every row
    assert results.stored == {"ours": ROWS, "lab": ROWS, "floor": ROWS}
    # the stand-in runs went through the same loaders, each write strategy writing every row its way,
    assert dict(results.latency_lab.calls) == {"PutItem": 20}
    transactions, puts, updates = results.strategies
    assert results.latency_ours is transactions
    assert transactions.calls["TransactWriteItems"] >= math.ceil(300 / 100)
    assert (puts.calls["PutItem"], updates.calls["UpdateItem"]) == (300, 300)
    # and the stand-in counted the write units they consume: two per item in a transaction (and per fence), else one
    fences = 2 * transactions.calls["TransactWriteItems"]
    assert (transactions.write_units, puts.write_units, updates.write_units) == (600 + fences, 300, 300)
    assert [probe.rows for probe in results.memory] == [200, 2_000]
    assert all(probe.peak_rss_mb > 10 for probe in results.memory)
    # and the big file went through continuations to a table that matches it and an exact report
    assert results.big_file.invocations > 1
    assert results.big_file.opened_at[0] == 0
    assert results.big_file.opened_at[1] > 0
    assert results.big_file.bad_lines == [2_000, 4_000, 6_000]
    assert results.big_file.passed
    # and the CPU runs loaded the file, then the next day's (1 row in 20 changed), with either client
    for runs in (results.cpu, results.cpu_botocore):
        first, steady = (json.loads(run.detail) for run in runs)
        assert (first["written"], steady["written"], steady["unchanged"]) == (400, 20, 380)
        assert runs[0].calls["Query"] == runs[1].calls["Query"] == 1
        assert "BatchGetItem" not in runs[0].calls | runs[1].calls

    # And the results page names each target with a verdict
    section = ingest_section(results)
    assert len(section.targets) == 7
    text = page("make bench", [section], datetime.now(UTC), 1.0)
    assert "## Targets" in text
    assert "| Ingest: unchanged re-upload | 0 writes | 0 writes | pass |" in text
    assert "completes; table = file; report exact" in text


def test_dashboard_benchmark_runs_and_counts_items_examined() -> None:
    # Given 3 stores of 40 items, then a store of 400 to search, and one of 150 to ask a page of
    sizes = DashboardSizes(stores=3, items_per_store=40, search_items=400, cpu_items=150, cpu_requests=3, cpu_repeats=1)

    # When the dashboard suite runs
    results = run_dashboard(sizes, log=lambda _: None)

    # Then /alerts returned every alerting item, examining only those (plus one Stores row per store,
    # and the caller's request bucket in the People table)
    assert results.alerts.returned == results.alerting > 0
    assert results.alerts.examined == results.alerting + 3 + 1
    # and a search that matches nothing (limit=1) costs a handful of Queries
    assert 1 <= results.search.calls["Query"] <= 5
    assert results.search.examined <= 1_000
    # and a page of the 150-item store had its CPU measured, ours and botocore's parse, on the calls a request makes
    assert results.cpu.page == 100
    assert len(results.cpu.ours) == len(results.cpu.botocore) == 1
    assert "Query inventory-dash-cpu" in results.cpu.calls
    assert "UpdateItem inventory-dash-cpu-people" in results.cpu.calls

    # And the results page names the three targets: /alerts' reads and the search's, each met, and the CPU
    section = dashboard_section(results)
    alerts_target, search_target, cpu_target = section.targets
    assert "/alerts over 3 stores" in alerts_target.name
    assert alerts_target.passed
    assert "limit=1&q=<no match>" in search_target.name
    assert search_target.passed
    assert "CPU per `GET /stores/{store}/items` (100 of 150 items)" in cpu_target.name
    assert "botocore's parse" in cpu_target.measured


def test_alerts_benchmark_runs_and_counts_publishes() -> None:
    # When 300 stream records of mixed changes go through the handler (one batch), 150 records of one
    # store through the alerts flow at simulated latency, and 200 records' CPU is measured
    results = run_alerts(300, log=lambda _: None, pace=150, cpu=(200, 1))

    # Then it published at most one digest per store with a transition, and failed nothing
    assert 0 < results.ours.publishes <= sum(results.transition_stores_per_batch)
    assert results.ours.failures == 0
    # and the CPU per record was measured on both paths, every call answered on the wire
    assert len(results.cpu.ours) == len(results.cpu.before) == 1
    assert {"BatchGetItem", "PutItem", "TransactWriteItems", "Publish"} <= set(results.cpu.calls)
    # writing each store's rows of the batch in one transaction (under 99 rows a store here), and each
    # published digest's marks in one more
    assert 0 < results.ours.count("TransactWriteItems") - results.ours.publishes <= 50
    assert alerts_section(results).targets[0].passed  # the other target is timed
    # One store's records: the History rows that move its totals in transactions of up to 99 rows,
    # those that move none (in stock before and after, low and lower) put alone, and the announced
    # rows marked 100 to a transaction
    pace = results.pace
    made = changes(150, stores=1)
    alone = sum(change.kind.startswith(("ok -> ok", "low -> lower")) for change in made)
    moving = sum(not change.kind.startswith(("0 -> 0", "unchanged", "ok -> ok", "low -> lower")) for change in made)
    assert pace.failures == 0
    marks = pace.calls["TransactWriteItems"] - math.ceil(moving / 99)
    assert 0 < marks <= math.ceil(150 / 100)
    assert pace.calls["PutItem"] >= alone
    assert "BatchWriteItem" not in pace.calls


def test_forecast_backtest_runs_and_scores_every_pattern() -> None:
    # When the backtest runs on a few items per pattern
    results = run_forecast(items_per_pattern=6, log=lambda _: None)

    # Then every pattern was scored at many moments, and the model forecast at most of them
    assert [result.pattern for result in results.patterns] == list(PATTERNS)
    assert all(result.moments > 6 * 30 for result in results.patterns)
    assert all(result.scores[MODEL].forecasts > result.moments / 2 for result in results.patterns)
    # an item that sells nothing got no forecast from anyone
    assert {score.forecasts for score in results.no_consumption.scores.values()} == {0}
    # and the page names both targets with a verdict
    section = forecast_section(results)
    text = page("make bench", [section], datetime.now(UTC), 1.0)
    assert "| Forecast: items not being used up | no forecast | 0 forecasts in" in text
    assert "Forecast: run-out error vs the better baseline (7 patterns)" in text


def test_forecast_backtest_is_the_same_every_run() -> None:
    first = score(items(PATTERNS[2], 3, seed=11), {MODEL: Model, **BASELINES})
    again = score(items(PATTERNS[2], 3, seed=11), {MODEL: Model, **BASELINES})

    assert {name: s.errors for name, s in first.items()} == {name: s.errors for name, s in again.items()}


def test_reorder_backtest_runs_every_pattern_and_policy_and_the_transfers() -> None:
    # When the backtest runs on a few items per pattern and lead time, and a few groups of stores
    results = run_reorder(items_per_pattern=3, groups=3, log=lambda _: None)

    # Then every pattern ran at both lead times under the three policies
    assert [(result.pattern.name, result.lead) for result in results.patterns][:2] == [("steady", 2.0), ("steady", 7.0)]
    assert len(results.patterns) == 2 * (len(PATTERNS) + 1)
    assert all(set(result.outcomes) == set(POLICIES) for result in results.patterns)
    # and the suggested policy, with its safety stock, runs out less often than min/max on steady demand
    steady = results.patterns[1].outcomes
    assert steady[SUGGESTED].days < steady[MIN_MAX].days
    # and the page names both targets
    text = page("make bench", [reorder_section(results)], datetime.now(UTC), 1.0)
    assert "Reorder: transfers between stores cut stockout days" in text
    assert "| without transfers |" in text


def test_xlsx_benchmark_runs_the_parser_on_each_workbook_and_text_file() -> None:
    # When the parser reads a 300-row workbook and one with a cell in XFD400
    results = run_xlsx(XlsxSizes(rows=300, far_row=400, timeout=60, text_mib=2), log=lambda _: None)

    # Then the parser read every inventory row (the header is not one), in more memory than the bare interpreter,
    assert (results.ours.rows, results.ours.outcome) == (300, "read")
    assert results.ours.peak_rss_mb > results.baseline_rss_mb > 0
    # and refused the far-cell workbook calamine would hold as 400 x 16,384 cells
    assert results.sparse.outcome.startswith("rejected: the first sheet spans 400 rows by 16,384 columns")
    # and read the text files beside them: rows with either line end, and blank lines only
    assert [(run.reader, run.outcome) for run in results.text] == [
        ("LF rows", "read"),
        ("CR-only rows", "read"),
        ("CR-only blank lines", "read"),
    ]
    assert results.text[0].rows == results.text[1].rows > 0
    assert results.text[2].rows == 0
    section = xlsx_section(results)
    assert [target.passed for target in section.targets] == [True, True, True, True]


def test_the_page_template_has_a_part_for_every_suite_and_fills_each_from_its_values() -> None:
    from bench.__main__ import SUITES

    # Given the template's parts
    parts = templates()

    # Then there is a head and one part per suite, each starting with its own heading
    assert set(parts) == {"", *SUITES}
    assert all(parts[name].startswith("## ") for name in SUITES)
    # and a suite that did not run stands as its text, in the page's order
    skipped = Section("alerts", "Alerts", text="Not run: no alerts service.")
    assert render(skipped) == "## Alerts\n\nNot run: no alerts service.\n"
    # and a value missing from a suite's part is an error, not a blank on the page
    with pytest.raises(KeyError):
        render(Section("alerts", "Alerts", {"records": "10"}))


def test_coldstart_page_part_holds_each_handler_and_judges_each_service_by_its_slowest() -> None:
    from bench.coldstart_bench import ColdStartResults, Row, coldstart_section

    # Given measured imports (ms per fresh process) of every service's handlers and of boto3 alone
    rows = [
        Row("ingest: upload", "ingest", [250, 240, 900]),
        Row("alerts: stream", "alerts", [200, 210, 205]),
        Row("alerts: recount", "alerts", [320, 310, 330]),
        Row("dashboard-api: api", "dashboard-api", [400, 390, 410]),
    ]
    boto3 = Row("boto3", "", [150] * 3)
    results = ColdStartResults("/usr/bin/python3.12", "3.12.1", "1.44.5", 3, rows, boto3, {"api.zip": 2**20})

    # When its part of the page is made
    text = page("make bench", [coldstart_section(results)], datetime.now(UTC), 1.0)

    # Then each service is judged by the median of its slowest handler, with boto3's import beside it
    assert "| Cold start: ingest handler import from its zip (CPU, CPython 3.12.1) | <= 300 ms | 250 ms" in text
    assert "| Cold start: alerts handler import from its zip (CPU, CPython 3.12.1) | <= 300 ms | 320 ms" in text
    assert "320 ms (`import boto3` alone: 150 ms) | **FAIL** |" in text
    assert "| dashboard-api: api | 400 ms |" in text
    assert "| boto3 | 150 ms |" in text
    assert "| api.zip | 1.00 MB |" in text


def test_cost_model_puts_the_measured_write_units_in_and_judges_the_ratio_to_the_lab() -> None:
    from bench.cost_bench import TARGET_RATIO, cost_section, run_cost

    # When the cost model runs with a few items per forecast pattern
    results = run_cost(log=lambda _: None, index_items=3)

    # Then ingest's reads of a store's daily file cost a read unit a row before, and a fraction of that ours
    assert results.read_units[0] == 1_000
    assert results.read_units[1] < 1_000 / 4
    # and rows that move no total cost less than every change in a transaction, and so does the index
    # keyed by the week an item runs out
    assert results.history_units[1] < results.history_units[0] <= 2.1
    assert results.index_units[1] < results.index_units[0]
    # and the section states the ratio it judges
    per_unit, target = cost_section(results).targets
    assert target.passed == (results.ours / results.lab <= TARGET_RATIO)
    assert f"{results.ours / results.lab:.2f}x" in target.measured
    # and the request units of a changed item, an unchanged row and a file are judged against the design before
    assert results.per_unchanged_row(1) < results.per_unchanged_row(0) == 1
    assert results.per_change(1) < results.per_change(0)
    measures = (results.per_change, results.per_unchanged_row, results.per_file)
    assert per_unit.passed == all(measure(1) <= 0.5 * measure(0) for measure in measures)
    assert f"({results.per_change(1) / results.per_change(0):.2f}x)" in per_unit.measured
