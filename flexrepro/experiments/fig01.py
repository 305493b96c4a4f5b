"""Figure 1: user-IPC degradation of Xalan vs system-call frequency (direct and indirect).

Xalan-like user code issues one pwrite (or a null call) every N user instructions; the
processor model gives the steady-state user and kernel IPC. The direct degradation is the
null call's, the indirect the rest (the paper's own decomposition). The kernel-side twin
is the pwrite's kernel IPC against the same pwrite called back to back (N = 0), which OSDI'10
Figure 4 measured (a calibration target of the same fit, 100-10K). `fig01_recovery` is user IPC in cycle bins after one pwrite (OSDI'10 Fig 1).
"""
from __future__ import annotations

import math

from ..calibration import microbench
from ..harness.config import Param, ParamSet
from ..platform import load_params, load_platform
from ..harness.registry import Experiment, register

USER_PROFILE = "xalan"
SYSCALLS = ("pwrite", "null")
PAPER_N = (1000, 2000, 5000, 10000, 20000, 50000, 100000)
KERNEL_N = (100, 500, 1000, 2000, 5000, 10000)      # OSDI'10 Figure 4's points


def _degradations(n: float, syscall: str) -> dict:
    params, spec = load_params(), load_platform()
    user, kernel = params.profile(USER_PROFILE), params.profile(syscall)
    base_ipc = 1.0 / user.base_cpi
    run = microbench.interleaved(params, user, kernel, n, spec=spec)
    back_to_back = microbench.interleaved(params, user, kernel, 0.0, spec=spec)
    deg = 100.0 * (1.0 - run["user_ipc"] / base_ipc)
    kdeg = 100.0 * (1.0 - run["kernel_ipc"] / back_to_back["kernel_ipc"]) if kernel.instructions else math.nan
    return {"run": run, "user_degradation_pct": deg, "kernel_degradation_pct": kdeg,
            "kernel_ipc_back_to_back": back_to_back["kernel_ipc"]}


def run_point(config: dict, seed: int) -> dict:
    n, syscall = config["instructions_between_syscalls"], config["syscall"]
    d = _degradations(n, syscall)
    direct = _degradations(n, "null")["user_degradation_pct"] if syscall != "null" else d["user_degradation_pct"]
    total = d["user_degradation_pct"]
    run = d["run"]
    return {
        "user_ipc": run["user_ipc"], "kernel_ipc": run["kernel_ipc"],
        "user_degradation_pct": total, "kernel_degradation_pct": d["kernel_degradation_pct"],
        "direct_degradation_pct": direct, "indirect_degradation_pct": total - direct,
        "indirect_share": (total - direct) / total if total > 0 else 0.0,
        "kernel_ipc_back_to_back": d["kernel_ipc_back_to_back"],
        "user_cycles_per_call": run["user_cycles"], "user_direct_cycles": run["user_direct_cycles"],
        "user_refill_cycles": run["user_refill_cycles"], "kernel_cycles_per_call": run["kernel_cycles"],
        **{k: v for k, v in run.items() if k.endswith("_misses")},
    }


GRID_N = (100, 200, 500, 700, 1000, 1500, 2000, 3000, 5000, 7000, 10000, 15000, 20000, 30000, 50000, 70000,
          100000, 200000, 500000)

register(Experiment(
    id="fig01", title="Xalan user/kernel IPC degradation vs syscall frequency (direct vs indirect)",
    paper_item="Figure 1",
    params=ParamSet((
        Param("instructions_between_syscalls", int, 10000, low=0, high=100_000_000,
              doc="user instructions between two system calls (N)"),
        Param("syscall", str, "pwrite", choices=SYSCALLS, doc="pwrite (total cost) or null (direct cost)"),
    )),
    run_point=run_point,
    grid={"instructions_between_syscalls": GRID_N, "syscall": SYSCALLS},
    quick_grid={"instructions_between_syscalls": tuple(sorted({*PAPER_N, *KERNEL_N})), "syscall": SYSCALLS},
    stochastic=False, notebook="fig01",
))


def run_recovery(config: dict, seed: int) -> list[dict]:
    params, spec = load_params(), load_platform()
    ipc = microbench.recovery(params, params.profile(USER_PROFILE), params.profile("pwrite"),
                              bin_cycles=config["bin_cycles"], bins=config["bins"], spec=spec)
    return [{"cycles_after_syscall_bin_start": i * config["bin_cycles"], "user_ipc": v,
             "baseline_user_ipc": 1.0 / params.profile(USER_PROFILE).base_cpi} for i, v in enumerate(ipc)]


register(Experiment(
    id="fig01_recovery", title="Xalan user IPC after one pwrite, in cycle bins", paper_item="Figure 1 (OSDI'10 Fig 1)",
    params=ParamSet((
        Param("bin_cycles", float, 1000.0, low=1.0, high=1e6),
        Param("bins", int, 20, low=1, high=10000),
    )),
    run_point=run_recovery, stochastic=False, notebook="fig01",
))
