"""Timeouts for the hot paths: the heap entry of SimPy's `env.timeout`, without its Event object.

A simulated system call waits one or two timeouts, and the client and the wire one more each
(`workloads.network.at`). SimPy's `Timeout` costs two Python frames of its own
(`Timeout.__init__`, `Environment.schedule`) and a bound-method object on every one. `sleep`
and `call_at` push the very same heap entry -- `(now + delay, NORMAL, next(eid), event)`,
the same floats, the same event serial -- so the run's order of events and its
`sim_events` count are unchanged; only the object in the entry is lighter. It carries what
SimPy's `Environment.step` and `Process._resume` read from a triggered timeout:
`callbacks`, `_ok` and `_value`.

Use `env.timeout` where an event must be a real `simpy.Event` (conditions `a | b`,
`triggered`, `value`). SimPy is pinned (pyproject.toml): this module reads its environment's
`_queue`, `_eid` and `_now`, as `testbed.common.sim_events` reads `_eid`; the hot paths of
the workloads and the network stack read `env._now` (SimPy's `now` property without its frame).
"""
from __future__ import annotations

from collections import deque
from heapq import heappush
from typing import Callable

import simpy
from simpy.events import NORMAL


class Tick:
    """A triggered timeout as SimPy processes it: a successful event whose value is None."""
    __slots__ = ("callbacks",)
    _ok = True
    _value = None


def sleep(env: simpy.Environment, delay: float) -> Tick:
    """`env.timeout(delay)` for a process to yield (nothing else may be asked of it)."""
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    ev = Tick()
    ev.callbacks = []
    heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), ev))
    return ev


def call_at(env: simpy.Environment, delay: float, fn: Callable, *args) -> None:
    """Call fn(*args) `delay` from now: `env.timeout(delay).callbacks.append(...)`, lighter."""
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    ev = Tick()
    ev.callbacks = [lambda _ev: fn(*args)]
    heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), ev))


class TimerList:
    """Timers set in the order they expire -- one retransmission timeout per dropped SYN, say --
    kept in a list with only the earliest in SimPy's heap, as Linux keeps its timers in lists
    rather than one heap.

    With 16,384 ApacheBench clients most of them wait out a SYN timeout at once; as separate
    heap entries they make every heap push and pop of the run log2(16,384) deep. Here each
    timer still takes its event serial when it is set, exactly as `call_at` would, and its
    heap entry -- the same (time, NORMAL, serial) -- goes in when the timer before it fires, so
    the order of events and `sim_events` are unchanged. A timer that would expire before the
    last one in the list goes straight to the heap (`call_at`'s entry).
    """
    __slots__ = ("env", "_timers")

    def __init__(self, env: simpy.Environment):
        self.env = env
        self._timers: deque = deque()

    def call_at(self, delay: float, fn: Callable, *args) -> None:
        """Call fn(*args) `delay` from now (as `call_at`)."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        env, timers = self.env, self._timers
        when, eid = env._now + delay, next(env._eid)
        if timers and when < timers[-1][0]:
            self._push(when, eid, lambda _ev: fn(*args))
            return
        timers.append((when, eid, fn, args))
        if len(timers) == 1:
            self._push(when, eid, self._fire)

    def __len__(self) -> int:
        return len(self._timers)

    def _push(self, when: float, eid: int, callback: Callable) -> None:
        """The heap entry `call_at` would have pushed, with the serial taken when it was set."""
        ev = Tick()
        ev.callbacks = [callback]
        heappush(self.env._queue, (when, NORMAL, eid, ev))

    def _fire(self, _ev) -> None:
        timers = self._timers
        _when, _eid, fn, args = timers.popleft()
        if timers:
            self._push(*timers[0][:2], self._fire)
        fn(*args)
