"""Fit memcached's code profiles to the memcached row of Table 1 (calibration, not prediction).

Condition: memcached with epoll on 1 core, 768 memslap connections (data/paper/atc11_claims.csv).
Fitted, four numbers:
- `memcached_user.instructions`: user instructions of the server's code per request
  (split over drive_machine's stages by data/servers/memcached.toml) -> user instr./syscall;
- `memcached_kernel.instructions`: kernel instructions of one socket read() (the other network
  calls keep their catalogue ratios to it) -> kernel instr./syscall;
- the two profiles' `base_cpi` -> user and kernel IPC.
The profiles' shapes (working sets, reuse) are NOT fitted: user = the calibrated Xalan shape,
kernel = the mean of the calibrated pread/pwrite shapes (data/servers/memcached.toml says why).
Syscalls per request are an output of the state machine and are only reported.

Method: fixed-point iteration on the simulator itself. Each unknown has one target that it
moves almost alone (cycles = instructions x base_cpi + refills x penalty, and the refills do
not depend on base_cpi), so instruction counts are rescaled by target/measured and base CPIs
shifted by target CPI - measured CPI until every residual is below `tol`.
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

from .. import paths, reference
from ..atomic import write_text
from ..platform import CodeProfile, ModelParams
from ..platform.params import PARAMS_FILE, _load
from ..seeds import ROOT_SEED
from ..servers.memcached import KERNEL_PROFILE, USER_PROFILE, load_memcached
from ..servers.memcached_bench import simulate

CONDITION = {"system": "epoll", "cores": 1, "connections": 768}
TARGETS = ("user_instructions_per_syscall", "user_ipc", "kernel_instructions_per_syscall", "kernel_ipc")
MIN_CPI = 0.05


def targets() -> dict[str, float]:
    t1 = reference.load("table1")
    row = t1[t1.server == "memcached"].iloc[0]
    return {"syscalls_per_request": float(row.syscalls_per_request),
            "user_instructions_per_syscall": float(row.user_instructions_per_syscall),
            "user_ipc": float(row.user_ipc),
            "kernel_instructions_per_syscall": float(row.kernel_instructions_per_syscall),
            "kernel_ipc": float(row.kernel_ipc)}


def _shape(params: ModelParams, names: list[str]) -> tuple[dict, dict]:
    """Instruction-weighted mean working sets and reuse intervals of calibrated profiles."""
    profs = [params.profile(n) for n in names]
    weights = [p.instructions or 1.0 for p in profs]
    total = sum(weights)
    ws, reuse = {}, {}
    for s in dict.fromkeys(k for p in profs for k in p.working_set):   # stable order
        ws[s] = sum(w * p.working_set.get(s, 0.0) for p, w in zip(profs, weights)) / total
        reuse[s] = sum(w * p.reuse_instructions.get(s, 0.0) for p, w in zip(profs, weights)) / total
    return ws, reuse


def build(params: ModelParams, x: dict[str, float]) -> ModelParams:
    """The parameters with memcached's two profiles for the free values `x`."""
    with open(paths.DATA / "servers" / "memcached.toml", "rb") as f:
        shapes = tomllib.load(f)["profiles"]
    uws, ureuse = _shape(params, shapes["user_shape"])
    kws, kreuse = _shape(params, shapes["kernel_shape"])
    prov = ("fitted by flexrepro.calibration.memcached_fit to ATC'11 Table 1 (memcached row) at "
            "epoll, 1 core, 768 memslap connections; shape from {} (data/servers/memcached.toml)")
    user = CodeProfile(USER_PROFILE, "user", x["user_base_cpi"], uws, ureuse,
                       instructions=x["user_instructions_per_request"],
                       provenance=prov.format("+".join(shapes["user_shape"])) +
                       "; instructions = server user instructions per request (get miss)")
    kernel = CodeProfile(KERNEL_PROFILE, "kernel", x["kernel_base_cpi"], kws, kreuse,
                         instructions=x["read_instructions"],
                         provenance=prov.format("+".join(shapes["kernel_shape"])) +
                         "; instructions = kernel instructions of one socket read()")
    return params.with_profiles(user, kernel)


def fit(params: ModelParams, seed: int = ROOT_SEED, tol: float = 0.005, max_iter: int = 12) -> tuple[ModelParams, dict]:
    t = targets()
    x = {"user_instructions_per_request": t["user_instructions_per_syscall"] * t["syscalls_per_request"],
         "read_instructions": t["kernel_instructions_per_syscall"],
         "user_base_cpi": 0.5 / t["user_ipc"], "kernel_base_cpi": 0.5 / t["kernel_ipc"]}
    history = []
    for it in range(1, max_iter + 1):
        p = build(params, x)
        row = simulate(**CONDITION, seed=seed, params=p, mc=load_memcached(user_instructions=x["user_instructions_per_request"]))
        err = {k: row[k] / t[k] - 1 for k in TARGETS}
        history.append({"iteration": it, **x, **{k: row[k] for k in (*TARGETS, "syscalls_per_request")}})
        if max(abs(e) for e in err.values()) < tol:
            break
        x["user_instructions_per_request"] *= t["user_instructions_per_syscall"] / row["user_instructions_per_syscall"]
        x["read_instructions"] *= t["kernel_instructions_per_syscall"] / row["kernel_instructions_per_syscall"]
        x["user_base_cpi"] = max(MIN_CPI, x["user_base_cpi"] + 1 / t["user_ipc"] - row["user_cpi"])
        x["kernel_base_cpi"] = max(MIN_CPI, x["kernel_base_cpi"] + 1 / t["kernel_ipc"] - row["kernel_cpi"])
    residuals = [{"target": k, "paper": t[k], "model": row[k], "residual_pct": 100 * (row[k] / t[k] - 1)}
                 for k in (*TARGETS, "syscalls_per_request")]
    report = {"condition": CONDITION, "seed": seed, "free": dict(x), "iterations": history,
              "residuals": residuals,
              "note": "syscalls_per_request is an output of the state machine, reported, not fitted"}
    return build(params, x), report


def calibrate_memcached(path: str | Path = PARAMS_FILE) -> tuple[ModelParams, dict]:
    """Add (or refit) memcached's profiles in an existing parameter file, keeping the rest."""
    from . import to_json
    doc = json.loads(Path(path).read_text())
    params = ModelParams.from_dict(doc)
    params, report = fit(params)
    write_text(path, to_json(params, {**doc.get("fit", {}), "memcached": report}))
    _load.cache_clear()
    return params, report
