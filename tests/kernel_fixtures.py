"""Synthetic processor parameters for the kernel/runtime mechanism tests.

The mechanisms (event order, entry states, conservation) must not depend on the calibration,
so these tests run on a small hand-made parameter set with the calibrated file's shape.
"""
import simpy

from flexrepro.kernel import FlexSC, Kernel
from flexrepro.platform import CodeProfile, Machine, ModelParams, load_platform

KERNEL = ("null", "stat", "pread", "pwrite", "open_close", "mmap_munmap", "open_write_close")


def _profile(name, domain, cpi):
    ws = {"l1i": 40.0, "l1d": 60.0, "l2": 120.0, "l3": 200.0, "dtlb": 8.0}
    return CodeProfile(name, domain, cpi, ws, {s: 3000.0 for s in ws})


def params():
    profiles = {n: _profile(n, "kernel", 1.0) for n in KERNEL}
    profiles.update({n: _profile(n, "user", 0.7) for n in ("xalan", "server_user")})
    return ModelParams(platform={"user_direct_cycles": 30.0, "kernel_direct_cycles": 0.0,
                                 "inflight_window_instructions": 1.0,
                                 "entry_exit_overlap_cycles": 0.0, "overlap_l1d": 2.0, "overlap_l2": 2.0,
                                 "overlap_l3": 2.0, "tlb_miss_cycles": 7.0}, profiles=profiles)


def kernel(cores=1, trace=False, **kw):
    env = simpy.Environment()
    machine = Machine(load_platform(), params(), cores=cores)
    return Kernel(env, machine, params(), trace=trace, **kw)


def flexsc(policy="batching", cores=1, trace=False, **kw):
    """(kernel, user thread, FlexSC instance) on the synthetic parameters."""
    k = kernel(cores=cores, trace=trace)
    th = k.thread(0, "server_user")
    return k, th, FlexSC(k, th, policy=policy, **kw)


def drain(fsc, n, log=None):
    """User loop: poll, free, flexsc_wait until n calls completed."""
    got = []
    while len(got) < n:
        for idx in fsc.poll():
            got.append((idx, fsc.ret(idx)))
            if log is not None:
                log.append((fsc.env.now, idx, fsc.ret(idx)))
            fsc.free(idx)
        if len(got) < n:
            yield from fsc.wait()
    return got
