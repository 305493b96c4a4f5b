"""The nginx experiments' analysis: gains, knees, normalisation and claim checks on synthetic frames."""
from __future__ import annotations

import math

import pandas as pd
import pytest

import flexrepro
from flexrepro.errors import ConfigError
from flexrepro.experiments import fig07, fig08, fig09, fig10
from flexrepro.experiments.paired import ratio
from flexrepro.scorecard import checks, claims_table


def _frame(rows):
    return pd.DataFrame(rows)


def test_ratio_pairs_replicates_and_marks_zero_over_zero():
    df = _frame([{"system": s, "cores": 1, "replicate": r, "x": v}
                 for s, r, v in [("epoll", 0, 2.0), ("flexsc", 0, 3.0), ("epoll", 1, 4.0), ("flexsc", 1, 6.0)]])
    g = ratio(df, "x", ["cores"])
    assert g.value.iloc[0] == pytest.approx(50.0) and g.n.iloc[0] == 2
    z = _frame([{"system": s, "cores": 1, "replicate": 0, "x": 0.0} for s in ("epoll", "flexsc")])
    assert math.isnan(ratio(z, "x", ["cores"], pct=False).value.iloc[0])


def test_knee_is_highest_rate_followed():
    rows = [{"system": "epoll", "cores": 1, "replicate": 0, "rate": r, "throughput_rps": min(r, 17000)}
            for r in (5000, 10000, 15000, 20000, 25000)]
    assert fig09.knees(_frame(rows)).knee.iloc[0] == 15000


def _ab(epoll, flexsc, cores=(1, 2), conc=(16, 256), util_min=1.0):
    return _frame([{"system": s, "cores": c, "concurrency": n, "replicate": 0,
                    "throughput_rps": (epoll if s == "epoll" else flexsc) * c,
                    "mean_latency_s": n / ((epoll if s == "epoll" else flexsc) * c), "util_min": util_min}
                   for s in ("epoll", "flexsc") for c in cores for n in conc])


def test_fig07_checks_can_pass_and_fail():
    ck = checks()
    good = _ab(100.0, 170.0)
    assert ck["F7-1core-256"].fn({"fig07": good}).reproduced
    assert not ck["F7-1core-256"].fn({"fig07": _ab(100.0, 110.0)}).reproduced
    assert not ck["F7-2core-from-16"].fn({"fig07": _ab(100.0, 90.0)}).reproduced


def test_best_two_core_gain_says_when_epoll_served_on_one_worker():
    ck = checks()
    assert "in 0 of 1 run(s)" in ck["F7-2core-max"].fn({"fig07": _ab(100.0, 220.0)}).note
    assert "in 1 of 1 run(s)" in ck["F7-2core-max"].fn({"fig07": _ab(100.0, 220.0, util_min=0.01)}).note


def test_fig08_checks_follow_littles_law():
    ck = checks()
    df = _ab(100.0, 172.0, conc=(256,))
    v = ck["F8-1core"].fn({"fig08": df})
    assert v.measured_value == pytest.approx(100 * (1 / 1.72 - 1), abs=0.1) and v.reproduced


def test_fig10_normalised_and_checks():
    rows = []
    for s, ucpi in (("epoll", 2.0), ("flexsc", 1.0)):
        for c in (1, 2):
            r = {"system": s, "cores": c, "replicate": 0, "user_cpi": ucpi, "kernel_cpi": 2.0}
            r.update({m: 1.0 for m in fig10.METRICS if m.endswith("_mpki")})
            rows.append(r)
    df = _frame(rows)
    n = fig10.normalised(df)
    assert set(n.metric) == set(fig10.METRICS)
    ck = checks()
    assert ck["F10-user-cpi-1core"].fn({"fig10": df}).reproduced
    assert not ck["F10-kernel-cpi-1core"].fn({"fig10": df}).reproduced
    assert not ck["F10-l1-l2"].fn({"fig10": df}).reproduced


def test_claims_table_lists_only_available_experiments():
    t = claims_table({"fig07": _ab(100.0, 170.0)})
    assert set(t.claim_id) == {"F7-1core-256", "F7-2core-from-16", "F7-2core-max"}


def test_bad_overrides():
    with pytest.raises(ConfigError, match="system"):
        flexrepro.run("fig07", quick=True, system="kqueue")
    with pytest.raises(ConfigError, match="condition"):
        flexrepro.run("fig10", quick=True, condition="3 cores")
    with pytest.raises(ConfigError, match="rate"):
        flexrepro.run("fig09", quick=True, rate=-1)
