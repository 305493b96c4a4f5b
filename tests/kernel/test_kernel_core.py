"""The kernel's shared core and the servers' per-call kernel profiles (issue 13, items 4 and 5):
calls keep their own shapes, run through one core that consecutive calls reuse, and every
server's profiles follow one principle instead of a hand-picked shape."""
from dataclasses import replace

import pytest

from flexrepro import reference
from flexrepro.calibration.platform_fit import CORE_PROFILE, KERNEL_SATURATION, TABLE1_STRUCTURES, kernel_core
from flexrepro.errors import ConfigError
from flexrepro.platform import CodeProfile, Machine, load_params, load_platform
from flexrepro.testbed.memcached import memcached_catalogue
from flexrepro.kernel.pricing import call_profile

SERVERS = ("memcached", "nginx")
# A request's worth of memcached calls, several times over: different calls, one after another.
BATCH = ("read", "sendmsg", "epoll_wait", "read", "sendmsg", "read", "sendmsg", "epoll_wait", "read", "sendmsg")


@pytest.fixture(scope="module")
def setup():
    return load_platform(), load_params()


def test_core_is_what_open_write_close_saves_capped_by_the_smallest_call():
    t = reference.load("syscall_footprint").set_index("syscall")
    core = kernel_core(t.reset_index())
    touched = 1 - 2.718281828459045 ** -KERNEL_SATURATION
    for s, col in TABLE1_STRUCTURES.items():
        saved = t.loc["open+close", col] + t.loc["pwrite", col] - t.loc["open+write+close", col]
        assert saved > 0, s                    # the sequence evicts fewer lines than its parts apart
        assert core.working_set[s] * touched == pytest.approx(min(saved, t[col].min()))
        assert core.working_set[s] * touched <= t[col].min() + 1e-9
    assert kernel_core(t.reset_index(), scale=0.5).working_set["l1d"] == pytest.approx(core.working_set["l1d"] / 2)


def _calls(params, names=BATCH):
    cat = memcached_catalogue(params)
    return [(params.profile(cat[n].profile), cat[n].instructions) for n in names]


def _kernel_cpi(machine):
    rows = [r for r in machine.counters() if r["domain"] == "kernel"]
    return sum(r["cycles"] for r in rows) / sum(r["instructions"] for r in rows)


def test_server_calls_keep_their_own_profiles(setup):
    _, params = setup
    cat = memcached_catalogue(params)
    assert cat["read"].profile == call_profile("memcached_kernel", "pread")
    assert cat["sendmsg"].profile == call_profile("memcached_kernel", "pwrite")
    assert len({cat[n].profile for n in set(BATCH)}) == 3


def test_a_batch_runs_warmer_than_the_same_calls_interleaved_with_user_code(setup):
    """10 consecutive calls on one syscall thread's core vs the same calls with the server's
    user code (Table 1's user instructions per syscall) between them."""
    spec, params = setup
    user = params.profile("memcached_user")
    per_call = reference.load("table1").set_index("server").loc["memcached", "user_instructions_per_syscall"]
    cpi = {}
    for mode in ("batch", "interleaved"):
        m = Machine(spec, params, cores=1)
        core = m.core(0)
        for rep in range(2):                   # the second round is measured: both start warm
            m.reset_counters()
            for prof, n in _calls(params):
                if mode == "interleaved":
                    core.execute(user, per_call)
                core.execute(prof, n)
        cpi[mode] = _kernel_cpi(m)
    assert cpi["batch"] < 0.8 * cpi["interleaved"], cpi


def test_different_calls_share_the_core_lines(setup):
    spec, params = setup
    core_p = params.profile(CORE_PROFILE)
    (read, n_read), (send, n_send) = _calls(params, ("read", "sendmsg"))
    m = Machine(spec, params, cores=1)
    c = m.core(0)
    c.execute(read, n_read)
    assert c.resident_fraction(core_p, "l1d") > 0.8            # the read left the core's lines
    after_read = {}
    c.execute(send, n_send, after_read)
    cold = {}
    Machine(spec, params, cores=1).core(0).execute(send, n_send, cold)
    for s in ("l1i", "l1d", "l2"):
        saved = cold[s] - after_read[s]
        # the sendmsg finds the core warm: it saves about the core lines it touches
        assert saved == pytest.approx(core_p.working_set[s] * (cold[s] / send.working_set[s]), rel=0.25), s
    # without the shared core (same working sets, nothing shared) the read leaves nothing for it
    alone = {}
    m2 = Machine(spec, params, cores=1)
    m2.core(0).execute(replace(read, shares=""), n_read)
    m2.core(0).execute(replace(send, shares=""), n_send, alone)
    assert alone["l1d"] == pytest.approx(cold["l1d"], rel=1e-6)


def test_every_server_follows_one_principle(setup):
    _, params = setup
    xalan, core = params.profile("xalan"), params.profile(CORE_PROFILE)
    for server in SERVERS:
        user = params.profile(f"{server}_user")
        assert user.working_set == xalan.working_set and user.reuse_instructions == xalan.reuse_instructions
        assert user.stall_scale == pytest.approx(user.base_cpi / xalan.base_cpi)
        kernel = params.profile(f"{server}_kernel")
        for name in ("stat", "pread", "pwrite", "open_close", "mmap_munmap"):
            v = params.profile(call_profile(f"{server}_kernel", name))
            assert v.working_set == params.profile(name).working_set
            assert v.base_cpi == kernel.base_cpi and v.shares == CORE_PROFILE
        assert params.profile(call_profile(f"{server}_kernel", "null")).working_set == core.working_set


def test_stall_scale_scales_the_refill_cycles(setup):
    spec, params = setup
    x = params.profile("xalan")
    base = Machine(spec, params, cores=1).core(0).execute(x, 3000)
    doubled = Machine(spec, params, cores=1).core(0).execute(replace(x, stall_scale=2.0), 3000)
    assert doubled - 3000 * x.base_cpi == pytest.approx(2 * (base - 3000 * x.base_cpi))


@pytest.mark.parametrize("kwargs, match", [
    ({"stall_scale": 0.0}, "stall_scale"),
    ({"shares": "p"}, "shares"),
])
def test_bad_profile_fields(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        CodeProfile("p", "kernel", 1.0, **kwargs)


def test_a_call_smaller_than_its_core_is_refused(setup):
    spec, params = setup
    tiny = CodeProfile("tiny", "kernel", 1.0, working_set={"l1d": 1.0}, reuse_instructions={"l1d": 100.0},
                       shares=CORE_PROFILE)
    with pytest.raises(ConfigError, match="smaller than the shared core"):
        Machine(spec, params, cores=1).core(0).execute(tiny, 100)
