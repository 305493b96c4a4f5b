"""Figure 9: nginx throughput (Mbps of replies) vs offered httperf request rate, 1 and 2 cores.

httperf as the paper configured it: HTTP/1.1, 20 requests per connection, files of 64 B to
8 KB, a partially open system (sessions arrive at a fixed interval whatever the server does).
Each point: 15 ms of warm-up, then a 30 ms measured window; 5 seeds (the session log's
files are drawn at random). Multi-worker epoll points start httperf at a random phase of
nginx's accept-mutex timer and open the window only once every worker has accepted (up to
two accept_mutex_delay), so they simulate up to ~1 s more (nginx_testbed.simulate). The knee of a curve is the highest offered rate the server still
follows: served >= 95% of offered.
"""
from __future__ import annotations

import pandas as pd

from ..harness.registry import Experiment, register
from .paired import ratio
from ._nginx import HTTPERF_PARAMS, RATES, run_httperf

FOLLOW = 0.95


def gains(df):
    """Mbps improvement of flexsc over epoll (%) per cores and offered rate."""
    return ratio(df, "reply_mbps", ["cores", "rate"])


def knees(df: pd.DataFrame) -> pd.DataFrame:
    """Per system, cores and replicate: the highest offered rate served at >= 95%."""
    rows = []
    for (system, cores, rep), g in df.groupby(["system", "cores", "replicate"]):
        ok = g[g.throughput_rps >= FOLLOW * g.rate]
        rows.append({"system": system, "cores": cores, "replicate": rep,
                     "knee": float(ok.rate.max()) if not ok.empty else float("nan")})
    return pd.DataFrame(rows)


register(Experiment(
    id="fig09", title="nginx Mbps under httperf vs offered rate (epoll vs FlexSC)", paper_item="Figure 9",
    params=HTTPERF_PARAMS, run_point=run_httperf,
    grid={"system": ["epoll", "flexsc"], "cores": [1, 2], "rate": RATES},
    quick_grid={"system": ["epoll", "flexsc"], "cores": [1], "rate": [20000, 50000]},
    seeds=5, quick_seeds=2, notebook="fig09",
))
