"""Figure 7's claims: nginx under ApacheBench, the 1-core gain at 256 clients, a gain at
every concurrency from 16 on 2 cores, and the best 2-core gain."""
from __future__ import annotations

from .. import reference
from ..experiments._nginx import one_worker_note, pick
from ..experiments.fig07 import gains
from .base import Verdict, best_gain, claim_check, compare


@claim_check("F7-1core-256", "fig07")
def _one_core(frames):
    return compare("F7-1core-256", pick(gains(frames["fig07"]), cores=1, concurrency=256),
                   "no 1-core point at 256", digits=1, note="throughput gain (%) at 1 core, 256 concurrent clients")


@claim_check("F7-2core-from-16", "fig07")
def _from_16(frames):
    start = reference.onset("F7-2core-from-16")
    g = gains(frames["fig07"])
    g = g[(g.cores == 2) & (g.concurrency >= start)]
    if g.empty:
        return Verdict(f"no 2-core point >= {start}", False)
    bad = [int(c) for c in g.concurrency[g.value <= 0]]
    return Verdict(round(float(g.value.min()), 1), not bad, note=f"smallest 2-core gain (%) at concurrency >= {start}" +
                   (f"; flexsc <= epoll at {bad}" if bad else ""))


@claim_check("F7-2core-max", "fig07")
def _two_core_max(frames):
    rows = frames["fig07"]
    return best_gain(gains(rows), "F7-2core-max", "concurrency", "best 2-core gain (%), at {} clients",
                     about=lambda x: one_worker_note(rows, "concurrency", x))
