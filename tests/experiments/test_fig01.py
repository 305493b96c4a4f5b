"""fig01: rows, columns, kernel twin, recovery and the three claims."""
import pytest

import flexrepro
from flexrepro.claims import checks

COLUMNS = {"instructions_between_syscalls", "syscall", "user_ipc", "kernel_ipc", "user_degradation_pct",
           "kernel_degradation_pct", "direct_degradation_pct", "indirect_share"}


@pytest.fixture(scope="module")
def quick():
    return flexrepro.run("fig01", quick=True, executor="serial", progress=False)


def test_rows_and_columns(quick):
    assert COLUMNS <= set(quick.columns)
    assert len(quick) == 2 * quick.instructions_between_syscalls.nunique()
    assert set(quick.syscall) == {"pwrite", "null"}


def test_degradation_falls_with_interval_and_pwrite_costs_more(quick):
    pw = quick[quick.syscall == "pwrite"].sort_values("instructions_between_syscalls")
    null = quick[quick.syscall == "null"].sort_values("instructions_between_syscalls")
    assert pw.user_degradation_pct.is_monotonic_decreasing
    assert (pw.user_degradation_pct.to_numpy() > null.user_degradation_pct.to_numpy()).all()
    assert (pw.kernel_degradation_pct >= -1e-9).all()          # the twin: never better than back to back
    assert pw.kernel_degradation_pct.iloc[-1] > pw.kernel_degradation_pct.iloc[0]


def test_deterministic_across_executors():
    a = flexrepro.run("fig01", quick=True, executor="serial", progress=False,
                      instructions_between_syscalls=[1000, 50000])
    b = flexrepro.run("fig01", quick=True, executor="process", progress=False,
                      instructions_between_syscalls=[1000, 50000])
    assert a.equals(b)


def test_recovery_rises_to_baseline():
    rec = flexrepro.run("fig01_recovery", executor="serial", progress=False)
    ipc = rec.user_ipc.to_numpy()
    assert ipc[0] < 0.5 * rec.baseline_user_ipc.iloc[0]
    assert ipc[-1] > 0.95 * rec.baseline_user_ipc.iloc[0]


def _kernel_gaps(quick) -> dict:
    from flexrepro import reference
    paper = reference.load("kernel_ipc_loss").set_index("user_instructions_between_syscalls")
    pw = quick[quick.syscall == "pwrite"].set_index("instructions_between_syscalls")
    return {n: pw.loc[n, "kernel_degradation_pct"] - row.kernel_ipc_loss_pct for n, row in paper.iterrows()}


def test_kernel_ipc_loss_within_5_points_of_osdi10_figure_4_up_to_2k(quick):
    """The kernel's side of Figure 1 (calibration data of the same one fit); 500 apart, below."""
    gaps = _kernel_gaps(quick)
    assert all(abs(g) <= 5.0 for n, g in gaps.items() if n <= 2000 and n != 500), gaps


@pytest.mark.xfail(strict=True, reason=(
    "known miss by 0.13 points (calibration.platform_fit docstring): Xalan's L1i share is fitted "
    "(0.976 of the L1i; Figure 1's total loss at 5K-10K, 44.7/34.3 -> 47.1/35.7 against 48.0/37.3); "
    "a Xalan that fills its L1i evicts more of pwrite's 53 L1i lines in 500 instructions, and the "
    "kernel loss there rises 31.0 -> 33.3 against 28.2; the weighted fit (cost 617.5 -> 511.7) takes it"))
def test_kernel_ipc_loss_within_5_points_at_500(quick):
    assert abs(_kernel_gaps(quick)[500]) <= 5.0


@pytest.mark.xfail(strict=True, reason=(
    "known miss (calibration.platform_fit docstring): at 10K OSDI'10 Figure 4 needs pwrite at "
    "2x its back-to-back 11,262 cycles; the model has 18,153 = 11,262 + 4,946 lost work + 1,924 "
    "refills. 45% needs refills >= 4,270, but in LRU order Xalan evicts the kernel's lines only "
    "after touching 127,746 other L3 (7,155 L2) lines, and it touches ~49,000 (~6,460) in 10K "
    "instructions; or cold refills priced +19% (k0 <= 8,400): the fit that does it puts "
    "stat/pread, already at the 4-IPC floor, +15.2%/+72.0% over OSDI'10 Table 1, cost 924 vs 618"))
def test_kernel_ipc_loss_within_5_points_at_5k_and_10k(quick):
    gaps = _kernel_gaps(quick)
    assert all(abs(gaps[n]) <= 5.0 for n in (5000, 10000)), gaps


@pytest.mark.parametrize("claim", ["F1-xalan-curve", "F1-direct-dominates", "F1-indirect-dominates"])
def test_claims_hold(quick, claim):
    v = checks()[claim].fn({"fig01": quick})
    assert v.reproduced, v.note


def test_bad_parameters():
    with pytest.raises(flexrepro.ConfigError, match="syscall"):
        flexrepro.run("fig01", syscall="fork")
    with pytest.raises(flexrepro.ConfigError, match="instructions_between_syscalls"):
        flexrepro.run("fig01", instructions_between_syscalls=-3)
