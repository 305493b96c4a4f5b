"""The abstract's headline claims: memcached's and nginx's best throughput gain over every
core count, load and (for nginx) workload."""
from __future__ import annotations

from .. import reference
from ..experiments import fig07, fig09
from ..experiments.fig05 import improvement
from .base import Verdict, claim_check


@claim_check("A-memcached", "fig05")
def _memcached(frames):
    g = improvement(frames["fig05"])
    best = g.loc[g.gain_pct.idxmax()]
    return Verdict(round(float(best.gain_pct), 2), reference.target("A-memcached").accepts(best.gain_pct),
                   float(best.ci_low), float(best.ci_high),
                   note=f"at {int(best.cores)} cores, {int(best.connections)} connections")


@claim_check("A-nginx", "fig07", "fig09")
def _nginx(frames):
    best = []
    for name, g in (("ApacheBench req/s", fig07.gains(frames["fig07"])), ("httperf Mbps", fig09.gains(frames["fig09"]))):
        r = g.loc[g.value.idxmax()]
        at = f"{int(r.concurrency)} clients" if "concurrency" in g else f"{int(r.rate)} req/s"
        best.append((r.value, r.ci_low, r.ci_high, f"{name}: {r.value:.1f}% at {int(r.cores)} core(s), {at}"))
    v, lo, hi, _ = max(best)
    return Verdict(round(v, 1), reference.target("A-nginx").accepts(v), lo, hi,
                   note="max throughput gain over workloads, cores and load — " + "; ".join(b[3] for b in best))
