"""FlexSC at 10^5-10^6 outstanding calls (Section 7): dormant calls in bulk, scan meters.

A server with many slow or dormant clients has one read parked per connection. Posting
each of them through `FlexSC.post` and parking it one SimPy callback at a time costs Python
work per connection, which is exactly what the model must not do for idle entries. The
steady state those reads reach is simple, so `park_dormant` writes it in bulk
(`occupy_lowest` of the syscall pages or rings): the lowest `n` entries are `busy`, every
page holding one is in use, and `n` syscall threads sleep. (A test checks that it matches
posting the reads one by one on sockets with no data.)

`ScanMeter` reads the tables' own counters: entries read by linear scans (pages), split
into the user's polls and the kernel's claims, or ring operations (queues).
"""
from __future__ import annotations

from ..errors import ConfigError
from .flexsc import FlexSC


def park_dormant(fsc: FlexSC, n: int) -> None:
    """Put `n` reads, parked waiting for data that never comes, in the lowest entries of a
    fresh FlexSC instance (before anything else was posted)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ConfigError(f"parameter 'dormant': got {n!r}; allowed: an integer >= 0")
    t = fsc.table
    if t.in_use:
        raise ConfigError("park_dormant: the syscall entries must all be free (call it right after flexsc_register)")
    if n > t.n:
        raise ConfigError(f"parameter 'dormant': got {n}; allowed: at most the {t.n} syscall entries")
    if n == 0:
        return
    t.occupy_lowest(n)
    fsc.count_parked(n)


class ScanMeter:
    """Entries scanned by user polls and kernel claims (pages) or ring operations (queues)
    of one FlexSC instance since the last `reset()` (call it after warm-up)."""

    def __init__(self, fsc: FlexSC):
        self.interface = fsc.interface
        self.table = fsc.table
        self.reset()

    def reset(self) -> None:
        self.table.reset_scan_counters()

    @property
    def user(self) -> int:
        return self.table.user_scanned

    @property
    def kernel(self) -> int:
        return self.table.kernel_scanned

    @property
    def polls(self) -> int:
        return self.table.polls

    @property
    def claims(self) -> int:
        return self.table.claims
