"""Section 7 scaling ablation: page scans grow with outstanding calls, queue rings do not;
one syscall thread (10 KiB) per entry; bulk-parked dormant calls equal posted ones."""
import pytest
import simpy

import flexrepro
from flexrepro.errors import ConfigError
from flexrepro.kernel import FlexSC, Kernel, load_costs
from flexrepro.kernel.scale import park_dormant
from flexrepro.platform import Machine, load_params, load_platform
from flexrepro.kernel.dormant import dormant_cost

GRID = (100, 1_000, 10_000, 100_000)


@pytest.fixture(scope="module")
def rows():
    p = load_params()
    return {(i, n): dormant_cost(i, n, p, rounds=10, warmup=3) for i in ("pages", "queues") for n in GRID}


def test_page_scans_grow_with_outstanding_calls_queue_rings_stay_flat(rows):
    pages = [rows["pages", n]["scan_cycles_per_call"] for n in GRID]
    queues = [rows["queues", n]["scan_cycles_per_call"] for n in GRID]
    assert all(a < b for a, b in zip(pages, pages[1:])), pages
    assert pages[-1] > 100 * pages[0]                         # linear in the pages in use
    assert max(queues) == pytest.approx(min(queues), rel=1e-9), queues
    assert all(rows["queues", n]["entries_scanned_per_call"] == 0 for n in GRID)
    assert all(rows["pages", n]["ring_ops_per_call"] == 0 for n in GRID)
    assert rows["pages", 100_000]["scan_share"] > 0.5 > 0.05 > rows["queues", 100_000]["scan_share"]


def test_one_syscall_thread_of_10_kib_per_entry(rows):
    kib = load_costs().thread_memory_kib
    assert kib == 10
    for (i, n), r in rows.items():
        assert r["syscall_threads"] == r["syscall_entries"] >= n
        assert r["thread_memory_kib"] == kib * r["syscall_threads"]
        assert r["parked_threads"] == r["dormant_calls"] == n - 16


def test_bulk_parked_dormant_reads_equal_posting_them_one_by_one():
    p = load_params()
    for interface in ("pages", "queues"):
        bulk = dormant_cost(interface, 300, p, rounds=10)
        posted = dormant_cost(interface, 300, p, rounds=10, bulk=False)   # parks them in warm-up
        assert bulk.keys() == posted.keys()
        for key, v in bulk.items():
            if isinstance(v, int) or "scanned" in key or "ring_ops" in key:
                assert posted[key] == v, key                 # counts: exactly the same
            else:                                            # cycles: caches warmed slightly differently
                assert posted[key] == pytest.approx(v, rel=1e-6), key


def test_park_dormant_rejects_bad_counts_and_used_tables():
    p = load_params()
    env = simpy.Environment()
    k = Kernel(env, Machine(load_platform(), p, cores=1), p)
    fsc = FlexSC(k, k.thread(0, "xalan"), pages_per_core=1)
    for bad in (-1, 65, 2.5):
        with pytest.raises(ConfigError, match="dormant"):
            park_dormant(fsc, bad)
    park_dormant(fsc, 64)
    assert fsc.table.active_pages == 1 and fsc.table.alloc() is None and fsc.parked == 64
    with pytest.raises(ConfigError, match="free"):
        park_dormant(fsc, 1)


def test_experiment_rows_bad_input_and_determinism():
    a = flexrepro.run("ablation_scaling", quick=True, executor="serial", progress=False, cache=False)
    b = flexrepro.run("ablation_scaling", quick=True, executor="process", progress=False, cache=False)
    assert a.equals(b)
    assert {"interface", "outstanding_calls", "scan_cycles_per_call", "syscall_threads",
            "thread_memory_mib", "nonblocking_memory_mib"} <= set(a.columns)
    assert (a.thread_memory_mib * 1024 == 10 * a.syscall_threads).all()
    assert (a.nonblocking_threads == 1).all() and (a.nonblocking_memory_mib * 1024 == 10).all()
    for bad, match in (({"outstanding_calls": 0}, "outstanding_calls"), ({"interface": "rings"}, "interface"),
                       ({"outstanding_calls": 10, "active_calls": 16}, "active_calls"),
                       ({"cores": 2}, "cores")):
        with pytest.raises(ConfigError, match=match):
            flexrepro.run("ablation_scaling", quick=True, executor="serial", progress=False, cache=False, **bad)
    with pytest.raises(ConfigError, match="outstanding_calls"):
        dormant_cost("pages", 0, load_params())
