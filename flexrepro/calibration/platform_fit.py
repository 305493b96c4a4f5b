"""Deterministic fit of the processor model's profiles to the paper's microbenchmarks.

Targets (all measured on the same Core i7), fitted jointly, one parameter set:
- ATC'11 Figure 1, N = 1K..100K: Xalan user-IPC degradation with one pwrite every N user
  instructions (total) and with a null call (direct);
- OSDI'10 Figure 4, N = 100..10K: pwrite's kernel-mode IPC loss against the same call
  issued back to back (the kernel's side of Figure 1);
- OSDI'10 Figure 1: Xalan user IPC in 1000-cycle bins after one pwrite;
- OSDI'10 Table 1: cycles of six system calls run once under Xalan (their evictions from
  L1i, L1d, L2, L3 and the L1 dTLB are inputs: they set the kernel working sets).

Inputs that are measurements, not fits: Table 3 (capacities, latencies), the 79 + 71
cycle trap, Xalan's baseline IPC 1.46, the instructions per call of OSDI'10 Table 1, and
Nehalem's 10 line-fill buffers, which bound every data level's latency overlap (memory-level
parallelism) to at most 10, so an L3 refill is never cheaper than an L2 hit. The part of
entry + exit that overlaps in a tight loop (`platform.trap`) is identified exactly by the
79 + 71 cycles and OSDI'10's 56 ns getppid loop (`entry_exit_overlap`, 21.2 cycles).

Fitted (scipy least squares, fixed starts, bounded): the user- and kernel-side lost work of
a trap from a full pipeline and the window over which in-flight work builds up
(`platform.trap`), the latency overlap of L1d/L2/L3 refills, Xalan's reuse intervals (a
power law in the structure's capacity: lambda_s = lambda0 * (C_s / C_l1d)^beta), the
fraction of the L1d (and dTLB), of the L1i and of the L2 that Xalan keeps reusing, and each
kernel path's base CPI. Xalan's L3 share is an assumption (XALAN_L3_FRACTION): the fit's cost
is flat in it.

Kernel profiles are read off OSDI'10 Table 1: a call of I instructions touches a fraction
1 - exp(-KERNEL_SATURATION) of its working set (one pass through its code path and data),
so W_s = evicted_s / (1 - exp(-KERNEL_SATURATION)) and its reuse interval is
I / KERNEL_SATURATION. Only its demand misses stall (`demand_shares`).

Where the data contradict the bounds (reported, the bounds are kept):
- Table 1's L3 evictions cannot all be demand misses at <= 10 in flight: stat's 2,559 L3
  fills at >= 21 cycles each would take 54K cycles, its measured total is 13.6K; the fills
  beyond the call's L1 misses are taken as prefetches (`demand_shares`).
- pread stays 43% above its measured 12,300 cycles at the CPI floor: its demand misses
  (11.5K cycles at the fitted penalties) plus the kernel-side lost work fitted on OSDI'10 Figure 4
  do not fit in it; stat is 4% above for the same reason.
- OSDI'10 Figure 4 at 500 (28.2%): the fit gives 33.3%, 0.13 points outside 5 (33.2%, 0.02
  outside, before the fit ran to convergence in session 9). Xalan's L1i
  share is fitted (0.976 of the L1i): a Xalan that fills its L1i brings Figure 1's total loss at
  5K-10K to 47.1/35.7% (was 44.7/34.3% with the share held at 0.9, against 48.0/37.3%) and
  evicts more of pwrite's 53 L1i lines in 500 instructions (31.0% -> 33.3%); the weighted cost
  falls 617.5 -> 511.7, so the fit takes it. The numbers below were computed with the share
  held at 0.9; with it fitted the model gives 36.7% / 36.8% (gaps -8.5 / -13.2 points).
- OSDI'10 Figure 4 at 5K and 10K (45.2%, 50.0%): the fit reaches 37.8% and 38.0%. The loss
  is (D + R(N)) / (k0 + D + R(N)): D the kernel-side lost work (4,946, pinned by 100-1K),
  R(N) the warm call's refills, k0 = 31,285 - D - R_cold - overlap the back-to-back call
  (pwrite's Table 1 cycles less its cold refills R_cold = 15,056). At 10K, 45% needs
  k0 <= (0.55 / 0.45)(D + R) = 8,400 cycles, i.e. R_cold >= 17,920 (+19%), or else
  R(10K) >= 4,270 (now 1,924). R cannot grow in LRU order: after the call, the kernel's lines
  are the most recent, and Xalan evicts them only after touching C - W other lines (L3:
  131,072 - 3,326 = 127,746; L2: 8,192 - 1,037 = 7,155). Xalan touches ~49,000 L3 and
  ~6,460 L2 lines in 10K instructions, so R(10K) = 184 L1d + 49 L2 + 0 L3 lines; a Xalan L3
  share of 1.0 still touches only 50.9K (it evicts its own older lines first: 1,638 L3
  misses a round, and refitted, Figure 1 is off by up to 5.1 points). Touching 127,746 in
  10K instructions needs an L3 reuse interval <= 2,720 instructions, against the ~20K the
  recovery curve (still 1.40 at 8-9K cycles) gives the fit. The other way, R_cold +19%,
  prices every cold refill 19% higher: stat and pread, already at the 4-wide CPI floor
  (MIN_CPI) and 4% / 42% over, go further over. The fit that meets all six points within
  5 (kernel-loss weight 4: L2 overlap 1.22, L1d 1.0, D = 2,361, so the back-to-back pwrite
  gets cheap) has stat +15.2%, pread +72.0%, open+write+close +8.1%, open+close +3.5%,
  mmap+munmap +2.6%, and costs 924 at WEIGHTS against 618: a worse fit of the data as
  weighted, so it is not used. With the kernel loss weighted like Figure 1 (both are judged
  at 5 points: weight 2) the fit still misses 10K by 7.9 points (cost 674 at WEIGHTS).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import differential_evolution, least_squares

from .. import reference
from ..errors import ConfigError
from ..platform import CodeProfile, ModelParams, PlatformSpec, load_platform, penalties
from ..platform.trap import direct_cycles
from . import microbench

TLB_MISS_CYCLES = 7.0        # Nehalem STLB hit latency (Intel optimization manual, Nehalem)
KERNEL_SATURATION = 3.0      # one call touches 95% of its working set
CORE_PROFILE = "kernel_core"
# Assumption (ledger: kernel_core.scale, band 0.5-1.5): the lines two DIFFERENT calls share
# are the lines open+close and write share in OSDI'10 Table 1 (scale 1); the band covers a
# core that the file-path pair over- or under-states for socket calls.
KERNEL_CORE_SCALE = 1.0
TABLE1_NAMES = {"stat": "stat", "pread": "pread", "pwrite": "pwrite", "open+close": "open_close",
                "mmap+munmap": "mmap_munmap", "open+write+close": "open_write_close"}
TABLE1_STRUCTURES = {"l1i": "l1i_lines_evicted", "l1d": "l1d_lines_evicted", "l2": "l2_lines_evicted",
                     "l3": "l3_lines_evicted", "dtlb": "l1_dtlb_entries_evicted"}
FIG1_RANGE = (1_000, 100_000)
# Not identified: Xalan's share of the L3. The fit's cost is exactly flat from 0 up to
# 1 - 3,326 / 131,072 = 0.9746 (Xalan and the pwrite path both fit in the L3, so no data point
# sees the share) and rises steeply above it (Figure 1 leaves its band by 0.98). As a free
# parameter it stayed wherever its start put it: 0.963 from the global search's start, 0.9
# from the default start, whichever start won on the other parameters by < 1 in cost; and
# the servers' user shapes copy it (a refit that moved it 0.963 -> 0.9 moved nginx's fitted
# user base CPI 0.25 -> 0.71). Held at the value the parameter file has carried (0.963);
# ledger: assumption, band 0.9-0.9746 (the values the flat fit returned, up to the bound
# the data set).
XALAN_L3_FRACTION = 0.963
LINE_FILL_BUFFERS = load_platform().line_fill_buffers

# name: (start, low, high); overlaps and lambda0 are fitted in log space.
FREE = {
    "user_direct_cycles": (500.0, 0.0, 5000.0),
    "kernel_direct_cycles": (2000.0, 0.0, 20000.0),
    "log10_inflight_window": (2.0, 0.5, 4.0),
    "log_overlap_l1d": (math.log(2.0), 0.0, math.log(LINE_FILL_BUFFERS)),
    "log_overlap_l2": (math.log(4.0), 0.0, math.log(LINE_FILL_BUFFERS)),
    "log_overlap_l3": (math.log(8.0), 0.0, math.log(LINE_FILL_BUFFERS)),
    "log10_reuse_l1d": (3.0, 1.0, 7.0),
    "reuse_exponent": (1.0, 0.0, 3.0),
    "xalan_l1d_fraction": (0.5, 0.0, 1.0),  # of the L1d and the L1 dTLB
    # of the L1i, from half of it: xalancbmk is one of the few SPEC CPU2006 programs with a
    # non-negligible L1i miss rate on a 32 KiB L1i, i.e. its instruction working set is about
    # the cache's size. Figure 1's total loss at 5K-10K identifies it (cost 617.5 held at 0.9,
    # 523.7 at 0.95, 532.1 at 1.0); it was an assumption while the fit was flat in it.
    "xalan_l1i_fraction": (0.9, 0.5, 1.0),
    "xalan_l2_fraction": (0.9, 0.0, 1.0),
}
# Least-squares starting points: the FREE defaults, and the basin a global search
# (`global_search()`, differential evolution) found.
STARTS = (
    {k: v[0] for k, v in FREE.items()},
    {"user_direct_cycles": 565.0, "kernel_direct_cycles": 5800.0, "log10_inflight_window": 2.1,
     "log_overlap_l1d": 0.6, "log_overlap_l2": 2.3, "log_overlap_l3": 2.3,
     "log10_reuse_l1d": 3.17, "reuse_exponent": 0.46, "xalan_l1d_fraction": 0.46,
     "xalan_l2_fraction": 0.91, "xalan_l1i_fraction": 0.95},
)
# Trust-region least squares, steps scaled by the Jacobian's columns (the free values span
# 0.3 to 6,700: unscaled, the search crawls along the flat valley of the overlaps and the
# kernel-side lost work, and 300 evaluations did not reach its floor); tolerances at 1e-12
# so both STARTS end on the same point (within 5e-7) well before max_nfev.
LEAST_SQUARES = {"method": "trf", "x_scale": "jac", "ftol": 1e-12, "xtol": 1e-12, "gtol": 1e-12, "max_nfev": 2000}
MIN_CPI = 0.25               # four instructions per cycle: the Core i7's issue width
WEIGHTS = {"fig1": 2.0, "kernel_loss": 1.0, "recovery": 1.0, "table1_cycles": 0.5}
PROVENANCE = ("fitted by flexrepro.calibration.platform_fit (scipy least squares) to ATC'11 Figure 1 "
              "(1K-100K, total and direct), OSDI'10 Figure 4 (pwrite kernel IPC loss, 100-10K), OSDI'10 "
              "Figure 1 (recovery) and OSDI'10 Table 1 (cycles of six calls); inputs: Table 3, trap 79+71 "
              "cycles, getppid tight loop 56 ns, Xalan IPC 1.46, OSDI'10 Table 1 instructions and evictions "
              "per call, overlap <= "
              f"{LINE_FILL_BUFFERS} line-fill buffers; "
              f"assumptions: dTLB miss = STLB hit {TLB_MISS_CYCLES:g} cycles, one kernel call touches "
              f"1-exp(-{KERNEL_SATURATION:g}) of its working set")


def _targets() -> dict:
    fig1 = reference.load("fig1")
    fig1 = fig1[fig1.instructions_between_syscalls.between(*FIG1_RANGE)]
    facts = reference.load("platform_facts").set_index("fact")["value"]
    return {"fig1": fig1, "kernel_loss": reference.load("kernel_ipc_loss"),
            "recovery": reference.load("xalan_recovery"),
            "table1": reference.load("syscall_footprint"),
            "xalan_ipc": float(facts["xalan_baseline_user_ipc"]),
            "null_loop_ns": float(facts["null_syscall_loop_ns"])}


def entry_exit_overlap(spec: PlatformSpec, null_loop_ns: float) -> float:
    """The part of the measured entry + exit that overlaps in a tight loop (`platform.trap`):
    entry + exit measured one at a time (79 + 71 = 150 cycles) minus OSDI'10's getppid tight
    loop (56 ns x 2.3 GHz = 128.8 cycles a call), which has no user work in flight to lose
    and whose few kernel instructions are inside both measurements. One equation, one
    unknown: identified exactly. Bounds: >= 0 (a slower loop would be lost work, which the
    form has no term for at n = 0) and <= the shorter of the two switches (neither can hide
    more than its whole latency behind the other)."""
    entry, exit_ = spec.syscall_entry_cycles, spec.syscall_exit_cycles
    overlap = entry + exit_ - null_loop_ns * spec.clock_ghz
    if not 0.0 <= overlap <= min(entry, exit_):
        raise ConfigError(f"platform_facts 'null_syscall_loop_ns' = {null_loop_ns:g} implies an entry/exit overlap "
                          f"of {overlap:g} cycles; allowed: 0 to {min(entry, exit_):g} (loop between "
                          f"{(entry + exit_ - min(entry, exit_)) / spec.clock_ghz:g} and "
                          f"{(entry + exit_) / spec.clock_ghz:g} ns)")
    return overlap


def demand_shares(row) -> dict[str, float]:
    """Share of a call's fills at each level that are demand misses, from Table 1's own counts.

    In an inclusive hierarchy every demand miss that reaches the L2 or the L3 began as an L1
    miss, so a cold call's demand misses at L2 and L3 are at most its L1i + L1d misses; the
    fills beyond (pwrite: 985 L2 and 3160 L3 fills after 423 L1 misses) are the hardware
    prefetchers'. They cannot be demand misses: 3160 L3 misses at >= (250 - 37.5) / 10 cycles
    each (10 line-fill buffers) would take 67K cycles, more than the call's 31K. A cold call
    is taken to go to memory for every demand miss (the upper bound)."""
    l1 = float(row.l1i_lines_evicted + row.l1d_lines_evicted)
    return {"l2": min(1.0, l1 / row.l2_lines_evicted), "l3": min(1.0, l1 / row.l3_lines_evicted)}


def kernel_core(table1, scale: float = KERNEL_CORE_SCALE) -> CodeProfile:
    """The kernel's shared core: the lines every system call runs through (entry/exit, the fd
    table, the VFS and socket layers), read off OSDI'10 Table 1.

    The table measures open+write+close as ONE sequence beside open+close and pwrite apart
    (write(2) on a file runs pwrite's generic_file_aio_write path). The sequence evicts fewer
    lines than its parts apart; what it saves is what its calls share:
    `shared_s = evicted(open+close) + evicted(pwrite) - evicted(open+write+close)`
    (L1i 19, L1d 132, L2 423, L3 1,589, dTLB 23 lines). No call can share more than its whole
    footprint, so each structure is capped at the smallest footprint of the six calls (this
    binds the dTLB only: mmap+munmap evicts 7 entries). Lines, like the calls' own working
    sets, are evictions / (1 - exp(-KERNEL_SATURATION)). Its reuse interval is the shortest
    call's (pread) I / KERNEL_SATURATION, used only by calls of no working set of their own
    (the null-profile calls: their few instructions run through the core alone); every other
    call touches the core over its own reuse interval. It is never run on its own: the
    `base_cpi` of the call that runs through it applies."""
    rows = {r.syscall: r for r in table1.itertuples(index=False)}
    touched = 1.0 - math.exp(-KERNEL_SATURATION)
    ws = {}
    for s, col in TABLE1_STRUCTURES.items():
        shared = sum(getattr(rows[n], col) for n in ("open+close", "pwrite")) - getattr(rows["open+write+close"], col)
        ws[s] = min(scale * max(0.0, float(shared)), min(float(getattr(r, col)) for r in rows.values())) / touched
    shortest = min(float(r.instructions) for r in rows.values())
    return CodeProfile(CORE_PROFILE, "kernel", 1.0, working_set=ws,
                       reuse_instructions={s: shortest / KERNEL_SATURATION for s in ws},
                       provenance="OSDI'10 Table 1: open+close + pwrite - open+write+close evictions (what two "
                                  "calls in one sequence share), capped per structure at the smallest call's, "
                                  f"x scale {scale:g} (assumption, band 0.5-1.5); never run alone "
                                  "(calibration.platform_fit.kernel_core)")


def _kernel_profiles(table1, spec: PlatformSpec, params: ModelParams) -> dict[str, CodeProfile]:
    """Working sets from the evictions; base CPI such that a cold call takes the measured
    cycles (trap + base + refills, each refill at the platform's effective penalty)."""
    touched = 1.0 - math.exp(-KERNEL_SATURATION)
    pen = penalties(spec, params)
    trap = spec.syscall_entry_cycles + spec.syscall_exit_cycles + direct_cycles(params.platform, math.inf)[1]
    out = {}
    for row in table1.itertuples(index=False):
        name = TABLE1_NAMES[row.syscall]
        share = demand_shares(row)
        refill = sum(getattr(row, col) * share.get(s, 1.0) * pen[s] for s, col in TABLE1_STRUCTURES.items())
        cpi = max(MIN_CPI, (row.cycles - trap - refill) / row.instructions)
        out[name] = CodeProfile(
            name, "kernel", float(cpi),
            working_set={s: float(getattr(row, col)) / touched for s, col in TABLE1_STRUCTURES.items()},
            reuse_instructions={s: float(row.instructions) / KERNEL_SATURATION for s in TABLE1_STRUCTURES},
            instructions=float(row.instructions), demand_share=share,
            provenance=f"OSDI'10 Table 1 ({row.syscall}): instructions and evictions; base CPI such that one "
                       f"call under Xalan takes the measured {row.cycles} cycles (floor {MIN_CPI}); {PROVENANCE}")
    out["null"] = CodeProfile("null", "kernel", 1.0, instructions=0.0,
                              provenance="null system call: its few kernel instructions are inside the "
                                         "measured 79+71-cycle round trip; no working set")
    out[CORE_PROFILE] = kernel_core(table1)
    return out


def build(x, spec: PlatformSpec, targets: dict) -> ModelParams:
    """The parameter set for a vector of free values (FREE order, then kernel CPIs)."""
    v = dict(zip(FREE, map(float, x[:len(FREE)])))
    cap = {s: spec.capacity(s) for s in TABLE1_STRUCTURES}
    frac = {"l1i": v["xalan_l1i_fraction"], "l1d": v["xalan_l1d_fraction"], "dtlb": v["xalan_l1d_fraction"],
            "l2": v["xalan_l2_fraction"], "l3": XALAN_L3_FRACTION}
    reuse0 = 10.0 ** v["log10_reuse_l1d"]
    xalan = CodeProfile(
        "xalan", "user", 1.0 / targets["xalan_ipc"],
        working_set={s: float(frac[s] * cap[s]) for s in cap},
        reuse_instructions={s: reuse0 * (cap[s] / cap["l1d"]) ** v["reuse_exponent"] for s in cap},
        provenance=f"Xalan (SPEC CPU2006) user code; base CPI = 1 / baseline IPC 1.46 (ATC'11 Section 2); "
                   f"working sets and reuse {PROVENANCE}")
    platform = {"user_direct_cycles": v["user_direct_cycles"], "kernel_direct_cycles": v["kernel_direct_cycles"],
                "inflight_window_instructions": 10.0 ** v["log10_inflight_window"],
                "entry_exit_overlap_cycles": entry_exit_overlap(spec, targets["null_loop_ns"]),
                "overlap_l1d": math.exp(v["log_overlap_l1d"]), "overlap_l2": math.exp(v["log_overlap_l2"]),
                "overlap_l3": math.exp(v["log_overlap_l3"]), "tlb_miss_cycles": TLB_MISS_CYCLES}
    params = ModelParams(platform, {"xalan": xalan}, {"platform": PROVENANCE})
    return params.with_profiles(*_kernel_profiles(targets["table1"], spec, params).values())


def predictions(params: ModelParams, spec: PlatformSpec, targets: dict) -> dict:
    """Everything the fit compares, from the model."""
    xalan, pwrite, null = (params.profile(n) for n in ("xalan", "pwrite", "null"))
    base_ipc = 1.0 / xalan.base_cpi
    ns = targets["fig1"].instructions_between_syscalls.to_numpy(float)
    deg = lambda k, n: 100.0 * (1.0 - microbench.interleaved(params, xalan, k, n, spec=spec)["user_ipc"] / base_ipc)
    kn = targets["kernel_loss"].user_instructions_between_syscalls.to_numpy(float)
    k0 = microbench.interleaved(params, xalan, pwrite, 0.0, spec=spec)["kernel_ipc"]
    kloss = lambda n: 100.0 * (1.0 - microbench.interleaved(params, xalan, pwrite, n, spec=spec)["kernel_ipc"] / k0)
    rec = targets["recovery"]
    cold = {TABLE1_NAMES[s]: microbench.cold_call(params, xalan, params.profile(TABLE1_NAMES[s]), spec=spec)
            for s in targets["table1"].syscall}
    return {
        "total": np.array([deg(pwrite, n) for n in ns]),
        "direct": np.array([deg(null, n) for n in ns]),
        "kernel_loss": np.array([kloss(n) for n in kn]),
        "recovery": np.array(microbench.recovery(params, xalan, pwrite, bins=len(rec), step=100.0, spec=spec)),
        "cold": cold,
    }


def residual_table(params: ModelParams, spec: PlatformSpec, targets: dict) -> list[dict]:
    """One row per target: what, paper value, model value, weighted residual."""
    p = predictions(params, spec, targets)
    rows = []
    fig1 = targets["fig1"]
    for n, paper_t, paper_d, m_t, m_d in zip(fig1.instructions_between_syscalls, fig1.total_degradation_pct,
                                            fig1.direct_degradation_pct, p["total"], p["direct"]):
        rows.append({"target": "fig1_total_pct", "x": n, "paper": paper_t, "model": m_t,
                     "residual": WEIGHTS["fig1"] * (m_t - paper_t)})
        rows.append({"target": "fig1_direct_pct", "x": n, "paper": paper_d, "model": m_d,
                     "residual": WEIGHTS["fig1"] * (m_d - paper_d)})
    kl = targets["kernel_loss"]
    for n, paper, model in zip(kl.user_instructions_between_syscalls, kl.kernel_ipc_loss_pct, p["kernel_loss"]):
        rows.append({"target": "kernel_ipc_loss_pct", "x": n, "paper": paper, "model": model,
                     "residual": WEIGHTS["kernel_loss"] * (model - paper)})
    base_ipc = targets["xalan_ipc"]
    for t, paper, model in zip(targets["recovery"].cycles_after_syscall_bin_start, targets["recovery"].user_ipc,
                               p["recovery"]):
        rows.append({"target": "recovery_ipc", "x": t, "paper": paper, "model": model,
                     "residual": WEIGHTS["recovery"] * 100.0 * (model - paper) / base_ipc})
    for row in targets["table1"].itertuples(index=False):
        c = p["cold"][TABLE1_NAMES[row.syscall]]
        rows.append({"target": f"table1_cycles:{row.syscall}", "x": row.instructions, "paper": row.cycles,
                     "model": c["cycles"], "residual": WEIGHTS["table1_cycles"] * 100.0 * (c["cycles"] / row.cycles - 1)})
    return rows


def _residual_fn(spec: PlatformSpec, targets: dict):
    return lambda x: np.array([r["residual"] for r in residual_table(build(x, spec, targets), spec, targets)])


def _bounds():
    return (np.array([l for _, l, _ in FREE.values()]), np.array([h for _, _, h in FREE.values()]))


def fit(spec: PlatformSpec | None = None) -> tuple[ModelParams, dict]:
    """Fit; returns the parameters and a report (free values, cost, residual rows).

    The residuals are piecewise smooth (a working set either overflows a structure or not),
    so least squares runs from each of the fixed STARTS and the lowest cost wins:
    deterministic and fast. `global_search` checks that no other basin is better.

    Each start runs to convergence (`LEAST_SQUARES`), not to an evaluation cap: a search cut
    off mid-valley stops wherever its path happens to be, and the path follows the last bits
    of BLAS and libm, so another CPU stopped 0.6% away (session 9).
    """
    spec = spec or load_platform()
    targets = _targets()
    resid = _residual_fn(spec, targets)
    lo, hi = _bounds()
    sols = [least_squares(resid, np.array([start[k] for k in FREE]), bounds=(lo, hi), **LEAST_SQUARES)
            for start in STARTS]
    sol = min(sols, key=lambda s: s.cost)
    return _report(sol.x, spec, targets, cost=float(sol.cost), costs_by_start=[float(s.cost) for s in sols],
                   converged_by_start=[bool(s.status > 0) for s in sols])


def rebuild(free: dict[str, float], spec: PlatformSpec | None = None) -> tuple[ModelParams, dict]:
    """The parameters and report `fit` gives at the free values `free`, without searching
    (the quick check that a parameter file is what the model makes of its own fitted values)."""
    spec = spec or load_platform()
    targets = _targets()
    params, report = _report(np.array([free[k] for k in FREE]), spec, targets)
    cost = 0.5 * float(np.sum(np.array([r["residual"] for r in report["residuals"]]) ** 2))
    return params, {"free": report["free"], "cost": cost, **report}


def _report(x, spec: PlatformSpec, targets: dict, **search) -> tuple[ModelParams, dict]:
    params = build(x, spec, targets)
    return params, {"free": dict(zip(FREE, map(float, x))), **search,
                    "kernel_base_cpi": {n: p.base_cpi for n, p in params.profiles.items() if p.domain == "kernel"},
                    "residuals": residual_table(params, spec, targets)}


def global_search(spec: PlatformSpec | None = None, maxiter: int = 40, popsize: int = 8, seed: int = 2011):
    """Seeded differential evolution over the same bounds (slow, ~30 s): a check of `fit`."""
    spec = spec or load_platform()
    resid = _residual_fn(spec, _targets())
    lo, hi = _bounds()
    sol = differential_evolution(lambda x: 0.5 * float(np.sum(resid(x) ** 2)), list(zip(lo, hi)), seed=seed,
                                 popsize=popsize, maxiter=maxiter, tol=1e-6, polish=False, init="sobol")
    return dict(zip(FREE, map(float, sol.x))), float(sol.fun)
