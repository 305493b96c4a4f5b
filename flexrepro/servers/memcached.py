"""memcached 1.4.5 serving memslap: one request-handling core, two event runtimes.

Shared by both versions (as in the real port, where only the event and syscall calls changed):
- `Cache`: the hash table + LRU of items (key ids), `-m 64` worth of 1 KiB items; hits and
  misses come out of it;
- `CacheLock`: memcached 1.4.5's single global `cache_lock` around item_get / item_alloc /
  store_item / item_remove (1-3 sections per request, data/servers/memcached_locks.toml); when
  two worker threads want it at once the later one spins, then sleeps in futex (counted
  calls), and the lines the section writes move between cores;
- `Conn` + `Memcached.handle`: the per-connection state machine of drive_machine —
  conn_read -> parse -> process (get / set) -> reply (conn_mwrite / conn_write) -> conn_new_cmd
  -> conn_waiting -- with the user instructions of each stage and the reply's wire size.

Runtime-specific (small): how a connection waits for its next command and how the reply
goes out.
- `EpollMemcached`: one worker thread per core, each with its own epoll set (libevent's
  epoll backend); a master thread accepts connections and hands them out round robin.
  Per request: read() (data is there: epoll said so) and sendmsg(); epoll_wait is shared by
  all connections that were ready at once. conn_waiting does not re-read after a reply
  (memcached 1.4.5 goes straight back to the event loop), so no EAGAIN read per request.
- `FlexscMemcached`: one thread on core 0; a read is issued ahead on every connection
  (exception-less), its completion callback runs the state machine and posts the reply's
  sendmsg exception-less, whose completion re-issues the read (libflexsc, Figure 4 style).

Syscalls per request, instructions per call, IPC, batch sizes are all measured, never set.
"""
from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import paths
from ..datafiles import read_toml
from ..errors import ConfigError
from ..kernel import Listener, Message, Socket
from ..platform import ModelParams, load_params
from ..runtime.epoll import EpollRuntime
from ..runtime.libflexsc import LibFlexSC

DATA = paths.DATA / "servers" / "memcached.toml"
LOCKS = paths.DATA / "servers" / "memcached_locks.toml"
USER_PROFILE, KERNEL_PROFILE = "memcached_user", "memcached_kernel"
STAGES = ("read", "parse", "process", "reply", "new_cmd")
OPS = ("get_miss", "get_hit", "set")


@dataclass(frozen=True)
class MemcachedParams:
    """The shape of memcached's work (data/servers/memcached.toml), its shared state
    (data/servers/memcached_locks.toml) and the fitted totals."""
    cache_items: int
    stages: dict[str, float]
    ops: dict[str, float]
    sections: dict[str, tuple[tuple[float, int], ...]]   # op -> (instructions, lines) under cache_lock
    spin_cycles: float
    max_events: int
    handoff_bytes: int
    user_instructions: float   # per request (get miss); fitted (calibration), read from params.json

    def __post_init__(self):
        if set(self.stages) != set(STAGES) or abs(sum(self.stages.values()) - 1) > 1e-9:
            raise ConfigError(f"memcached 'stages': need fractions for {', '.join(STAGES)} summing to 1")
        if set(self.ops) != set(OPS):
            raise ConfigError(f"memcached 'ops': need weights for {', '.join(OPS)}")
        if set(self.sections) != set(OPS) or any(i < 0 or n < 0 for v in self.sections.values() for i, n in v):
            raise ConfigError(f"memcached lock 'sections': need [instructions >= 0, lines >= 0] lists for {', '.join(OPS)}")
        if not self.spin_cycles >= 0:
            raise ConfigError(f"memcached lock 'spin_cycles': got {self.spin_cycles!r}; allowed: >= 0")
        if not self.user_instructions > 0:
            raise ConfigError(f"parameter 'user_instructions': got {self.user_instructions!r}; allowed: > 0")

    def stage_instructions(self, op: str) -> tuple[float, float, float]:
        """User instructions of one request: (before the cache operation, the cache operation
        with its locked sections, after it)."""
        s, u = self.stages, self.user_instructions
        cache_op = max(u * s["process"] * self.ops[op], sum(i for i, _ in self.sections[op]))
        return u * (s["read"] + s["parse"]), cache_op, u * (s["reply"] + s["new_cmd"])


def load_memcached(path: str | Path = DATA, user_instructions: float | None = None,
                   locks: str | Path = LOCKS, params: ModelParams | None = None) -> MemcachedParams:
    """The shape from `path` and `locks`; the per-request total is `user_instructions` or else
    the fitted one of `params` (default: the calibrated data/calibration/params.json)."""
    t = read_toml(path)
    lk = read_toml(locks)
    c = t["cache"]
    items = (c["memory_mib"] * 2**20 // c["slab_page_bytes"]) * (c["slab_page_bytes"] // c["item_slab_bytes"])
    if user_instructions is None:
        user_instructions = (params or load_params()).profile(USER_PROFILE).instructions
    return MemcachedParams(
        cache_items=int(items), stages=dict(t["stages"]), ops=dict(t["ops"]),
        sections={op: tuple((float(i), int(n)) for i, n in v) for op, v in lk["sections"].items()},
        spin_cycles=float(lk["mutex"]["spin_cycles"]),
        max_events=t["dispatch"]["max_events"], handoff_bytes=t["master"]["handoff_bytes"],
        user_instructions=user_instructions)


class Cache:
    """memcached's item store: hash table + one LRU (key ids only; all items are the same size).

    The LRU is kept in two parts: the prefilled keys not touched since, oldest first in the
    order they were drawn (a mask over the key population says which are still there), then
    the keys touched since, in an OrderedDict. A touched key always goes behind every
    untouched one, so the order, hits, misses and evictions are those of one OrderedDict of
    everything -- without building one of all 56,640 prefilled keys for every testbed (4.5 ms,
    half of a memcached point's set-up)."""

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ConfigError(f"parameter 'cache_items': got {capacity!r}; allowed: an integer >= 1")
        self.capacity = capacity
        self._lru: OrderedDict[int, None] = OrderedDict()   # touched keys, least recently used first
        self._cold = np.empty(0, dtype=np.int64)            # the prefill, in draw order
        self._is_cold = np.zeros(0, dtype=bool)             # key -> still untouched in the cache
        self._n_cold = 0
        self._next_cold = 0                                 # no untouched key before this index
        self.hits = self.misses = self.sets = self.evictions = 0

    def prefill(self, population: int, rng: np.random.Generator) -> None:
        """The steady state of a long benchmark under uniform references: a random K-subset
        (replaces the cache's content)."""
        k = min(self.capacity, population)
        self._cold = rng.choice(population, size=k, replace=False)
        self._is_cold = np.zeros(population, dtype=bool)
        self._is_cold[self._cold] = True
        self._n_cold, self._next_cold = k, 0
        self._lru = OrderedDict()

    def _touch_cold(self, key: int) -> bool:
        """Take `key` out of the untouched prefill if it is there."""
        if self._n_cold and 0 <= key < len(self._is_cold) and self._is_cold[key]:
            self._is_cold[key] = False
            self._n_cold -= 1
            return True
        return False

    def __len__(self) -> int:
        return self._n_cold + len(self._lru)

    def get(self, key: int) -> bool:
        if self._touch_cold(key):
            self._lru[key] = None
        elif key in self._lru:
            self._lru.move_to_end(key)
        else:
            self.misses += 1
            return False
        self.hits += 1
        return True

    def set(self, key: int) -> None:
        self.sets += 1
        self._touch_cold(key)
        self._lru[key] = None
        self._lru.move_to_end(key)
        if self._n_cold + len(self._lru) > self.capacity:
            if self._n_cold:                             # the oldest untouched prefilled key
                cold, is_cold, i = self._cold, self._is_cold, self._next_cold
                while not is_cold[cold[i]]:
                    i += 1
                is_cold[cold[i]] = False
                self._next_cold, self._n_cold = i + 1, self._n_cold - 1
            else:
                self._lru.popitem(last=False)
            self.evictions += 1


class CacheLock:
    """memcached 1.4.5's global cache_lock (a glibc pthread mutex), as reservations on a timeline.

    A worker asks for the lock at some time and holds it for `hold` cycles. If another worker
    holds it then, the asker spins up to `spin_cycles`, then sleeps in futex(FUTEX_WAIT); the
    holder's unlock calls futex(FUTEX_WAKE), and the sleeper runs again after the kernel's
    wake-up and switch. Both futex calls are counted system calls with their kernel work on
    their own cores. If the previous holder ran on another core, the lines the section writes
    (mutex word, LRU head, slab class, stats) move to this core first: the processor model's
    cross-core transfer, counted as user misses of this core."""

    def __init__(self, kernel, spin_cycles: float):
        self.kernel, self.spin = kernel, spin_cycles
        self.free_at = 0.0
        self.owner = None                 # the UserThread that held it last
        self.acquisitions = self.contended = self.futex_calls = 0
        self.wait_cycles = 0.0            # spinning + sleeping + being woken, all workers

    def _futex(self, th, label: str, extra_instructions: float = 0.0) -> float:
        """One futex call on `th`'s core: trap + kernel work (+ a wake-up); returns its cycles."""
        k = self.kernel
        self.futex_calls += 1
        k.counters.syscalls[("futex", "sync")] += 1
        call = k.catalogue["futex"]
        c = k.execute(th.core, call.profile, call.instructions, "kernel", label, extra_cycles=k.cores[th.core].trap())
        if extra_instructions:
            c += k.execute(th.core, k.costs.wakeup_profile, extra_instructions, "kernel", "futex wake-up")
        return c

    def acquire(self, at: float, th, hold: float, lines: int) -> float:
        """One critical section of `hold` cycles asked for at `at` by thread `th`; charges the
        thread its waiting and line transfers and returns the delay before the section starts."""
        self.acquisitions += 1
        k = self.kernel
        delay = max(0.0, self.free_at - at)
        if delay > 0:
            self.contended += 1
            if delay > self.spin:
                wake = k.costs.wakeup_instructions + k.costs.switch_instructions
                fw = self._futex(th, "futex_wait", wake)
                if self.owner is not None:
                    self.owner.charge(wait=self._futex(self.owner, "futex_wake"))
                delay += fw
                th.charge(cycles=self.spin, wait=delay - self.spin)
            else:
                th.charge(cycles=delay)   # spinning is busy user time
            self.wait_cycles += delay
        move = 0.0
        if self.owner is not None and self.owner.core != th.core and lines:
            move = k.transfer(lines, src=self.owner.core, dst=th.core, domain="user")
            th.charge(cycles=move)
        self.owner = th
        self.free_at = at + delay + move + hold
        return delay + move


class Conn:
    """Server-side state of one client connection (memcached's `conn`): its socket, the event
    loop (worker thread) that owns it, the drive_machine state."""
    __slots__ = ("sock", "rt", "state", "requests")

    def __init__(self, sock, rt):
        self.sock, self.rt, self.state, self.requests = sock, rt, "conn_new_cmd", 0


class Memcached:
    """The code both versions share: the cache, its lock and drive_machine's request stages.

    The state machine is written once against the runtime's handler API (`rt.read`,
    `rt.user`, `rt.sendmsg`): a read's completion runs `on_read`, a reply's completion runs
    `on_sent`, which waits for the next command. Which runtime executes it (epoll with
    synchronous non-blocking calls, or libflexsc with exception-less ones) is the only
    difference between the two servers."""

    def __init__(self, kernel, params: MemcachedParams, cache: Cache, workers: int):
        self.machine, self.p, self.cache = kernel.machine, params, cache
        # one worker never finds the lock taken: no lock timeline (its instructions still run)
        self.lock = CacheLock(kernel, params.spin_cycles) if workers > 1 else None
        self.requests = self.closed = self.connections = 0
        self.on_connection: list = []    # callbacks fn(connections taken over so far)
        self._stages = {op: params.stage_instructions(op) for op in OPS}   # per request: the same floats
        self._hit_bytes: dict[tuple[int, int], int] = {}                  # (key, value bytes) -> reply size

    def reply_for(self, req) -> tuple[str, Message]:
        """process_command against the cache: the outcome and the reply memcached sends."""
        if req.op == "set":
            self.cache.set(req.key)
            return "set", Message(len("STORED\r\n"), req)
        if self.cache.get(req.key):
            size = self._hit_bytes.get((req.key_bytes, req.value_bytes))
            if size is None:
                size = self._hit_bytes[(req.key_bytes, req.value_bytes)] = (
                    len(f"VALUE  0 {req.value_bytes}\r\n") + req.key_bytes + req.value_bytes + len("\r\nEND\r\n"))
            return "get_hit", Message(size, req)
        return "get_miss", Message(len("END\r\n"), req)

    def new_conn(self, sock, rt) -> Conn:
        """conn_new: a connection is now served by `rt`'s thread; wait for its first command."""
        conn = Conn(sock, rt)
        self.connections += 1
        for fn in self.on_connection:
            fn(self.connections)
        self.wait_command(conn)
        return conn

    def wait_command(self, conn: Conn) -> None:
        """conn_new_cmd -> conn_waiting: the next command is read when it arrives."""
        conn.state = "conn_read"
        conn.rt.read(conn, conn.sock, self.on_read)

    def on_read(self, conn: Conn, ev) -> None:
        """conn_read -> conn_parse_cmd -> process -> conn_mwrite/conn_write."""
        rt = conn.rt
        if ev.ret <= 0:                              # EOF or error: conn_closing
            conn.state = "conn_closing"
            self.closed += 1
            rt.close(conn, conn.sock)
            return
        op, reply = self.reply_for(ev.value.payload)
        before, cache_op, after = self._stages[op]
        if self.lock is not None:
            self._take_locks(rt, op, before, cache_op)
        rt.user(before + cache_op + after)
        conn.state = "conn_write" if op == "set" else "conn_mwrite"
        conn.requests += 1
        self.requests += 1
        rt.sendmsg(conn, conn.sock, reply, self.on_sent)

    def on_sent(self, conn: Conn, ev) -> None:
        self.wait_command(conn)

    def _take_locks(self, rt, op: str, before: float, cache_op: float) -> None:
        """The handler's user segment starts now; the cache operation starts `before`
        instructions in and takes the lock once per section, the sections spread evenly over
        it. Timing uses this core's user CPI so far (the segment's own cycles are not known
        yet); each wait pushes the later sections back."""
        th = rt.thread
        c = self.machine.cores[th.core].counters["user"]
        cpi = c["cycles"] / c["instructions"] if c["instructions"] else 1.0
        sections = self.p.sections[op]
        gap = (cache_op - sum(i for i, _ in sections)) / len(sections)
        t = rt.env.now + before * cpi
        for instructions, lines in sections:
            t += gap * cpi
            t += self.lock.acquire(t, th, instructions * cpi, lines) + instructions * cpi


# ---------------------------------------------------------------- the runtime-specific parts
class Worker:
    """A memcached worker thread (epoll version): its event loop, notify pipe and connection queue."""

    def __init__(self, rt, env):
        self.rt = rt
        self.pipe_r = Socket(env)                     # the read end of the notify pipe
        self.pipe_w = Socket(env)                     # a write into it arrives at the read end
        self.pipe_w.on_send = lambda _s, m: self.pipe_r.deliver(m)
        self.cq: deque = deque()                      # connections handed over, not yet registered


class EpollMemcached(Memcached):
    """memcached -t <cores>: one libevent/epoll worker per core, a master thread that accepts."""

    def __init__(self, kernel, params: MemcachedParams, cache: Cache, listener: Listener, cores: int):
        super().__init__(kernel, params, cache, workers=cores)
        self.listener = listener
        self.workers = [Worker(EpollRuntime(kernel, c, USER_PROFILE, maxevents=params.max_events,
                                            name=f"worker{c}"), kernel.env) for c in range(cores)]
        # the master shares core 0: it only works while connections are set up (warm-up)
        self.master = EpollRuntime(kernel, 0, USER_PROFILE, name="master")
        self._next_worker = 0

    def start(self) -> None:
        self.master.accept(None, self.listener, self.on_accept)
        self.master.start()
        for w in self.workers:
            w.rt.read(w, w.pipe_r, self.on_notify)
            w.rt.start()

    def on_accept(self, _, ev) -> None:
        """dispatch_conn_new: round robin to a worker, one byte down its notify pipe."""
        if ev.ret >= 0:
            w = self.workers[self._next_worker]
            self._next_worker = (self._next_worker + 1) % len(self.workers)
            w.cq.append(ev.value)
            self.master.write(None, w.pipe_w, Message(self.p.handoff_bytes))
        self.master.accept(None, self.listener, self.on_accept)

    def on_notify(self, w: Worker, ev) -> None:
        """thread_libevent_process: take the handed-over connection, wait for its first command."""
        self.new_conn(w.cq.popleft(), w.rt)
        w.rt.read(w, w.pipe_r, self.on_notify)

    def runtimes(self) -> list:
        return [self.master] + [w.rt for w in self.workers]


class FlexscMemcached(Memcached):
    """memcached on libflexsc: ONE thread (core 0); syscall threads run on the other cores
    (dynamic core specialization) or, on one core, in batches while the thread waits."""

    def __init__(self, kernel, params: MemcachedParams, cache: Cache, listener: Listener, cores: int,
                 interface: str, pages_per_core: int, policy: str | None = None):
        super().__init__(kernel, params, cache, workers=1)
        self.listener = listener
        policy = policy or ("batching" if cores == 1 else "dynamic")   # FlexSC's own choice unless asked
        self.rt = LibFlexSC(kernel, 0, USER_PROFILE, policy=policy,
                            interface=interface, pages_per_core=pages_per_core)

    def start(self) -> None:
        self.rt.accept(None, self.listener, self.on_accept)
        self.rt.start()

    def on_accept(self, _, ev) -> None:
        if ev.ret >= 0:
            self.new_conn(ev.value, self.rt)
        self.rt.accept(None, self.listener, self.on_accept)

    def runtimes(self) -> list:
        return [self.rt]
