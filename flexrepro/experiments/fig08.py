"""Figure 8: nginx mean latency at 256 concurrent ApacheBench clients, 1 and 2 cores.

Latency as the client sees it (ab's "time per request" averaged over requests): from the
start of a request's cycle to its reply. Deterministic, like fig07.
"""
from __future__ import annotations

from .. import reference
from ..registry import Experiment, register
from ..scorecard import Verdict, claim_check, within
from ._compare import ratio
from ._nginx import AB_PARAMS, pick, run_ab


def changes(df):
    """Mean latency change of flexsc vs epoll (%) per core count."""
    return ratio(df, "mean_latency_s", ["cores"])


def _latency_claim(claim_id: str, cores: int):
    @claim_check(claim_id, "fig08")
    def check(frames):
        g = pick(changes(frames["fig08"]), cores=cores)
        if g.empty:
            return Verdict(f"no {cores}-core point", False)
        r = g.iloc[0]
        c = reference.claim(claim_id)
        return Verdict(round(r.value, 1), within(r.value, float(c.paper_value), c.tolerance), r.ci_low, r.ci_high,
                       note=f"mean latency change (%), {cores} core(s), 256 clients")
    return check


_latency_claim("F8-1core", 1)
_latency_claim("F8-2core", 2)


@claim_check("F8-second-core", "fig08")
def _second_core(frames):
    m = frames["fig08"].groupby(["system", "cores"])["mean_latency_s"].mean()
    try:
        fx = m["flexsc", 2] < m["flexsc", 1]
        ep = m["epoll", 2] >= 0.95 * m["epoll", 1]
    except KeyError:
        return Verdict("missing points", False)
    return Verdict(f"flexsc 2c/1c {m['flexsc', 2] / m['flexsc', 1]:.2f}, epoll 2c/1c {m['epoll', 2] / m['epoll', 1]:.2f}",
                   bool(fx and ep), note="latency ratios, 2 cores over 1 core")


register(Experiment(
    id="fig08", title="nginx mean latency at 256 ApacheBench clients (epoll vs FlexSC)", paper_item="Figure 8",
    params=AB_PARAMS, run_point=run_ab,
    grid={"system": ["epoll", "flexsc"], "cores": [1, 2], "concurrency": [256]},
    quick_grid={"system": ["epoll", "flexsc"], "cores": [1, 2], "concurrency": [256]},
    stochastic=False, notebook="fig08",
))
