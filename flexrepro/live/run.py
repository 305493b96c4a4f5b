"""One live check: start the server, attach strace, drive it, stop everything, write the
live mix and its comparison with the model's.

results/live/<server>_<workload>.csv: one row per system call (calls and failed calls per
request) with the run's request count, hit ratio and reply bytes per request; and
results/live/<server>_<workload>_compare.csv: `compare.compare` of that mix with the model's.
Both are written atomically, after every process the check started has been stopped."""
from __future__ import annotations

import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd

from .. import paths
from ..atomic import write_csv
from ..errors import ConfigError, FlexreproError
from . import deps, drivers, servers
from .compare import compare
from .model import model_mix
from .procs import Processes
from .strace import parse_summary

WORKLOADS = {"nginx": ("ab", "ab-keepalive"), "memcached": ("memaslap",)}
DEFAULTS = {"ab": (256, 3000), "ab-keepalive": (64, 5000), "memaslap": (256, 10000)}
# what the model's clients fetch (data/workloads/apachebench.toml, httperf.toml)
FILES = {"ab": ("/index.html", 151), "ab-keepalive": ("/files/f0004096.html", 4096)}
MAX_CONCURRENCY, MAX_REQUESTS = 1024, 200_000
CLIENT_WALL_S = 120.0       # no client runs longer than this, whatever the request count
ATTACH_WAIT_S = 10.0
STRACE_GRACE_S = 15.0


class LiveUnavailable(FlexreproError):
    """The Debian packages a live check needs are not installed."""


def _check(server: str, workload: str | None, concurrency: int | None, requests: int | None):
    if server not in WORKLOADS:
        raise ConfigError(f"parameter 'server': got {server!r}; allowed: one of {', '.join(WORKLOADS)}")
    workload = workload or WORKLOADS[server][0]
    if workload not in WORKLOADS[server]:
        raise ConfigError(f"parameter 'workload': got {workload!r}; allowed for {server}: "
                          f"one of {', '.join(WORKLOADS[server])}")
    c0, n0 = DEFAULTS[workload]
    concurrency = c0 if concurrency is None else concurrency
    requests = n0 if requests is None else requests
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ConfigError(f"parameter 'concurrency': got {concurrency!r}; allowed: an integer in [1, {MAX_CONCURRENCY}]")
    if isinstance(requests, bool) or not isinstance(requests, int) or not concurrency <= requests <= MAX_REQUESTS:
        raise ConfigError(f"parameter 'requests': got {requests!r}; allowed: an integer in "
                          f"[concurrency={concurrency}, {MAX_REQUESTS}]")
    return workload, concurrency, requests


def _version(argv: list[str]) -> str:
    out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    m = re.search(r"(\d+\.\d+\.\d+)", out.stdout + out.stderr)
    return m.group(1) if m else "unknown"


def _attach(procs: Processes, tids: list[int], out: Path, follow: bool) -> subprocess.Popen:
    """strace -c on the given processes/threads; returns once every one is attached."""
    argv = ["strace", "-c", *(["-f"] if follow else []), "-o", str(out)]
    for t in tids:
        argv += ["-p", str(t)]
    log = out.with_suffix(".log")
    with open(log, "w") as err:
        p = procs.start(argv, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + ATTACH_WAIT_S
    while time.monotonic() < deadline:
        if log.read_text().count("attached") >= len(tids):
            return p
        if p.poll() is not None:
            break
        time.sleep(0.05)
    raise FlexreproError(f"live: strace could not attach (is ptrace allowed?): {log.read_text().strip()[-300:]}")


def _detach(procs: Processes, p: subprocess.Popen, out: Path) -> dict[str, tuple[int, int]]:
    # strace detaches on SIGINT and writes its summary (detaching from a busy tracee can take
    # a while on a loaded machine: a longer grace than for the servers)
    procs.stop(p, signal.SIGINT, grace=STRACE_GRACE_S)
    return parse_summary(out.read_text())


def _drive(procs: Processes, argv: list[str], work: Path) -> str:
    out = work / "client.out"
    with open(out, "w") as f:
        p = procs.start(argv, stdout=f, stderr=subprocess.STDOUT)
        try:
            p.wait(timeout=CLIENT_WALL_S)
        except subprocess.TimeoutExpired:
            raise FlexreproError(f"live: {argv[0]} did not finish within {CLIENT_WALL_S:.0f} s") from None
    return out.read_text()


def _nginx(procs: Processes, work: Path, workload: str, concurrency: int, requests: int) -> dict:
    url_path, size = FILES[workload]
    site = servers.write_nginx(work, {url_path: size})
    master = procs.start(servers.nginx_argv(site), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    servers.wait_listening(site.port, master)
    worker = servers.nginx_worker(master.pid)
    procs.note(worker)
    site.access_log.write_text("")          # the readiness probe is not a request
    trace = _attach(procs, [worker], work / "strace.txt", follow=True)
    text = _drive(procs, drivers.ab_argv(f"http://{servers.HOST}:{site.port}{url_path}", concurrency,
                                         requests, keepalive=workload == "ab-keepalive"), work)
    calls = _detach(procs, trace, work / "strace.txt")
    client = drivers.parse_ab(text)
    log = servers.nginx_log(site)
    return {"version": _version(["nginx", "-v"]), "calls": calls, "requests": log["requests"],
            "bytes_sent": log["bytes_sent"], "hit_ratio": float("nan"),
            "client_failures": client["client_failures"] + log["bad_replies"]}


def _memcached(procs: Processes, work: Path, concurrency: int, requests: int) -> dict:
    port = servers.free_port()
    server = procs.start(servers.memcached_argv(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    servers.wait_listening(port, server)
    threads = servers.memcached_threads(server.pid)
    before = servers.memcached_stats(port)
    # the dispatcher (accepts) and the one worker thread; memcached 1.6's maintenance threads
    # (LRU maintainer, crawler, slab mover, logger) have no counterpart in 1.4.5 or the model
    trace = _attach(procs, [server.pid, threads["mc-worker"]], work / "strace.txt", follow=False)
    text = _drive(procs, drivers.memaslap_argv(f"{servers.HOST}:{port}", concurrency, requests,
                                                      work / "memaslap.cnf"), work)
    calls = _detach(procs, trace, work / "strace.txt")
    after = servers.memcached_stats(port)
    d = {k: after.get(k, 0) - before.get(k, 0) for k in ("cmd_get", "cmd_set", "get_hits", "bytes_written")}
    done = drivers.parse_memaslap(text)
    asked = (requests // concurrency) * concurrency     # memaslap gives each connection x // c
    return {"version": _version(["memcached", "-V"]), "calls": calls, "requests": d["cmd_get"] + d["cmd_set"],
            "bytes_sent": d["bytes_written"],
            "hit_ratio": d["get_hits"] / d["cmd_get"] if d["cmd_get"] else float("nan"),
            "client_failures": max(0, asked - done)}


def live_mix(server: str, workload: str, concurrency: int, requests: int) -> tuple[dict, set[int]]:
    """Run the live check; (measurements, every pid it started or found)."""
    missing = deps.missing(server)
    if missing:
        raise LiveUnavailable(deps.hint(missing))
    with tempfile.TemporaryDirectory(prefix="flexrepro-live-") as tmp, Processes() as procs:
        try:
            if server == "nginx":
                m = _nginx(procs, Path(tmp), workload, concurrency, requests)
            else:
                m = _memcached(procs, Path(tmp), concurrency, requests)
        finally:
            procs.stop_all()
        pids = set(procs.pids)
    if not m["requests"]:
        raise FlexreproError(f"live: the server saw no request ({server}, {workload})")
    return m, pids


def _per_request(m: dict) -> dict:
    n = m["requests"]
    return {"calls": {k: c / n for k, (c, _) in m["calls"].items()},
            "errors": {k: e / n for k, (_, e) in m["calls"].items()},
            "errors_per_request": sum(e for _, e in m["calls"].values()) / n,
            "hit_ratio": m["hit_ratio"]}


def run_live(server: str, workload: str | None = None, concurrency: int | None = None,
             requests: int | None = None, out: Path | None = None) -> dict:
    """Run one live check and write its two CSVs; returns {"mix", "compare", "pids", paths}."""
    workload, concurrency, requests = _check(server, workload, concurrency, requests)
    m, pids = live_mix(server, workload, concurrency, requests)
    live = _per_request(m)
    n = m["requests"]
    mix = pd.DataFrame([{"server": server, "version": m["version"], "workload": workload,
                         "concurrency": concurrency, "requests": n, "syscall": k,
                         "calls_per_request": live["calls"][k], "errors_per_request": live["errors"][k],
                         "hit_ratio": m["hit_ratio"], "bytes_per_request": m["bytes_sent"] / n,
                         "client_failures_per_request": m["client_failures"] / n}
                        for k in sorted(live["calls"], key=lambda k: -live["calls"][k])])
    cmp = compare(server, workload, live, model_mix(workload, concurrency))
    out = Path(out) if out is not None else paths.RESULTS / "live"
    mix_path, cmp_path = out / f"{server}_{workload}.csv", out / f"{server}_{workload}_compare.csv"
    write_csv(mix, mix_path)
    write_csv(cmp, cmp_path)
    return {"mix": mix, "compare": cmp, "pids": pids, "mix_path": mix_path, "compare_path": cmp_path}


# the checks `./reproduce.sh live` and the live_check notebook run, at their default sizes
# (already a few seconds each; smaller runs would let connection set-up weigh on the mix)
CHECKS = (("nginx", "ab"), ("nginx", "ab-keepalive"), ("memcached", "memaslap"))


def run_all(out: Path | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Every check of `CHECKS`: (their comparisons in one frame, one line per skipped server)."""
    frames, skipped = [], []
    for server, workload in CHECKS:
        try:
            r = run_live(server, workload, out=out)
        except LiveUnavailable as e:
            skipped.append(f"{server} {workload}: {e}")
            continue
        frames.append(r["compare"])
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), skipped
