"""FlexSC: exception-less system calls for one process (OSDI'10 + ATC'11 Sections 3-4, 7).

`FlexSC(kernel, thread, policy, interface, pages_per_core)` is `flexsc_register`: it maps
the syscall pages (or the queue rings) and spawns one syscall thread per entry. The user
thread then `post`s calls (plain stores, no trap), `poll`s for completions and calls
`wait()` (the `flexsc_wait` trap) when it has nothing else to do.

Syscall threads run on the cores the scheduler policy picks:
- `batching`: only the user's core, and only while the user thread sleeps in flexsc_wait;
- `static`: a fixed set of kernel cores whose syscall threads never sleep (they keep polling);
- `dynamic`: a fixed list of the other cores, then the user's core. A core not running a
  syscall thread of the process is woken by an inter-processor interrupt when there is
  unclaimed work (at flexsc_wait, or by a core that claims work and sees more); an idle
  syscall thread keeps polling for `spin_cycles` before it sleeps.
One syscall thread is active per core; a call that blocks parks its thread and the next one
takes over (wake-up + thread switch); the parked thread resumes on its core when its object
becomes readable. Cancellation follows Section 4.2 (cancel status, signal, EINTR, races).
"""
from __future__ import annotations

from collections import deque

import simpy

from ..errors import ConfigError
from .clock import call_at, sleep
from .kernel import Kernel, UserThread, lines
from .pages import BUSY, CANCEL, DONE, ENTRIES_PER_PAGE, make_table
from .semantics import EINTR, Blocked, as_int, perform

POLICIES = ("batching", "static", "dynamic")
INTERFACES = ("pages", "queues")


class _Worker:
    """The active syscall thread of the process on one core (plus the ready-to-resume parked ones)."""

    def __init__(self, fsc: "FlexSC", core: int, user_core: bool, spin: float):
        self.fsc, self.core, self.user_core, self.spin = fsc, core, user_core, spin
        self.env = fsc.env
        self.state = "sleeping"          # sleeping | waking (IPI in flight) | spinning | running
        self.batch: deque[int] = deque() # claimed entries (one at a time, pages or rings)
        self.resumed: deque[int] = deque()
        self.thread_fresh = True         # False after its thread parked: the next call needs another thread
        self.overhead_instr = 0.0        # scan/queue instructions to run with the next call
        self.overhead_cycles = 0.0       # IPI sends
        self.executed = 0                # calls executed in the current pass (for batch sizes)
        self._kick: simpy.Event = self.env.event()
        self.proc = self.env.process(self._run())

    def kick(self, delay: float = 0.0) -> None:
        """Make the worker look for work (after `delay`: an IPI in flight). A core that an
        IPI is already waking is not woken earlier by a plain kick."""
        if delay > 0:
            call_at(self.env, delay, self._wake)
        elif self.state != "waking":
            self._wake()

    def _wake(self) -> None:
        if not self._kick.triggered:
            self._kick.succeed()

    def _next(self):
        fsc = self.fsc
        # on the user's core, syscall threads run only while the user sleeps and is not yet due to wake
        if self.user_core and not (fsc.waiting and not fsc._rule()):
            return None
        if self.resumed:
            return ("resume", self.resumed.popleft())
        if not self.batch:
            table = fsc.table
            if not table.has_work():
                return None
            work, scanned = table.claim()
            self.overhead_instr += scanned * fsc._claim_per_entry
            self.batch.extend(work)
            if fsc._dynamic:
                fsc._spread(self)         # more unclaimed work: wake the next core
            if not self.batch:
                return None
        return ("start", self.batch.popleft())

    def _run(self):
        fsc, k, env = self.fsc, self.fsc.k, self.env
        if self.spin != float("inf"):        # a dynamic/batching syscall thread starts asleep
            yield self._kick
            self._kick = env.event()
        while True:
            item = self._next()
            if item is None:
                if self.executed:
                    k.counters.batches[self.executed] += 1
                    self.executed = 0
                if self.user_core:
                    self.state = "sleeping"
                    fsc._check_wake()
                elif self.spin > 0:
                    self.state = "spinning"
                    t0 = env.now
                    timer = env.timeout(self.spin) if self.spin != float("inf") else None
                    yield (self._kick | timer) if timer is not None else self._kick
                    k.counters.busy[(self.core, "spin")] += env.now - t0
                    if self._kick.triggered:
                        self._kick = env.event()
                        continue
                self.state = "sleeping"
                yield self._kick
                self._kick = env.event()
                continue
            self.state = "running"
            idx = item[1]
            cycles, ret, out = self._execute(*item)
            if ret is None:                      # parked: its thread sleeps, the core takes the next call
                if cycles:
                    yield sleep(env, cycles)
                continue
            yield sleep(env, cycles)
            if out is not None and out.after is not None:
                out.after()
            fsc._finish(idx, ret, out, self.core)

    def _execute(self, what: str, idx: int) -> tuple[float, int | None, object]:
        """Start or resume the call of entry `idx` on this core: charge its kernel segment now.
        Returns (cycles to wait, return value, Outcome): once the cycles passed, the call's
        effect runs and the entry completes with that value -- unless the value is None, the
        call parked (its thread sleeps until the object is readable or a signal comes)."""
        fsc, k, costs = self.fsc, self.fsc.k, self.fsc.k.costs
        instr = self.overhead_instr
        extra = self.overhead_cycles
        self.overhead_instr = self.overhead_cycles = 0.0
        if what == "resume" or not self.thread_fresh:
            instr += fsc._switch_in()
            self.thread_fresh = True
        call, args = fsc.calls[idx]
        if what == "start":
            if fsc.table.status.item(idx) == CANCEL:                  # cancelled before it was issued
                c = k.execute(self.core, costs.switch_profile, instr, "kernel", "cancelled", extra_cycles=extra)
                fsc._issued(idx)
                return c, EINTR, None
            fsc.table.start(idx)
            fsc._issued(idx)
            if self.core != fsc.user_core:
                extra += k.transfer(1, fsc.user_core, self.core, "kernel")   # the entry's line
        if fsc.interrupted and fsc.interrupted.pop(idx, False):
            out = None                                 # a signal interrupted the parked call
        else:
            out = perform(call, args)
        if isinstance(out, Blocked):
            k.counters.events["block"] += 1
            instr += fsc._on_block(self)
            c = k.execute(self.core, costs.switch_profile, instr, "kernel", f"{call.name} parks", extra_cycles=extra)
            fsc._park(idx, out.obj, self.core)
            return c, None, None
        if out is None:
            c = k.execute(self.core, costs.switch_profile, instr, "kernel", "EINTR", extra_cycles=extra)
            return c, EINTR, None
        if self.core != fsc.user_core:             # the call's input buffers move to this core
            extra += k.transfer(lines(out.bytes_in), fsc.user_core, self.core, "kernel")
        k.counters.syscalls[(call.name, "exceptionless")] += 1
        c = k.execute(self.core, call.profile, instr + call.kernel_instructions(out.items), "kernel",
                      call.name, extra_cycles=extra)
        self.executed += 1
        return c, out.ret, out


class FlexSC:
    def __init__(self, kernel: Kernel, thread: UserThread, policy: str = "batching", interface: str = "pages",
                 pages_per_core: int = 8, cores: list[int] | None = None, kernel_cores: list[int] | None = None,
                 spin_cycles: float | None = None):
        if policy not in POLICIES:
            raise ConfigError(f"parameter 'policy': got {policy!r}; allowed: {', '.join(POLICIES)}")
        if interface not in INTERFACES:
            raise ConfigError(f"parameter 'interface': got {interface!r}; allowed: {', '.join(INTERFACES)}")
        n_cores = len(kernel.machine.cores)
        cores = list(range(n_cores)) if cores is None else list(cores)
        if policy == "batching":
            cores = [thread.core]
        if thread.core not in cores or any(not 0 <= c < n_cores for c in cores):
            raise ConfigError(f"parameter 'cores': {cores} must be cores of the machine (0..{n_cores - 1}) including the user core {thread.core}")
        if not isinstance(pages_per_core, int) or pages_per_core < 1:
            raise ConfigError(f"parameter 'pages_per_core': got {pages_per_core!r}; allowed: an integer >= 1")
        costs = kernel.costs
        entries = pages_per_core * ENTRIES_PER_PAGE * len(cores)
        if entries > costs.pid_max:
            raise ConfigError(f"parameter 'pages_per_core': {pages_per_core} pages x {len(cores)} cores need "
                              f"{entries} syscall threads (one per entry); allowed: at most {costs.pid_max} "
                              f"(PID_MAX_LIMIT), i.e. pages_per_core <= {costs.pid_max // (ENTRIES_PER_PAGE * len(cores))}")
        self.k, self.env, self.thread = kernel, kernel.env, thread
        self.user_core, self.policy, self.interface = thread.core, policy, interface
        self._batching = policy == "batching"
        self._dynamic = policy == "dynamic"
        # per-call charges, looked up once (the same floats as summing them at each call)
        self._claim_per_entry = costs.queue_op_instructions if interface == "queues" else costs.kernel_scan_per_entry
        self._poll_per_entry = costs.queue_op_instructions if interface == "queues" else costs.user_scan_per_entry
        self._post_cost = costs.user_post_instructions
        if interface == "queues":
            self._post_cost += costs.queue_op_instructions
        self.table = make_table(interface, entries)
        self.calls: list = [None] * self.table.n       # entry -> (Syscall, args) (the Python side of the args)
        self.results: list = [None] * self.table.n     # entry -> Outcome
        self.exec_core: list[int] = [thread.core] * self.table.n
        self.interrupted: dict[int, bool] = {}
        self._cancel_ev: dict[int, simpy.Event] = {}
        self.unissued = 0                               # posted, not yet started by a syscall thread
        self.waiting = False
        self._wake_ev: simpy.Event | None = None
        spin = costs.spin_cycles if spin_cycles is None else spin_cycles
        if policy == "batching":
            order = [thread.core]
        elif policy == "static":
            kc = [c for c in cores if c != thread.core] if kernel_cores is None else list(kernel_cores)
            if not kc or thread.core in kc or any(c not in cores for c in kc):
                raise ConfigError(f"parameter 'kernel_cores': {kc} must be non-empty cores of {cores} other than the user core {thread.core}")
            order, spin = kc, float("inf")
        else:
            order = [c for c in cores if c != thread.core] + [thread.core]
        self.order = order
        self.workers = {c: _Worker(self, c, c == thread.core, spin) for c in order}
        self.remote = [self.workers[c] for c in order if c != thread.core]
        kernel.counters.events["syscall_threads_created"] += self.table.n
        self.parked = 0
        self.max_parked = 0

    # ---------------------------------------------------------------- user side
    @property
    def memory_kib(self) -> float:
        return self.table.n * self.k.costs.thread_memory_kib

    def post(self, name: str, *args) -> int | None:
        """Write a call into a free entry (no trap). Returns the entry, or None when all are in use."""
        call = self.k.catalogue.get(name) or self.k.catalogue[name]
        table = self.table
        idx = table.alloc()
        if idx is None:
            self.k.counters.events["entries_exhausted"] += 1
            return None
        table.submit(idx, call.number, tuple(map(as_int, args[:6])))
        self.calls[idx] = (call, args)
        self.unissued += 1
        self.thread.charge(self._post_cost)
        for w in self.remote:
            if w.state == "spinning":
                w.kick()
                break
        return idx

    def poll(self) -> list[int]:
        """Collect completed entries (a page scan or a completion-ring drain, charged to the user)."""
        done, scanned = self.table.poll()
        instr = scanned * self._poll_per_entry + len(done) * self.k.costs.user_complete_instructions
        cyc = 0.0
        user_core, exec_core = self.user_core, self.exec_core
        for idx in done:
            if exec_core[idx] != user_core:
                out = self.results[idx]
                cyc += self.k.transfer(1 + lines(out.bytes_out if out is not None else 0), exec_core[idx],
                                       user_core, "user")
        self.thread.charge(instr, cyc)
        self.k.counters.events["poll"] += 1
        return done

    def ret(self, idx: int) -> int:
        return int(self.table.rets[idx])

    def value(self, idx: int):
        out = self.results[idx]
        return None if out is None else out.value

    def free(self, idx: int) -> None:
        self.table.free(idx)
        self.calls[idx] = self.results[idx] = None

    def consume(self, idx: int) -> tuple[int, object]:
        """`ret(idx)`, `value(idx)`, then `free(idx)`: what an event loop does with each
        completed entry, in one call."""
        out = self.results[idx]
        ret = self.table.rets.item(idx)              # a Python int, as int(rets[idx])
        self.table.free(idx)
        self.calls[idx] = self.results[idx] = None
        return ret, None if out is None else out.value

    def cancel(self, idx: int) -> bool:
        """Request cancellation. False if the call already completed (the race is lost);
        True means requested — the kernel may still complete it first (check `ret`)."""
        old = self.table.cancel(idx)
        if old == DONE:
            self.k.counters.events["cancel_lost"] += 1
            return False
        if old == BUSY and idx in self._cancel_ev:      # parked: signal the syscall thread
            ev = self._cancel_ev[idx]
            call_at(self.env, self.k.costs.signal_cycles, lambda: None if ev.triggered else ev.succeed())
        return True

    def wait(self):
        """Generator: the flexsc_wait trap. Returns once every posted call was issued and at
        least one completed; the syscall threads run meanwhile (on this core under batching)."""
        k = self.k
        call = k.catalogue["flexsc_wait"]
        k.counters.syscalls[("flexsc_wait", "sync")] += 1
        k.counters.events["flexsc_wait"] += 1
        th = self.thread
        if th.pending_instructions or th.pending_cycles or th.pending_wait:
            cycles = th.user_segment(0.0)
            if cycles > 0:
                yield sleep(self.env, cycles)
        c = k.execute(self.user_core, call.profile, call.instructions, "kernel", "flexsc_wait",
                      extra_cycles=k.cores[self.user_core].trap())
        delegated, ipi = self._dispatch()
        if ipi:
            c += k.costs.ipi_send_cycles
        yield sleep(self.env, c)
        if self._rule():
            return
        self.waiting = True
        self._wake_ev = wake = self.env.event()
        w = self.workers.get(self.user_core)
        if w is not None and (not delegated or w.resumed):
            w.kick()                      # the user's core runs syscall threads while the user sleeps
        yield wake
        self.waiting = False
        self._wake_ev = None

    # ---------------------------------------------------------------- kernel side
    def _on_block(self, worker: _Worker) -> float:
        """A call blocks: its syscall thread sleeps with it, so the core's next call needs
        another thread (charged by `_switch_in`). Returns instructions charged now."""
        worker.thread_fresh = False
        return 0.0

    def _switch_in(self) -> float:
        """Another syscall thread takes the core: wake it from the work-queue and switch to it."""
        self.k.counters.events["thread_switch"] += 1
        return self.k.costs.wakeup_instructions + self.k.costs.switch_instructions

    def _rule(self) -> bool:
        # OSDI'10's single-core rule: the user's own core must first issue every posted
        # call; with other cores executing them (ATC'11 3.2) one completion suffices.
        if self._batching:
            return self.unissued == 0 and self.table.done_count > 0
        return self.table.done_count > 0

    def _check_wake(self) -> None:
        ev = self._wake_ev                # set while the user sleeps in flexsc_wait, until woken
        if ev is not None and self._rule():
            w = self.workers.get(self.user_core)
            if w is None or w.state != "running":
                self._wake_ev = None      # woken once (wait() resumes on the event it holds)
                ev.succeed()

    def _issued(self, idx: int) -> None:
        self.unissued -= 1
        self._check_wake()

    def _finish(self, idx: int, ret: int, out, core: int) -> None:
        if self.table.status.item(idx) == CANCEL:
            self.k.counters.events["cancel_won" if ret == EINTR else "cancel_lost"] += 1
        self.table.complete(idx, ret)
        self.results[idx] = out
        self.exec_core[idx] = core
        self._check_wake()

    def _idle_remote(self):
        for w in self.remote:
            if w.state == "sleeping":
                return w
        return None

    def _dispatch(self) -> tuple[bool, bool]:
        """At flexsc_wait: hand unclaimed work to another core. Returns (delegated, ipi sent).

        static: the kernel cores poll; dynamic: a polling syscall thread takes it, else the
        first sleeping core of the list is woken by an IPI; if every other core is busy, the
        user's own core (last in the list) runs it while the user sleeps."""
        if self.policy == "static":
            for w in self.remote:
                w.kick()
            return True, False
        if self.policy != "dynamic" or not self.table.has_work():
            return False, False
        for w in self.remote:
            if w.state == "spinning":
                w.kick()
                return True, False
        w = self._idle_remote()
        if w is None:
            return False, False
        self._ipi(w)
        return True, True

    def _ipi(self, w: _Worker) -> None:
        self.k.counters.events["ipi"] += 1
        w.state = "waking"
        w.kick(self.k.costs.ipi_latency_cycles)

    def _spread(self, claimer: _Worker) -> None:
        if self.policy != "dynamic" or not self.table.has_work() or claimer.user_core:
            return
        for w in self.remote:
            if w.state == "spinning":
                w.kick()
                return
        w = self._idle_remote()
        if w is not None:
            claimer.overhead_cycles += self.k.costs.ipi_send_cycles
            self._ipi(w)

    def count_parked(self, n: int) -> None:
        """`n` more syscall threads sleep in a blocked call (also for reads parked in bulk,
        kernel.scale.park_dormant)."""
        self.parked += n
        self.max_parked = max(self.max_parked, self.parked)

    def _park(self, idx: int, obj, core: int) -> None:
        """The call's syscall thread sleeps until `obj` is readable or a cancel signal arrives.
        (Callbacks, not a SimPy process: dormant calls may number in the millions.)"""
        ready, cancel_ev = obj.wait_readable(), self.env.event()
        self._cancel_ev[idx] = cancel_ev
        self.count_parked(1)

        def wake(ev) -> None:
            if self._cancel_ev.get(idx) is not cancel_ev:
                return                    # already woken by the other event
            del self._cancel_ev[idx]
            self.parked -= 1
            if ev is cancel_ev:
                self.interrupted[idx] = True
            self.k.counters.events["wakeup"] += 1
            w = self.workers[core]
            w.resumed.append(idx)
            if w.state == "sleeping" and not w.user_core:
                self._ipi(w)              # the woken thread's core is idle: reschedule IPI
            else:
                w.kick()

        ready.callbacks.append(wake)
        cancel_ev.callbacks.append(wake)
        if self.table.status[idx] == CANCEL:   # cancelled while it was being resumed: signal at once
            cancel_ev.succeed()

    def stats(self) -> dict:
        return {"syscall_threads": self.table.n, "syscall_thread_memory_kib": self.memory_kib,
                "max_parked_threads": self.max_parked, "entries_in_use": self.table.in_use}
