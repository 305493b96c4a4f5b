"""Runs of the real servers with a fixed number of syscall entries, watched for standstill.

Shared by the Section 7 ablations that set syscall entries per core (`ablation_entries`,
`ablation_throttling`): libflexsc delays a call while all entries are busy (throttling),
and `runtime.standstill.watch` turns a run that stops making progress into a row with a
diagnostic instead of a hang. memslap's loops start as their connections open (with fewer
entries than connections the server must serve the first ones before accepting the rest).

Throughput here is completions over the measured window (`window_throughput_rps`), not
connections / mean latency: while entries throttle, not every connection completes a
request cycle in the window, and Little's law over the completed cycles would overstate it.
"""
from __future__ import annotations

from ..runtime.standstill import Standstill, watch
from ..testbed import memcached as memcached_testbed, nginx as nginx_testbed

NAN = float("nan")
NO_STANDSTILL = {"standstill": False, "standstill_at_s": NAN, "standstill_idle_s": NAN,
                 "standstill_waiting_calls": 0, "standstill_entries_busy": 0, "standstill_diagnostic": ""}
KEEP = ("mean_latency_s", "syscalls_per_request", "user_ipc", "kernel_ipc", "mean_batch",
        "client_utilisation", "util_min", "util_max", "requests", "sim_events")


def _throttled(rt, requests: float = NAN) -> dict:
    """Calls that found every entry busy (over the measured window, per request)."""
    return {"syscall_entries": rt.fsc.table.n,
            "throttled_per_request": rt.kernel.counters.events.get("entries_exhausted", 0) / requests}


def memcached(cores: int, connections: int, pages_per_core: int, seed: int, standstill_cycles: float,
              **kw) -> dict:
    b = memcached_testbed.build("flexsc", cores, connections, seed, pages_per_core=pages_per_core, **kw)
    rt = b.server.rt
    watch(rt, standstill_cycles)
    try:
        row = b.run(go_at_once=True)
    except Standstill as s:
        return {**_keep({}), **_throttled(rt), **s.diagnostic}
    return {**_keep(row), **_throttled(rt, row["requests"]), **NO_STANDSTILL}


def _keep(row: dict) -> dict:
    """(nginx's throughput_rps already is completions over the window; a stalled run has none.)"""
    tput = row.get("window_throughput_rps", row.get("throughput_rps", NAN))
    return {"throughput_rps": tput, **{k: row.get(k, NAN) for k in KEEP}}


def nginx(cores: int, concurrency: int, pages_per_core: int, seed: int, standstill_cycles: float, **kw) -> dict:
    held = {}

    def prepare(server):
        held["rt"] = server.rt
        watch(server.rt, standstill_cycles)

    try:
        row = nginx_testbed.simulate("flexsc", cores, "apachebench", concurrency, seed,
                                     pages_per_core=pages_per_core, prepare=prepare, **kw)
    except Standstill as s:
        return {**_keep({}), **_throttled(held["rt"]), **s.diagnostic}
    return {**_keep(row), **_throttled(held["rt"], row["requests"]), **NO_STANDSTILL}
