"""The kernel of the simulated machine: cycle accounting, user threads and the synchronous trap path.

Every piece of work is a *segment* executed through the platform (`Core.run`), so its
cycles depend on what ran before on that core; the SimPy process then waits those cycles
with a single timeout. Simulated time unit: cycles.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import simpy

from .catalogue import Catalogue, load_catalogue
from . import assumed
from .clock import Tick, sleep
from .costs import KernelCosts, load_costs
from .semantics import Blocked, perform

LINE = 64


def lines(nbytes: int) -> int:
    return -(-nbytes // LINE) if nbytes > 0 else 0


class Counters:
    """Plain counters, exposed as dicts/rows: syscalls per name and mode, mechanism events,
    batch sizes, busy cycles per core and domain."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        """Start counting afresh (e.g. after warm-up)."""
        self.syscalls: Counter = Counter()          # (name, mode) -> calls
        self.events: Counter = Counter()            # ipi, thread_switch, wakeup, block, eagain, ...
        self.batches: Counter = Counter()           # calls executed per kernel pass -> passes
        self.busy: Counter = Counter()              # (core, domain) -> cycles

    def syscall_rows(self) -> list[dict]:
        return [{"syscall": n, "mode": m, "calls": c} for (n, m), c in sorted(self.syscalls.items())]

    def busy_rows(self, elapsed: float) -> list[dict]:
        return [{"core": c, "domain": d, "cycles": v, "utilisation": v / elapsed if elapsed else 0.0}
                for (c, d), v in sorted(self.busy.items())]

    def summary(self) -> dict:
        n = sum(self.batches.values())
        calls = sum(k * v for k, v in self.batches.items())
        out = {f"n_{k}": v for k, v in sorted(self.events.items())}
        out["syscalls_sync"] = sum(c for (_, m), c in self.syscalls.items() if m == "sync")
        out["syscalls_exceptionless"] = sum(c for (_, m), c in self.syscalls.items() if m == "exceptionless")
        out["mean_batch"] = calls / n if n else 0.0
        return out


class Kernel:
    def __init__(self, env: simpy.Environment, machine, params, catalogue: Catalogue | None = None,
                 costs: KernelCosts | None = None, trace: bool = False):
        self.env = env
        self.machine = machine
        self.cores = machine.cores            # direct indexing: execute() is the hot path
        self.params = params
        self.catalogue = catalogue or load_catalogue()
        self.costs = costs or assumed.costs(load_costs())
        self.counters = Counters()
        self.trace: list[tuple] | None = [] if trace else None   # (core, domain, start, end, label)
        self._profiles: dict[str, Any] = {}
        self._irq_debt = [0.0] * len(self.cores)   # interrupt cycles the core's next segment waits for
        lat = machine.spec.structures
        self._line_cycles = lat["l3"].latency_cycles + lat["l2"].latency_cycles   # one forwarded line
        self._overlap_l2 = machine.params.platform["overlap_l2"]

    def profile(self, name: str):
        p = self._profiles.get(name)
        if p is None:
            p = self._profiles[name] = self.params.profile(name)
        return p

    def execute(self, core: int, profile: str, instructions: float, domain: str, label: str = "",
                start: float | None = None, extra_cycles: float = 0.0) -> float:
        """Run a segment on `core` through the platform; returns its cycles (the caller waits them)."""
        cycles = extra_cycles
        if instructions > 0:
            p = self._profiles.get(profile)
            cycles += self.cores[core].execute(self.profile(profile) if p is None else p, instructions)
        self.counters.busy[(core, domain)] += cycles
        if self.trace is not None and cycles > 0:
            t0 = self.env.now if start is None else start
            self.trace.append((core, domain, t0, t0 + cycles, label))
        # interrupt work on this core delays what runs on it next (counted busy once, in `interrupt`)
        debt = self._irq_debt[core]
        if debt:
            self._irq_debt[core] = 0.0
            cycles += debt
        return cycles

    def interrupt(self, core: int, profile: str, instructions: float, label: str) -> None:
        """Interrupt-context kernel work on `core` (the NIC's softirq): run through the platform
        like any segment (its cache effects now); its time is taken from the next segment that
        starts on the core -- the running one is interrupted, an idle core's woken thread waits."""
        self.counters.events["irq_segments"] += 1
        p = self._profiles.get(profile)
        cycles = self.cores[core].execute(self.profile(profile) if p is None else p, instructions)
        self.counters.busy[(core, "kernel")] += cycles
        self._irq_debt[core] += cycles
        if self.trace is not None:
            self.trace.append((core, "kernel", self.env.now, self.env.now + cycles, label))

    def transfer(self, n_lines: int, src: int, dst: int, domain: str) -> float:
        """Cycles for `dst` to read `n_lines` cache lines written on `src` (counted as `domain` misses).

        Machine.transfer's arithmetic without its argument checks (the hot path: the kernel's
        own cores and domains); the same operations in the same order, so the same floats."""
        if src == dst or n_lines <= 0:
            return 0.0
        cycles = n_lines * self._line_cycles / self._overlap_l2
        self.cores[dst].count_transfer(domain, cycles, n_lines)
        return cycles

    def thread(self, core: int, profile: str, name: str = "user") -> "UserThread":
        self.machine.core(core)               # validates the index (ConfigError naming the allowed range)
        self.profile(profile)                 # and the profile name
        return UserThread(self, core, profile, name)


class UserThread:
    """A user thread pinned to a core. User work is accumulated and run as one segment."""

    def __init__(self, kernel: Kernel, core: int, profile: str, name: str = "user"):
        self.kernel, self.env, self.core, self.profile, self.name = kernel, kernel.env, core, profile, name
        self.pending_instructions = 0.0     # e.g. entry writes and page scans, run with the next segment
        self.pending_cycles = 0.0           # e.g. cache-line transfers of results from another core
        self.pending_wait = 0.0             # time that passes without user work (a futex sleep, or
                                            # kernel work already charged on this core)

    def charge(self, instructions: float = 0.0, cycles: float = 0.0, wait: float = 0.0) -> None:
        self.pending_instructions += instructions
        self.pending_cycles += cycles
        self.pending_wait += wait

    def user_segment(self, instructions: float, profile: str | None = None, label: str = "") -> float:
        """Execute user code (plus anything charged) as one segment now; returns the cycles
        the thread then waits (`run_user` waits them; an event loop may wait them itself)."""
        instr = instructions + self.pending_instructions
        cycles = self.kernel.execute(self.core, profile or self.profile, instr, "user", label,
                                     extra_cycles=self.pending_cycles) + self.pending_wait
        self.pending_instructions = self.pending_cycles = self.pending_wait = 0.0
        return cycles

    def run_user(self, instructions: float, profile: str | None = None, label: str = ""):
        """Generator: execute user code (plus anything charged) as one segment."""
        cycles = self.user_segment(instructions, profile, label)
        if cycles > 0:
            yield sleep(self.env, cycles)

    def syscall(self, name: str, *args, nonblock: bool = False):
        """Generator: a synchronous system call (trap, kernel segment, return). Returns an Outcome.

        A call that would block (and is not non-blocking) sleeps the thread until its object
        is readable: the core idles; waking costs a wake-up and a thread switch."""
        k = self.kernel
        call = k.catalogue.get(name) or k.catalogue[name]
        k.counters.syscalls[(name, "sync")] += 1
        if self.pending_instructions or self.pending_cycles or self.pending_wait:
            cycles = self.user_segment(0.0)
            if cycles > 0:
                yield sleep(self.env, cycles)
        trap = k.cores[self.core].trap()    # entry/exit and the user pipeline refill, counted per domain
        out = perform(call, args, nonblock)
        while isinstance(out, Blocked):
            k.counters.events["block"] += 1
            c = k.execute(self.core, k.costs.switch_profile, k.costs.switch_instructions, "kernel",
                          f"{name} sleeps", extra_cycles=trap)
            trap = 0.0
            yield sleep(self.env, c)
            yield out.obj.wait_readable()
            k.counters.events["wakeup"] += 1
            c = k.execute(self.core, k.costs.wakeup_profile,
                          k.costs.wakeup_instructions + k.costs.switch_instructions, "kernel", "wake-up")
            yield sleep(self.env, c)
            out = perform(call, args, nonblock)
        yield self._return(call, out, trap)
        if out.after is not None:
            out.after()
        return out

    def syscall_now(self, name: str, args: tuple, nonblock: bool = False):
        """`syscall` for the event loops' common case, without a generator of its own: when no
        user work is pending and the call cannot block (non-blocking, or a call that never
        waits), everything up to the call's one wait happens now. Returns (the event to wait
        for, the Outcome); the caller waits it, then runs `outcome.after` (as `syscall` does).
        None: not that case, use `syscall`. The same operations in the same order, so the same
        floats and events."""
        if self.pending_instructions or self.pending_cycles or self.pending_wait:
            return None
        k = self.kernel
        call = k.catalogue.get(name) or k.catalogue[name]
        if not nonblock and call.blocks == "readable":
            return None
        k.counters.syscalls[(name, "sync")] += 1
        trap = k.cores[self.core].trap()
        out = perform(call, args, nonblock)
        return self._return(call, out, trap), out

    def _return(self, call, out, trap: float) -> Tick:
        """The kernel segment of a call that ran (or returned EAGAIN): charged now; the event
        the thread waits for until it returns to user mode."""
        k = self.kernel
        if out.ret == -11:
            k.counters.events["eagain"] += 1
            name, call = call.name, k.catalogue["eagain"]      # the early exit, not the full call
        else:
            name = call.name
        c = k.execute(self.core, call.profile, call.kernel_instructions(out.items), "kernel", name,
                      extra_cycles=trap)
        return sleep(self.env, c)
