"""Figure 9's claims: nginx under httperf, each curve's knee, the 1-core gain at 50,000 req/s
and the best 2-core gain."""
from __future__ import annotations

from .. import reference
from ..experiments._nginx import one_worker_note, pick
from ..experiments.fig09 import FOLLOW, gains, knees
from .base import Verdict, best_gain, claim_check, compare


def _knee_claim(claim_id: str, system: str, cores: int):
    @claim_check(claim_id, "fig09")
    def check(frames):
        k = pick(knees(frames["fig09"]), system=system, cores=cores)["knee"].dropna()
        if k.empty:
            return Verdict("no knee", False, note=f"no offered rate was served at >= {FOLLOW:.0%}")
        return Verdict(float(k.mean()), reference.target(claim_id).accepts(float(k.mean())),
                       float(k.min()), float(k.max()),
                       note=f"{system}, {cores} core(s): highest offered rate served at >= {FOLLOW:.0%} "
                            "(min..max over seeds)")
    return check


_knee_claim("F9-1core-epoll-knee", "epoll", 1)
_knee_claim("F9-1core-flexsc-knee", "flexsc", 1)
_knee_claim("F9-2core-epoll-knee", "epoll", 2)
_knee_claim("F9-2core-flexsc-knee", "flexsc", 2)


@claim_check("F9-1core-50k", "fig09")
def _at_50k(frames):
    return compare("F9-1core-50k", pick(gains(frames["fig09"]), cores=1, rate=50000),
                   "no 1-core point at 50000 req/s", digits=1, note="Mbps gain (%) at 1 core, 50,000 req/s offered")


@claim_check("F9-2core-max", "fig09")
def _two_core_max(frames):
    rows = frames["fig09"]
    return best_gain(gains(rows), "F9-2core-max", "rate", "best 2-core Mbps gain (%), at {} req/s offered",
                     about=lambda x: one_worker_note(rows, "rate", x))
