"""Event-order tests of FlexSC (kernel/flexsc.py: syscall threads, flexsc_wait, scheduler
policies, cancellation) on a small synthetic parameter set."""
import pytest

import kernel_fixtures as kf
from flexrepro.errors import ConfigError
from flexrepro.kernel import EINTR, FlexSC, Message, Socket
from flexrepro.kernel.pages import BUSY, DONE, FREE, SUBMITTED


def test_entry_status_transitions():
    k, th, fsc = kf.flexsc()
    fsc.table.transitions = []
    out = []

    def user():
        i = fsc.post("getppid")
        assert fsc.table.status[i] == SUBMITTED
        out.extend((yield from kf.drain(fsc, 1)))
    k.env.process(user())
    k.env.run()
    i = out[0][0]
    assert fsc.table.transitions == [(i, FREE, SUBMITTED), (i, SUBMITTED, BUSY), (i, BUSY, DONE), (i, DONE, FREE)]
    assert k.counters.syscalls[("getppid", "exceptionless")] == 1

def test_posting_is_not_a_trap_and_batching_runs_calls_only_in_flexsc_wait():
    k, th, fsc = kf.flexsc(trace=True)

    def user():
        for _ in range(3):
            fsc.post("null")
        yield from th.run_user(5000)
        assert fsc.table.status[0] == SUBMITTED       # nothing ran while the user was running
        got = yield from kf.drain(fsc, 3)
        assert len(got) == 3
    k.env.process(user())
    k.env.run()
    kernel = [r for r in k.trace if r[1] == "kernel"]
    assert [r[4] for r in kernel] == ["flexsc_wait", "null", "null", "null"]
    assert k.counters.batches == {3: 1}

@pytest.mark.parametrize("policy,cores", [("batching", 1), ("dynamic", 2), ("dynamic", 3), ("static", 3)])
def test_one_segment_at_a_time_per_core(policy, cores):
    """One active syscall thread per core, and never user and kernel at once on a core."""
    k, th, fsc = kf.flexsc(policy, cores, trace=True)

    def user():
        for r in range(20):
            for _ in range(1 + r % 7):
                fsc.post("pwrite")
            yield from th.run_user(2000)
            yield from kf.drain(fsc, 1 + r % 7)
    k.env.process(user())
    k.env.run()
    for c in range(cores):
        segs = sorted((s, e) for core, _, s, e, _ in k.trace if core == c)
        assert all(e0 <= s1 + 1e-9 for (_, e0), (s1, _) in zip(segs, segs[1:]))
    assert k.counters.syscalls[("pwrite", "exceptionless")] == sum(1 + r % 7 for r in range(20))

def test_blocking_call_hands_over_to_the_next_syscall_thread():
    k, th, fsc = kf.flexsc(trace=True)
    sock = Socket(k.env)
    log = []

    def user():
        r = fsc.post("read", sock)
        n = fsc.post("null")
        got = yield from kf.drain(fsc, 1, log)
        assert got == [(n, 0)]                       # the null completed although the read blocked
        assert fsc.table.status[r] == BUSY            # the read's thread is parked
        got = yield from kf.drain(fsc, 1, log)
        assert got == [(r, 100)]

    k.env.process(user())
    k.env.timeout(50_000).callbacks.append(lambda _: sock.deliver(Message(100)))
    k.env.run()
    assert k.counters.events["block"] == 1
    assert k.counters.events["thread_switch"] >= 2    # to the next thread, and back to the woken one
    assert log[0][0] < 50_000 <= log[1][0]
    labels = [r[4] for r in k.trace if r[1] == "kernel"]
    assert labels.index("read parks") < labels.index("null")

def test_flexsc_wait_wakes_only_when_all_issued_and_one_completed():
    k, th, fsc = kf.flexsc()
    socks = [Socket(k.env) for _ in range(2)]
    woke = []

    def user():
        for s in socks:
            fsc.post("read", s)
        yield from fsc.wait()
        woke.append(k.env.now)
        assert fsc.table.done_count == 1

    k.env.process(user())
    k.env.timeout(80_000).callbacks.append(lambda _: socks[1].deliver(Message(10)))
    k.env.run()
    assert woke and woke[0] > 80_000                  # both issued (and parked) long before: not enough

def test_all_posted_calls_issued_before_wake_on_the_same_core():
    k, th, fsc = kf.flexsc()

    def user():
        for _ in range(5):
            fsc.post("null")
        yield from fsc.wait()
        assert fsc.table.done_count == 5
    k.env.process(user())
    k.env.run()

def test_ipi_wakes_a_cold_remote_core_and_not_a_polling_one():
    k, th, fsc = kf.flexsc("dynamic", 2, trace=True, spin_cycles=1e6)
    t_wait = []

    def user():
        fsc.post("null")
        t_wait.append(k.env.now)
        yield from kf.drain(fsc, 1)
        assert k.counters.events["ipi"] == 1
        fsc.post("null")                              # core 1 is still polling: no IPI
        yield from kf.drain(fsc, 1)
        assert k.counters.events["ipi"] == 1
    k.env.process(user())
    k.env.run()
    remote = [r for r in k.trace if r[0] == 1]
    assert remote and all(r[4] == "null" for r in remote)
    assert remote[0][2] >= t_wait[0] + k.costs.ipi_latency_cycles
    assert not any(r[0] == 0 and r[4] == "null" for r in k.trace)   # the user's core stayed in user mode

def test_dynamic_uses_the_user_core_when_every_other_core_is_busy():
    k, th, fsc = kf.flexsc("dynamic", 2, trace=True, pages_per_core=1)   # 2 pages: 128 entries

    def user():
        for _ in range(64):                           # page 0
            fsc.post("pwrite")
        yield from fsc.wait()                         # core 1 takes page 0; wake: all issued, one done
        assert fsc.workers[1].state == "running"      # core 1 still runs the last call of page 0
        for _ in range(20):                           # page 1 while core 1 is busy
            fsc.post("pwrite")
        yield from fsc.wait()                         # no idle core left: the user's core takes page 1
        yield from kf.drain(fsc, 84)
    k.env.process(user())
    k.env.run()
    cores = {r[0] for r in k.trace if r[4] == "pwrite"}
    assert cores == {0, 1}

def test_cancel_wins_against_a_parked_read():
    k, th, fsc = kf.flexsc()
    sock = Socket(k.env)

    def user():
        idx = fsc.post("read", sock)
        k.env.timeout(30_000).callbacks.append(lambda _: fsc.cancel(idx))
        got = yield from kf.drain(fsc, 1)
        assert got == [(idx, EINTR)]
        assert k.env.now >= 30_000 + k.costs.signal_cycles
    k.env.process(user())
    k.env.run()
    assert k.counters.events["cancel_won"] == 1

def test_cancel_loses_when_the_call_completes_first():
    k, th, fsc = kf.flexsc()
    sock = Socket(k.env)
    res = {}

    def user():
        idx = fsc.post("read", sock)
        res["idx"] = idx
        got = yield from kf.drain(fsc, 1)
        res["got"] = got

    def racer():
        yield k.env.timeout(30_000)
        sock.deliver(Message(64))                     # data arrives ...
        yield k.env.timeout(10)
        assert fsc.cancel(res["idx"]) is True         # ... and the cancel a moment later
    k.env.process(user())
    k.env.process(racer())
    k.env.run()
    assert res["got"] == [(res["idx"], 64)]           # the real result, not EINTR
    assert k.counters.events["cancel_lost"] == 1

def test_cancel_after_done_returns_false_and_cancel_before_issue_skips_the_call():
    k, th, fsc = kf.flexsc()

    def user():
        a = fsc.post("null")
        yield from fsc.wait()
        assert fsc.cancel(a) is False                 # already done: the race is lost
        fsc.free(fsc.poll()[0])
        b = fsc.post("pwrite")
        assert fsc.cancel(b) is True
        got = yield from kf.drain(fsc, 1)
        assert got == [(b, EINTR)]
    k.env.process(user())
    k.env.run()
    assert k.counters.syscalls[("pwrite", "exceptionless")] == 0

def test_bad_inputs():
    k = kf.kernel()
    th = k.thread(0, "server_user")
    with pytest.raises(ConfigError, match="pages_per_core"):
        FlexSC(k, th, pages_per_core=70_000)          # 70000 x 64 entries > PID_MAX_LIMIT syscall threads
    with pytest.raises(ConfigError, match="pages_per_core"):
        FlexSC(k, th, pages_per_core=0)
    with pytest.raises(ConfigError, match="policy"):
        FlexSC(k, th, policy="fifo")
    with pytest.raises(ConfigError, match="interface"):
        FlexSC(k, th, interface="ring")
    fsc = FlexSC(k, th)
    with pytest.raises(ConfigError, match="not in the catalogue.*allowed"):
        fsc.post("fork")
    with pytest.raises(ConfigError, match="kernel_cores"):
        FlexSC(kf.kernel(cores=2), k.thread(0, "server_user"), policy="static", kernel_cores=[0])

def test_syscall_threads_and_memory_are_accounted():
    k, th, fsc = kf.flexsc("dynamic", 2)
    assert fsc.stats()["syscall_threads"] == 2 * 8 * 64
    assert fsc.memory_kib == 2 * 8 * 64 * 10
    socks = [Socket(k.env) for _ in range(5)]

    def user():
        for s in socks:
            fsc.post("read", s)
        fsc.post("null")
        yield from kf.drain(fsc, 1)
    k.env.process(user())
    k.env.run()
    assert fsc.parked == 5 and fsc.max_parked == 5


def test_consume_is_ret_value_and_free_in_one_call():
    """libflexsc's completion loop takes each entry with `consume`: the same return value and
    result as `ret` and `value`, and the entry is free again (no leaked entries)."""
    k, th, fsc = kf.flexsc()
    sock = Socket(k.env)
    sock.deliver(Message(300, "payload"))
    got = {}

    def user():
        a, b = fsc.post("read", sock), fsc.post("getppid")
        while len(got) < 2:
            yield from fsc.wait()
            for idx in fsc.poll():
                expect = (fsc.ret(idx), fsc.value(idx))
                got[idx] = (fsc.consume(idx), expect)
        assert set(got) == {a, b}
    k.env.process(user())
    k.env.run()
    for (ret, value), expect in got.values():
        assert (ret, value) == expect and type(ret) is int
    assert sorted(v[0][0] for v in got.values()) == [0, 300]
    assert [v[0][1].payload for v in got.values() if v[0][0] == 300] == ["payload"]
    assert fsc.table.in_use == 0 and all(c is None for c in fsc.calls)
