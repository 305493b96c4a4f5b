"""Two small programs on the kernel: the null-call batching benchmark and the Figure-3 loop.

- `null_call_cost`: a thread issues `batch_size` null calls and waits for all of them,
  repeatedly; the cost per call is the thread's elapsed time per call after warm-up.
  `placement`: `sync` (a trap per call, back to back: nothing in flight, so entry + exit
  less the part of them that overlaps, `platform.trap`), `same_core` (exception-less, batching policy) or
  `remote_core` (dynamic specialization on two cores, with syscall threads that sleep at
  once when idle — the worst case: every batch needs an IPI to wake the remote core).
- `timeline`: a thread alternating user work and a system call, synchronously or
  exception-less (batching on one core / specialization on two), with the kernel's trace on:
  the user and kernel segments of each core over time (Figure 3).
"""
from __future__ import annotations

import simpy

from ..errors import ConfigError
from . import FlexSC, Kernel

PLACEMENTS = ("sync", "same_core", "remote_core")
WARM_INSTRUCTIONS = 1e9     # user code run before measuring: long enough to warm every structure


def _machine(params, cores: int):
    from ..platform import Machine, load_platform
    return Machine(load_platform(), params, cores=cores)


def _drain(fsc: FlexSC, outstanding: int):
    """Generator: wait until `outstanding` posted calls completed (poll, then flexsc_wait)."""
    while outstanding:
        done = fsc.poll()
        for idx in done:
            fsc.free(idx)
        outstanding -= len(done)
        if outstanding:
            yield from fsc.wait()


def null_call_cost(placement: str, batch_size: int, params, rounds: int = 200, warmup: int = 20,
                   user_profile: str = "xalan", call: str = "null") -> dict:
    if placement not in PLACEMENTS:
        raise ConfigError(f"parameter 'placement': got {placement!r}; allowed: {', '.join(PLACEMENTS)}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"parameter 'batch_size': got {batch_size!r}; allowed: an integer >= 1")
    if batch_size > 512:
        raise ConfigError(f"parameter 'batch_size': got {batch_size}; allowed: at most 512 (the entries of the default 8 syscall pages)")
    env = simpy.Environment()
    cores = 2 if placement == "remote_core" else 1
    k = Kernel(env, _machine(params, cores), params)
    th = k.thread(0, user_profile)
    # The cost per call in steady state, not the user code's cold start: warm its caches first
    # (with L3 refills at their bounded-MLP cost, a cold 8 MiB L3 would dominate 20 warm-up batches).
    k.machine.core(th.core).run(params.profile(user_profile), WARM_INSTRUCTIONS)
    fsc = None
    if placement == "same_core":
        fsc = FlexSC(k, th, policy="batching")
    elif placement == "remote_core":
        fsc = FlexSC(k, th, policy="dynamic", spin_cycles=0.0)
    marks = {}

    def program():
        for r in range(warmup + rounds):
            if r == warmup:
                marks["t0"] = env.now
                k.counters.events.clear()
            if fsc is None:
                for _ in range(batch_size):
                    yield from th.syscall(call)
            else:
                for _ in range(batch_size):
                    fsc.post(call)
                yield from _drain(fsc, batch_size)
        marks["t1"] = env.now

    env.process(program())
    env.run()
    cycles = (marks["t1"] - marks["t0"]) / (rounds * batch_size)
    ev = k.counters.events
    return {"cycles_per_call": cycles, "ns_per_call": k.machine.spec.cycles_to_ns(cycles),
            "ipis_per_batch": ev["ipi"] / rounds, "flexsc_waits_per_batch": ev.get("flexsc_wait", 0) / rounds}


MODES = ("sync", "batching", "specialization")


def timeline(mode: str, params, iterations: int = 8, user_instructions: float = 3000.0,
             call: str = "pwrite", batch: int = 4, user_profile: str = "xalan", warmup: int = 8) -> list[dict]:
    """Trace rows (core, domain, start, end, label) of a thread that runs `iterations` x
    (user work, one `call`); exception-less modes wait after every `batch` posts. The first
    `warmup` iterations (same program) warm the caches and are not shown; times start at 0."""
    if mode not in MODES:
        raise ConfigError(f"parameter 'mode': got {mode!r}; allowed: {', '.join(MODES)}")
    env = simpy.Environment()
    k = Kernel(env, _machine(params, 2 if mode == "specialization" else 1), params, trace=True)
    th = k.thread(0, user_profile)
    fsc = None
    if mode != "sync":
        fsc = FlexSC(k, th, policy="batching" if mode == "batching" else "dynamic")
    t0 = []

    def program():
        posted = 0
        for i in range(-warmup, iterations):
            if i == 0:
                yield env.timeout(0)
                t0.append(env.now)
                del k.trace[:]
            yield from th.run_user(user_instructions, label=f"work {i}")
            if fsc is None:
                yield from th.syscall(call)
            else:
                fsc.post(call)
                posted += 1
                if posted == batch or i == iterations - 1:
                    yield from _drain(fsc, posted)
                    posted = 0

    env.process(program())
    env.run()
    return [{"core": c, "domain": d, "start": s - t0[0], "end": e - t0[0], "label": lab}
            for c, d, s, e, lab in k.trace if e > t0[0]]


def status_transitions(params) -> list[dict]:
    """Every status transition of Figure 2's state machine, observed in a short run:
    calls that complete, a read that parks then gets data, a parked read that is cancelled,
    a call cancelled before it was issued, and a cancel that loses the race."""
    from . import Socket, Message
    from .pages import STATUS_NAMES
    env = simpy.Environment()
    k = Kernel(env, _machine(params, 1), params)
    th = k.thread(0, "xalan")
    fsc = FlexSC(k, th, policy="batching")
    fsc.table.transitions = []
    slow, dormant = Socket(env), Socket(env)

    def program():
        fsc.post("getppid")
        fsc.post("read", slow)
        parked = fsc.post("read", dormant)
        yield from _drain(fsc, 1)
        env.timeout(10_000).callbacks.append(lambda _: slow.deliver(Message(100)))
        fsc.cancel(parked)
        early = fsc.post("pwrite")
        fsc.cancel(early)
        yield from _drain(fsc, 3)
        late = fsc.post("getppid")
        yield from fsc.wait()
        fsc.cancel(late)                  # already done: the call won the race
        yield from _drain(fsc, 1)

    env.process(program())
    env.run()
    counts: dict = {}
    for _, a, b in fsc.table.transitions:
        counts[(a, b)] = counts.get((a, b), 0) + 1
    return [{"from": STATUS_NAMES[a], "to": STATUS_NAMES[b], "count": n} for (a, b), n in sorted(counts.items())]
