"""How often memslap's gets hit: the key window of the paper's memslap, as arithmetic and live.

The paper's "memslap distributed with libmemcached" (libmemcached 0.36, Jan 2010: "Merged in
new memslap utility" -- Schooner's tool, today's memaslap) keeps per connection a window of
10k keys (clients/ms_task.c): a set always writes the next window slot with a NEW key
(ms_get_next_set_item + ms_kick_out_item), a get picks a random key among those this
connection has already set (ms_get_next_get_item: below set_cursor until the window is
full, then anywhere in it). memcached evicts in set order within a run (1.4.5 relinks an item
on a hit at most once per 60 s, ITEM_UPDATE_INTERVAL), so it holds the last K keys set.
A get at a connection's s-th set hits iff its key was set fewer than K / C of that
connection's sets ago: P = min(1, K / (C s)). Averaged over a run of S sets in all
(S = C s_end, before the windows fill, S <= 10240 C):

    hit ratio = 1                      if S <= K
              = (K / S) (1 + ln(S / K)) otherwise          -- independent of C

and, once every window is full (S > 10240 C), each further get hits with K / (10240 C), the
steady state the model's memcached (data/workloads/memslap.toml) assumes from the start.
`measure` checks the formula on a real memcached with a small cache."""
from __future__ import annotations

import math
import subprocess
import tempfile
from pathlib import Path

from . import deps, drivers, servers
from .procs import Processes
from .run import CLIENT_WALL_S, LiveUnavailable

WINDOW = 10240          # memslap's DEFAULT_WINDOW_SIZE: 10 x UNIT_ITEMS_COUNT (1024)
SET_FRACTION = 0.1      # its default command mix: get 0.9, set 0.1


def run_averaged_hit_ratio(sets: float, cache_items: float, connections: int, window: int = WINDOW) -> float:
    """Fraction of gets that hit over a memslap run of `sets` sets (see the module docstring)."""
    k, full = float(cache_items), float(window) * connections
    if full <= k:                       # every window fits in the cache: every get hits
        return 1.0

    def transient(s):                   # sum of P over the gets up to s sets (per set)
        return s if s <= k else k * (1.0 + math.log(s / k))

    if sets <= full:
        return transient(sets) / sets if sets > 0 else 1.0
    return (transient(full) + (sets - full) * k / full) / sets


def measure(memory_mib: int, concurrency: int, requests: int, window_k: int | None = None) -> dict:
    """memaslap (defaults, -T 1) against memcached -m `memory_mib`; measured and predicted hits.

    K is what the cache held at the end (`curr_items`): the slab class of memslap's 1-KiB
    items gets every page the cache has."""
    missing = deps.missing("memcached")
    if missing:
        raise LiveUnavailable(deps.hint(missing))
    with Processes() as procs, tempfile.TemporaryDirectory(prefix="flexrepro-hits-") as tmp:
        port = servers.free_port()
        server = procs.start(servers.memcached_argv(port, memory_mib),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        servers.wait_listening(port, server)
        with tempfile.TemporaryFile() as out:
            client = procs.start(drivers.memaslap_argv(f"{servers.HOST}:{port}", concurrency, requests,
                                                       Path(tmp) / "memaslap.cnf", window_k),
                                 stdout=out, stderr=subprocess.STDOUT)
            client.wait(timeout=CLIENT_WALL_S)
        st = servers.memcached_stats(port)
        pids = set(procs.pids)
    measured = st["get_hits"] / st["cmd_get"]
    window = WINDOW if window_k is None else 1024 * window_k
    predicted = run_averaged_hit_ratio(st["cmd_set"], st["curr_items"], concurrency, window)
    return {"memory_mib": memory_mib, "connections": concurrency, "gets": st["cmd_get"],
            "sets": st["cmd_set"], "cache_items": st["curr_items"], "evictions": st.get("evictions", 0),
            "measured": measured, "predicted": predicted, "pids": pids}
