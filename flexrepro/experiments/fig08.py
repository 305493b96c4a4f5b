"""Figure 8: nginx mean latency at 256 concurrent ApacheBench clients, 1 and 2 cores.

Latency as the client sees it (ab's "time per request" averaged over requests): from the
start of a request's cycle to its reply. Deterministic, like fig07.
"""
from __future__ import annotations

from ..harness.registry import Experiment, register
from .paired import ratio
from ._nginx import AB_PARAMS, run_ab


def changes(df):
    """Mean latency change of flexsc vs epoll (%) per core count."""
    return ratio(df, "mean_latency_s", ["cores"])


register(Experiment(
    id="fig08", title="nginx mean latency at 256 ApacheBench clients (epoll vs FlexSC)", paper_item="Figure 8",
    params=AB_PARAMS, run_point=run_ab,
    grid={"system": ["epoll", "flexsc"], "cores": [1, 2], "concurrency": [256]},
    quick_grid={"system": ["epoll", "flexsc"], "cores": [1, 2], "concurrency": [256]},
    stochastic=False, notebook="fig08", shares_runs=True,
))
