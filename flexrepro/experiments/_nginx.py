"""What the nginx experiments (fig07..fig10) share: parameters, one run, gains with CIs.

ApacheBench runs have no random input (one file, closed loop, no think time), so a point's
rows are identical for every seed: those experiments are deterministic (one run per point).
httperf runs draw the session log's files at random and are replicated over seeds.
"""
from __future__ import annotations

import pandas as pd

from ..harness.config import Param, ParamSet
from ..platform import MODELLED
from ..steady import COLUMNS as STEADY
from ..testbed.nginx import CALLS, INTERFACES, SYSTEMS, simulate

CONCURRENCY = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
# Figure 9's offered rates: 2.5k steps from 10k to 70k, fine enough to place the knees the
# paper names (20k / 40k / 35k / 60k) to one step
RATES = [5000, *range(10000, 70001, 2500)]
KEEP = ("throughput_rps", "reply_mbps", "mean_latency_s", "syscalls_per_request", "sync_syscalls_per_request",
        "flexsc_waits_per_request", "eagain_per_request", "user_ipc", "kernel_ipc", "user_cpi", "kernel_cpi",
        "mean_batch", "user_instructions_per_request", "kernel_instructions_per_request",
        "accept_mutex_acquisitions", "accept_mutex_failures", "client_utilisation", "link_to_client_utilisation",
        "link_to_server_utilisation", "util_min", "requests", "client_requests", "connections", "sent", "answered",
        "duplicates", "unexpected_replies", "syn_retransmits", "timeouts", "errors", "outstanding", "sim_events", *STEADY,
        *(f"calls_{c}_per_request" for c in CALLS),
        *(f"{d}_{s}_{m}" for d in ("user", "kernel") for s in MODELLED for m in ("mpki", "misses_per_request")))

SYSTEM = Param("system", str, "epoll", choices=SYSTEMS, doc="epoll baseline or libflexsc")
CORES = Param("cores", int, 1, low=1, high=64, doc="cores of the server")
INTERFACE = Param("interface", str, "pages", choices=INTERFACES, doc="FlexSC syscall pages or queue rings")
AB_PARAMS = ParamSet((SYSTEM, CORES, Param("concurrency", int, 256, low=1, high=65536,
                                           doc="concurrent ApacheBench clients"), INTERFACE))
HTTPERF_PARAMS = ParamSet((SYSTEM, CORES, Param("rate", int, 40000, low=100, high=1_000_000,
                                                doc="offered httperf request rate (req/s)"), INTERFACE))


def _keep(row: dict, cores: int) -> dict:
    return {k: row[k] for k in KEEP} | {f"util_core{c}": row[f"util_core{c}"] for c in range(cores)}


def run_ab(config: dict, seed: int) -> dict:
    row = simulate(config["system"], config["cores"], "apachebench", config["concurrency"], seed,
                   interface=config["interface"])
    return _keep(row, config["cores"])


def run_httperf(config: dict, seed: int) -> dict:
    row = simulate(config["system"], config["cores"], "httperf", config["rate"], seed, interface=config["interface"])
    return _keep(row, config["cores"])


def pick(df: pd.DataFrame, **where) -> pd.DataFrame:
    for k, v in where.items():
        df = df[df[k] == v]
    return df


# a worker that served less than this share of its core's time in the window took no part
IDLE_WORKER = 0.1


def one_worker_runs(df: pd.DataFrame, **where) -> tuple[int, int]:
    """(runs, all runs) of multi-worker epoll at `where` in which one worker served alone: the
    others slept in accept_mutex_delay while the holder of the listening socket took every
    connection (nginx's accept mutex under load, not a start-up transient: see fig07)."""
    rows = pick(df[df.system == "epoll"], **where)
    return int((rows.util_min < IDLE_WORKER).sum()), len(rows)


def one_worker_note(df: pd.DataFrame, at: str, value) -> str:
    """What a 2-core max-gain claim says of the epoll runs at its best point."""
    k, n = one_worker_runs(df, cores=2, **{at: value})
    return f"; epoll served on one worker (other < {IDLE_WORKER:.0%} busy) in {k} of {n} run(s) there"
