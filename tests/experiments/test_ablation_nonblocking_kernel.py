"""Section 7's non-blocking kernel: one syscall thread, continuations instead of parked threads."""
import pytest
import simpy

import flexrepro
from flexrepro.errors import ConfigError
from flexrepro.kernel import FlexSC, Kernel, Message, Socket, load_costs
from flexrepro.kernel.nonblocking import NonBlockingFlexSC, load_continuation_costs
from flexrepro.platform import Machine, load_params, load_platform
from flexrepro.kernel.dormant import dormant_cost


def _blocked_read(cls):
    """Post a read before its data arrives, deliver the data later, wait for the completion."""
    p = load_params()
    env = simpy.Environment()
    k = Kernel(env, Machine(load_platform(), p, cores=1), p)
    th = k.thread(0, "xalan")
    fsc = cls(k, th, pages_per_core=1)
    sock = Socket(env)
    got = []

    def prog():
        idx = fsc.post("read", sock)
        env.timeout(50_000).callbacks.append(lambda _: sock.deliver(Message(100)))
        while not got:
            got.extend(fsc.poll())
            if not got:
                yield from fsc.wait()
        assert fsc.ret(idx) == 100

    env.process(prog())
    env.run()
    return k.counters.events, fsc


def test_a_blocked_call_costs_a_continuation_not_a_thread():
    ev_f, f = _blocked_read(FlexSC)
    ev_n, n = _blocked_read(NonBlockingFlexSC)
    assert ev_f["block"] == ev_n["block"] == 1
    assert ev_f["thread_switch"] == 1 and ev_n["thread_switch"] == 0
    assert ev_n["continuation_saved"] == ev_n["continuation_resumed"] == 1
    assert ev_f["syscall_threads_created"] == 64 and ev_n["syscall_threads_created"] == 1
    assert n.stats()["syscall_threads"] == 1 and f.stats()["syscall_threads"] == 64


def test_memory_is_one_thread_plus_a_continuation_per_waiting_call():
    kib, cont = load_costs().thread_memory_kib, load_continuation_costs()
    r = dormant_cost("queues", 10_000, load_params(), rounds=5, warmup=2, kernel="nonblocking", early_reads=True)
    f = dormant_cost("queues", 10_000, load_params(), rounds=5, warmup=2, kernel="flexsc", early_reads=True)
    assert r["syscall_threads"] == 1 and f["syscall_threads"] >= 10_000
    waiting = r["dormant_calls"] + 16                  # dormant + every active read blocks once
    assert r["thread_memory_kib"] == pytest.approx(kib + waiting * cont.bytes / 1024)
    assert f["thread_memory_kib"] == kib * f["syscall_threads"]
    assert r["thread_switches_per_call"] == 0 < f["thread_switches_per_call"]
    assert r["continuations_per_call"] > 0      # busy cycles per call: the ablation reports them (a model result)


def test_experiment_rows_determinism_and_bad_input():
    a = flexrepro.run("ablation_nonblocking_kernel", quick=True, executor="serial", progress=False, cache=False)
    b = flexrepro.run("ablation_nonblocking_kernel", quick=True, executor="process", progress=False, cache=False)
    assert a.equals(b)
    top = a[a.outstanding_calls == 1_000_000].set_index("kernel")
    assert top.loc["flexsc", "syscall_threads"] == 1_000_000 and top.loc["nonblocking", "syscall_threads"] == 1
    assert top.loc["nonblocking", "memory_mib"] < top.loc["flexsc", "memory_mib"] / 10
    for bad, match in (({"kernel": "io_uring"}, "kernel"), ({"outstanding_calls": 10, "active_calls": 16}, "active_calls")):
        with pytest.raises(ConfigError, match=match):
            flexrepro.run("ablation_nonblocking_kernel", quick=True, executor="serial", progress=False, cache=False, **bad)
