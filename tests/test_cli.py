"""The CLI: list / run / score, one-line errors, no partial files."""
import subprocess
import sys

import pandas as pd
import pytest

from flexrepro import reference
from flexrepro.cli import main


def flexrepro(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "flexrepro", *args], capture_output=True, text=True, cwd=cwd)


def test_list_shows_experiments():
    r = flexrepro("list")
    assert r.returncode == 0 and "table3" in r.stdout


def test_run_table3_writes_csv(tmp_path):
    assert main(["run", "table3", "--out", str(tmp_path), "--no-progress"]) == 0
    df = pd.read_csv(tmp_path / "table3.csv")
    assert {"component", "value", "unit", "latency_cycles", "scope"} <= set(df.columns)
    assert df.set_index("component").loc["l1d", "value"] == 32


@pytest.mark.parametrize("args,fragment", [
    (["run", "fig99"], "unknown experiment 'fig99'"),
    (["run", "engine_mm1", "--set", "bogus=1"], "unknown parameter 'bogus'"),
    (["run", "engine_mm1", "--set", "customers=lots"], "parameter 'customers'"),
    (["run", "engine_mm1", "--set", "customers=0"], "parameter 'customers'"),
    (["run", "engine_mm1", "--set", "customers"], "expected key=value"),
    (["run", "engine_mm1", "--seeds", "0"], "parameter 'seeds'"),
])
def test_bad_input_one_line_nonzero_no_files(tmp_path, args, fragment):
    r = flexrepro(*args, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert fragment in last
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_score_writes_every_claim(tmp_path):
    assert main(["score", "--quick", "--out", str(tmp_path), "--no-progress"]) == 0
    card = pd.read_csv(tmp_path / "scorecard.csv")
    assert list(card.columns[:9]) == ["claim_id", "paper_item", "kind", "paper_value", "measured_value",
                                      "ci_low", "ci_high", "tolerance", "verdict"]
    assert list(card.claim_id) == list(reference.claims().claim_id)
    assert len(card) == 42
    assert set(card.verdict) <= {"reproduced", "not reproduced", "not yet run"}


@pytest.mark.parametrize("measured,paper,tol,ok", [
    (2.1, 2.0, "rel 10%", True), (2.3, 2.0, "rel 10%", False),
    (70.0, 64.0, "abs 6 points", True), (58.0, 64.0, "abs 5", False),
    (20000, None, "range 15000..25000", True), (26000, None, "range 15000..25000", False),
])
def test_tolerances(measured, paper, tol, ok):
    from flexrepro.scorecard import within
    assert within(measured, paper, tol) is ok
