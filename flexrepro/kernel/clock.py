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
`_queue`, `_eid` and `_now`, as `testbed.common.sim_events` reads `_eid`.
"""
from __future__ import annotations

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
