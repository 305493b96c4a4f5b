"""The occupancy model against a trace-driven LRU hierarchy (pycachesim, Table 3 sizes)."""
import pytest

from flexrepro.platform import load_platform
from flexrepro.platform.tracesim import SMALL_CASES as CASES, compare


@pytest.fixture(scope="module")
def rows():
    return compare(load_platform(), CASES, rounds=30, warmup=15)


def test_every_case_compares_a_level(rows):
    assert {r["level"] for r in rows} == {"l1d", "l2"}
    assert len(rows) == len(CASES)


@pytest.mark.parametrize("i", range(len(CASES)))
def test_refill_misses_within_20_percent(rows, i):
    r = rows[i]
    assert r["pycachesim_misses"] > 10
    assert abs(r["relative_error"]) <= 0.20, r
