"""memcached 1.4.5 serving memslap: one request-handling core, two event runtimes.

Shared by both versions (as in the real port, where only the event and syscall calls changed):
- `Cache`: the hash table + LRU of items (key ids), `-m 64` worth of 1 KiB items; hits and
  misses come out of it;
- `CacheLock`: memcached 1.4.5's single global `cache_lock` around item_get/store; when two
  worker threads want it at once the later one sleeps (futex) and the lock's cache lines move
  between cores;
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

import tomllib
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import paths
from ..errors import ConfigError
from ..kernel import Listener, Message, Socket
from ..runtime.epoll import EpollRuntime
from ..runtime.libflexsc import LibFlexSC

DATA = paths.DATA / "servers" / "memcached.toml"
USER_PROFILE, KERNEL_PROFILE = "memcached_user", "memcached_kernel"
STAGES = ("read", "parse", "process", "reply", "new_cmd")
OPS = ("get_miss", "get_hit", "set")


@dataclass(frozen=True)
class MemcachedParams:
    """The shape of memcached's work (data/servers/memcached.toml) and the fitted totals."""
    cache_items: int
    stages: dict[str, float]
    ops: dict[str, float]
    lock_instructions: dict[str, float]
    lock_lines: int
    max_events: int
    handoff_bytes: int
    user_instructions: float = 7500.0   # per request (get miss), fitted by calibration.memcached_fit

    def __post_init__(self):
        if set(self.stages) != set(STAGES) or abs(sum(self.stages.values()) - 1) > 1e-9:
            raise ConfigError(f"memcached 'stages': need fractions for {', '.join(STAGES)} summing to 1")
        if set(self.ops) != set(OPS):
            raise ConfigError(f"memcached 'ops': need weights for {', '.join(OPS)}")
        if not self.user_instructions > 0:
            raise ConfigError(f"parameter 'user_instructions': got {self.user_instructions!r}; allowed: > 0")

    def stage_instructions(self, op: str) -> tuple[float, float, float]:
        """User instructions (before the cache lock, inside it, after it) of one request."""
        s, u = self.stages, self.user_instructions
        before = u * (s["read"] + s["parse"])
        cache_op = u * s["process"] * self.ops[op]
        locked = min(cache_op, self.lock_instructions["set" if op == "set" else "get"])
        return before + cache_op - locked, locked, u * (s["reply"] + s["new_cmd"])


def load_memcached(path: str | Path = DATA, user_instructions: float | None = None) -> MemcachedParams:
    with open(path, "rb") as f:
        t = tomllib.load(f)
    c = t["cache"]
    items = (c["memory_mib"] * 2**20 // c["slab_page_bytes"]) * (c["slab_page_bytes"] // c["item_slab_bytes"])
    kw = {} if user_instructions is None else {"user_instructions": user_instructions}
    return MemcachedParams(
        cache_items=int(items), stages=dict(t["stages"]), ops=dict(t["ops"]),
        lock_instructions={"get": t["lock"]["get_instructions"], "set": t["lock"]["set_instructions"]},
        lock_lines=t["lock"]["lines_moved"],
        max_events=t["dispatch"]["max_events"], handoff_bytes=t["master"]["handoff_bytes"], **kw)


class Cache:
    """memcached's item store: hash table + one LRU (key ids only; all items are the same size)."""

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ConfigError(f"parameter 'cache_items': got {capacity!r}; allowed: an integer >= 1")
        self.capacity = capacity
        self._lru: OrderedDict[int, None] = OrderedDict()
        self.hits = self.misses = self.sets = self.evictions = 0

    def prefill(self, population: int, rng: np.random.Generator) -> None:
        """The steady state of a long benchmark under uniform references: a random K-subset
        (replaces the cache's content)."""
        k = min(self.capacity, population)
        self._lru = OrderedDict.fromkeys(rng.choice(population, size=k, replace=False).tolist())

    def get(self, key: int) -> bool:
        if key in self._lru:
            self._lru.move_to_end(key)
            self.hits += 1
            return True
        self.misses += 1
        return False

    def set(self, key: int) -> None:
        self.sets += 1
        self._lru[key] = None
        self._lru.move_to_end(key)
        if len(self._lru) > self.capacity:
            self._lru.popitem(last=False)
            self.evictions += 1


class CacheLock:
    """memcached 1.4.5's global cache_lock, as reservations on a timeline.

    A worker asks for the lock at some time and holds it for `hold` cycles. If another worker
    holds it then, the asker sleeps until it is free (a glibc mutex goes to futex_wait; the
    holder's unlock does futex_wake); if the previous holder ran on another core, the lock's
    lines (mutex word, LRU head, stats) move to this core first (counted as user L1d/L2
    misses of this core)."""

    def __init__(self, machine, lines: int):
        self.machine, self.lines = machine, lines
        self.free_at = 0.0
        self.owner: int | None = None
        self.acquisitions = self.contended = 0
        self.wait_cycles = 0.0

    def acquire(self, at: float, core: int, hold: float) -> tuple[float, float]:
        """(cycles slept waiting, cycles pulling the lock's lines) of one critical section."""
        self.acquisitions += 1
        wait = max(0.0, self.free_at - at)
        if wait > 0:
            self.contended += 1
            self.wait_cycles += wait
        move = 0.0
        if self.owner is not None and self.owner != core:
            move = self.machine.transfer(self.lines, src=self.owner, dst=core, domain="user")
        self.owner = core
        self.free_at = at + wait + move + hold
        return wait, move


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

    def __init__(self, machine, params: MemcachedParams, cache: Cache, workers: int):
        self.machine, self.p, self.cache = machine, params, cache
        self.lock = CacheLock(machine, params.lock_lines) if workers > 1 else None
        self.requests = self.closed = self.connections = 0
        self.on_connection: list = []    # callbacks fn(connections taken over so far)
        self.futex_calls = 0            # futex is not in the syscall catalogue: counted here

    def reply_for(self, req) -> tuple[str, Message]:
        """process_command against the cache: the outcome and the reply memcached sends."""
        if req.op == "set":
            self.cache.set(req.key)
            return "set", Message(len("STORED\r\n"), req)
        if self.cache.get(req.key):
            size = len(f"VALUE  0 {req.value_bytes}\r\n") + req.key_bytes + req.value_bytes + len("\r\nEND\r\n")
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
        before, locked, after = self.p.stage_instructions(op)
        if self.lock is not None:
            self._take_lock(rt, before, locked)
        rt.user(before + locked + after)
        conn.state = "conn_write" if op == "set" else "conn_mwrite"
        conn.requests += 1
        self.requests += 1
        rt.sendmsg(conn, conn.sock, reply, self.on_sent)

    def on_sent(self, conn: Conn, ev) -> None:
        self.wait_command(conn)

    def _take_lock(self, rt, before: float, locked: float) -> None:
        """The handler's user segment starts now; the lock is taken `before` instructions in.
        Timing uses this core's user CPI so far (the segment's own cycles are not known yet)."""
        th = rt.thread
        c = self.machine.cores[th.core].counters["user"]
        cpi = c["cycles"] / c["instructions"] if c["instructions"] else 1.0
        wait, move = self.lock.acquire(rt.env.now + before * cpi, th.core, locked * cpi)
        if wait:
            # glibc: futex_wait + the holder's futex_wake; the sleeper's core is idle meanwhile
            self.futex_calls += 2
        th.charge(cycles=wait + move)


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
        super().__init__(kernel.machine, params, cache, workers=cores)
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
        super().__init__(kernel.machine, params, cache, workers=1)
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
