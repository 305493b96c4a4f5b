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
