"""Figure 6: processor metrics of memcached at 768 connections on 1 and 4 cores — user and
kernel CPI and the misses of each structure per mode, FlexSC normalised to epoll.

A prediction of the calibrated model; misses are per request (the same work in both systems).
"""
from __future__ import annotations

import pandas as pd

from ..harness.config import Param, ParamSet
from ..platform import MODELLED
from ..harness.registry import Experiment, register
from ..testbed.memcached import INTERFACES, SYSTEMS, simulate
from ..stats import mean_ci

MODES = ("user", "kernel")
METRICS = ["user_cpi", "kernel_cpi"] + [f"{d}_{s}_misses_per_request" for d in MODES for s in MODELLED]

PARAMS = ParamSet((
    Param("system", str, "epoll", choices=SYSTEMS),
    Param("cores", int, 1, low=1, high=64),
    Param("connections", int, 768, low=1, high=65536),
    Param("interface", str, "pages", choices=INTERFACES),
))


def run_point(config: dict, seed: int) -> dict:
    row = simulate(config["system"], config["cores"], config["connections"], seed, interface=config["interface"])
    keep = METRICS + [f"{d}_{s}_mpki" for d in MODES for s in MODELLED] + ["throughput_rps", "user_ipc", "kernel_ipc"]
    return {k: row[k] for k in keep}


def normalised(df: pd.DataFrame) -> pd.DataFrame:
    """Long table: cores, metric, flexsc/epoll per replicate -> mean and 95% CI."""
    rows = []
    for cores, g in df.groupby("cores"):
        e = g[g.system == "epoll"].set_index("replicate")
        f = g[g.system == "flexsc"].set_index("replicate")
        for metric in METRICS:
            r = (f[metric] / e[metric]).replace([float("inf")], float("nan")).dropna()
            if r.empty:             # no misses in the baseline: nothing to normalise
                continue
            m, lo, hi = mean_ci(r)
            mode, what = metric.split("_", 1)
            rows.append({"cores": cores, "metric": metric, "mode": mode,
                         "what": "CPI" if what == "cpi" else what.split("_")[0], "ratio": m, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


register(Experiment(
    id="fig06", title="memcached CPI and misses at 768 connections, FlexSC / epoll", paper_item="Figure 6",
    params=PARAMS, run_point=run_point,
    grid={"system": list(SYSTEMS), "cores": [1, 4], "connections": [768]},
    quick_grid={"system": list(SYSTEMS), "cores": [1, 4], "connections": [768]},
    seeds=5, quick_seeds=1, notebook="fig06", shares_runs=True,
))
