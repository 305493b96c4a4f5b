"""The batching microbenchmark: per-call cost falls monotonically with batch size."""
import pytest

import flexrepro
from flexrepro.errors import ConfigError
from flexrepro.platform import load_params
from flexrepro.kernel.programs import null_call_cost

BATCHES = (1, 2, 4, 8, 16, 32, 64)


@pytest.mark.parametrize("placement", ["same_core", "remote_core"])
def test_cost_per_call_falls_monotonically(placement):
    cost = [null_call_cost(placement, b, load_params(), rounds=30, warmup=5)["ns_per_call"] for b in BATCHES]
    assert all(a > b for a, b in zip(cost, cost[1:])), cost


def test_remote_needs_an_ipi_per_batch_and_is_dearer_than_the_same_core():
    p = load_params()
    for b in (1, 64):
        same = null_call_cost("same_core", b, p, rounds=20, warmup=5)
        remote = null_call_cost("remote_core", b, p, rounds=20, warmup=5)
        assert remote["ipis_per_batch"] == 1.0 and same["ipis_per_batch"] == 0.0
        assert remote["ns_per_call"] > same["ns_per_call"]


def test_sync_cost_is_flat_and_a_single_exceptionless_call_is_dearer():
    p = load_params()
    sync = [null_call_cost("sync", b, p, rounds=20, warmup=5)["ns_per_call"] for b in (1, 64)]
    assert sync[0] == pytest.approx(sync[1], rel=1e-6)
    assert null_call_cost("same_core", 1, p, rounds=20, warmup=5)["ns_per_call"] > sync[0]
    assert null_call_cost("same_core", 64, p, rounds=20, warmup=5)["ns_per_call"] < sync[0]


def test_experiment_rows_and_bad_input():
    df = flexrepro.run("ablation_batching_cost", quick=True, executor="serial", progress=False)
    assert set(df.placement) == {"sync", "same_core", "remote_core"}
    assert {"placement", "batch_size", "ns_per_call"} <= set(df.columns)
    with pytest.raises(ConfigError, match="batch_size"):
        flexrepro.run("ablation_batching_cost", quick=True, executor="serial", batch_size=-4)
    with pytest.raises(ConfigError, match="placement"):
        flexrepro.run("ablation_batching_cost", quick=True, executor="serial", placement="gpu")
    with pytest.raises(ConfigError, match="batch_size"):
        null_call_cost("same_core", 0, load_params())


def test_sync_null_call_has_no_pipeline_loss_in_a_tight_loop():
    """Back-to-back calls have nothing in flight (platform.trap): entry + exit only."""
    from flexrepro.platform import load_platform
    spec = load_platform()
    sync = null_call_cost("sync", 1, load_params(), rounds=20, warmup=5)
    assert sync["cycles_per_call"] == pytest.approx(spec.syscall_entry_cycles + spec.syscall_exit_cycles)


@pytest.mark.xfail(strict=True, reason=(
    "known miss: OSDI'10's tight-loop getppid is 56 ns = 129 cycles, below the same paper's "
    "measured entry + exit (79 + 71 = 150 cycles = 65.2 ns, +16%); the model's floor is the latter"))
def test_sync_null_call_within_15_percent_of_the_tight_loop_measurement():
    from flexrepro import reference
    facts = reference.load("platform_facts").set_index("fact")["value"]
    paper = float(facts["null_syscall_loop_ns"])
    sync = null_call_cost("sync", 1, load_params(), rounds=20, warmup=5)["ns_per_call"]
    assert abs(sync - paper) <= 0.15 * paper, sync
