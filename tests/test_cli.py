"""The CLI: list / run / score / calibrate, one-line errors (exit 2) before any work, no partial files."""
import os
import subprocess
import sys
import time

import pandas as pd
import pytest

from flexrepro import reference
from flexrepro.cli import main


def flexrepro(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "flexrepro", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=60)


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
    (["run", "engine_mm1", "--set", "customers"], "allowed: key=value"),
    (["run", "engine_mm1", "--seeds", "0"], "parameter 'seeds'"),
    (["run", "engine_mm1", "--set", "customers=1", "--set", "customers=2"], "'customers' given twice"),
    (["run", "engine_mm1", "--scheduler", "tcp://127.0.0.1:8786"], "only with --executor dask"),
    (["score", "--scheduler", "tcp://127.0.0.1:8786"], "only with --executor dask"),
    (["run", "engine_mm1", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_input_one_line_nonzero_no_files(tmp_path, args, fragment):
    r = flexrepro(*args, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode == 2
    (line,) = r.stderr.strip().splitlines()
    assert fragment in line
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def _one_line_exit_2_fast(r, t0, fragment):
    assert time.monotonic() - t0 < 15
    assert r.returncode == 2, r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert fragment in line and r.stdout == ""


@pytest.mark.parametrize("out, fragment", [
    ("afile", "is a file"),
    ("afile/sub", "is under the file"),
    ("/proc/flexrepro-x", "cannot write in /proc"),
])
def test_bad_out_fails_before_any_work(tmp_path, out, fragment):
    (tmp_path / "afile").write_text("keep")
    t0 = time.monotonic()
    # fig05 would take minutes: a quick exit shows the check comes first
    r = flexrepro("run", "fig05", "--out", out, cwd=tmp_path, env={"FLEXREPRO_CACHE": str(tmp_path / "c")})
    _one_line_exit_2_fast(r, t0, f"parameter '--out': ")
    assert fragment in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
    assert (tmp_path / "afile").read_text() == "keep"


@pytest.mark.parametrize("address, fragment", [
    ("tcp://127.0.0.1:9", "cannot connect to tcp://127.0.0.1:9"),
    ("tcp://no-such-host.invalid:8786", "cannot connect"),
    ("not an address", "allowed: tcp://HOST:PORT"),
])
def test_unreachable_scheduler_one_line_within_seconds(tmp_path, address, fragment):
    t0 = time.monotonic()
    r = flexrepro("run", "fig05", "--executor", "dask", "--scheduler", address, "--out", str(tmp_path / "out"),
                  cwd=tmp_path)
    _one_line_exit_2_fast(r, t0, fragment)
    assert not (tmp_path / "out").exists()


def test_a_server_that_is_no_dask_scheduler_is_refused(tmp_path):
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def answer():                       # accept, then speak something that is not dask's protocol
        conn, _ = srv.accept()
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4)
        conn.close()

    threading.Thread(target=answer, daemon=True).start()
    t0 = time.monotonic()
    r = flexrepro("run", "fig05", "--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{srv.getsockname()[1]}",
                  "--out", str(tmp_path / "out"), cwd=tmp_path)
    srv.close()
    _one_line_exit_2_fast(r, t0, "does not answer as a dask scheduler")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("cache, fragment", [("afile", "is a file"), ("afile/sub", "is under the file")])
def test_bad_cache_directory(tmp_path, cache, fragment):
    (tmp_path / "afile").write_text("keep")
    t0 = time.monotonic()
    r = flexrepro("run", "fig05", "--out", str(tmp_path / "out"), cwd=tmp_path,
                  env={"FLEXREPRO_CACHE": str(tmp_path / cache)})
    _one_line_exit_2_fast(r, t0, "parameter 'FLEXREPRO_CACHE'")
    assert fragment in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
    r = flexrepro("cache", "info", env={"FLEXREPRO_CACHE": str(tmp_path / cache)})
    assert r.returncode == 2 and "FLEXREPRO_CACHE" in r.stderr


def test_run_writes_under_results_by_default(tmp_path):
    env = {"FLEXREPRO_RESULTS": str(tmp_path / "results"), "FLEXREPRO_CACHE": str(tmp_path / "cache")}
    r = flexrepro("run", "table3", "--no-progress", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "results" / "table3" / "table3.csv").is_file()
    assert not (tmp_path / "table3.csv").exists()


def test_help_lists_every_option():
    from flexrepro.cli import build_parser

    parser = build_parser()
    subs = next(a for a in parser._actions if a.dest == "command").choices
    for name, sp in subs.items():
        text = sp.format_help()
        for action in sp._actions:
            for flag in action.option_strings:
                assert flag in text, (name, flag)
            if action.dest != "help":
                assert action.help, (name, action.dest)   # every option says what it does


def test_score_writes_every_claim(tmp_path):
    assert main(["score", "--quick", "--out", str(tmp_path), "--no-progress"]) == 0
    card = pd.read_csv(tmp_path / "scorecard.csv")
    assert list(card.columns[:9]) == ["claim_id", "paper_item", "kind", "paper_value", "measured_value",
                                      "ci_low", "ci_high", "tolerance", "verdict"]
    assert list(card.claim_id) == list(reference.claims().claim_id)
    assert len(card) == 42
    assert set(card.verdict) <= {"reproduced", "borderline", "not reproduced", "not yet run"}


@pytest.mark.parametrize("measured,paper,tol,ok", [
    (2.1, 2.0, "rel 10%", True), (2.3, 2.0, "rel 10%", False),
    (70.0, 64.0, "abs 6 points", True), (58.0, 64.0, "abs 5", False),
    (20000, None, "range 15000..25000", True), (26000, None, "range 15000..25000", False),
])
def test_tolerances(measured, paper, tol, ok):
    from flexrepro.reference import parse
    assert parse(paper, tol).accepts(measured) is ok


def test_calibrate_writes_under_out_and_never_the_committed_file(tmp_path, capsys):
    from flexrepro import paths

    committed = (paths.CALIBRATION / "params.json").read_bytes()
    assert main(["calibrate", "--quick", "--write", "--out", str(tmp_path / "cal")]) == 2
    assert "allowed: write without quick" in capsys.readouterr().err and not (tmp_path / "cal").exists()
    assert main(["calibrate", "--quick", "--out", str(tmp_path / "cal")]) == 0
    assert "matches the committed" in capsys.readouterr().out
    assert (tmp_path / "cal" / "params.json").is_file()
    assert (paths.CALIBRATION / "params.json").read_bytes() == committed
