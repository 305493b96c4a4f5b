"""Figure 8's claims: nginx's mean latency change at 256 ApacheBench clients, and a second
core helping FlexSC but not epoll."""
from __future__ import annotations

from ..experiments._nginx import pick
from ..experiments.fig08 import changes
from .base import Verdict, claim_check, compare


def _latency_claim(claim_id: str, cores: int):
    @claim_check(claim_id, "fig08")
    def check(frames):
        return compare(claim_id, pick(changes(frames["fig08"]), cores=cores), f"no {cores}-core point", digits=1,
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
