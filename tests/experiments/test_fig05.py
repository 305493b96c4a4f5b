"""fig05: wiring through the sweep, the improvement computation and the claim checks' logic."""
import itertools

import pandas as pd
import pytest

import flexrepro
from flexrepro.errors import ConfigError
from flexrepro.experiments.fig05 import improvement
from flexrepro.claims import checks


def _frame(gain_of):
    """A synthetic fig05 frame: epoll 100 req/s everywhere, flexsc = 100 * (1 + gain)."""
    rows = []
    for cores, conns, rep in itertools.product([1, 2, 4], [1, 64, 768], range(3)):
        g = gain_of(cores, conns)
        rows.append({"system": "epoll", "cores": cores, "connections": conns, "replicate": rep,
                     "throughput_rps": 100.0, "util_min": 0.5})
        rows.append({"system": "flexsc", "cores": cores, "connections": conns, "replicate": rep,
                     "throughput_rps": 100.0 * (1 + g) + rep * 0.01, "util_min": 0.95})
    return pd.DataFrame(rows)


def test_claim_checks_pass_and_fail_on_synthetic_frames():
    ck = checks()
    good = {"fig05": _frame(lambda c, n: 0.0 if n == 1 else 0.30)}
    assert ck["F5-crossover"].fn(good).reproduced
    assert ck["F5-low-concurrency"].fn(good).reproduced
    assert ck["F5-max-gain"].fn(good).reproduced
    assert ck["F5-one-thread"].fn(good).reproduced
    assert ck["A-memcached"].fn(good).reproduced
    bad = {"fig05": _frame(lambda c, n: 0.10 if n == 1 else (-0.05 if c == 2 else 0.10))}
    for cid in ("F5-crossover", "F5-low-concurrency", "F5-max-gain", "A-memcached"):
        assert not ck[cid].fn(bad).reproduced, cid


def test_improvement_pairs_replicates():
    g = improvement(_frame(lambda c, n: 0.2))
    assert len(g) == 9 and (g.n == 3).all()
    assert (g.gain_pct - 20).abs().max() < 0.02          # replicate r adds 0.01 req/s to flexsc
    assert (g.ci_high > g.ci_low).all()


def test_runs_through_the_sweep_deterministically():
    a = flexrepro.run("fig05", seeds=1, executor="serial", progress=False, cache=False,
                      system=["epoll", "flexsc"], cores=1, connections=[2])
    b = flexrepro.run("fig05", seeds=1, executor="serial", progress=False, cache=False,
                      system=["epoll", "flexsc"], cores=1, connections=[2])
    pd.testing.assert_frame_equal(a, b)
    assert set(a.system) == {"epoll", "flexsc"} and (a.throughput_rps > 0).all()


def test_bad_grid_value_is_rejected():
    with pytest.raises(ConfigError, match="system"):
        flexrepro.run("fig05", seeds=1, executor="serial", progress=False, system="poll")
