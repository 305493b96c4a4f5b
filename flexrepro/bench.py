"""`flexrepro bench`: what one simulated system call costs, as a multiple of SimPy's own floor.

The floor is SimPy's M/M/1 queue (the `engine_mm1` experiment): CPU time per customer, a
process, a resource request and a timeout. Every server case is timed between two M/M/1
runs in the same process and reported as a ratio to their mean — the machine is shared, so
absolute times say little; ratios measured side by side do. Each server runs once untimed
first (imports, parameter files, caches).

- **per call**: the marginal CPU time of one more system call in a running simulation. Each
  timing is two whole runs back to back, one of `requests` and one of an eighth of them (set-up
  included in both): per call = (T_long - T_short) / (calls_long - calls_short). A run's set-up
  -- building the testbed, memcached's prefill, the clients' connections (whose calls the
  count leaves out), the row -- is a cost per run, not per call; it is reported beside the
  ratio (`setup_ms`), and so is the whole run's cost per call (`value_whole_run`, the measure
  until session 11: an upper bound of the marginal one). The system calls are the server's
  calls and `flexsc_wait` traps. Runs have no warm-up (`warmup=0`): their counters cover
  every request. Each case is timed `call_repeats` times, every timing between two floors
  (neighbours share one); the row is the timing with the median ratio, and `value_min` /
  `value_max` give the spread (one timing caught by a neighbour's burst on the shared machine
  no longer decides the figure). The floor is measured the same way (two M/M/1 runs, the
  marginal cost of a customer); its own set-up is under a millisecond, so its marginal and
  whole-run costs agree within ~0.3% and `value_whole_run` is the old figure.
- **scaling**: CPU time per completed request of nginx under ApacheBench at 64 and 16,384
  concurrent clients (a new connection per request: every request is a full cycle), each as
  a multiple of its own M/M/1 floor, over a whole run (set-up included) of `scaling_requests`
  at both counts. The two run back to back `scaling_repeats` times; the row is the median of
  the pairs' ratios (`value_min` / `value_max`: the spread; `raw_ratio`: the same without the
  floors). `events_ratio` is how much more the model itself simulates per request at 16,384
  clients (SYN retransmissions on a full accept queue, the requests in flight when the run
  ends): the part of the ratio that is the model's work, not its speed. The run is three
  requests per client at 16,384: with one (16,384 requests, until session 9) the row timed
  every client's first connection -- its SYN dropped by the full accept queue, its 3 s timer,
  its second request started and never answered -- once per request, a cold start rather than
  a cost per request, and ended before the first retransmissions came in at 3 s.
- **memory**: peak resident set (`ru_maxrss`) of a child process simulating 65,536
  ApacheBench clients against nginx on libflexsc (131,072 syscall entries) until an eighth
  of them were answered (every client is connected from the start), next to the peak of a
  child that only imports the same modules.

Every timed run -- a case's or a floor's -- starts right after a full garbage collection
(untimed). A full collection of this process's ~155,000 objects takes ~60 ms; one that fell
inside a short run or a long one moved a single marginal timing by up to 1.8x (session 11:
memcached on pages read 14-26 us a call in twelve timings; 24.6-27.6 us with the collection first).
Collections the run's own allocations trigger still count.

Results: a table on stdout and `results/bench/bench.csv` (written atomically).
"""
from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import paths
from .atomic import write_csv
from .errors import ConfigError

MM1 = {"arrival_rate": 0.5, "service_rate": 1.0}
SERVERS = ("memcached", "nginx")
RUNTIMES = (("epoll", "pages"), ("flexsc", "pages"), ("flexsc", "queues"))
SCALING_CLIENTS = (64, 16384)
MEMORY_CLIENTS = 65536
TARGETS = {"per_call_vs_mm1": 3.0, "scaling": 1.2, "peak_rss_mib": 2048.0}
SHORT = 8        # a marginal cost compares a run with one of 1/SHORT its length


@dataclass(frozen=True)
class Sizes:
    """How much each case simulates (the defaults keep the whole bench under ~2 minutes)."""
    mm1_customers: int = 50000        # ~1 s of CPU per floor run: a 0.2 s run drifted by up to 37%
    call_requests: tuple[tuple[str, int], ...] = (("memcached", 4000), ("nginx", 1500))   # ~10^4 calls each
    call_repeats: int = 3             # timings per per-call case (the median is reported)
    clients: int = 64
    scaling: tuple[int, ...] = SCALING_CLIENTS
    scaling_requests: int = 3 * 16384  # the same number of requests at every client count
    scaling_repeats: int = 3          # 64 / 16,384 pairs (the median pair is reported)
    memory_clients: int = MEMORY_CLIENTS


QUICK = Sizes(mm1_customers=2000, call_requests=(("memcached", 200), ("nginx", 50)), call_repeats=1, clients=16,
              scaling=(16, 256), scaling_requests=3 * 256, scaling_repeats=1, memory_clients=1024)


def _mm1_run(customers: int) -> float:
    from .experiments import engine_mm1

    gc.collect()
    t = time.process_time()
    engine_mm1.run_point({**MM1, "customers": customers}, 1)
    return time.process_time() - t


def mm1_cost(customers: int) -> float:
    """CPU seconds per customer of SimPy's M/M/1 queue: the marginal cost between runs of
    `customers` and of an eighth of them (as the per-call cases are measured)."""
    short = customers // SHORT
    if short < 1:
        raise ConfigError(f"parameter 'mm1_customers': got {customers!r}; allowed: an integer >= {SHORT}")
    t_short = _mm1_run(short)
    return (_mm1_run(customers) - t_short) / (customers - short)


def run_case(server: str, system: str, interface: str, clients: int, requests: int, seed: int = 1) -> dict:
    """One whole run without warm-up: CPU seconds, simulated calls, completed requests."""
    gc.collect()            # every timed run starts from the same heap (see the module docstring)
    if server == "memcached":
        from .testbed.memcached import simulate
        t = time.process_time()
        row = simulate(system, 1, clients, seed, warmup=0, measure=requests, interface=interface)
    elif server == "nginx":
        from .testbed.nginx import simulate
        t = time.process_time()
        row = simulate(system, 1, "apachebench", clients, seed, warmup=0, measure=requests, interface=interface)
    else:
        raise ConfigError(f"parameter 'server': got {server!r}; allowed: {', '.join(SERVERS)}")
    cpu = time.process_time() - t
    if not row["requests"] >= 1:      # the server's window closed before a request was through it
        raise ConfigError(f"parameter 'requests': got {requests!r}, and the server's measured window "
                          f"held no request; allowed: more requests (a few per client)")
    calls = (row["syscalls_per_request"] + row.get("flexsc_waits_per_request", 0.0)) * row["requests"]
    return {"cpu_s": cpu, "calls": round(calls), "requests": row["client_requests"],
            "sim_events": row["sim_events"], "throughput_rps": row["throughput_rps"]}


def marginal_case(server: str, system: str, interface: str, clients: int, requests: int) -> dict:
    """The marginal cost of a call: runs of `requests` and of `requests // SHORT`, back to back
    (`run_case` of the long one, plus `cpu_s_marginal`, `calls_marginal` and `setup_s`)."""
    short = requests // SHORT
    if short < 1:
        raise ConfigError(f"parameter 'requests': got {requests!r}; allowed: an integer >= {SHORT} "
                          "(the marginal cost compares a run with one of an eighth of its requests)")
    a = run_case(server, system, interface, clients, short)
    b = run_case(server, system, interface, clients, requests)
    if not b["calls"] > a["calls"]:
        raise ConfigError(f"parameter 'requests': got {requests!r}, and the run of {short} simulated as many "
                          f"calls ({a['calls']}); allowed: more requests")
    cpu, calls = b["cpu_s"] - a["cpu_s"], b["calls"] - a["calls"]
    return {**b, "cpu_s_marginal": cpu, "calls_marginal": calls, "setup_s": a["cpu_s"] - cpu / calls * a["calls"]}


def _memory_child(clients: int, simulate_it: bool) -> dict:
    """In a child process: peak RSS (MiB) after simulating `clients` ApacheBench clients (or
    after the imports alone)."""
    from .testbed.nginx import simulate

    served = 0
    if simulate_it:
        row = simulate("flexsc", 1, "apachebench", clients, 1, warmup=0, measure=max(1, clients // 8),
                       interface="pages")
        served = row["client_requests"]
    return {"peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "requests": served}


def peak_memory(clients: int, simulate_it: bool = True) -> dict:
    code = f"import json; from flexrepro.bench import _memory_child; print(json.dumps(_memory_child({clients}, {simulate_it})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=paths.ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"memory child failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(sizes: Sizes = Sizes(), progress=print) -> pd.DataFrame:
    """Every case as one row: what, the ratio to the M/M/1 floor measured just before it, and
    the raw numbers behind it."""
    rows = []
    floors = []

    def timed(run, *case, repeats: int = 1) -> list[tuple[dict, float]]:
        """`repeats` timings `run(*case)`, each between two M/M/1 floors (neighbours share
        one), and the mean of the two floors around each."""
        out, before = [], mm1_cost(sizes.mm1_customers)
        for _ in range(repeats):
            r = run(*case)
            after = mm1_cost(sizes.mm1_customers)
            out.append((r, (before + after) / 2))
            floors.append(out[-1][1])
            before = after
        return out

    requests = dict(sizes.call_requests)
    for server in SERVERS:
        run_case(server, "epoll", "pages", sizes.clients, 10)          # untimed: load what it needs
        for system, interface in RUNTIMES:
            runs = timed(marginal_case, server, system, interface, sizes.clients, requests[server],
                         repeats=sizes.call_repeats)
            ratios = sorted(r["cpu_s_marginal"] / r["calls_marginal"] / f for r, f in runs)
            r, f = next((r, f) for r, f in runs if r["cpu_s_marginal"] / r["calls_marginal"] / f == ratios[len(ratios) // 2])
            per_call = r["cpu_s_marginal"] / r["calls_marginal"]
            rows.append({"case": "per_call", "server": server, "runtime": _runtime(system, interface),
                         "clients": sizes.clients, "value": per_call / f, "unit": "x M/M/1 customer",
                         "value_min": ratios[0], "value_max": ratios[-1], "repeats": len(ratios),
                         "target": TARGETS["per_call_vs_mm1"], "us_per_call": per_call * 1e6,
                         "value_whole_run": r["cpu_s"] / r["calls"] / f, "setup_ms": r["setup_s"] * 1e3,
                         "us_per_request": r["cpu_s"] / r["requests"] * 1e6, "mm1_us_per_customer": f * 1e6,
                         "calls_per_request": r["calls"] / r["requests"],
                         "events_per_call": r["sim_events"] / r["calls"], **r})
            progress(_line(rows[-1]))
    lo, hi = min(sizes.scaling), max(sizes.scaling)
    pairs = []
    for repeat in range(sizes.scaling_repeats):
        runs = {}
        for clients in sizes.scaling:
            r, f = timed(run_case, "nginx", "epoll", "pages", clients, sizes.scaling_requests)[0]
            raw = r["cpu_s"] / r["requests"]
            runs[clients] = (raw, raw / f, r["sim_events"] / r["requests"])  # each against its own floor
            rows.append({"case": "per_request", "server": "nginx", "runtime": "epoll", "clients": clients,
                         "repeat": repeat, "value": raw / f, "unit": "x M/M/1 customer", "target": float("nan"),
                         "us_per_request": raw * 1e6, "mm1_us_per_customer": f * 1e6, **r})
            progress(_line(rows[-1]))
        pairs.append({"value": runs[hi][1] / runs[lo][1], "raw_ratio": runs[hi][0] / runs[lo][0],
                      "events_ratio": runs[hi][2] / runs[lo][2]})
    pairs.sort(key=lambda p: p["value"])
    rows.append({"case": "scaling", "server": "nginx", "runtime": "epoll", "clients": hi,
                 **pairs[len(pairs) // 2], "unit": f"x per-request cost at {lo} clients",
                 "value_min": pairs[0]["value"], "value_max": pairs[-1]["value"], "repeats": len(pairs),
                 "target": TARGETS["scaling"]})
    progress(_line(rows[-1]))
    base, mem = peak_memory(sizes.memory_clients, False), peak_memory(sizes.memory_clients)
    rows.append({"case": "peak_memory", "server": "nginx", "runtime": "libflexsc/pages",
                 "clients": sizes.memory_clients, "value": mem["peak_rss_mib"], "unit": "MiB peak RSS",
                 "target": TARGETS["peak_rss_mib"], "baseline_rss_mib": base["peak_rss_mib"],
                 "requests": mem["requests"]})
    progress(_line(rows[-1]))
    df = pd.DataFrame(rows)
    df.attrs["mm1_us_per_customer"] = [f * 1e6 for f in floors]
    return df


def _runtime(system: str, interface: str) -> str:
    return "epoll" if system == "epoll" else f"libflexsc/{interface}"


def _line(r: dict) -> str:
    target = r.get("target")
    ok = "" if target != target or target is None else ("  ok" if r["value"] <= target else "  MISSED")
    extra = ""
    if r["case"] == "per_call":
        spread = f"; median of {r['repeats']}: {r['value_min']:.2f}-{r['value_max']:.2f}" if r["repeats"] > 1 else ""
        extra = (f"  ({r['us_per_call']:.1f} us/call, M/M/1 {r['mm1_us_per_customer']:.1f} us/customer{spread}; "
                 f"whole run {r['value_whole_run']:.2f}x, set-up {r['setup_ms']:.0f} ms)")
    elif r["case"] == "per_request":
        extra = f"  ({r['us_per_request']:.0f} us/request)"
    elif r["case"] == "scaling":
        spread = f"median of {r['repeats']}: {r['value_min']:.2f}-{r['value_max']:.2f}; " if r["repeats"] > 1 else ""
        extra = f"  ({spread}raw {r['raw_ratio']:.2f}; the model simulates {r['events_ratio']:.2f}x the events per request)"
    elif r["case"] == "peak_memory":
        extra = f"  (imports alone: {r['baseline_rss_mib']:.0f} MiB)"
    return (f"{r['case']:12s} {r['server']:10s} {r['runtime']:17s} {r['clients']:>6d}  {r['value']:8.2f} "
            f"{r['unit']}{ok}{extra}")


def _out_path(out: str | None) -> Path:
    """The CSV to write, checked before minutes of benchmarking (ConfigError when unusable)."""
    if out is None:
        return paths.RESULTS / "bench" / "bench.csv"
    p = Path(out)
    if p.is_dir():
        raise ConfigError(f"parameter '--out': {out} is a directory; allowed: a CSV file path")
    for parent in p.parents:
        if parent.exists():
            if not parent.is_dir() or not os.access(parent, os.W_OK):
                raise ConfigError(f"parameter '--out': cannot create {out} under {parent}; allowed: a writable path")
            break
    return p


def main(args) -> int:
    sizes = QUICK if args.quick else Sizes()
    out = _out_path(args.out)
    print(f"{'case':12s} {'server':10s} {'runtime':17s} {'clients':>6s}  {'value':>8s} unit")
    df = bench(sizes)
    write_csv(df, out)
    print(f"-> {out}")
    return 0


def add_parser(sub) -> None:
    """Register `flexrepro bench` on the CLI's subparsers."""
    b = sub.add_parser("bench", help="simulation cost per system call vs SimPy's M/M/1 floor; write results/bench/bench.csv")
    b.add_argument("--quick", action="store_true", help="small cases (a functional check, not a measurement)")
    b.add_argument("--out", default=None, help="CSV path (default: results/bench/bench.csv)")
    b.set_defaults(fn=main)
