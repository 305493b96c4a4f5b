"""flexrepro.stats: the t quantile is scipy.stats' own, and mean_ci is the textbook interval."""
import math

import numpy as np
from hypothesis import given, settings, strategies as st
from scipy import stats as sps

from flexrepro.stats import mean_ci, t_quantile


@settings(max_examples=200, deadline=None)
@given(p=st.floats(0.5, 0.9999), df=st.integers(1, 500))
def test_t_quantile_is_scipy_stats_t_ppf_bit_for_bit(p, df):
    assert t_quantile(p, df) == float(sps.t.ppf(p, df))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40))
def test_mean_ci_matches_scipy_interval(xs):
    x = np.asarray(xs)
    m, lo, hi = mean_ci(xs)
    assert m == float(x.mean())
    if float(x.std(ddof=1)) == 0.0:
        assert lo == hi == m
        return
    ref_lo, ref_hi = sps.t.interval(0.95, x.size - 1, loc=x.mean(), scale=x.std(ddof=1) / math.sqrt(x.size))
    assert math.isclose(lo, ref_lo, rel_tol=1e-9, abs_tol=1e-6) and math.isclose(hi, ref_hi, rel_tol=1e-9, abs_tol=1e-6)


def test_summarize_each_groups_once_and_gives_each_values_own_summary():
    import pandas as pd

    from flexrepro.stats import mean_ci, summarize_each

    df = pd.DataFrame({"g": [2, 1, 1, 2, 1, 3], "a": [3.0, 1.0, 2.0, 3.5, 4.0, 7.0],
                       "b": [2.0, 0.5, 1.5, 4.0, 1.0, 1.0]})
    each = summarize_each(df, ["g"], ["a", "b"])
    for v in ("a", "b"):
        got = each[v]
        assert list(got.g) == [1, 2, 3] and list(got.n) == [3, 2, 1]
        for row in got.itertuples():
            assert (row.mean, row.ci_low, row.ci_high) == mean_ci(df[df.g == row.g][v])
