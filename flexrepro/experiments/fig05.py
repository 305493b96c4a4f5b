"""Figure 5: memcached throughput vs concurrent memslap connections, epoll vs FlexSC, 1/2/4 cores.

A prediction of the calibrated model (fitted only to Figure 1, OSDI'10 Table 1 and Table 1).
Each point is a closed-loop run: warm-up, then a measured window of a few thousand requests.
"""
from __future__ import annotations

import pandas as pd

from ..harness.config import Param, ParamSet
from ..harness.registry import Experiment, register
from ..testbed.memcached import INTERFACES, SYSTEMS, simulate
from ..steady import COLUMNS as STEADY
from .paired import ratio

CONNECTIONS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 768, 1024]
KEEP = ("throughput_rps", "mean_latency_s", "syscalls_per_request", "user_ipc", "kernel_ipc", "user_cpi",
        "kernel_cpi", "mean_batch", "hit_rate", "lock_contention", "client_utilisation",
        "link_to_client_utilisation", "link_to_server_utilisation", "util_min", "util_max", "requests",
        "sim_events", "lock_wait_fraction", *STEADY)

PARAMS = ParamSet((
    Param("system", str, "epoll", choices=SYSTEMS, doc="epoll baseline or libflexsc"),
    Param("cores", int, 1, low=1, high=64, doc="cores of the server"),
    Param("connections", int, 768, low=1, high=65536, doc="concurrent memslap connections"),
    Param("interface", str, "pages", choices=INTERFACES, doc="FlexSC syscall pages or queue rings"),
))


def run_point(config: dict, seed: int) -> dict:
    row = simulate(config["system"], config["cores"], config["connections"], seed, interface=config["interface"])
    return {k: row[k] for k in KEEP} | {f"util_core{c}": row[f"util_core{c}"] for c in range(config["cores"])}


def improvement(df: pd.DataFrame, by: tuple[str, ...] = ("cores", "connections")) -> pd.DataFrame:
    """Throughput gain of flexsc over epoll in %, paired per replicate, mean and 95% CI."""
    return ratio(df, "throughput_rps", list(by)).rename(columns={"value": "gain_pct"})


register(Experiment(
    id="fig05", title="memcached throughput vs concurrency (epoll vs FlexSC)", paper_item="Figure 5",
    params=PARAMS, run_point=run_point,
    grid={"system": list(SYSTEMS), "cores": [1, 2, 4], "connections": CONNECTIONS},
    quick_grid={"system": list(SYSTEMS), "cores": [1, 4], "connections": [1, 768]},
    seeds=5, quick_seeds=2, notebook="fig05", shares_runs=True,
))
