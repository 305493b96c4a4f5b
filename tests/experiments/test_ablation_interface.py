"""Section 7 interface ablation through the servers: page scans grow with dormant connections,
queue rings do not; dormant connections are parked in bulk, never simulated one by one."""
import pytest

import flexrepro
from flexrepro.errors import ConfigError
from flexrepro.experiments.ablation_interface import run_point


@pytest.fixture(scope="module")
def rows():
    return {(i, n): run_point({"server": "nginx", "interface": i, "connections": n, "active": 32}, 1)
            for i in ("pages", "queues") for n in (100, 30_000)}


def test_scans_grow_with_dormant_connections_queues_stay_flat(rows):
    p_lo, p_hi = rows["pages", 100], rows["pages", 30_000]
    q_lo, q_hi = rows["queues", 100], rows["queues", 30_000]
    assert p_hi["entries_scanned_per_call"] > 50 * p_lo["entries_scanned_per_call"]
    assert p_hi["user_poll_share"] > 0.5 > 0.05 > q_hi["user_poll_share"]
    assert p_hi["throughput_rps"] < 0.8 * p_lo["throughput_rps"]
    assert q_hi["scan_cycles_per_call"] == pytest.approx(q_lo["scan_cycles_per_call"])
    assert q_hi["throughput_rps"] == pytest.approx(q_lo["throughput_rps"])
    assert q_hi["entries_scanned_per_call"] == 0 and p_hi["ring_ops_per_call"] == 0
    assert p_hi["dormant"] == 30_000 - 32 and p_hi["dormant_share"] == pytest.approx((30_000 - 32) / 30_000)


def test_simulated_events_do_not_grow_with_dormant_connections(rows):
    assert rows["queues", 30_000]["sim_events"] == rows["queues", 100]["sim_events"]


def test_bad_input():
    with pytest.raises(ConfigError, match="active"):
        flexrepro.run("ablation_interface", executor="serial", progress=False, cache=False, connections=10, active=64)
    with pytest.raises(ConfigError, match="interface"):
        flexrepro.run("ablation_interface", executor="serial", progress=False, cache=False, interface="rings")
