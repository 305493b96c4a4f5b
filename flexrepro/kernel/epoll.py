"""The kernel's epoll instance: an interest set and a ready list, level- or edge-triggered.

Readiness arrives through the watched objects' callbacks (no scan of idle descriptors): a
level-triggered item stays on the ready list while it is readable (Linux re-queues it after
reporting it), an edge-triggered one is reported once per readiness change.
"""
from __future__ import annotations

from .net import _Readiness

ADD, MOD, DEL = "add", "mod", "del"


class Epoll(_Readiness):
    def __init__(self, env, edge: bool = False):
        super().__init__(env)
        self.edge = edge
        self.interest: set = set()
        self._ready: dict = {}            # insertion-ordered set
        self.timed_out = False            # epoll_wait's timeout expired (a server timer is due)

    def expire(self) -> None:
        """A timer of the server is due: a sleeping epoll_wait returns with no events."""
        self.timed_out = True
        self._notify()

    def ctl(self, op: str, obj) -> int:
        if op == ADD:
            if obj in self.interest:
                return -17                # EEXIST
            self.interest.add(obj)
            obj.watch(self.report)
            if obj.readable:
                self.report(obj)
            return 0
        if op == MOD:
            if obj not in self.interest:
                return -2                 # ENOENT
            if obj.readable:
                self.report(obj)       # MOD re-arms: a readable fd is reported again
            return 0
        if op == DEL:
            if obj not in self.interest:
                return -2
            self.interest.discard(obj)
            obj.unwatch(self.report)
            self._ready.pop(obj, None)
            return 0
        raise ValueError(f"epoll_ctl: op {op!r}; allowed: {ADD}, {MOD}, {DEL}")

    def report(self, obj) -> None:
        """`obj` became (or still is) readable: queue it for the next epoll_wait if it is in the
        interest set (the watch callback; nginx also calls it for its level-triggered listening
        socket while the accept backlog is non-empty)."""
        if getattr(obj, "closed", False):
            self.forget(obj)              # close() removes the descriptor from the set
            return
        if obj in self.interest:
            self._ready[obj] = None
            self._notify()

    def _purge(self) -> None:
        """Level-triggered: drop items that are no longer readable (each is dropped once)."""
        if not self.edge:
            for obj in [o for o in self._ready if not o.readable]:
                del self._ready[obj]

    @property
    def readable(self) -> bool:
        if self.timed_out:
            return True
        if not self.edge:
            for obj in self._ready:
                if obj.readable:
                    return True
            self._ready.clear()
            return False
        return bool(self._ready)

    def collect(self, maxevents: int) -> list:
        """The events epoll_wait returns now (may be empty)."""
        self.timed_out = False
        self._purge()
        out = []
        for obj in list(self._ready)[:maxevents]:
            del self._ready[obj]
            out.append(obj)
            if not self.edge:
                self._ready[obj] = None   # re-queued at the tail, re-checked next time
        return out

    def forget(self, obj) -> None:
        """close(): the descriptor leaves every epoll set."""
        self.interest.discard(obj)
        self._ready.pop(obj, None)
