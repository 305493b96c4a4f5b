"""What both server benches measure in a window: calls, instructions, IPC/CPI, misses, utilisation.

Hardware-counter view: Core.trap() has already charged each trap's direct cost to both modes
(entry + exit to kernel cycles, the user-side pipeline refill to user cycles).
"""
from __future__ import annotations

from ..kernel import Kernel
from ..platform import MODELLED, Machine

NAN = float("nan")


def _ratio(a: float, b: float) -> float:
    return a / b if b else NAN


def processor_columns(machine: Machine, kernel: Kernel, requests: int, elapsed: float) -> dict:
    """Per-request and per-mode columns of a measured window (counters reset at its start)."""
    cnt = kernel.counters
    sync = sum(c for (n, m), c in cnt.syscalls.items() if m == "sync" and n != "flexsc_wait")
    exless = sum(c for (n, m), c in cnt.syscalls.items() if m == "exceptionless")
    waits = cnt.syscalls.get(("flexsc_wait", "sync"), 0)
    calls = sync + exless
    rows = machine.counters()
    keys = ("instructions", "cycles", *(f"{s}_misses" for s in MODELLED))
    tot = {d: {k: sum(r[k] for r in rows if r["domain"] == d) for k in keys} for d in ("user", "kernel")}
    ui, ki = tot["user"]["instructions"], tot["kernel"]["instructions"]
    uc, kc = tot["user"]["cycles"], tot["kernel"]["cycles"]
    row = {
        "syscalls_per_request": _ratio(calls, requests),
        "sync_syscalls_per_request": _ratio(sync, requests),
        "flexsc_waits_per_request": _ratio(waits, requests),
        "user_instructions_per_request": _ratio(ui, requests),
        "kernel_instructions_per_request": _ratio(ki, requests),
        "user_instructions_per_syscall": _ratio(ui, calls),
        "kernel_instructions_per_syscall": _ratio(ki, calls),
        "user_ipc": _ratio(ui, uc), "kernel_ipc": _ratio(ki, kc),
        "user_cpi": _ratio(uc, ui), "kernel_cpi": _ratio(kc, ki),
        "mean_batch": cnt.summary()["mean_batch"],
        # the network stack's connections (kernel/netstack.py): 1 per request under ApacheBench,
        # 1/20 under httperf's keep-alive, 0 once memslap's connections are open
        "tcp_connections_per_request": _ratio(cnt.events.get("tcp_connection", 0), requests),
    }
    cores = len(machine.cores)
    for c in range(cores):
        busy = cnt.busy.get((c, "user"), 0.0) + cnt.busy.get((c, "kernel"), 0.0)
        row[f"util_core{c}"] = busy / elapsed if elapsed else 0.0
    row["util_min"] = min(row[f"util_core{c}"] for c in range(cores))
    row["util_max"] = max(row[f"util_core{c}"] for c in range(cores))
    for d in ("user", "kernel"):
        for s in MODELLED:
            row[f"{d}_{s}_misses_per_request"] = _ratio(tot[d][f"{s}_misses"], requests)
            row[f"{d}_{s}_mpki"] = _ratio(1000 * tot[d][f"{s}_misses"], tot[d]["instructions"])
    return row
