"""Figure 5: memcached throughput vs concurrent memslap connections, epoll vs FlexSC, 1/2/4 cores.

A prediction of the calibrated model (fitted only to Figure 1, OSDI'10 Table 1 and Table 1).
Each point is a closed-loop run: warm-up, then a measured window of a few thousand requests.
"""
from __future__ import annotations

import re

import pandas as pd

from .. import reference
from ..config import Param, ParamSet
from ..registry import Experiment, register
from ..scorecard import Verdict, claim_check, within
from ..servers.memcached_bench import INTERFACES, SYSTEMS, simulate
from ..stats import mean_ci
from ..steady import COLUMNS as STEADY
from ._compare import ratio

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


def _mean(df: pd.DataFrame) -> pd.DataFrame:
    return df.groupby(["system", "cores", "connections"], as_index=False)["throughput_rps"].mean()


@claim_check("F5-crossover", "fig05")
def _crossover(frames):
    m = _mean(frames["fig05"])
    hi = m[m.connections >= 64].pivot_table(index=["cores", "connections"], columns="system", values="throughput_rps")
    per_core = {c: bool((g["flexsc"] > g["epoll"]).all()) for c, g in hi.groupby(level="cores")}
    if not per_core:
        return Verdict("no point with >= 64 connections", False, note="grid has no such point")
    fails = {c: [int(x) for x in g.index.get_level_values("connections")[g["flexsc"] <= g["epoll"]]]
             for c, g in hi.groupby(level="cores") if not per_core[c]}
    return Verdict(str({f"{c} cores": ok for c, ok in per_core.items()}), all(per_core.values()),
                   note="" if not fails else f"flexsc <= epoll at connections {fails}")


@claim_check("F5-low-concurrency", "fig05")
def _low(frames):
    g = improvement(frames["fig05"])
    g = g[g.connections == g.connections.min()]
    worst = g.gain_pct.max()
    return Verdict(round(float(worst), 2), bool((g.gain_pct < 5).all()), float(g.ci_low.max()),
                   float(g.ci_high.max()), note=f"largest gain at {int(g.connections.min())} connection(s), over core counts")


@claim_check("F5-max-gain", "fig05")
def _max_gain(frames):
    g = improvement(frames["fig05"])
    best = g.loc[g.groupby("cores").gain_pct.idxmax()]
    c = reference.claim("F5-max-gain")
    lo, hi = (float(v) for v in str(c.paper_value).split(".."))
    tol = float(re.match(r"abs\s+([\d.]+)", c.tolerance).group(1))
    ok = all(lo - tol <= v <= hi + tol for v in best.gain_pct)
    text = ", ".join(f"{int(r.cores)}c: {r.gain_pct:.1f}% @{int(r.connections)}" for r in best.itertuples())
    return Verdict(text, ok, float(best.gain_pct.min()), float(best.gain_pct.max()),
                   note=f"reproduced if every core count's best gain lies in {lo - tol:g}..{hi + tol:g}%")


@claim_check("F5-one-thread", "fig05")
def _one_thread(frames):
    df = frames["fig05"]
    sel = df[(df.system == "flexsc") & (df.cores == df.cores.max()) & (df.connections == 768)]
    if sel.empty:
        return Verdict("no flexsc point at 768 connections", False)
    m, lo, hi = mean_ci(sel["util_min"])
    return Verdict(round(m, 3), m >= 0.9, lo, hi, note=f"least-utilised core, {int(sel.cores.iloc[0])} cores; every NIC interrupt "
                   "on core 0 beside the one FlexSC thread (netstack.irq = one: an assumption, the paper does "
                   "not say where they went; the band runs irq = rss)")


@claim_check("A-memcached", "fig05")
def _abstract(frames):
    g = improvement(frames["fig05"])
    best = g.loc[g.gain_pct.idxmax()]
    paper = float(reference.claim("A-memcached").paper_value)
    return Verdict(round(float(best.gain_pct), 2), within(best.gain_pct, paper, "abs 7"), float(best.ci_low),
                   float(best.ci_high), note=f"at {int(best.cores)} cores, {int(best.connections)} connections")


register(Experiment(
    id="fig05", title="memcached throughput vs concurrency (epoll vs FlexSC)", paper_item="Figure 5",
    params=PARAMS, run_point=run_point,
    grid={"system": list(SYSTEMS), "cores": [1, 2, 4], "connections": CONNECTIONS},
    quick_grid={"system": list(SYSTEMS), "cores": [1, 4], "connections": [1, 768]},
    seeds=5, quick_seeds=2, notebook="fig05",
))
