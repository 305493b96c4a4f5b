"""Means and 95% confidence intervals over seeds (Student t, via scipy)."""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np
# the t quantile itself, not scipy.stats: scipy.stats.t.ppf is this very function, and importing
# scipy.stats costs every notebook kernel ~0.6 s
from scipy.special import stdtrit


def t_quantile(p: float, df: int) -> float:
    """Student t quantile (= scipy.stats.t.ppf(p, df), bit for bit)."""
    return float(stdtrit(df, p))


def mean_ci(values: Iterable[float], level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high); a single value or zero spread gives a zero-width interval."""
    if isinstance(values, np.ndarray) and values.dtype == float and values.ndim == 1:
        x = values
    else:
        x = np.asarray(list(values), dtype=float)
    if x.size == 0:
        raise ValueError("mean_ci of no values")
    m = float(x.mean())
    if x.size < 2 or float(x.std(ddof=1)) == 0.0:
        return m, m, m
    half = t_quantile(0.5 + level / 2, x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return m, m - half, m + half


def summarize(df, by: list[str], value: str, level: float = 0.95):
    """Mean and CI of `value` per group of `by` (a tidy frame: by..., mean, ci_low, ci_high, n)."""
    return summarize_each(df, by, [value], level)[value]


def summarize_each(df, by: list[str], values: list[str], level: float = 0.95) -> dict:
    """`summarize` of each of `values`, grouping the rows once."""
    values = list(values)
    return summarize_groups(((key if isinstance(key, tuple) else (key,), g[values].to_numpy(dtype=float))
                             for key, g in df.groupby(by, sort=True)), by, values, level)


def summarize_groups(groups, by: list[str], values: list[str], level: float = 0.95) -> dict:
    """Per value, a frame (by..., mean, ci_low, ci_high, n) from groups already formed, in order:
    (key tuple, rows x values array)."""
    import pandas as pd

    rows: dict[str, list[dict]] = {v: [] for v in values}
    for key, data in groups:
        key = dict(zip(by, key))
        # one contiguous row of floats per value (the same numbers mean_ci would build)
        block = np.ascontiguousarray(data.T)
        for v, x in zip(values, block):
            m, lo, hi = mean_ci(x, level)
            rows[v].append({**key, "mean": m, "ci_low": lo, "ci_high": hi, "n": len(data)})
    return {v: pd.DataFrame(r) for v, r in rows.items()}
