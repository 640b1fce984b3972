"""marrow-cds audit end to end on a synthetic export: the three outputs, bad input said, quiet
in a pipe, the same results for any number of workers, and the Dask local mode."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from cds_hooks.audit.run import run_audit
from cds_hooks.audit.synthetic import Options, write_export

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    write_export(folder, Options(patients=160, seed=11, bad=True))
    return folder


@pytest.fixture(scope="module")
def single(export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("single")
    run_audit(export, out, workers=1, progress=False)
    return out


def test_results_summary_and_report_are_written(single: Path) -> None:
    lines = [orjson.loads(x) for x in (single / "results.ndjson").read_bytes().splitlines()]
    assert len(lines) == 160
    for line in lines:
        assert set(line) >= {"patient", "report", "class", "rules", "cards", "problems"}
    assert {line["class"] for line in lines} == {
        "NEGATIVE",
        "NONSPECIFIC",
        "DIFFUSE",
        "FOCAL_EQUIVOCAL",
        "FOCAL_MULTIPLE",
    }
    rows = list(csv.DictReader((single / "summary.csv").read_text().splitlines()))
    sections = {row["section"] for row in rows}
    assert {"class", "rule", "card topic", "problem"} <= sections
    by_class = sum(int(r["count"]) for r in rows if r["section"] == "class")
    assert by_class == 160
    page = (single / "report.html").read_text()
    assert page.count("<svg") == 4
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "syn0000" not in page  # no patient id on the page


def test_bad_input_is_reported_by_file_and_line(single: Path) -> None:
    problems = [orjson.loads(x) for x in (single / "problems.ndjson").read_bytes().splitlines()]
    found = {(p["kind"], p["file"]) for p in problems}
    assert ("malformed-line", "Observation.ndjson") in found
    assert ("not-a-resource", "Observation.ndjson") in found
    assert ("no-patient", "Condition.ndjson") in found
    assert ("missing-binary", "DiagnosticReport.ndjson") in found
    assert all(isinstance(p["line"], int) and p["line"] > 0 for p in problems)
    page = (single / "report.html").read_text()
    assert "Observation.ndjson" in page
    assert "missing-binary" in page
    # the report whose Binary is missing gets the hook's data-quality card
    lines = [orjson.loads(x) for x in (single / "results.ndjson").read_bytes().splitlines()]
    [patient] = [x for x in lines if x["patient"] == "syn0000000"]
    assert "data-quality" in patient["cards"]


def test_the_same_results_with_several_workers(export: Path, single: Path, tmp_path: Path) -> None:
    run_audit(export, tmp_path, workers=2, progress=False)
    assert (tmp_path / "results.ndjson").read_bytes() == (single / "results.ndjson").read_bytes()


def test_dask_local_mode_gives_the_same_results(export: Path, single: Path, tmp_path: Path) -> None:
    run_audit(export, tmp_path, workers=2, engine="dask", progress=False)
    assert (tmp_path / "results.ndjson").read_bytes() == (single / "results.ndjson").read_bytes()
    assert (tmp_path / "summary.csv").read_text() == (single / "summary.csv").read_text()


def test_the_command_is_quiet_in_a_pipe_and_exits_1_on_bad_input(
    export: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cds_hooks.cli.main",
            "audit",
            str(export),
            "--out",
            str(tmp_path),
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "\r" not in done.stderr  # no progress bar when stderr is not a terminal
    assert "Observation.ndjson:" in done.stderr
    assert "malformed-line" in done.stderr
    assert (tmp_path / "results.ndjson").exists()
