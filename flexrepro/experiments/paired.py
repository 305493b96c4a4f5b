"""FlexSC against epoll, paired per replicate (common random numbers), with a 95% CI."""
from __future__ import annotations

import pandas as pd

from ..stats import summarize


def ratio(df: pd.DataFrame, value: str, by: list[str], pct: bool = True) -> pd.DataFrame:
    """flexsc / epoll of `value` per replicate (- 1, in %, when `pct`), then mean and 95% CI
    per group of `by`: columns by..., value, ci_low, ci_high, n."""
    wide = df.pivot_table(index=[*by, "replicate"], columns="system", values=value, dropna=False)
    r = (wide["flexsc"] / wide["epoll"]).where(wide["epoll"] > 0)    # 0/0 -> NaN, shown as such
    wide["r"] = 100 * (r - 1) if pct else r
    return summarize(wide.reset_index(), list(by), "r").rename(columns={"mean": "value"})
