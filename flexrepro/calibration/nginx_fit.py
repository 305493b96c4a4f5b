"""Fit nginx's code profiles to the nginx row of Table 1 (calibration, not prediction).

Condition: nginx with epoll on 1 core, 256 concurrent ApacheBench clients
(data/paper/atc11_claims.csv). Fitted, four numbers (as for memcached, `memcached_fit`):
- `nginx_user.instructions`: user instructions of nginx's code per ApacheBench request
  (split over the request's stages by data/servers/nginx.toml) -> user instr./syscall;
- `nginx_kernel.instructions`: kernel instructions of one socket recv() (every other call
  keeps its catalogue ratio to it) -> kernel instr./syscall;
- the two profiles' `base_cpi` -> user and kernel IPC.
The profiles' shapes (working sets, reuse) are NOT fitted: user = the calibrated Xalan
shape, kernel = the calibrated pwrite profile, Figure 1's kernel (data/servers/nginx.toml
says why). Syscalls per request are an output of the state
machine and are only reported.

Method: fixed-point iteration on the simulator itself (each unknown has one target it
moves almost alone): instruction counts are rescaled by target/measured and base CPIs
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
from ..servers.nginx import KERNEL_PROFILE, USER_PROFILE, load_nginx
from ..servers.nginx_bench import simulate
from .memcached_fit import MIN_CPI, TARGETS, _shape

CONDITION = {"system": "epoll", "cores": 1, "workload": "apachebench", "load": 256}


def targets() -> dict[str, float]:
    t1 = reference.load("table1")
    row = t1[t1.server == "nginx"].iloc[0]
    return {k: float(getattr(row, k)) for k in ("syscalls_per_request", *TARGETS)}


def build(params: ModelParams, x: dict[str, float]) -> ModelParams:
    """The parameters with nginx's two profiles for the free values `x`."""
    with open(paths.DATA / "servers" / "nginx.toml", "rb") as f:
        shapes = tomllib.load(f)["profiles"]
    uws, ureuse = _shape(params, shapes["user_shape"])
    kws, kreuse = _shape(params, shapes["kernel_shape"])
    prov = ("fitted by flexrepro.calibration.nginx_fit to ATC'11 Table 1 (nginx row) at epoll, 1 core, "
            "256 concurrent ApacheBench clients; shape from {} (data/servers/nginx.toml)")
    user = CodeProfile(USER_PROFILE, "user", x["user_base_cpi"], uws, ureuse,
                       instructions=x["user_instructions_per_request"],
                       provenance=prov.format("+".join(shapes["user_shape"])) +
                       "; instructions = nginx user instructions per ApacheBench request")
    kernel = CodeProfile(KERNEL_PROFILE, "kernel", x["kernel_base_cpi"], kws, kreuse,
                         instructions=x["recv_instructions"],
                         provenance=prov.format("+".join(shapes["kernel_shape"])) +
                         "; instructions = kernel instructions of one socket recv()")
    return params.with_profiles(user, kernel)


def fit(params: ModelParams, seed: int = ROOT_SEED, tol: float = 0.005, max_iter: int = 12) -> tuple[ModelParams, dict]:
    t = targets()
    x = {"user_instructions_per_request": t["user_instructions_per_syscall"] * t["syscalls_per_request"],
         "recv_instructions": t["kernel_instructions_per_syscall"] / 2,
         "user_base_cpi": 0.5 / t["user_ipc"], "kernel_base_cpi": 0.5 / t["kernel_ipc"]}
    history = []
    for it in range(1, max_iter + 1):
        p = build(params, x)
        row = simulate(**CONDITION, seed=seed, params=p,
                       ng=load_nginx(user_instructions=x["user_instructions_per_request"]))
        err = {k: row[k] / t[k] - 1 for k in TARGETS}
        history.append({"iteration": it, **x, **{k: row[k] for k in (*TARGETS, "syscalls_per_request")}})
        if max(abs(e) for e in err.values()) < tol:
            break
        x["user_instructions_per_request"] *= t["user_instructions_per_syscall"] / row["user_instructions_per_syscall"]
        x["recv_instructions"] *= t["kernel_instructions_per_syscall"] / row["kernel_instructions_per_syscall"]
        x["user_base_cpi"] = max(MIN_CPI, x["user_base_cpi"] + 1 / t["user_ipc"] - row["user_cpi"])
        x["kernel_base_cpi"] = max(MIN_CPI, x["kernel_base_cpi"] + 1 / t["kernel_ipc"] - row["kernel_cpi"])
    residuals = [{"target": k, "paper": t[k], "model": row[k], "residual_pct": 100 * (row[k] / t[k] - 1)}
                 for k in (*TARGETS, "syscalls_per_request")]
    report = {"condition": CONDITION, "seed": seed, "free": dict(x), "iterations": history,
              "residuals": residuals,
              "note": "syscalls_per_request is an output of the state machine, reported, not fitted"}
    return build(params, x), report


def calibrate_nginx(path: str | Path = PARAMS_FILE) -> tuple[ModelParams, dict]:
    """Add (or refit) nginx's profiles in an existing parameter file, keeping the rest."""
    from . import to_json
    doc = json.loads(Path(path).read_text())
    params = ModelParams.from_dict(doc)
    params, report = fit(params)
    write_text(path, to_json(params, {**doc.get("fit", {}), "nginx": report}))
    _load.cache_clear()
    return params, report
