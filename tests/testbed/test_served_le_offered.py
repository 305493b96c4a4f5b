"""An open workload cannot be served faster than it is offered in steady state: a window's
completions exceed its arrivals only while a backlog drains. Slack: one session's requests
(httperf's 20), which a window's edge can split."""
import itertools

import pytest

from flexrepro.experiments import fig09
from flexrepro.experiments._nginx import run_httperf
from flexrepro.harness import registry
from flexrepro.harness.seeds import replicate_seeds
from flexrepro.workloads.httperf import load_httperf


def _within(row, rate) -> bool:
    slack = load_httperf().requests_per_connection / row["window_s"]
    return row["throughput_rps"] <= rate + slack


def test_served_never_exceeds_offered_at_the_quick_grids_steady_rows():
    exp = registry.get("fig09")
    grid = exp.grid_for(quick=True)
    checked = 0
    for values in itertools.product(*grid.values()):
        config = {**exp.params.defaults(), **dict(zip(grid, values))}
        for seed in replicate_seeds(exp.n_seeds(quick=True)):
            row = run_httperf(config, seed)
            if row["steady"]:
                checked += 1
                assert _within(row, config["rate"]), (config, seed, row["throughput_rps"])
    assert checked >= len(list(itertools.product(*grid.values())))


@pytest.mark.xfail(strict=True, reason=(
    "2-core epoll below its knee: until the second worker's accept_mutex_delay expires one worker "
    "serves alone and work piles up; the window opens as the second joins and measures the two "
    "draining it. Seed 0 at 30k offered: the accept queue peaked at 93 connections (below the "
    "listen backlog's 129: no SYN was dropped) while 115 accepted sessions had a request "
    "outstanding; served 37.0k req/s. The bounded listen backlog caps only the first part. Opening "
    "the window after the drain needs pile / (capacity - offered) of extra simulated time: ~0.1 s "
    "at 30k, seconds at 35k (2-core capacity ~38k) -- not affordable on every fig09 point. "
    "Strict: fails loudly once it holds"))
def test_two_core_epoll_below_its_knee_serves_no_more_than_offered():
    config = {**fig09.HTTPERF_PARAMS.defaults(), "system": "epoll", "cores": 2, "rate": 30000}
    row = run_httperf(config, 0)
    assert row["steady"] and _within(row, config["rate"])
