"""Section 7's non-blocking kernel: one syscall thread per core, continuations instead of threads.

FlexSC needs one syscall thread per outstanding call because a call that blocks (a read
before its data arrived) sleeps *with* the thread executing it; the core's next call is
taken over by another thread (wake-up + switch), and the sleeping one is switched back in
when its resource is released. Section 7 proposes instead that the kernel "enqueue requests
for contended resources" and "continue the execution of enqueued requests when resources
become available", so that "a single syscall thread would be sufficient".

`NonBlockingFlexSC` is FlexSC with exactly that change and nothing else (same entries,
policies, wake-up rule and IPIs): a call that would block saves a continuation on the
resource's wait queue (`save_instructions`) and the same thread goes on with the next entry;
the release puts the continuation on the thread's run list, and the thread resumes it
(`resume_instructions`) without a switch. Threads: one per core that runs syscall threads.
Memory: those threads plus one continuation object per waiting request. Costs:
`data/kernel/nonblocking.toml` (assumptions with ranges).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

from .. import paths
from .flexsc import FlexSC


@dataclass(frozen=True)
class ContinuationCosts:
    save_instructions: float
    resume_instructions: float
    bytes: float


@lru_cache(maxsize=None)
def load_continuation_costs(path: str | None = None) -> ContinuationCosts:
    with open(path or paths.DATA / "kernel" / "nonblocking.toml", "rb") as f:
        c = tomllib.load(f)["continuation"]
    return ContinuationCosts(c["save_instructions"], c["resume_instructions"], c["bytes"])


class NonBlockingFlexSC(FlexSC):
    """FlexSC on a non-blocking kernel (see the module docstring); same constructor."""

    def __init__(self, *args, continuation: ContinuationCosts | None = None, **kw):
        super().__init__(*args, **kw)
        self.cont = continuation or load_continuation_costs()
        ev = self.k.counters.events   # FlexSC counted one thread per entry; this kernel has one per core
        ev["syscall_threads_created"] += len(self.workers) - self.table.n

    @property
    def threads(self) -> int:
        return len(self.workers)

    @property
    def memory_kib(self) -> float:
        """Syscall threads plus the continuations of the calls waiting now."""
        return self.threads * self.k.costs.thread_memory_kib + self.parked * self.cont.bytes / 1024

    def _on_block(self, worker) -> float:
        self.k.counters.events["continuation_saved"] += 1
        return self.cont.save_instructions           # the thread stays: no switch at its next call

    def _switch_in(self) -> float:
        self.k.counters.events["continuation_resumed"] += 1
        return self.cont.resume_instructions

    def stats(self) -> dict:
        return {"syscall_threads": self.threads,
                "syscall_thread_memory_kib": self.threads * self.k.costs.thread_memory_kib
                + self.max_parked * self.cont.bytes / 1024,
                "max_parked_threads": 0, "max_waiting_continuations": self.max_parked,
                "entries_in_use": self.table.in_use}
