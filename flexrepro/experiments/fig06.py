"""Figure 6: processor metrics of memcached at 768 connections on 1 and 4 cores — user and
kernel CPI and the misses of each structure per mode, FlexSC normalised to epoll.

A prediction of the calibrated model; misses are per request (the same work in both systems).
"""
from __future__ import annotations

import pandas as pd

from .. import reference
from ..config import Param, ParamSet
from ..platform import MODELLED
from ..registry import Experiment, register
from ..scorecard import Verdict, claim_check, within
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


def _ratio(frames, cores: int, metric: str):
    n = normalised(frames["fig06"])
    sel = n[(n.cores == cores) & (n.metric == metric)]
    return None if sel.empty else sel.iloc[0]


def _cpi_check(claim_id: str, cores: int):
    @claim_check(claim_id, "fig06")
    def check(frames):
        r = _ratio(frames, cores, "user_cpi")
        if r is None:
            return Verdict(f"no {cores}-core point", False)
        c = reference.claim(claim_id)
        return Verdict(round(float(r.ratio), 3), within(r.ratio, float(c.paper_value), c.tolerance),
                       float(r.ci_low), float(r.ci_high))
    return check


_cpi_check("F6-user-cpi-1core", 1)
_cpi_check("F6-user-cpi-4core", 4)


@claim_check("F6-kernel-cpi", "fig06")
def _kernel_cpi(frames):
    n = normalised(frames["fig06"])
    sel = n[n.metric == "kernel_cpi"]
    text = ", ".join(f"{int(r.cores)}c: {r.ratio:.3f}" for r in sel.itertuples())
    return Verdict(text, bool(len(sel) and (sel.ratio < 1).all()), note="flexsc / epoll kernel CPI")


@claim_check("F6-l1-misses", "fig06")
def _l1(frames):
    df = frames["fig06"]
    parts, ok = [], True
    for cores, g in df.groupby("cores"):
        for s in ("l1d", "l1i"):
            col = f"user_{s}_misses_per_request"
            e, f = g[g.system == "epoll"][col].mean(), g[g.system == "flexsc"][col].mean()
            if e > 0:
                parts.append(f"{int(cores)}c {s}: {f / e:.3f}")
                ok = ok and f / e <= 0.8
            else:                       # no misses to reduce: the model cannot show this reduction
                parts.append(f"{int(cores)}c {s}: no epoll misses")
                ok = False
    return Verdict(", ".join(parts), bool(parts) and ok, note="user misses per request, flexsc / epoll")


register(Experiment(
    id="fig06", title="memcached CPI and misses at 768 connections, FlexSC / epoll", paper_item="Figure 6",
    params=PARAMS, run_point=run_point,
    grid={"system": list(SYSTEMS), "cores": [1, 4], "connections": [768]},
    quick_grid={"system": list(SYSTEMS), "cores": [1, 4], "connections": [768]},
    seeds=5, quick_seeds=1, notebook="fig06",
))
