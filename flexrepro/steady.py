"""Steady state inside one run: warm-up removal (MSER-5) and batch-means confidence intervals.

A run's throughput series is its completions counted in equal time bins from the start of
the simulation. Two standard tools of simulation output analysis:
- MSER-5 (White 1997; White, Cobb & Spratt 2000): average the series in batches of 5, then
  truncate the first d batches where d minimises the marginal standard error
  sum_{i>d} (Z_i - mean_{>d})^2 / (n - d)^2 over d <= n/2. The truncation time is the
  warm-up the data themselves ask for.
- batch means (Law & Kelton, ch. 9): cut the steady part into k contiguous batches; their
  means are nearly independent when a batch is long compared with the series' correlation
  time, so a Student-t interval over them is a CI of the run's mean.
Both are pure functions of arrays; the benches call `throughput_series` + `window_stats`.
"""
from __future__ import annotations

import math

import numpy as np

from .stats import t_quantile

MSER_BATCH = 5
BINS = 100            # bins of a run's throughput series (5 MSER batches of 5 -> 20 batches)
BATCHES = 10          # batch means inside the measured window
COLUMNS = ("window_s", "warmup_s", "mser_warmup_s", "steady", "throughput_bm_low", "throughput_bm_high")


def mser5(series) -> int:
    """Number of leading observations of `series` that MSER-5 truncates (a multiple of 5)."""
    x = np.asarray(series, dtype=float)
    n = x.size // MSER_BATCH
    if n < 2:
        return 0
    z = x[: n * MSER_BATCH].reshape(n, MSER_BATCH).mean(axis=1)
    # tail sums from every d: mean and squared deviation of z[d:] in O(n)
    rev = z[::-1]
    cnt = np.arange(1, n + 1)
    s1 = np.cumsum(rev)[::-1]
    s2 = np.cumsum(rev * rev)[::-1]
    m = cnt[::-1]
    sse = s2 - s1 * s1 / m
    stat = sse / (m * m)
    d = int(np.argmin(stat[: n // 2 + 1]))
    return d * MSER_BATCH


def batch_means_ci(series, batches: int = BATCHES, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of `series` by `batches` contiguous batch means (Student t)."""
    x = np.asarray(series, dtype=float)
    k = min(batches, x.size)
    if k < 2:
        m = float(x.mean()) if x.size else float("nan")
        return m, m, m
    means = np.array([b.mean() for b in np.array_split(x, k)])
    m, sd = float(means.mean()), float(means.std(ddof=1))
    if sd == 0.0:
        return m, m, m
    half = t_quantile(0.5 + level / 2, k - 1) * sd / math.sqrt(k)
    return m, m - half, m + half


def throughput_series(done_times, end: float, bins: int = BINS) -> tuple[np.ndarray, float]:
    """Completions per unit time in `bins` equal bins of [0, end]; returns (rates, bin width)."""
    width = end / bins if end > 0 else 1.0
    counts, _ = np.histogram(np.asarray(done_times, dtype=float), bins=bins, range=(0.0, max(end, 1e-12)))
    return counts / width, width


def window_stats(done_times, window_start: float, end: float, hz: float) -> dict:
    """Columns of a row: the measured window and the warm-up discarded before it, MSER-5's
    warm-up on the whole run's throughput series, and a batch-means CI of the throughput inside
    the window (seconds, req/s).

    `steady` is False when MSER-5 wants to truncate past the window's start: the window
    still holds part of the transient (the point needs a longer warm-up)."""
    rates, width = throughput_series(done_times, end)
    cut = mser5(rates)
    warmup = cut * width
    t = np.asarray(done_times, dtype=float)
    inside = t[t > window_start]
    nb = max(2, min(BATCHES, inside.size // 20))
    if inside.size >= 2 and end > window_start:
        edges = np.linspace(window_start, end, nb + 1)
        per = np.histogram(inside, bins=edges)[0] / (np.diff(edges) / hz)
        _, lo, hi = batch_means_ci(per, batches=nb)
    else:
        lo = hi = float("nan")
    return {"window_s": (end - window_start) / hz, "warmup_s": window_start / hz,
            "mser_warmup_s": warmup / hz,
            "steady": bool(warmup <= window_start + 1e-9),
            "throughput_bm_low": float(lo), "throughput_bm_high": float(hi)}
