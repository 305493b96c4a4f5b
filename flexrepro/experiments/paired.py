"""FlexSC against epoll, paired per replicate (common random numbers), with a 95% CI."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..stats import summarize_each, summarize_groups


def ratio(df: pd.DataFrame, value: str, by: list[str], pct: bool = True) -> pd.DataFrame:
    """flexsc / epoll of `value` per replicate (- 1, in %, when `pct`), then mean and 95% CI
    per group of `by`: columns by..., value, ci_low, ci_high, n."""
    return ratios(df, [value], by, pct)[value]


def ratios(df: pd.DataFrame, values: list[str], by: list[str], pct: bool = True) -> dict[str, pd.DataFrame]:
    """`ratio` of each of `values` (Figure 10's fourteen metrics are read by many claims and
    every band corner: the rows are paired once, not fourteen times)."""
    values, by = list(values), list(by)
    fast = _paired_rows(df, values, by)
    if fast is None:
        return _ratios_by_pivot(df, values, by, pct)
    keys, flexsc, epoll = fast
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(epoll > 0, flexsc / epoll, np.nan)      # 0/0 -> NaN
    if pct:
        r = 100 * (r - 1)
    return _renamed(summarize_groups(_runs(keys, r), by, values))


def _runs(keys: list[tuple], r: np.ndarray):
    """(group key, its rows) per run of equal (by...) in the sorted keys (by..., replicate)."""
    start = 0
    while start < len(keys):
        group, end = keys[start][:-1], start
        while end < len(keys) and keys[end][:-1] == group:
            end += 1
        yield group, r[start:end]
        start = end


def _renamed(summaries: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {v: s.rename(columns={"mean": "value"}) for v, s in summaries.items()}


def _paired_rows(df: pd.DataFrame, values: list[str], by: list[str]):
    """(sorted keys (by..., replicate), flexsc values, epoll values) with one row per key and
    system -- NaN where a key lacks a system -- or None when the frame needs the general path
    (a repeated key, a system missing altogether, keys that are not plain sortable numbers or text)."""
    names = [*by, "replicate"]
    columns = [df[c].tolist() for c in names]
    for col in columns:
        kinds = {type(x) for x in col}
        if not (kinds <= {int} or kinds <= {float} or kinds <= {str}) or \
                (kinds == {float} and any(math.isnan(x) for x in col)):
            return None
    system = df["system"].tolist()
    if "flexsc" not in system or "epoll" not in system:
        return None
    rows: dict[tuple, dict[str, int]] = {}
    for i, (key, s) in enumerate(zip(zip(*columns), system)):
        slot = rows.setdefault(key, {})
        if s in slot:
            return None
        slot[s] = i
    keys = sorted(rows)
    data = df[values].to_numpy(dtype=float)
    nan = np.full(len(values), np.nan)

    def side(s: str) -> np.ndarray:
        return np.array([data[rows[k][s]] if s in rows[k] else nan for k in keys]).reshape(len(keys), len(values))
    return keys, side("flexsc"), side("epoll")


def _ratios_by_pivot(df: pd.DataFrame, values: list[str], by: list[str], pct: bool) -> dict[str, pd.DataFrame]:
    rows = df.set_index([*by, "replicate", "system"])[list(values)]
    if rows.index.is_unique:
        wide = rows.unstack("system").sort_index()
    else:
        wide = df.pivot_table(index=[*by, "replicate"], columns="system", values=list(values), dropna=False)
    r = pd.DataFrame({v: (wide[(v, "flexsc")] / wide[(v, "epoll")]).where(wide[(v, "epoll")] > 0)  # 0/0 -> NaN
                      for v in values})
    if pct:
        r = 100 * (r - 1)
    return _renamed(summarize_each(r.reset_index(), list(by), list(values)))
