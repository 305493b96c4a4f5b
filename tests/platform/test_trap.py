"""The context-dependent direct cost of a trap, demand shares and bounded memory-level parallelism."""
import math

import pytest

from flexrepro.platform import CodeProfile, Machine, load_params, load_platform, penalties
from flexrepro.platform.trap import direct_cycles, inflight_fraction


def test_inflight_fraction_grows_from_zero_to_one():
    assert inflight_fraction(0.0, 100.0) == 0.0
    xs = [inflight_fraction(n, 100.0) for n in (1, 10, 100, 1000, 1e6)]
    assert all(a < b for a, b in zip(xs, xs[1:-1]))
    assert xs[-1] == pytest.approx(1.0)
    assert inflight_fraction(100.0, 100.0) == pytest.approx(1 - math.exp(-1))


def test_back_to_back_traps_pay_overlapped_entry_and_exit_and_a_full_pipeline_pays_both_sides():
    params, spec = load_params(), load_platform()
    p = params.platform
    core = Machine(spec, params, cores=1).core(0)
    entry_exit = spec.syscall_entry_cycles + spec.syscall_exit_cycles
    tight = entry_exit - p["entry_exit_overlap_cycles"]
    assert core.trap() == pytest.approx(tight)                   # nothing ran: nothing in flight
    assert core.trap() == pytest.approx(tight)
    core.run(params.profile("xalan"), 1e7)
    before = {d: core.counters[d]["cycles"] for d in ("user", "kernel")}
    cost = core.trap()
    assert cost == pytest.approx(entry_exit + p["user_direct_cycles"] + p["kernel_direct_cycles"])
    assert core.counters["user"]["cycles"] - before["user"] == pytest.approx(p["user_direct_cycles"])
    assert core.counters["kernel"]["cycles"] - before["kernel"] == pytest.approx(entry_exit + p["kernel_direct_cycles"])
    core.run(params.profile("pwrite"), 5000)                      # kernel code is not user in-flight work
    assert core.trap() == pytest.approx(tight)


def test_trap_after_n_user_instructions_matches_the_form():
    params, spec = load_params(), load_platform()
    core = Machine(spec, params, cores=1).core(0)
    n = 300.0
    core.run(params.profile("xalan"), n)
    du, dk = direct_cycles(params.platform, n)
    assert core.trap() == pytest.approx(spec.syscall_entry_cycles + spec.syscall_exit_cycles + du + dk)


def test_the_overlap_is_identified_by_the_tight_loop_and_fades_with_inflight_work():
    """entry + exit - overlap = OSDI'10's getppid loop (56 ns at 2.3 GHz); the overlap is gone
    once the interrupted code has built up its in-flight work (Figure 1, the servers)."""
    from flexrepro import reference
    from flexrepro.calibration.platform_fit import entry_exit_overlap
    from flexrepro.errors import ConfigError
    params, spec = load_params(), load_platform()
    p = params.platform
    loop_ns = float(reference.load("platform_facts").set_index("fact")["value"]["null_syscall_loop_ns"])
    assert spec.syscall_entry_cycles + spec.syscall_exit_cycles - p["entry_exit_overlap_cycles"] == \
        pytest.approx(loop_ns * spec.clock_ghz)
    assert direct_cycles(p, 0.0)[1] == pytest.approx(-p["entry_exit_overlap_cycles"])
    f = inflight_fraction(1000.0, p["inflight_window_instructions"])      # Figure 1's shortest N
    left = direct_cycles(p, 1000.0)[1] - p["kernel_direct_cycles"] * f    # what the overlap still takes
    assert -left < 1e-4 * p["kernel_direct_cycles"]       # a fraction of a cycle of thousands: gone
    assert left == pytest.approx(-p["entry_exit_overlap_cycles"] * (1 - f))
    for bad in (70.0, 30.0):            # slower than entry + exit; faster than the longer switch alone
        with pytest.raises(ConfigError, match="null_syscall_loop_ns"):
            entry_exit_overlap(spec, bad)


def test_memory_level_parallelism_is_bounded_and_an_l3_refill_is_dearer_than_an_l2_hit():
    params, spec = load_params(), load_platform()
    for s in ("l1d", "l2", "l3"):
        assert 1.0 <= params.platform[f"overlap_{s}"] <= spec.line_fill_buffers + 1e-9
    pen = penalties(spec, params)
    assert pen["l3"] >= spec.structures["l2"].latency_cycles


def test_demand_share_scales_the_refill_cost_not_the_misses():
    params, spec = load_params(), load_platform()
    ws, reuse = {"l2": 1000.0}, {"l2": 100.0}
    a = CodeProfile("a", "kernel", 1.0, ws, reuse)
    b = CodeProfile("b", "kernel", 1.0, ws, reuse, demand_share={"l2": 0.25})
    sa = Machine(spec, params, cores=1).core(0).run(a, 1e4)
    sb = Machine(spec, params, cores=1).core(0).run(b, 1e4)
    assert sa.misses["l2"] == pytest.approx(sb.misses["l2"])
    pen = penalties(spec, params)["l2"]
    assert sa.cycles - 1e4 == pytest.approx(sa.misses["l2"] * pen)
    assert sb.cycles - 1e4 == pytest.approx(0.25 * sb.misses["l2"] * pen)
    with pytest.raises(Exception, match="demand_share"):
        CodeProfile("c", "kernel", 1.0, ws, reuse, demand_share={"l2": 1.5})
