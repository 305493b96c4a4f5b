"""Invariants of the occupancy model (hypothesis with derandomized, reproducible examples)."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from flexrepro.platform import Occupancy

CAP = 512.0
seeded = settings(derandomize=True, max_examples=60, deadline=None)   # reproducible examples

sizes = st.floats(min_value=1.0, max_value=CAP)
fracs = st.floats(min_value=0.0, max_value=1.0)
segments = st.lists(st.tuples(st.integers(0, 3), fracs), min_size=1, max_size=40)


@seeded
@given(ws=st.lists(sizes, min_size=4, max_size=4), segs=segments)
def test_fractions_in_unit_interval_and_capacity_respected(ws, segs):
    occ = Occupancy("l1d", CAP)
    keys = [object() for _ in ws]
    for i, t in segs:
        occ.touch(keys[i], ws[i], t)
        assert occ.total <= CAP * (1 + 1e-9)
        assert math.isclose(occ.total, sum(occ.resident.values()), rel_tol=1e-9, abs_tol=1e-6)
        for k, w in zip(keys, ws):
            assert -1e-9 <= occ.fraction(k, w) <= 1 + 1e-9


@seeded
@given(ws=st.lists(sizes, min_size=4, max_size=4), segs=segments)
def test_misses_never_exceed_touches(ws, segs):
    occ = Occupancy("l2", CAP)
    keys = [object() for _ in ws]
    for i, t in segs:
        misses = occ.touch(keys[i], ws[i], t)
        assert -1e-9 <= misses <= ws[i] * t * (1 + 1e-9) + 1e-9


@seeded
@given(ws=st.lists(sizes, min_size=2, max_size=2), segs=segments, t=st.floats(0.01, 1.0))
def test_second_run_in_a_row_misses_less(ws, segs, t):
    occ = Occupancy("l1i", CAP)
    keys = [object(), object()]
    for i, f in segs:
        occ.touch(keys[i % 2], ws[i % 2], f)
    first = occ.touch(keys[0], ws[0], t)
    second = occ.touch(keys[0], ws[0], t)
    assert second <= first + 1e-9
    if first > 1e-6:
        assert second < first


def steady_misses_per_instruction(wu, wk, n_user, n_kernel, reuse_u, reuse_k, rounds=300):
    occ = Occupancy("l2", CAP)
    u, k = object(), object()
    for _ in range(rounds):
        mu = occ.touch(u, wu, 1 - math.exp(-n_user / reuse_u))
        mk = occ.touch(k, wk, 1 - math.exp(-n_kernel / reuse_k))
    return (mu + mk) / (n_user + n_kernel)


@seeded
@given(wu=sizes, wk=sizes, n=st.floats(10, 5000), scale=st.floats(1.05, 20),
       reuse_u=st.floats(50, 5000), reuse_k=st.floats(50, 5000))
def test_longer_interleaving_never_raises_steady_misses_per_instruction(wu, wk, n, scale, reuse_u, reuse_k):
    short = steady_misses_per_instruction(wu, wk, n, n, reuse_u, reuse_k)
    long = steady_misses_per_instruction(wu, wk, n * scale, n * scale, reuse_u, reuse_k)
    assert long <= short * (1 + 1e-6) + 1e-12


def test_no_interference_when_both_fit():
    occ = Occupancy("l2", CAP)
    u, k = object(), object()
    for _ in range(20):
        mu, mk = occ.touch(u, 300, 1.0), occ.touch(k, 200, 1.0)
    assert mu == 0 and mk == 0


def test_capacity_must_be_positive():
    with pytest.raises(ValueError, match="capacity"):
        Occupancy("l1d", 0)
