"""FlexSC against epoll, paired per replicate (common random numbers), with a 95% CI."""
from __future__ import annotations

import pandas as pd

from ..stats import summarize_each


def ratio(df: pd.DataFrame, value: str, by: list[str], pct: bool = True) -> pd.DataFrame:
    """flexsc / epoll of `value` per replicate (- 1, in %, when `pct`), then mean and 95% CI
    per group of `by`: columns by..., value, ci_low, ci_high, n."""
    return ratios(df, [value], by, pct)[value]


def ratios(df: pd.DataFrame, values: list[str], by: list[str], pct: bool = True) -> dict[str, pd.DataFrame]:
    """`ratio` of each of `values`, from one pivot of the rows (Figure 10's fourteen metrics
    are read by many claims and every band corner: one pivot, not fourteen)."""
    rows = df.set_index([*by, "replicate", "system"])[list(values)]
    if rows.index.is_unique:     # one row per replicate and system: an unstack, 4x cheaper than a pivot
        wide = rows.unstack("system").sort_index()
    else:
        wide = df.pivot_table(index=[*by, "replicate"], columns="system", values=list(values), dropna=False)
    r = pd.DataFrame({v: (wide[(v, "flexsc")] / wide[(v, "epoll")]).where(wide[(v, "epoll")] > 0)  # 0/0 -> NaN
                      for v in values})
    if pct:
        r = 100 * (r - 1)
    return {v: s.rename(columns={"mean": "value"})
            for v, s in summarize_each(r.reset_index(), list(by), list(values)).items()}
