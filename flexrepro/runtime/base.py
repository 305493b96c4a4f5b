"""What both event loops share: handlers that record operations, executed in program order.

A handler is a plain function `handler(conn, ev)`; while it runs it calls the runtime
(`rt.user(...)`, `rt.read(...)`, `rt.write(...)` ...), which only *records* operations. The
loop then executes them in order in simulated time — user code as segments, calls as the
runtime's kind of system call — and a call's completion runs its handler the same way.
This lets one server logic run on either runtime (`EpollRuntime`, `LibFlexSC`).
"""
from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, Callable

from ..kernel import Kernel, Listener, Message, Socket
from ..kernel.clock import sleep

Handler = Callable[[Any, "Completion"], None]
READINESS = ("accept", "read", "recv")     # calls that wait for their object to become readable
ETIMEDOUT = -110


@dataclass(slots=True)
class Completion:
    """What a handler receives: the call, its return value and result object (the paper's
    `c->event->ret`; `value` is the accepted Socket, the read Message or the opened File)."""
    name: str
    ret: int
    value: Any = None


@dataclass(slots=True)
class Op:
    kind: str                     # "user" | "call" | "step" (see `step`)
    name: str = ""
    args: tuple = ()
    conn: Any = None
    handler: Handler | None = None
    instructions: float = 0.0
    profile: str | None = None
    timeout: float | None = None
    run: Callable | None = None   # a step's generator function


def step(run: Callable, *args) -> Op:
    """An operation of the event loop itself, not of a handler (e.g. attempting the call whose
    descriptor epoll reported): the generator `run(*args)` runs in program order."""
    return Op("step", args=args, run=run)


class Runtime:
    """Base of the two event loops. Subclasses implement `_call(op)` and `_idle()`."""

    mode = ""

    def __init__(self, kernel: Kernel, core: int, profile: str, name: str = "server"):
        self.kernel, self.env = kernel, kernel.env
        self.thread = kernel.thread(core, profile, name)
        self.profile = profile
        self._ops: list[Op] = []              # recorded by the handler now running (or by setup code)
        self._queue: deque[Op] = deque()      # operations to execute, in program order
        self._ready: deque[tuple] = deque()   # (handler, conn, Completion) due to run
        self.stats: Counter = Counter()
        self.process = None

    # ------------------------------------------------------------ the handler API
    def user(self, instructions: float, profile: str | None = None) -> None:
        """User code of the handler now running (instructions of `profile`, default the server's)."""
        if instructions < 0:
            raise ValueError(f"user: 'instructions' must be >= 0, got {instructions!r}")
        self._ops.append(Op("user", "", (), None, None, instructions, profile))

    def call(self, name: str, conn: Any, handler: Handler | None, *args, timeout: float | None = None) -> None:
        """Any call of the catalogue; `handler(conn, Completion)` runs when it completes (None: no callback)."""
        cat = self.kernel.catalogue
        cat.get(name) or cat[name]             # unknown names fail here, where the server calls
        if timeout is not None and not timeout > 0:
            raise ValueError(f"{name}: 'timeout' must be > 0 cycles, got {timeout!r}")
        self._ops.append(Op("call", name, args, conn, handler, 0.0, None, timeout))

    def accept(self, conn, listener: Listener, handler: Handler | None) -> None:
        self.call("accept", conn, handler, listener)

    def read(self, conn, sock: Socket, handler: Handler | None, timeout: float | None = None) -> None:
        self.call("read", conn, handler, sock, timeout=timeout)

    def write(self, conn, sock: Socket, msg: Message, handler: Handler | None = None) -> None:
        self.call("write", conn, handler, sock, msg)

    def writev(self, conn, sock: Socket, msg: Message, handler: Handler | None = None) -> None:
        self.call("writev", conn, handler, sock, msg)

    def sendmsg(self, conn, sock: Socket, msg: Message, handler: Handler | None = None) -> None:
        self.call("sendmsg", conn, handler, sock, msg)

    def sendfile(self, conn, sock: Socket, msg: Message, handler: Handler | None = None) -> None:
        self.call("sendfile", conn, handler, sock, msg)

    def open(self, conn, file, handler: Handler | None) -> None:
        self.call("open", conn, handler, file)

    def fstat(self, conn, file, handler: Handler | None) -> None:
        self.call("fstat", conn, handler, file)

    def close(self, conn, obj, handler: Handler | None = None) -> None:
        self.call("close", conn, handler, obj)

    # ------------------------------------------------------------ the loop
    def start(self):
        """Start the event loop (operations recorded so far, e.g. by `main`, run first)."""
        if self.process is None:
            self.process = self.env.process(self._loop())
        return self.process

    def _run_handler(self, handler: Handler, conn, ev: Completion) -> list[Op]:
        self._ops = []
        handler(conn, ev)
        self.stats["handlers"] += 1
        ops, self._ops = self._ops, []
        return ops

    def _complete(self, op: Op, ev: Completion, now: bool) -> None:
        """A call finished: its handler runs next (now=True: before the rest of the caller's ops)."""
        if op.handler is None:
            return
        if now:
            self._queue.extendleft(reversed(self._run_handler(op.handler, op.conn, ev)))
        else:
            self._ready.append((op.handler, op.conn, ev))

    def _loop(self):
        th, queue, ready, stats = self.thread, self._queue, self._ready, self.stats   # never rebound
        env = self.env
        while True:
            if self._ops:                     # recorded outside a handler (setup, timers)
                queue.extend(self._ops)
                self._ops = []
            if queue:
                op = queue.popleft()
                kind = op.kind
                if kind == "user":
                    instr = op.instructions
                    while queue and queue[0].kind == "user" and queue[0].profile == op.profile:
                        instr += queue.popleft().instructions
                    stats["user_instructions"] += instr
                    cycles = th.user_segment(instr, op.profile)     # th.run_user without its generator
                    if cycles > 0:
                        yield sleep(env, cycles)
                elif kind == "step":
                    yield from op.run(*op.args)
                else:
                    yield from self._call(op)
            elif ready:
                handler, conn, ev = ready.popleft()
                queue.extend(self._run_handler(handler, conn, ev))
            else:
                yield from self._idle()

    def _call(self, op: Op):  # pragma: no cover - abstract
        """Execute a call: an iterable of the events the loop waits for meanwhile (a generator,
        or () when the call takes no simulated time of the loop's own)."""
        raise NotImplementedError

    def _idle(self):  # pragma: no cover - abstract
        raise NotImplementedError
