"""The live check: real nginx and memcached on 127.0.0.1 under strace, beside the model.

The live tests run the real servers (bounded: a few thousand requests, a few seconds each)
and skip, with the one-line reason, where the Debian packages are missing
(`./reproduce.sh test` installs them as root)."""
from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from flexrepro.cli import main
from flexrepro.errors import ConfigError
from flexrepro.live import compare, deps, drivers, hits, procs
from flexrepro.live.run import _check, run_live
from flexrepro.live.strace import parse_summary

ROOT = Path(__file__).resolve().parents[2]

SUMMARY = """\
strace: Process 10476 attached
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 21.36    0.167739          41      4000           close
 10.87    0.181711          45      4005        12 recvfrom
  0.03    0.001182          53        22         5 futex
------ ----------- ----------- --------- --------- ----------------
100.00    0.785284          32      8027        17 total
"""


def test_strace_summary_calls_and_errors():
    assert parse_summary(SUMMARY) == {"close": (4000, 0), "recvfrom": (4005, 12), "futex": (22, 5)}
    with pytest.raises(ValueError):
        parse_summary("strace: attach: ptrace(PTRACE_SEIZE, 1): Operation not permitted\n")


AB_OUT = """Concurrency Level:      64
Complete requests:      3000
Failed requests:        2
Non-2xx responses:      1
Keep-Alive requests:    3000
"""


def test_client_reports(tmp_path):
    assert drivers.parse_ab(AB_OUT) == {"client_requests": 3000, "client_failures": 3}
    assert drivers.parse_memaslap("cmd_get: 7168\nRun time: 2.1s Ops: 7936 TPS: 3779 Net_rate: 4.2M/s\n") == 7936
    with pytest.raises(ValueError):
        drivers.parse_ab("apr_socket_recv: Connection refused (111)\n")
    argv = drivers.memaslap_argv("127.0.0.1:1", 4, 100, tmp_path / "m.cnf", 1)
    assert argv[-2:] == ["-w", "1k"] and argv[argv.index("-F") + 1] == str(tmp_path / "m.cnf")
    assert (tmp_path / "m.cnf").read_text().split() == ["key", "64", "64", "1", "value", "1024", "1024", "1",
                                                       "cmd", "0", "0.1", "1", "0.9"]


def _mixes(recv_live, recv_model):
    live = {"calls": {"recvfrom": recv_live, "close": 1.0}, "errors_per_request": 0.0, "hit_ratio": float("nan")}
    model = {"calls": {"recvfrom": recv_model, "close": 1.0}, "eagain_per_request": 0.0, "hit_ratio": float("nan")}
    return live, model


def test_compare_agrees_within_tolerance_and_flags_the_rest():
    exp = pd.DataFrame(columns=["server", "workload", "quantity", "live_low", "live_high", "reason", "source"])
    out = compare.compare("nginx", "ab", *_mixes(1.05, 1.0), expected=exp).set_index("quantity")
    assert out.loc["recvfrom", "verdict"] == "agrees" and out.loc["total", "verdict"] == "agrees"
    out = compare.compare("nginx", "ab", *_mixes(1.0, 2.0), expected=exp).set_index("quantity")
    assert out.loc["recvfrom", "verdict"] == "unexpected"


def test_a_documented_difference_is_itself_checked():
    exp = pd.DataFrame([{"server": "nginx", "workload": "ab", "quantity": "recvfrom", "live_low": 0.95,
                         "live_high": 1.1, "reason": "greedy read", "source": "x"}])
    out = compare.compare("nginx", "ab", *_mixes(1.0, 2.0), expected=exp).set_index("quantity")
    assert out.loc["recvfrom", "verdict"] == "expected difference"
    out = compare.compare("nginx", "ab", *_mixes(1.5, 2.0), expected=exp).set_index("quantity")
    assert out.loc["recvfrom", "verdict"] == "unexpected"


def test_expected_differences_have_reasons_and_sources():
    exp = compare.load_expected()
    assert not exp.empty
    assert (exp.live_low <= exp.live_high).all()
    assert exp.reason.str.len().min() > 40 and exp.source.str.len().min() > 10
    assert set(exp.server) <= {"nginx", "memcached"}


@pytest.mark.parametrize("args, fragment", [
    (("apache", None, None, None), "parameter 'server'"),
    (("nginx", "memaslap", None, None), "parameter 'workload'"),
    (("nginx", "ab", 0, None), "parameter 'concurrency'"),
    (("nginx", "ab", 64, 10), "parameter 'requests'"),
    (("memcached", None, 8, 10**9), "parameter 'requests'"),
])
def test_bad_input_is_refused_before_anything_starts(args, fragment):
    with pytest.raises(ConfigError, match=fragment):
        _check(*args)


def test_cli_bad_input_one_line_exit_2_no_files(tmp_path, capsys):
    assert main(["live", "nginx", "--workload", "memaslap", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "parameter 'workload'" in err[0]
    assert list(tmp_path.iterdir()) == []


def test_missing_packages_named_in_one_line(monkeypatch):
    monkeypatch.setattr(deps.shutil, "which", lambda exe: None if exe in ("memcaslap", "strace") else "/x")
    missing = deps.missing("memcached")
    assert missing == ["libmemcached-tools", "strace"]
    line = deps.hint(missing)
    assert "\n" not in line and "apt-get install libmemcached-tools strace" in line


def test_cli_without_the_packages_says_which_in_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(deps.shutil, "which", lambda exe: None)
    assert main(["live", "nginx", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "apt-get install apache2-utils nginx-light strace" in err[0]
    assert list(tmp_path.iterdir()) == []


# --- the real servers ------------------------------------------------------------------------
def _needs(server):
    missing = deps.missing(server)
    return pytest.mark.skipif(bool(missing), reason=deps.hint(missing) if missing else "")


LIVE = [("nginx", "ab", 256, 2000), ("nginx", "ab-keepalive", 64, 3000), ("memcached", "memaslap", 256, 8000)]


@pytest.mark.parametrize("server, workload, concurrency, requests",
                         [pytest.param(*p, marks=_needs(p[0]), id=f"{p[0]}-{p[1]}") for p in LIVE])
def test_live_mix_beside_the_model(server, workload, concurrency, requests, tmp_path):
    t0 = time.monotonic()
    r = run_live(server, workload, concurrency, requests, out=tmp_path)
    mix, cmp = pd.read_csv(r["mix_path"]), pd.read_csv(r["compare_path"])
    # the server saw the run: (almost) every request, none failed at the client
    n = mix.requests.iloc[0]
    assert requests * 0.95 <= n <= requests * 1.01
    assert (mix.client_failures_per_request == 0).all()
    assert mix.bytes_per_request.iloc[0] > 100
    # every quantity agrees within its tolerance or is a documented difference
    bad = cmp[cmp.verdict == "unexpected"]
    assert bad.empty, bad.to_string()
    assert {"total", "errors"} <= set(cmp.quantity)
    # no process of the check survives it
    assert r["pids"] and not [p for p in r["pids"] if procs.alive(p)]
    assert time.monotonic() - t0 < 60


def _descendants(pid):
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = list(Path(f"/proc/{p}/task").iterdir())
        except FileNotFoundError:
            continue
        for t in tasks:
            try:
                kids = [int(k) for k in (t / "children").read_text().split()]
            except FileNotFoundError:
                continue
            todo.extend(k for k in kids if k not in out)
            out.update(kids)
    return out


@_needs("memcached")
def test_ctrl_c_mid_run_leaves_no_process(tmp_path):
    """SIGINT while memaslap is running: the check stops, every process it started is gone."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "flexrepro", "live", "memcached", "--requests", "200000",
                          "--out", str(tmp_path)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen, deadline = set(), time.monotonic() + 30
    try:
        while time.monotonic() < deadline:      # until the client runs: server, strace, memaslap
            seen |= _descendants(p.pid)
            names = {Path(f"/proc/{q}/comm").read_text().strip() for q in seen if procs.alive(q)}
            if {"memcached", "strace", "memcaslap"} <= names:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the live check never reached its load phase")
        p.send_signal(signal.SIGINT)
        p.wait(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode != 0
    time.sleep(0.2)
    assert not [q for q in seen if procs.alive(q)]
    assert not list(tmp_path.glob("*.csv"))      # no half-written results


# --- the memslap question: how often its gets hit ----------------------------------------------
def test_run_averaged_hit_ratio_branches():
    h = hits.run_averaged_hit_ratio
    assert h(1000, 56640, 256) == 1.0                       # every key set so far is cached
    assert h(10**6, 56640, 5) == 1.0                        # every window fits in the cache
    assert h(10**5, 56640, 768) == pytest.approx(0.5664 * (1 + math.log(10**5 / 56640)), rel=1e-3)
    assert h(10**5, 56640, 16) == h(10**5, 56640, 768)      # before the windows fill: no C
    full = 10240 * 768                                      # continuous where the windows fill
    assert h(full, 56640, 768) == pytest.approx(h(full * (1 + 1e-9), 56640, 768), rel=1e-6)
    assert h(100 * full, 56640, 768) == pytest.approx(56640 / full, rel=0.06)   # -> steady state


@pytest.mark.parametrize("memory_mib, connections, requests, window_k", [
    pytest.param(2, 16, 100_000, None, id="windows-filling"),
    pytest.param(2, 4, 60_000, 1, id="windows-full"),
])
@_needs("memcached")
def test_memaslap_hit_ratio_follows_its_key_window(memory_mib, connections, requests, window_k):
    """A small cache makes memaslap's keys overflow it within seconds: the measured hit ratio
    is the key-window arithmetic's (both before and after the windows fill)."""
    r = hits.measure(memory_mib, connections, requests, window_k)
    assert r["evictions"] > 0 and 0.2 < r["measured"] < 0.9
    assert abs(r["measured"] - r["predicted"]) <= 0.03
    assert not [p for p in r["pids"] if procs.alive(p)]


def test_ledger_band_of_the_memslap_hit_ratio_is_the_window_arithmetic():
    from flexrepro import paths
    from flexrepro.servers.memcached import load_memcached

    row = pd.read_csv(paths.DATA / "ledger.csv").set_index("parameter").loc["memslap.get_hit_ratio"]
    k = load_memcached().cache_items
    assert k == 56640
    assert float(row.low) == pytest.approx(k / (hits.WINDOW * 768), abs=1e-4)     # steady state
    # memslap's default 600-s run at the model's 1-core, 768-connection rate (~83k req/s)
    assert float(row.high) == pytest.approx(hits.run_averaged_hit_ratio(0.1 * 82_800 * 600, k, 768), abs=2e-3)
