"""Invariants of the occupancy model (hypothesis with derandomized, reproducible examples)."""
import math
from collections import OrderedDict

import pytest
from hypothesis import given, settings, strategies as st

from flexrepro.calibration import microbench
from flexrepro.platform import Occupancy, load_params
from flexrepro.harness.seeds import rng

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
    # Strictly fewer only when both fit: past capacity LRU can evict the profile's own older
    # lines to make room for the refill (ws=[2, 511], t=0.25 misses the same twice), as real LRU does.
    if first > 1e-6 and sum(ws) <= CAP:
        assert second < first


def steady_misses_per_instruction(wu, wk, n_user, n_kernel, reuse_u, reuse_k, rounds=300):
    occ = Occupancy("l2", CAP)
    u, k = object(), object()
    for _ in range(rounds):
        mu = occ.touch(u, wu, 1 - math.exp(-n_user / reuse_u))
        mk = occ.touch(k, wk, 1 - math.exp(-n_kernel / reuse_k))
    return (mu + mk) / (n_user + n_kernel)


@pytest.mark.parametrize("kernel", ["null", "stat", "pread", "pwrite", "open_close", "mmap_munmap", "open_write_close"])
def test_longer_interleaving_never_raises_user_misses_per_instruction(kernel):
    """Figure 1's mechanism: the more user code between two calls, the fewer refills (and
    refill cycles) per user instruction, for every calibrated kernel path."""
    params = load_params()
    user = params.profile("xalan")
    last = None
    for n in (100, 300, 1000, 3000, 10000, 30000, 100000, 300000, 1000000):
        r = microbench.interleaved(params, user, params.profile(kernel), n)
        now = (sum(v for key, v in r.items() if key.startswith("user_") and key.endswith("_misses")) / n,
               r["user_refill_cycles"] / n)
        if last is not None:
            assert now[0] <= last[0] * (1 + 1e-9) and now[1] <= last[1] * (1 + 1e-9), (n, last, now)
        last = now


def lru_misses_per_instruction(wu, wk, n, reuse_u, reuse_k, cap, rounds=600, warmup=150, seed=0):
    """A fully associative LRU cache fed the same uniform-reuse programs (Poisson accesses)."""
    cache, r, misses = OrderedDict(), rng(seed), 0
    for i in range(warmup + rounds):
        for w, rate, base in ((wu, wu / reuse_u, 0), (wk, wk / reuse_k, 1 << 20)):
            for line in (base + r.integers(0, w, r.poisson(rate * n))).tolist():
                if line in cache:
                    cache.move_to_end(line)
                    continue
                misses += i >= warmup
                cache[line] = True
                if len(cache) > cap:
                    cache.popitem(last=False)
    return misses / rounds / (2 * n)


def test_longer_interleaving_can_raise_misses_under_lru_and_the_model_follows():
    """Why the generic invariant is asserted for user refills only: under LRU, a program whose
    own stale lines are the oldest evicts itself, so sweeping more of the working sets per
    segment can *raise* misses per instruction. Here true LRU rises ~85% from N=554 to
    N=5806, and the model reproduces both levels within 15%."""
    case = dict(wu=122, wk=415, reuse_u=2666, reuse_k=96)
    for n in (554, 5806):
        lru = lru_misses_per_instruction(case["wu"], case["wk"], n, case["reuse_u"], case["reuse_k"], CAP)
        model = steady_misses_per_instruction(case["wu"], case["wk"], n, n, case["reuse_u"], case["reuse_k"])
        assert abs(model - lru) <= 0.15 * lru, (n, model, lru)
    assert steady_misses_per_instruction(122, 415, 5806, 5806, 2666, 96) > 1.5 * steady_misses_per_instruction(
        122, 415, 554, 554, 2666, 96)


def test_no_interference_when_both_fit():
    occ = Occupancy("l2", CAP)
    u, k = object(), object()
    for _ in range(20):
        mu, mk = occ.touch(u, 300, 1.0), occ.touch(k, 200, 1.0)
    assert mu == 0 and mk == 0


def test_capacity_must_be_positive():
    with pytest.raises(ValueError, match="capacity"):
        Occupancy("l1d", 0)
