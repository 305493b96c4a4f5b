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


def test_paired_ratios_equal_the_pivot_tables_bit_for_bit():
    """ratios unstacks (one row per replicate and system) where it used to pivot; the numbers
    are the pivot's exactly, a 0 epoll value included (NaN), and duplicated rows still pivot."""
    import numpy as np
    import pandas as pd

    from flexrepro.experiments.paired import ratios

    rng = np.random.default_rng(7)
    df = pd.DataFrame([{"cores": c, "replicate": r, "system": s, "a": rng.normal(10, 2), "b": float(rng.integers(0, 3))}
                       for c in (2, 1) for r in range(5) for s in ("flexsc", "epoll")])

    def reference(frame, values, by):
        wide = frame.pivot_table(index=[*by, "replicate"], columns="system", values=values, dropna=False)
        r = pd.DataFrame({v: (wide[(v, "flexsc")] / wide[(v, "epoll")]).where(wide[(v, "epoll")] > 0)
                          for v in values})
        r = 100 * (r - 1)
        out = {}
        for v in values:
            rows = []
            for key, g in r.reset_index().groupby(by, sort=True):
                m, lo, hi = mean_ci(list(g[v]))
                rows.append({"cores": key[0], "value": m, "ci_low": lo, "ci_high": hi, "n": len(g)})
            out[v] = pd.DataFrame(rows)
        return out

    got, want = ratios(df, ["a", "b"], ["cores"]), reference(df, ["a", "b"], ["cores"])
    for v in ("a", "b"):
        pd.testing.assert_frame_equal(got[v], want[v], check_exact=True)
    twice = pd.concat([df, df])                       # not unique: the pivot's mean of equal rows
    for v in ("a", "b"):
        pd.testing.assert_frame_equal(ratios(twice, ["a", "b"], ["cores"])[v].drop(columns="n"),
                                      want[v].drop(columns="n"), check_exact=True)


@settings(max_examples=150, deadline=None)
@given(cells=st.lists(st.tuples(st.sampled_from([1, 2, 4]), st.sampled_from(["a", "b"]), st.integers(0, 4),
                                st.sampled_from(["flexsc", "epoll", "flexsc-queues"]),
                                st.sampled_from([0.0, 1.0, 2.5, 7.0, float("nan")]), st.floats(0.5, 9.0)),
                      min_size=1, max_size=40, unique_by=lambda c: c[:4]),
       pct=st.booleans(), two_keys=st.booleans())
def test_paired_ratios_fast_path_equals_the_pandas_path_bit_for_bit(cells, pct, two_keys):
    """The pairing by dictionary gives the unstack's frames exactly: a key missing one system,
    a third system's rows, a 0 or NaN epoll value, groups of one replicate."""
    import pandas as pd

    from flexrepro.experiments.paired import _paired_rows, _ratios_by_pivot, ratios

    df = pd.DataFrame(cells, columns=["cores", "mode", "replicate", "system", "x", "y"])
    by = ["cores", "mode"] if two_keys else ["cores"]
    if not two_keys:
        df = df.drop_duplicates(["cores", "replicate", "system"])
    if not {"flexsc", "epoll"} <= set(df.system):
        return
    assert _paired_rows(df, ["x", "y"], by) is not None          # the fast path, not the fallback
    got, want = ratios(df, ["x", "y"], by, pct), _ratios_by_pivot(df, ["x", "y"], by, pct)
    for v in ("x", "y"):
        pd.testing.assert_frame_equal(got[v], want[v], check_exact=True)
