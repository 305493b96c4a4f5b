"""Figure 10's claims: nginx under httperf, CPI and miss ratios per structure and mode,
FlexSC / epoll, at 40,000 req/s on 1 core and 60,000 req/s on 2 cores."""
from __future__ import annotations

import pandas as pd

from .. import reference
from ..experiments._nginx import pick
from ..experiments.fig10 import RATE_OF, normalised
from ..stats import mean_ci
from .base import Verdict, claim_check


def _ratio_claim(claim_id: str, metric: str, cores: int):
    @claim_check(claim_id, "fig10")
    def check(frames):
        g = pick(normalised(frames["fig10"]), cores=cores, metric=metric)
        if g.empty:
            return Verdict(f"no {cores}-core point", False)
        r = g.iloc[0]
        note = f"{metric} flexsc / epoll, {cores} core(s) at {RATE_OF[cores]} req/s"
        if pd.isna(r.value):
            return Verdict("undefined", False, note=note + ": no such misses under epoll")
        return Verdict(round(r.value, 3), reference.target(claim_id).accepts(r.value), r.ci_low, r.ci_high, note=note)
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
    t = reference.target("F10-l1-l2")
    return Verdict(round(float(sel.value.max()), 3), all(t.accepts(v) for v in sel.value),
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
    note = f"kernel L3 MPKI epoll {e:.3f} -> flexsc {f:.3f} (paper {c.paper_value})"
    if pd.isna(r.value):
        return Verdict("undefined", False, note=note)
    return Verdict(round(r.value, 3), reference.target("F10-kernel-l3-1core").accepts(r.value), r.ci_low, r.ci_high,
                   note=note)
