"""scripts/check_docs.py, run by `make lint`: every stage parameter documented once, in docs/deploy.md's one
table, and measured numbers only in the generated docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.check_docs import problems

pytestmark = pytest.mark.unit

TABLE = """# Deploy

## Stage parameters

| Parameter | Services | Default | Meaning |
| --- | --- | --- | --- |
| `soonDays` | alerts | `3` | days |
| `logRetentionDays` | every service | `30` | log retention |

## After the first deploy
"""


def _repo(
    tmp_path: Path, *, uses: str = "${param:soonDays}", table: str = TABLE, readme: str = "# Inventory\n"
) -> Path:
    (tmp_path / "services" / "alerts").mkdir(parents=True)
    (tmp_path / "services" / "alerts" / "serverless.yml").write_text(
        "params:\n  default:\n    soonDays: '3'\n    logRetentionDays: '30'\n"
        f"provider:\n  environment:\n    SOON_DAYS: {uses}\n  role: !GetAtt Role.Arn\n"
    )
    (tmp_path / "services" / "serverless.common.yml").write_text("logRetentionInDays: ${param:logRetentionDays}\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "deploy.md").write_text(table)
    (tmp_path / "docs" / "benchmarks.md").write_text("| Alerts | 861 records/s | 0.4x |\n")
    (tmp_path / "README.md").write_text(readme)
    return tmp_path


def test_the_repositorys_docs_pass() -> None:
    assert problems() == []


def test_a_consistent_tree_passes_and_the_benchmark_page_may_hold_measurements(tmp_path: Path) -> None:
    assert problems(_repo(tmp_path)) == []


def test_a_parameter_a_service_reads_but_the_table_leaves_out_is_reported(tmp_path: Path) -> None:
    root = _repo(tmp_path, uses="${param:soonDays} ${param:recountSchedule}")

    assert problems(root) == ["docs/deploy.md: stage parameter `recountSchedule` is not in the table"]


def test_a_row_for_a_parameter_no_service_reads_is_reported(tmp_path: Path) -> None:
    root = _repo(tmp_path, table=TABLE.replace("| `soonDays` |", "| `soonDays`, `staleDays` |"))

    assert problems(root) == ["docs/deploy.md:7: `staleDays` is no stage parameter of any serverless.yml"]


def test_a_default_that_differs_from_the_serverless_yml_is_reported(tmp_path: Path) -> None:
    root = _repo(tmp_path, table=TABLE.replace("| `3` |", "| `5` |"))

    assert problems(root) == ["docs/deploy.md:7: `soonDays` defaults to `3` in alerts"]


def test_a_parameter_documented_in_a_second_table_is_reported_but_prose_may_name_it(tmp_path: Path) -> None:
    page = "# Alerts\n\nAn item within `soonDays` is announced.\n\n| param | default |\n| --- | --- |\n"
    page += "| `soonDays` | `3` |\n"
    root = _repo(tmp_path)
    (root / "docs" / "alerts.md").write_text(page)

    assert problems(root) == ["docs/alerts.md:7: `soonDays` is documented again (its home: docs/deploy.md:7)"]


def test_measured_numbers_outside_the_benchmark_page_are_reported_constants_and_code_are_not(tmp_path: Path) -> None:
    readme = (
        "# Inventory\n\nAt 20 ms a call a batch of 500 takes 0.9 s; 98% of rows, 0.4x the lab, 50 times fewer calls.\n"
        "A file up to 1 GiB; a Lambda of 1,024 MB; 550,000 GB-s.\n\n```bash\nsleep 20s && echo 5%\n```\n"
    )
    root = _repo(tmp_path, readme=readme)

    found = [problem.split(" looks measured")[0] for problem in problems(root)]

    assert found == [
        "README.md:3: '20 ms'",
        "README.md:3: '0.9 s'",
        "README.md:3: '98%'",
        "README.md:3: '0.4x'",
        "README.md:3: '50 times fewer'",
    ]
