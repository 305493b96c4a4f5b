"""Figure 7: nginx throughput under ApacheBench vs concurrency, epoll vs FlexSC, 1 and 2 cores.

A prediction of the calibrated model (fitted only to Figure 1, OSDI'10 Table 1 and Table 1).
Each point is a closed-loop run (a new connection per request): warm-up, then a measured
window of at least 1,500 requests. Deterministic: ApacheBench has no random input.
"""
from __future__ import annotations

from .. import reference
from ..registry import Experiment, register
from ..scorecard import Verdict, claim_check, within
from ._compare import ratio
from ._nginx import AB_PARAMS, CONCURRENCY, best_two_core_gain, pick, run_ab


def gains(df):
    """Throughput improvement of flexsc over epoll (%) per cores and concurrency."""
    return ratio(df, "throughput_rps", ["cores", "concurrency"])


@claim_check("F7-1core-256", "fig07")
def _one_core(frames):
    g = pick(gains(frames["fig07"]), cores=1, concurrency=256)
    if g.empty:
        return Verdict("no 1-core point at 256", False)
    r = g.iloc[0]
    c = reference.claim("F7-1core-256")
    return Verdict(round(r.value, 1), within(r.value, float(c.paper_value), c.tolerance), r.ci_low, r.ci_high,
                   note="throughput gain (%) at 1 core, 256 concurrent clients")


@claim_check("F7-2core-from-16", "fig07")
def _from_16(frames):
    g = gains(frames["fig07"])
    g = g[(g.cores == 2) & (g.concurrency >= 16)]
    if g.empty:
        return Verdict("no 2-core point >= 16", False)
    bad = [int(c) for c in g.concurrency[g.value <= 0]]
    return Verdict(round(float(g.value.min()), 1), not bad, note="smallest 2-core gain (%) at concurrency >= 16" +
                   (f"; flexsc <= epoll at {bad}" if bad else ""))


@claim_check("F7-2core-max", "fig07")
def _two_core_max(frames):
    return best_two_core_gain(gains(frames["fig07"]), "F7-2core-max", "concurrency",
                              "best 2-core gain (%), at {} clients", frames["fig07"])


register(Experiment(
    id="fig07", title="nginx throughput under ApacheBench vs concurrency (epoll vs FlexSC)", paper_item="Figure 7",
    params=AB_PARAMS, run_point=run_ab,
    grid={"system": ["epoll", "flexsc"], "cores": [1, 2], "concurrency": CONCURRENCY},
    quick_grid={"system": ["epoll", "flexsc"], "cores": [1, 2], "concurrency": [16, 256]},
    stochastic=False, notebook="fig07",
))
