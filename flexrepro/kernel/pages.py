"""Syscall entries (Figure 2), syscall pages and the queue-ring variant (Section 7).

`ENTRY_DTYPE` is the 64-byte entry the simulator reads and writes: six 8-byte arguments and
the 8-byte return value (56 B), then the syscall number, argument count and status in the
last 8 B. Both interfaces keep their entries in one numpy array of this dtype.

Scans are charged, never performed: the tables keep the indices of entries that changed
(submitted / done) so Python touches only those, and report how many entries a real linear
scan would have read (pages) or how many ring operations were done (queues); the kernel
turns those counts into instructions.
"""
from __future__ import annotations

import bisect
import heapq
from collections import deque

import numpy as np

from ..errors import ConfigError

ENTRY_DTYPE = np.dtype([
    ("args", "<i8", (6,)),
    ("ret", "<i8"),
    ("number", "<u4"),
    ("nargs", "<u2"),
    ("status", "<u2"),
])
assert ENTRY_DTYPE.itemsize == 64

ENTRIES_PER_PAGE = 64          # 4 KiB page / 64 B entry
FREE, SUBMITTED, BUSY, DONE, CANCEL = range(5)
STATUS_NAMES = ("free", "submitted", "busy", "done", "cancel")
# The transitions the simulator performs (Figure 2's state machine + Section 4.2's cancel).
TRANSITIONS = (("free", "submitted", "user posts"), ("submitted", "busy", "syscall thread starts it"),
               ("busy", "done", "syscall thread writes the return value"), ("done", "free", "user consumes it"),
               ("submitted", "cancel", "user cancels"), ("busy", "cancel", "user cancels"),
               ("cancel", "done", "kernel: EINTR, or the call won the race"))


class EntryStateError(ValueError):
    """An operation on an entry in the wrong status (e.g. cancelling a free entry)."""


class _Table:
    """What both interfaces share: the entry array, allocation and status bookkeeping."""

    interface = ""

    def __init__(self, n_entries: int):
        if n_entries < 1:
            raise ConfigError(f"syscall entries: need at least 1, got {n_entries}")
        self.n = n_entries
        self.entries = np.zeros(n_entries, dtype=ENTRY_DTYPE)
        self.status = self.entries["status"]          # views: writes go to the entries
        self.args, self.rets = self.entries["args"], self.entries["ret"]
        self._number, self._nargs = self.entries["number"], self.entries["nargs"]
        self.in_use = 0
        self.submitted_count = 0
        self.transitions: list[tuple[int, int, int]] | None = None   # (idx, from, to) when tracing
        self.reset_scan_counters()

    def reset_scan_counters(self) -> None:
        """Entries read by user polls / kernel claims (pages) or ring operations (queues), and
        how many polls and claims did it (e.g. zeroed after a warm-up)."""
        self.user_scanned = self.kernel_scanned = 0
        self.polls = self.claims = 0

    def _counted(self, by_user: bool, scanned: int) -> int:
        if by_user:
            self.user_scanned += scanned
            self.polls += 1
        else:
            self.kernel_scanned += scanned
            self.claims += 1
        return scanned

    def occupy_lowest(self, n: int) -> None:
        """Mark the lowest `n` entries of an unused table `busy` at once: the steady state of
        `n` calls parked for good (dormant connections), without posting them one by one."""
        if self.in_use:
            raise EntryStateError("occupy_lowest: the entries must all be free")
        if not 0 <= n <= self.n:
            raise EntryStateError(f"occupy_lowest: {n} entries asked, the table has {self.n}")
        self.status[:n] = BUSY
        self.in_use = n
        self._occupied(n)

    def _set(self, idx: int, new: int) -> None:
        if self.transitions is not None:
            self.transitions.append((idx, int(self.status[idx]), new))
        self.status[idx] = new

    def submit(self, idx: int, number: int, args: tuple[int, ...]) -> None:
        if self.status.item(idx) != FREE:                # .item: a Python int, no numpy scalar per call
            raise EntryStateError(f"entry {idx}: cannot submit, status is {STATUS_NAMES[self.status[idx]]}")
        n = len(args)
        self._number[idx] = number
        self._nargs[idx] = n
        self.args[idx, :n] = args
        self._set(idx, SUBMITTED)
        self.submitted_count += 1
        self._enqueue(idx)

    def start(self, idx: int) -> None:
        self._set(idx, BUSY)

    def complete(self, idx: int, ret: int) -> None:
        self.rets[idx] = ret
        self._set(idx, DONE)
        self._completed(idx)

    def cancel(self, idx: int) -> int:
        """Mark an entry cancelled; returns the status it had (DONE: the call won the race)."""
        if not 0 <= idx < self.n:
            raise ConfigError(f"entry index {idx}: allowed 0..{self.n - 1}")
        old = int(self.status[idx])
        if old == FREE:
            raise EntryStateError(f"entry {idx}: cannot cancel a free entry (nothing was posted)")
        if old in (SUBMITTED, BUSY):
            self._set(idx, CANCEL)
        return old

    def free(self, idx: int) -> None:
        if self.status.item(idx) != DONE:
            raise EntryStateError(f"entry {idx}: only a done entry can be freed, status is {STATUS_NAMES[self.status[idx]]}")
        self._set(idx, FREE)
        self._release(idx)


class SyscallPages(_Table):
    """Syscall pages: 64 entries a page, linear scans by user and kernel, a lock per page."""

    interface = "pages"

    def __init__(self, pages: int):
        if pages < 1:
            raise ConfigError(f"syscall pages: need at least 1, got {pages}")
        super().__init__(pages * ENTRIES_PER_PAGE)
        self.pages = pages
        self._free = list(range(self.n))               # a heap: lowest free entry first
        self._page_use = [0] * pages                    # non-free entries per page
        self.active_pages = 0                           # pages holding a non-free entry
        self._submitted: list[int] = []                 # submitted entries, sorted
        self._cursor = 0                                # where the kernel's scan resumes
        self._done: deque[int] = deque()

    def alloc(self) -> int | None:
        if not self._free:
            return None
        idx = heapq.heappop(self._free)
        p = idx // ENTRIES_PER_PAGE
        if self._page_use[p] == 0:
            self.active_pages += 1
        self._page_use[p] += 1
        self.in_use += 1
        return idx

    def _release(self, idx: int) -> None:
        heapq.heappush(self._free, idx)
        p = idx // ENTRIES_PER_PAGE
        self._page_use[p] -= 1
        if self._page_use[p] == 0:
            self.active_pages -= 1
        self.in_use -= 1

    def _occupied(self, n: int) -> None:
        del self._free[:n]                               # a sorted list stays a valid heap
        full, rest = divmod(n, ENTRIES_PER_PAGE)
        self._page_use[:full] = [ENTRIES_PER_PAGE] * full
        if rest:
            self._page_use[full] = rest
        self.active_pages = full + (1 if rest else 0)

    def _enqueue(self, idx: int) -> None:
        bisect.insort(self._submitted, idx)

    def has_work(self) -> bool:
        return bool(self._submitted)

    def claim(self) -> tuple[list[int], int]:
        """Kernel: take the next submitted entry after the scan cursor, wrapping around
        (a circular scan: fair across pages, and syscall threads on several cores share
        one page's work).

        Returns (entries, entries scanned): the scan reads the in-use pages from the cursor
        up to the entry it takes, so a full round costs one sweep of the pages in use."""
        sweep = self.active_pages * ENTRIES_PER_PAGE
        if not self._submitted:
            return [], self._counted(False, sweep)
        i = bisect.bisect_left(self._submitted, self._cursor)
        idx = self._submitted.pop(i if i < len(self._submitted) else 0)
        distance = (idx - self._cursor) % self.n + 1
        self._cursor = idx + 1
        self.submitted_count -= 1
        return [idx], self._counted(False, max(1, -(-distance * sweep // self.n)))

    def _completed(self, idx: int) -> None:
        self._done.append(idx)

    def poll(self) -> tuple[list[int], int]:
        """User: collect done entries; returns (entries, entries scanned)."""
        scanned = self.active_pages * ENTRIES_PER_PAGE
        done = list(self._done)
        self._done.clear()
        return done, self._counted(True, scanned)

    @property
    def done_count(self) -> int:
        return len(self._done)


class QueueRings(_Table):
    """Submission and completion rings: no scans, one push/pop per entry (Section 7)."""

    interface = "queues"

    def __init__(self, entries: int):
        super().__init__(entries)
        self._free = deque(range(self.n))
        self._sq: deque[int] = deque()
        self._cq: deque[int] = deque()

    def alloc(self) -> int | None:
        if not self._free:
            return None
        self.in_use += 1
        return self._free.popleft()

    def _release(self, idx: int) -> None:
        self._free.append(idx)
        self.in_use -= 1

    def _occupied(self, n: int) -> None:
        self._free = deque(range(n, self.n))

    def _enqueue(self, idx: int) -> None:
        self._sq.append(idx)

    def has_work(self) -> bool:
        return bool(self._sq)

    def claim(self) -> tuple[list[int], int]:
        """Kernel: pop one submission (the ring's ops are counted as 'scanned' = 1)."""
        if not self._sq:
            return [], self._counted(False, 1)
        self.submitted_count -= 1
        return [self._sq.popleft()], self._counted(False, 1)

    def _completed(self, idx: int) -> None:
        self._cq.append(idx)

    def poll(self) -> tuple[list[int], int]:
        done = list(self._cq)
        self._cq.clear()
        return done, self._counted(True, len(done) + 1)

    @property
    def done_count(self) -> int:
        return len(self._cq)


def make_table(interface: str, entries: int):
    """`entries` is rounded up to whole pages for the page interface."""
    if interface == "pages":
        return SyscallPages(-(-entries // ENTRIES_PER_PAGE))
    if interface == "queues":
        return QueueRings(entries)
    raise ConfigError(f"parameter 'interface': got {interface!r}; allowed: pages, queues")


def entry_layout() -> list[dict]:
    """Figure 2 from the dtype: field, byte offset, size."""
    rows = []
    for name in ENTRY_DTYPE.names:
        dt, off = ENTRY_DTYPE.fields[name][:2]
        if name == "args":
            for i in range(6):
                rows.append({"field": f"arg {i}", "offset": off + 8 * i, "bytes": 8})
        else:
            rows.append({"field": {"ret": "return value", "nargs": "arg count"}.get(name, name),
                         "offset": off, "bytes": dt.itemsize})
    return rows
