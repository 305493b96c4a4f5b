"""Figure 10: CPI and misses per structure and mode, FlexSC normalised to epoll (httperf).

At 40,000 req/s offered on 1 core and 60,000 req/s on 2 cores, as in the paper. CPI and
misses are the processor model's counters over the measured window; misses are compared
as miss ratios (per 1000 instructions of the mode), the way the paper words them. Also the
absolute kernel L3 and user TLB misses per 1000 instructions.
"""
from __future__ import annotations

import re

import pandas as pd

from .. import reference
from ..config import Param, ParamSet
from ..platform import MODELLED
from ..registry import Experiment, register
from ..scorecard import Verdict, claim_check, within
from ..stats import mean_ci
from ._compare import ratio
from ._nginx import INTERFACE, SYSTEM, pick, run_httperf

CONDITIONS = {"1 core, 40000 req/s": (1, 40000), "2 cores, 60000 req/s": (2, 60000)}
RATE_OF = dict(CONDITIONS.values())
METRICS = ("user_cpi", "kernel_cpi", *(f"{d}_{s}_mpki" for d in ("user", "kernel") for s in MODELLED))
PARAMS = ParamSet((SYSTEM, Param("condition", str, "1 core, 40000 req/s", choices=tuple(CONDITIONS),
                                 doc="cores and offered httperf rate"), INTERFACE))


def run_point(config: dict, seed: int) -> dict:
    cores, rate = CONDITIONS[config["condition"]]
    row = run_httperf({"system": config["system"], "cores": cores, "rate": rate, "interface": config["interface"]}, seed)
    return {"cores": cores, "rate": rate, **row}


def _paper(claim) -> tuple[float, str]:
    """The paper's ratio and the tolerance around it ('ratio X abs Y' or 'ratio abs Y')."""
    tol = claim.tolerance.strip()
    if m := re.fullmatch(r"ratio\s+([\d.]+)\s+(abs .+)", tol):
        return float(m.group(1)), m.group(2)
    return float(str(claim.paper_value).split()[0]), tol.removeprefix("ratio").strip()


def normalised(df: pd.DataFrame) -> pd.DataFrame:
    """flexsc / epoll per cores and metric (mean and 95% CI over replicates)."""
    parts = []
    for m in METRICS:
        r = ratio(df, m, ["cores"], pct=False)
        r["metric"] = m
        parts.append(r)
    return pd.concat(parts, ignore_index=True)


def _ratio_claim(claim_id: str, metric: str, cores: int):
    @claim_check(claim_id, "fig10")
    def check(frames):
        g = pick(normalised(frames["fig10"]), cores=cores, metric=metric)
        if g.empty:
            return Verdict(f"no {cores}-core point", False)
        r = g.iloc[0]
        paper, tol = _paper(reference.claim(claim_id))
        note = f"{metric} flexsc / epoll, {cores} core(s) at {RATE_OF[cores]} req/s"
        if pd.isna(r.value):
            return Verdict("undefined", False, note=note + ": no such misses under epoll")
        return Verdict(round(r.value, 3), within(r.value, paper, tol), r.ci_low, r.ci_high, note=note)
    return check


_ratio_claim("F10-user-cpi-1core", "user_cpi", 1)
_ratio_claim("F10-user-cpi-2core", "user_cpi", 2)
_ratio_claim("F10-kernel-cpi-1core", "kernel_cpi", 1)
_ratio_claim("F10-kernel-cpi-2core", "kernel_cpi", 2)
_ratio_claim("F10-user-tlb-2core", "user_dtlb_mpki", 2)


@claim_check("F10-l1-l2", "fig10")
def _l1_l2(frames):
    n = normalised(frames["fig10"])
    sel = n[n.metric.isin(["user_l1i_mpki", "user_l1d_mpki", "user_l2_mpki"])]
    if sel.empty:
        return Verdict("no points", False)
    text = ", ".join(f"{r.metric.split('_')[1]} {int(r.cores)}c {r.value:.2f}" for r in sel.itertuples())
    if sel.value.isna().any():      # 0 / 0: no misses under epoll either
        return Verdict("undefined", False, note="a structure has no user misses under epoll (nothing to "
                                                 "halve): " + text)
    return Verdict(round(float(sel.value.max()), 3), bool((sel.value < 0.5).all()),
                   note="user miss ratios flexsc/epoll (largest shown): " + text)


@claim_check("F10-kernel-l3-1core", "fig10")
def _kernel_l3(frames):
    df = pick(frames["fig10"], cores=1)
    if df.empty:
        return Verdict("no 1-core point", False)
    e = mean_ci(pick(df, system="epoll")["kernel_l3_mpki"])[0]
    f = mean_ci(pick(df, system="flexsc")["kernel_l3_mpki"])[0]
    r = pick(normalised(frames["fig10"]), cores=1, metric="kernel_l3_mpki").iloc[0]
    c = reference.claim("F10-kernel-l3-1core")
    paper, tol = _paper(c)
    note = f"kernel L3 MPKI epoll {e:.3f} -> flexsc {f:.3f} (paper {c.paper_value})"
    if pd.isna(r.value):
        return Verdict("undefined", False, note=note)
    return Verdict(round(r.value, 3), within(r.value, paper, tol), r.ci_low, r.ci_high, note=note)


register(Experiment(
    id="fig10", title="nginx CPI and misses per structure, FlexSC / epoll (httperf)", paper_item="Figure 10",
    params=PARAMS, run_point=run_point,
    grid={"system": ["epoll", "flexsc"], "condition": list(CONDITIONS)},
    quick_grid={"system": ["epoll", "flexsc"], "condition": list(CONDITIONS)[:1]},
    seeds=5, quick_seeds=2, notebook="fig10",
))
