"""Figure 7: nginx throughput under ApacheBench vs concurrency, epoll vs FlexSC, 1 and 2 cores.

A prediction of the calibrated model (fitted only to Figure 1, OSDI'10 Table 1 and Table 1).
Each point is a closed-loop run (a new connection per request): warm-up, then a measured
window of at least 1,500 requests. Deterministic: ApacheBench has no random input (2-core
epoll draws the phase of nginx's accept-mutex timer at which the benchmark starts).

Steady state of 2-core epoll (the slowest clock is accept_mutex_delay, 500 ms; the window is
~0.13 s). With a new connection per request, a worker that loses the accept mutex while it
holds no connection sleeps the whole delay, wakes, wins the mutex for a few accepts and loses
it again: one worker serves alone, the other is <1% busy. That is nginx's accept mutex under
this load, not the start: windows of 1x, 2x, 4x, 10x and 40x (5.2 s = 10 delays) give, in
req/s (seeds 0-2 of nginx_testbed.simulate; worker 1's busy share <0.2% throughout):
  1024 clients  1x 11,603 / 11,625 / 11,704   2x 11,603 / 11,614   4x 11,611 / 11,618
                10x 11,617                    40x 11,620 / 11,621
  FlexSC 1024   1x 24,150   10x 24,142  ->  best 2-core gain +108.1% (1x) and +107.8% (40x)
  256 clients   1x 11,916   10x 11,647   40x 11,628 (mean latency 21.5 -> 22.0 ms: the
                2-core latency change of Figure 8 goes -50.6% -> -51.8%, its verdict stays)
  128 clients   1x 11,678 / 11,811 / 11,668   10x 11,624 / 14,903 / 11,623   40x 11,622
At 128 one seed's 10x window caught the second worker joining (both busy, 14.9k): between
2 and ~256 clients the two-worker episodes last long enough to show in some windows (in the
last pipeline run the 128-client row was one: 18.1k, both workers), so those rows are the
episode the window lands in. No verdict rests on them: the best 2-core gain is at 1024, where one worker
holds for 10 delays; FlexSC (>= 22.9k from 16 clients) stays above the two-worker epoll
level (18.1k) at every concurrency >= 16. 40x windows on every 2-core epoll point would cost
~11 x 1-3 min of CPU, more than the pipeline's budget; tests/testbed/test_steady_windows.py doubles
the window at 1024 and checks no verdict moves. The paper saw the same: "adding a second core
helps to reduce the average latency ... with FlexSC, which is not the case when using the
epoll facility" (Section 6.2).
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
    stochastic=False, notebook="fig07", shares_runs=True,
))
