"""The epoll event loop: readiness notification + synchronous non-blocking system calls.

Like libevent (memcached) and nginx's epoll module: descriptors are non-blocking; a read or
accept the server asks for is attempted when the descriptor is known to be ready (or at
once with `eager_read`, as memcached does after each response), an EAGAIN sends it back to
wait, `epoll_ctl` registers a descriptor the first time it is waited on, and `epoll_wait`
blocks the thread when nothing is ready. Every one of these is a counted system call.
`edge=True` is nginx's EPOLLET: a descriptor is reported once per readiness change, and the
server keeps its own `ready` flag (cleared by EAGAIN or a read that drained the socket).
"""
from __future__ import annotations

from collections import deque

from ..kernel import EAGAIN, Epoll, Kernel
from ..kernel.clock import call_at
from ..kernel.epoll import ADD, DEL
from .base import ETIMEDOUT, READINESS, Completion, Op, Runtime, step


class EpollRuntime(Runtime):
    mode = "epoll"

    def __init__(self, kernel: Kernel, core: int, profile: str, edge: bool = False, eager_read: bool = False,
                 maxevents: int = 512, name: str = "server"):
        super().__init__(kernel, core, profile, name)
        if not isinstance(maxevents, int) or maxevents < 1:
            raise ValueError(f"parameter 'maxevents': got {maxevents!r}; allowed: an integer >= 1")
        self.ep = Epoll(self.env, edge)
        self.edge, self.eager_read, self.maxevents = edge, eager_read, maxevents
        self.waiting: dict[object, deque[Op]] = {}     # descriptor -> calls waiting for readiness
        self.ready_flag: set = set()                   # edge mode: descriptors known to be ready
        self._expired: deque[Op] = deque()

    def _call(self, op: Op):
        th = self.thread
        if op.name in READINESS:
            obj = op.args[0]
            if (op.name != "accept" and self.eager_read) or obj in self.ready_flag:
                yield from self._attempt(op, obj, now=True)
            else:
                yield from self._wait_for(op, obj)
            return
        ready = th.syscall_now(op.name, op.args)
        if ready is None:
            out = yield from th.syscall(op.name, *op.args)
        else:
            ev, out = ready
            yield ev
            if out.after is not None:
                out.after()
        self._complete(op, Completion(op.name, out.ret, out.value), now=True)

    def _attempt(self, op: Op, obj, now: bool):
        th = self.thread
        # as in _call: the call without a syscall generator when syscall_now can take it
        ready = th.syscall_now(op.name, op.args, nonblock=True)
        if ready is None:
            out = yield from th.syscall(op.name, *op.args, nonblock=True)
        else:
            ev, out = ready
            yield ev
            if out.after is not None:
                out.after()
        if out.ret == EAGAIN:
            self.ready_flag.discard(obj)
            yield from self._wait_for(op, obj)
            return
        if self.edge and not obj.readable:
            self.ready_flag.discard(obj)      # nginx: a read shorter than the buffer drained the socket
        self._complete(op, Completion(op.name, out.ret, out.value), now=now)

    def _wait_for(self, op: Op, obj):
        if obj not in self.ep.interest:
            yield from self.thread.syscall("epoll_ctl", self.ep, ADD, obj)
        self.waiting.setdefault(obj, deque()).append(op)
        if op.timeout is not None:
            call_at(self.env, op.timeout, self._expire, op, obj)

    def _expire(self, op: Op, obj) -> None:
        q = self.waiting.get(obj)
        if q and op in q:
            q.remove(op)
            self._expired.append(op)
            self.ep.expire()

    def _idle(self):
        while self._expired:
            op = self._expired.popleft()
            self.stats["timeouts"] += 1
            self._complete(op, Completion(op.name, ETIMEDOUT), now=False)
        if self._ready:
            return
        yield from self.before_wait()
        out = yield from self.thread.syscall("epoll_wait", self.ep, self.maxevents)
        yield from self.on_events(out.value or ())

    # ------------------------------------------------------------ hooks of a server's own loop
    def before_wait(self):
        """Runs before each epoll_wait (a generator: it may make calls). nginx's workers take or
        give up the accept mutex here (ngx_trylock_accept_mutex)."""
        yield from ()

    def on_events(self, events: list):
        """What the descriptors epoll_wait reported start: by default each one's waiting call is
        attempted, in the order reported (a generator: it may make calls)."""
        for obj in events:
            self.stats["events"] += 1
            q = self.waiting.get(obj)
            if self.edge:
                self.ready_flag.add(obj)
            if q:
                op = q.popleft()
                if not q:
                    del self.waiting[obj]
                self._queue.append(step(self._attempt, op, obj, True))
            elif not self.edge and obj in self.ep.interest:
                # level-triggered and nobody wants it now: stop the reports until asked again
                yield from self.thread.syscall("epoll_ctl", self.ep, DEL, obj)
