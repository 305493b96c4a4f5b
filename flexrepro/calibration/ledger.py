"""The identification ledger (data/ledger.csv): for every model parameter, its value and
either the calibration data that identify it (`fitted`, `measured`) or, for an `assumption`,
its plausible range and the reason. No ATC'11 Figure 5-10 result may identify anything
(tests/calibration/test_ledger.py reads the file and checks).

Values come from the committed parameter file and the data files, so the ledger cannot drift
from the model: `python -m flexrepro.calibration.ledger` rewrites data/ledger.csv after a
refit (a development step, never part of the pipeline); the test checks they agree.
"""
from __future__ import annotations

import csv
import io
import math
import tomllib

from .. import paths, reference
from ..atomic import write_text
from ..platform import ModelParams, load_params, load_platform
from . import platform_fit

LEDGER_FILE = paths.DATA / "ledger.csv"
COLUMNS = ("parameter", "value", "unit", "kind", "identified_by", "low", "high", "why", "source")
FIT = "calibration/platform_fit.py"
TABLE1_OSDI = "OSDI'10 Table 1"
KERNEL_CALLS = tuple(platform_fit.TABLE1_NAMES.values())


def _row(parameter, value, unit, kind, identified_by, why, source, low="", high="") -> dict:
    return dict(zip(COLUMNS, (parameter, repr(float(value)), unit, kind, identified_by,
                              "" if low == "" else repr(float(low)), "" if high == "" else repr(float(high)),
                              why, source)))


def _platform_rows(params: ModelParams) -> list[dict]:
    p = params.platform
    lfb = load_platform().line_fill_buffers
    fig = "ATC'11 Figure 1 (total and null-call curves, 1K-100K)"
    k4 = "OSDI'10 Figure 4 (pwrite kernel IPC loss, 100-10K)"
    rec = "OSDI'10 Figure 1 (Xalan IPC recovery after one pwrite)"
    rows = [
        _row("platform.user_direct_cycles", p["user_direct_cycles"], "cycles", "fitted", f"{fig}; {rec}",
             "user-side lost work of a round trip from a full pipeline: the null-call curve is this alone",
             FIT),
        _row("platform.kernel_direct_cycles", p["kernel_direct_cycles"], "cycles", "fitted", f"{k4}; {TABLE1_OSDI} cycles",
             "kernel-side lost work of a round trip from a full pipeline: at 100-500 user instructions "
             "the kernel already loses 21-28% of its IPC, which no cache footprint of so few "
             "instructions can cause (tens of lines, a few hundred cycles at most)", FIT),
        _row("platform.inflight_window_instructions", p["inflight_window_instructions"], "instructions", "fitted",
             f"{k4} (shape 100-1K); {fig} (null curve at 1K)",
             "instructions over which a program's in-flight work builds up after a mode switch", FIT),
        _row("platform.entry_exit_overlap_cycles", p["entry_exit_overlap_cycles"], "cycles", "fitted",
             "platform_facts null_syscall_loop_ns (OSDI'10 getppid tight loop, 56 ns) + syscall_entry_cycles "
             "and syscall_exit_cycles (79 + 71, measured one at a time)",
             "the part of entry + exit that overlaps back to back, with nothing else in flight: "
             "entry + exit - loop cycles, one equation and one unknown (exact); it fades with the "
             "interrupted code's in-flight work (platform.trap), so Figure 1 and the servers do not see it",
             f"{FIT} entry_exit_overlap; platform/trap.py"),
        _row("platform.tlb_miss_cycles", p["tlb_miss_cycles"], "cycles", "assumption", "not identified",
             "an L1 dTLB miss served by the STLB (Nehalem ~7 cycles); a page walk that hits the "
             "caches costs ~20-30", "Intel optimization manual (Nehalem)", 7.0, 30.0),
    ]
    for s in ("l1d", "l2", "l3"):
        rows.append(_row(f"platform.overlap_{s}", p[f"overlap_{s}"], "x", "fitted",
                         f"{fig}; {rec}; {TABLE1_OSDI} cycles",
                         f"latency overlap (memory-level parallelism) of {s} refills, bounded to "
                         f"[1, {lfb}] by the line-fill buffers", f"{FIT}; data/platform/corei7.toml"))
    return rows


def _xalan_rows(params: ModelParams) -> list[dict]:
    x = params.profile("xalan")
    rows = [_row("xalan.base_cpi", x.base_cpi, "cycles/instruction", "measured", "ATC'11 Section 2 (IPC 1.46)",
                 "Xalan's baseline user IPC, measured without system calls", "data/paper/platform_facts.csv")]
    for s, w in x.working_set.items():
        if s == "l3":
            cap = load_platform().capacity("l3")
            top = cap - params.profile("pwrite").working_set["l3"]
            rows.append(_row("xalan.working_set.l3", w, "lines", "assumption",
                             "not identified (fit cost flat from 0 to the high end)",
                             "as long as Xalan and the pwrite path both fit in the L3 no data point sees the share; "
                             "above, Figure 1 leaves its band. The low end is the lowest value the flat fit returned "
                             "(its default start, 0.9); a smaller share is not excluded by the data either",
                             f"{FIT} XALAN_L3_FRACTION", 0.9 * cap, top))
        else:
            why = f"the share of the {s} Xalan keeps reusing (dTLB shares the L1d's)"
            if s == "l1i":
                why += ("; bounded to 0.5-1 of the L1i (xalancbmk's instruction working set is about the "
                        "cache's size); Figure 1's total loss at 5K-10K moves it")
            rows.append(_row(f"xalan.working_set.{s}", w, "lines" if s != "dtlb" else "entries", "fitted",
                             "ATC'11 Figure 1; OSDI'10 Figure 1 and Figure 4; " + TABLE1_OSDI, why, FIT))
    for s, r in x.reuse_instructions.items():
        rows.append(_row(f"xalan.reuse_instructions.{s}", r, "instructions", "fitted",
                         "ATC'11 Figure 1; OSDI'10 Figure 1 and Figure 4",
                         "reuse interval, a power law in the structure's capacity (two fitted numbers)", FIT))
    return rows


def saturation_floor() -> float:
    """The smallest saturation (to 0.01) at which every OSDI'10 Table 1 call's working set,
    evictions / (1 - exp(-s)), fits in its structure (Table 3's capacities)."""
    spec = load_platform()
    rows = reference.load("syscall_footprint").itertuples(index=False)
    full = max(getattr(r, col) / spec.capacity(s) for r in rows for s, col in platform_fit.TABLE1_STRUCTURES.items())
    return math.ceil(-math.log(1.0 - full) * 100) / 100


def _kernel_rows(params: ModelParams) -> list[dict]:
    rows = [_row("kernel.saturation", platform_fit.KERNEL_SATURATION, "reuse intervals per call", "assumption",
                 "not identified",
                 "one call touches 1-exp(-s) of its working set: one pass through its path and data "
                 "(s=5: 99%); low end: the smallest s at which every OSDI'10 Table 1 call's working set "
                 "(evictions / (1-exp(-s))) fits in its structure -- open+write+close evicts 481 of the "
                 "512 L1d lines, so s >= 2.80 (a smaller s is contradicted by the data)",
                 f"{FIT} KERNEL_SATURATION; {TABLE1_OSDI}; ATC'11 Table 3", saturation_floor(), 5.0)]
    for name in KERNEL_CALLS:
        k = params.profile(name)
        rows.append(_row(f"{name}.base_cpi", k.base_cpi, "cycles/instruction", "fitted", f"{TABLE1_OSDI} cycles",
                         "CPI with everything resident, such that one call under Xalan takes the measured "
                         f"cycles (floor {platform_fit.MIN_CPI})", FIT))
        for s, w in k.working_set.items():
            rows.append(_row(f"{name}.working_set.{s}", w, "lines" if s != "dtlb" else "entries", "measured",
                             f"{TABLE1_OSDI} evictions", "evictions / (1 - exp(-saturation))", FIT))
        for s, d in k.demand_share.items():
            rows.append(_row(f"{name}.demand_share.{s}", d, "fraction", "measured",
                             f"{TABLE1_OSDI} (L1i + L1d fills vs {s} fills)",
                             "a demand miss at L2/L3 began as an L1 miss: fills beyond are prefetches",
                             f"{FIT} demand_shares"))
    return rows + _core_rows(params)


def _core_rows(params: ModelParams) -> list[dict]:
    """The kernel's shared core (platform_fit.kernel_core): its size per structure, and the
    assumption that carries it from one pair of file calls to any two calls."""
    name = platform_fit.CORE_PROFILE
    rows = [_row(f"{name}.scale", platform_fit.KERNEL_CORE_SCALE, "x", "assumption", "not identified",
                 "the lines two different calls share = the lines open+close and write share in one sequence "
                 "(1); socket calls on one connection may share more (same struct sock, skb allocator) or less "
                 "(no path walk): +-50%, and never more than the smallest call's footprint. Table 1 excludes the low "
                 "end: refitted at 0.5 (data/calibration/bands/), the servers' user IPC targets are out of reach "
                 "at the 4-wide peak (memcached -16%, nginx -40%), so the bands run the high end only",
                 f"{FIT} KERNEL_CORE_SCALE", 0.5, 1.5)]
    if name not in params.profiles:
        return rows
    for s, w in params.profile(name).working_set.items():
        rows.append(_row(f"{name}.working_set.{s}", w, "lines" if s != "dtlb" else "entries", "measured",
                         f"{TABLE1_OSDI} evictions (open+close + pwrite - open+write+close; capped at the "
                         "smallest call's)",
                         "what two calls run in one sequence share (entry/exit, fd table, VFS), x scale, "
                         "/ (1 - exp(-saturation))", f"{FIT} kernel_core"))
    return rows


def _cost_rows() -> list[dict]:
    with open(paths.DATA / "kernel" / "costs.toml", "rb") as f:
        t = tomllib.load(f)
    src = "data/kernel/costs.toml"
    spec = [  # (section, key, unit, low, high)
        ("thread_switch", "instructions", "instructions", 400, 1600),
        ("wakeup", "instructions", "instructions", 300, 1200),
        ("ipi", "send_cycles", "cycles", 100, 600),
        ("ipi", "latency_cycles", "cycles", 1150, 4600),
        ("entry", "user_post_instructions", "instructions", 15, 60),
        ("spin", "cycles", "cycles", 2300, 46000),
    ]
    return [_row(f"costs.{sec}.{key}", t[sec][key], unit, "assumption", "not identified",
                 t[sec]["provenance"], src, lo, hi) for sec, key, unit, lo, hi in spec]


def _client_rows() -> list[dict]:
    with open(paths.DATA / "workloads" / "client.toml", "rb") as f:
        t = tomllib.load(f)
    # the range: the estimate's band cut by the paper's text (client.toml [bounds])
    return [_row(f"client.{tool}.per_request_s", t[tool]["per_request_s"], "s", "assumption", "not identified",
                 "client CPU per request, an engineering estimate for a 2010 Core2; range: "
                 + t["bounds"][tool]["range"], "data/workloads/client.toml [bounds]", *t["bounds"][tool]["per_request_s"])
            for tool in ("memslap", "apachebench", "httperf")]


def _server_rows(params: ModelParams) -> list[dict]:
    src = "calibration/server_fit.py"
    rows = [
        dict(zip(COLUMNS, ("server.user_shape", "xalan x base IPC", "profiles", "assumption",
                           "not identified by Table 1 (it fits only instruction counts and base CPI)", "", "",
                           "one principle for every server: user code responds to its syscall interval the way "
                           "ATC'11 Figure 1's user code (Xalan) does -- Xalan's working sets and reuse, each "
                           "refill's stall scaled by base_cpi / Xalan's base CPI, so the same pollution costs "
                           "the same share of cycles", src))),
        dict(zip(COLUMNS, ("server.kernel_shape", "per-call OSDI'10 profiles + kernel_core", "profiles",
                           "assumption", "not identified by Table 1 (it fits only instruction counts and base CPI)",
                           "", "", "one principle for every server: each call runs on the calibrated OSDI'10 "
                           "profile its catalogue row names (data/kernel/syscalls.csv), through the shared "
                           "kernel core; the network stack's work on data/kernel/netstack.toml's shape; one "
                           "fitted kernel base CPI per server", src))),
    ]
    for server in ("memcached", "nginx"):
        row = f"ATC'11 Table 1 ({server} row)"
        for domain in ("user", "kernel"):
            name = f"{server}_{domain}"
            if name not in params.profiles:
                continue
            p = params.profile(name)
            rows.append(_row(f"{name}.base_cpi", p.base_cpi, "cycles/instruction", "fitted", f"{row} IPC",
                             "base CPI of the server's code" + (" (all its calls' profiles)" if domain == "kernel"
                                                                 else ""), src))
            rows.append(_row(f"{name}.instructions", p.instructions, "instructions", "fitted",
                             f"{row} instructions per syscall",
                             "instructions per request (user) / per socket receive (kernel)", src))
            if domain == "user":
                rows.append(_row(f"{name}.stall_scale", p.stall_scale, "x", "fitted",
                                 f"{row} IPC (through base_cpi)", "base_cpi / Xalan's base CPI (server.user_shape)",
                                 src))
    return rows


def build(params: ModelParams | None = None) -> list[dict]:
    params = params or load_params()
    return (_platform_rows(params) + _xalan_rows(params) + _kernel_rows(params) + _server_rows(params)
            + _cost_rows() + _client_rows())


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def merged(rows: list[dict]) -> list[dict]:
    """The generated rows, then the hand-written rows of the current file that they do not
    replace (mechanism and workload assumptions written with their code)."""
    names = {r["parameter"] for r in rows}
    kept = []
    if LEDGER_FILE.exists():
        with LEDGER_FILE.open(newline="") as f:
            kept = [r for r in csv.DictReader(f) if r["parameter"] not in names]
    return rows + kept


if __name__ == "__main__":
    write_text(LEDGER_FILE, to_csv(merged(build())))
    print(f"wrote {LEDGER_FILE}")
