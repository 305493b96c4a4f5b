"""FlexSC at 10^5-10^6 outstanding calls (Section 7): dormant calls in bulk, scan meters.

A server with many slow or dormant clients has one read parked per connection. Posting
each of them through `FlexSC.post` and parking it one SimPy callback at a time costs Python
work per connection, which is exactly what the model must not do for idle entries. The
steady state those reads reach is simple, so `park_dormant` writes it in bulk: the lowest
`n` entries are `busy`, every page holding one is in use, and `n` syscall threads sleep.
(A test checks that it matches posting the reads one by one on sockets with no data.)

`ScanMeter` counts what the tables report: entries read by linear scans (pages), split into
the user's polls and the kernel's claims, and ring operations (queues).
"""
from __future__ import annotations

from collections import deque

from ..errors import ConfigError
from .flexsc import FlexSC
from .pages import BUSY, ENTRIES_PER_PAGE, SyscallPages


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
    t.status[:n] = BUSY
    t.in_use = n
    if isinstance(t, SyscallPages):
        del t._free[:n]                   # a sorted list stays a valid heap
        full, rest = divmod(n, ENTRIES_PER_PAGE)
        t._page_use[:full] = [ENTRIES_PER_PAGE] * full
        if rest:
            t._page_use[full] = rest
        t.active_pages = full + (1 if rest else 0)
    else:
        t._free = deque(range(n, t.n))
    fsc.parked += n
    fsc.max_parked = max(fsc.max_parked, fsc.parked)


class ScanMeter:
    """Counts entries scanned by user polls and kernel claims (pages) or ring operations
    (queues) of one FlexSC instance. `reset()` after warm-up."""

    def __init__(self, fsc: FlexSC):
        self.interface = fsc.interface
        t = fsc.table
        claim, poll = t.claim, t.poll
        self.reset()

        def metered_claim():
            work, scanned = claim()
            self.kernel += scanned
            self.claims += 1
            return work, scanned

        def metered_poll():
            done, scanned = poll()
            self.user += scanned
            self.polls += 1
            return done, scanned

        t.claim, t.poll = metered_claim, metered_poll    # instance attributes shadow the methods

    def reset(self) -> None:
        self.user = self.kernel = 0       # entries scanned (pages) or ring operations (queues)
        self.claims = self.polls = 0
