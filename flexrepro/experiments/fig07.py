"""Figure 7: nginx throughput under ApacheBench vs concurrency, epoll vs FlexSC, 1 and 2 cores.

A prediction of the calibrated model (fitted only to Figure 1, OSDI'10 Table 1 and Table 1).
Each point is a closed-loop run (a new connection per request): warm-up, then a measured
window of at least 1,500 requests. Deterministic: ApacheBench has no random input.
"""
from __future__ import annotations

from ..harness.registry import Experiment, register
from .paired import ratio
from ._nginx import AB_PARAMS, CONCURRENCY, run_ab


def gains(df):
    """Throughput improvement of flexsc over epoll (%) per cores and concurrency."""
    return ratio(df, "throughput_rps", ["cores", "concurrency"])


register(Experiment(
    id="fig07", title="nginx throughput under ApacheBench vs concurrency (epoll vs FlexSC)", paper_item="Figure 7",
    params=AB_PARAMS, run_point=run_ab,
    grid={"system": ["epoll", "flexsc"], "cores": [1, 2], "concurrency": CONCURRENCY},
    quick_grid={"system": ["epoll", "flexsc"], "cores": [1, 2], "concurrency": [16, 256]},
    stochastic=False, notebook="fig07",
))
