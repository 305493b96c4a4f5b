"""Steady state inside a run: MSER-5 warm-up removal and batch-means CIs (flexrepro.steady)."""
import numpy as np
import pytest

from flexrepro.steady import batch_means_ci, mser5, throughput_series, window_stats


@pytest.mark.parametrize("warm", [0, 100, 250])
def test_mser5_finds_a_planted_warmup(warm):
    rng = np.random.default_rng(7)
    transient = np.linspace(0.0, 1.0, warm, endpoint=False) if warm else np.array([])
    steady = 1.0 + 0.05 * rng.standard_normal(1000 - warm)
    cut = mser5(np.concatenate([transient, steady]))
    assert cut % 5 == 0
    assert abs(cut - warm) <= 0.1 * max(warm, 50)


def test_mser5_never_truncates_more_than_half():
    x = np.arange(100, dtype=float)          # a trend: no steady state at all
    assert mser5(x) <= 50


def test_batch_means_ci_covers_the_mean_of_a_stationary_series():
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(200):
        m, lo, hi = batch_means_ci(5.0 + rng.standard_normal(400), batches=10)
        hits += lo <= 5.0 <= hi
        assert lo <= m <= hi
    assert 0.90 <= hits / 200 <= 0.99


def test_throughput_series_counts_rates():
    rates, width = throughput_series([0.5, 1.5, 1.6, 3.9], end=4.0, bins=4)
    assert width == 1.0 and rates.tolist() == [1.0, 2.0, 0.0, 1.0]


def test_window_stats_flags_a_window_that_starts_inside_the_transient():
    rng = np.random.default_rng(1)
    # completions: none for the first 40% of the run (a start-up stall), then a steady rate
    t = np.sort(rng.uniform(400.0, 1000.0, 3000))
    early = window_stats(t, window_start=100.0, end=1000.0, hz=1.0)
    late = window_stats(t, window_start=500.0, end=1000.0, hz=1.0)
    assert not early["steady"] and late["steady"]
    assert early["mser_warmup_s"] >= 390.0
    assert late["window_s"] == 500.0 and late["warmup_s"] == 500.0
    assert late["throughput_bm_low"] <= 3000 / 600 <= late["throughput_bm_high"]
