"""The processor model: segments, counters, trap, transfer, shared L3, bad input."""
import pytest

from flexrepro.errors import ConfigError
from flexrepro.platform import CodeProfile, Machine, load_params, load_platform


@pytest.fixture(scope="module")
def setup():
    return load_platform(), load_params()


def test_segment_cycles_and_counters(setup):
    spec, params = setup
    m = Machine(spec, params, cores=2)
    core = m.core(0)
    x = params.profile("xalan")
    seg = core.run(x, 5000.0)
    assert seg.domain == "user" and seg.profile == "xalan" and seg.instructions == 5000.0
    assert seg.cycles >= 5000.0 * x.base_cpi
    assert set(seg.misses) <= {"l1i", "l1d", "l2", "l3", "dtlb"}
    rows = {(r["core"], r["domain"]): r for r in m.counters()}
    assert rows[(0, "user")]["instructions"] == 5000.0
    assert rows[(0, "user")]["cycles"] == pytest.approx(seg.cycles)
    assert rows[(1, "user")]["cycles"] == 0.0
    m.reset_counters()
    assert all(r["cycles"] == 0 for r in m.counters())


def test_kernel_call_slows_the_user_afterwards(setup):
    spec, params = setup
    core = Machine(spec, params, cores=1).core(0)
    x, pw = params.profile("xalan"), params.profile("pwrite")
    core.run(x, 1e9)
    warm = core.run(x, 2000).cycles
    core.run(pw, pw.instructions)
    polluted = core.run(x, 2000).cycles
    assert polluted > warm * 1.1


def test_trap_cycles_and_charging(setup):
    """After a long user run the trap pays entry/exit and both sides' full lost work
    (platform.trap; tests/platform/test_trap.py checks the context dependence)."""
    spec, params = setup
    m = Machine(spec, params, cores=1)
    core = m.core(0)
    core.run(params.profile("xalan"), 1e9)
    m.reset_counters()
    user, kernel = params.platform["user_direct_cycles"], params.platform["kernel_direct_cycles"]
    assert core.trap() == pytest.approx(79 + 71 + user + kernel)
    rows = {r["domain"]: r for r in m.counters()}
    assert rows["kernel"]["cycles"] == pytest.approx(150 + kernel) and rows["user"]["cycles"] == pytest.approx(user)


def test_l3_is_shared_between_cores(setup):
    spec, params = setup
    m = Machine(spec, params, cores=2)
    big = CodeProfile("big", "user", 1.0, working_set={"l3": spec.capacity("l3")}, reuse_instructions={"l3": 1e3})
    other = CodeProfile("other", "kernel", 1.0, working_set={"l3": 20000.0}, reuse_instructions={"l3": 1e3})
    m.core(0).run(big, 1e7)
    assert m.core(0).run(big, 1e4).misses["l3"] == 0
    m.core(1).run(other, 1e7)           # another core's code evicts core 0's L3 lines
    assert m.core(0).run(big, 1e7).misses["l3"] > 1000


def test_transfer(setup):
    spec, params = setup
    m = Machine(spec, params, cores=2)
    assert m.transfer(10, src=0, dst=0) == 0
    one = m.transfer(1, src=0, dst=1)
    assert one > 0 and m.transfer(10, src=0, dst=1) == pytest.approx(10 * one)
    m.transfer(4, src=0, dst=1, domain="kernel")
    rows = {(r["core"], r["domain"]): r for r in m.counters()}
    assert rows[(1, "kernel")]["l1d_misses"] == 4
    with pytest.raises(ConfigError, match="lines"):
        m.transfer(-1, 0, 1)
    with pytest.raises(ConfigError, match="core index"):
        m.transfer(1, 0, 5)


def test_deterministic(setup):
    spec, params = setup
    def trace():
        m = Machine(spec, params, cores=2)
        out = []
        for i in range(50):
            out.append(m.core(i % 2).run(params.profile("xalan"), 1000 + i).cycles)
            out.append(m.core(i % 2).run(params.profile("stat"), 4972).cycles)
        return out
    assert trace() == trace()


@pytest.mark.parametrize("kwargs, match", [
    (dict(working_set={"l1d": -1.0}, reuse_instructions={"l1d": 10.0}), "must be a number >= 0"),
    (dict(working_set={"l4": 10.0}, reuse_instructions={"l4": 10.0}), "unknown structure 'l4'"),
    (dict(working_set={"l1d": 10.0}), "reuse_instructions"),
    (dict(domain="hypervisor"), "domain"),
    (dict(base_cpi=0.0), "base_cpi"),
])
def test_bad_profiles(kwargs, match):
    args = dict(name="bad", domain="user", base_cpi=1.0)
    args.update(kwargs)
    with pytest.raises(ConfigError, match=match):
        CodeProfile(**args)


def test_working_set_larger_than_structure(setup):
    spec, params = setup
    huge = CodeProfile("huge", "user", 1.0, working_set={"l1d": 1e6}, reuse_instructions={"l1d": 10.0})
    with pytest.raises(ConfigError, match="exceeds the structure's capacity"):
        Machine(spec, params, cores=1).core(0).run(huge, 10)


def test_bad_machine_and_run_arguments(setup):
    spec, params = setup
    with pytest.raises(ConfigError, match="cores"):
        Machine(spec, params, cores=0)
    with pytest.raises(ConfigError, match="cores"):
        Machine(spec, params, cores=65)
    core = Machine(spec, params, cores=1).core(0)
    with pytest.raises(ConfigError, match="instructions"):
        core.run(params.profile("xalan"), -5)
    with pytest.raises(ConfigError, match="unknown profile 'nope'.*xalan"):
        params.profile("nope")


def test_parameter_file_has_the_contract_profiles(setup):
    _, params = setup
    for name in ("xalan", "null", "stat", "pread", "pwrite", "open_close", "mmap_munmap", "open_write_close"):
        p = params.profile(name)
        assert p.provenance
    assert params.provenance["platform"]
