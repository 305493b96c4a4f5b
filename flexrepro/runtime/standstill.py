"""Standstill detection for a throttled libflexsc loop (Section 7).

Throttling -- a fixed number of syscall entries, new calls delayed while all are busy -- can
stop a server for good: if every entry holds a call that can only finish after one of the
delayed calls runs (a read whose request only comes after a reply that cannot be posted),
no entry is ever freed. The paper warns that "extra care would be necessary to avoid a
standstill situation (lack of forward progress)".

`watch(rt, timeout_cycles)` starts a watchdog process on the runtime's simulation: every
`timeout_cycles / 4` it checks whether any call completed; when none has for at least
`timeout_cycles` while calls wait for an entry, it raises `Standstill`, which stops
`env.run` (SimPy re-raises a process's exception) -- a diagnostic, never a hang. The
exception carries a plain dict for a result row: when, for how long nothing completed, how
many calls waited, and what held the entries.
"""
from __future__ import annotations

from collections import Counter

from ..errors import ConfigError, FlexreproError


class Standstill(FlexreproError):
    """No forward progress while calls wait for a syscall entry; `.diagnostic` is row-shaped."""

    def __init__(self, diagnostic: dict):
        self.diagnostic = diagnostic
        super().__init__(diagnostic)          # SimPy re-raises a copy made from args

    def __str__(self) -> str:
        return self.diagnostic["standstill_diagnostic"]


def watch(rt, timeout_cycles: float):
    """Watch a `LibFlexSC` runtime (its completions and its throttled calls); returns the process."""
    if not timeout_cycles > 0:
        raise ConfigError(f"parameter 'standstill_cycles': got {timeout_cycles!r}; allowed: a number > 0")
    env, fsc = rt.env, rt.fsc
    clock_hz = rt.kernel.machine.spec.clock_ghz * 1e9
    step = timeout_cycles / 4

    def watchdog():
        last, since = rt.stats["completions"], env.now
        while True:
            yield env.timeout(step)
            done = rt.stats["completions"]
            if done != last:
                last, since = done, env.now
                continue
            idle = env.now - since
            if rt.throttled and idle >= timeout_cycles:
                held = Counter(fsc.calls[i][0].name for i in rt.inflight)
                what = ", ".join(f"{n} x{c}" for n, c in sorted(held.items())) or "none"
                raise Standstill({
                    "standstill": True,
                    "standstill_at_s": env.now / clock_hz,
                    "standstill_idle_s": idle / clock_hz,
                    "standstill_waiting_calls": len(rt.throttled),
                    "standstill_entries_busy": fsc.table.in_use,
                    "standstill_diagnostic": (
                        f"standstill: no call completed for {idle / clock_hz * 1e3:.3f} ms (limit "
                        f"{timeout_cycles / clock_hz * 1e3:.3f} ms) while {len(rt.throttled)} calls waited for an "
                        f"entry; all {fsc.table.in_use} of {fsc.table.n} entries held by: {what}"),
                })

    return env.process(watchdog())
