"""Fit a server's two code profiles to its row of Table 1 (calibration, not prediction).

Fitted, four numbers per server:
- `<server>_user.instructions`: user instructions of the server's code per request (split over
  its stages by data/servers/<server>.toml) -> user instructions per syscall;
- kernel instructions per syscall, by ONE of (kernel/pricing.py: one kernel, one price per
  call): memcached fits the length of a socket read() (`memcached_kernel.instructions`; every
  call keeps its catalogue ratio to it, in both servers); nginx, whose calls are then priced,
  fits what Table 1 leaves over as the network stack's per-connection work
  (`netstack.instructions`, kernel/netstack.py);
- the two profiles' `base_cpi` -> user and kernel IPC.
The profiles' shapes (working sets, reuse) are NOT fitted: data/servers/<server>.toml names
the calibrated profiles they are taken from, and why. Syscalls per request are an output of
the server's state machine and are only reported.

Method: fixed-point iteration on the simulator itself. Each unknown has one target that it
moves almost alone (cycles = instructions x base_cpi + refills x penalty, and the refills do
not depend on base_cpi), so instruction counts are rescaled by target/measured and base CPIs
shifted by target CPI - measured CPI until every residual is below `tol`.
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .. import paths, reference
from ..atomic import write_text
from ..kernel.netstack import PROFILE as NETSTACK, load_netstack
from ..platform import CodeProfile, ModelParams
from ..platform.params import PARAMS_FILE, reload
from ..harness.seeds import ROOT_SEED

TARGETS = ("user_instructions_per_syscall", "user_ipc", "kernel_instructions_per_syscall", "kernel_ipc")
MIN_CPI = 0.05


def shape(params: ModelParams, names: list[str]) -> tuple[dict, dict, dict]:
    """Instruction-weighted mean working sets, reuse intervals and demand shares of calibrated profiles."""
    profs = [params.profile(n) for n in names]
    weights = [p.instructions or 1.0 for p in profs]
    total = sum(weights)
    ws, reuse, demand = {}, {}, {}
    for s in dict.fromkeys(k for p in profs for k in p.working_set):   # stable order
        ws[s] = sum(w * p.working_set.get(s, 0.0) for p, w in zip(profs, weights)) / total
        reuse[s] = sum(w * p.reuse_instructions.get(s, 0.0) for p, w in zip(profs, weights)) / total
    for s in dict.fromkeys(k for p in profs for k in p.demand_share):
        demand[s] = sum(w * p.demand_share.get(s, 1.0) for p, w in zip(profs, weights)) / total
    return ws, reuse, demand


def netstack_profile(params: ModelParams, instructions: float) -> CodeProfile:
    """The network stack's own kernel profile: shape and base CPI of the calibrated profiles
    named in data/kernel/netstack.toml (instruction-weighted); `instructions` = per connection."""
    names = list(load_netstack().shape)
    ws, reuse, demand = shape(params, names)
    profs = [params.profile(n) for n in names]
    weights = [p.instructions or 1.0 for p in profs]
    cpi = sum(w * p.base_cpi for p, w in zip(profs, weights)) / sum(weights)
    return CodeProfile(NETSTACK, "kernel", cpi, ws, reuse, instructions=instructions, demand_share=demand,
                       provenance=f"TCP/IP work outside system calls (kernel/netstack.py): shape and base CPI = "
                                  f"instruction-weighted {'+'.join(names)} (data/kernel/netstack.toml); instructions "
                                  "= per-connection total, fitted by flexrepro.calibration.nginx_fit to what ATC'11 "
                                  "Table 1 (nginx row) leaves over once every call is priced as in memcached")


def with_netstack(params: ModelParams) -> ModelParams:
    """`params` with a netstack profile (kept if present, else a zero per-connection total)."""
    return params if NETSTACK in params.profiles else params.with_profiles(netstack_profile(params, 0.0))


@dataclass(frozen=True)
class ServerFit:
    server: str              # its Table 1 row and data/servers/<server>.toml
    condition: dict          # the Table 1 condition, as keyword arguments of `run`
    condition_text: str      # the same, for provenance
    user_profile: str
    kernel_profile: str
    kernel_call: str         # the call whose length is fitted (read, recv)
    per_request: str         # what "per request" means for this server, for provenance
    run: Callable[..., dict]   # run(params, user_instructions, seed) -> a row at `condition`
    kernel_start: float = 1.0  # first guess of the fitted call's length, x kernel instr./syscall
    kernel_free: str = "call"  # "call": the call's length; "connection": the netstack's per-connection work

    @property
    def kernel_key(self) -> str:
        return f"{self.kernel_call}_instructions" if self.kernel_free == "call" else "connection_instructions"

    def targets(self) -> dict[str, float]:
        t1 = reference.load("table1")
        row = t1[t1.server == self.server].iloc[0]
        return {k: float(getattr(row, k)) for k in ("syscalls_per_request", *TARGETS)}

    def build(self, params: ModelParams, x: dict[str, float]) -> ModelParams:
        """The parameters with the server's two profiles for the free values `x`."""
        with open(paths.DATA / "servers" / f"{self.server}.toml", "rb") as f:
            shapes = tomllib.load(f)["profiles"]
        uws, ureuse, udemand = shape(params, shapes["user_shape"])
        kws, kreuse, kdemand = shape(params, shapes["kernel_shape"])
        prov = (f"fitted by flexrepro.calibration.{self.server}_fit to ATC'11 Table 1 ({self.server} row) at "
                f"{self.condition_text}; shape from {{}} (data/servers/{self.server}.toml)")
        user = CodeProfile(self.user_profile, "user", x["user_base_cpi"], uws, ureuse,
                           instructions=x["user_instructions_per_request"], demand_share=udemand,
                           provenance=prov.format("+".join(shapes["user_shape"])) +
                           f"; instructions = {self.per_request}")
        params = with_netstack(params)
        if self.kernel_free == "call":
            length, what = x[self.kernel_key], f"kernel instructions of one socket {self.kernel_call}() (fitted)"
            extra = ()
        else:
            from ..kernel.pricing import SCALE_PROFILE
            length = params.profile(SCALE_PROFILE).instructions
            what = f"kernel instructions of one socket {self.kernel_call}(), the common scale of {SCALE_PROFILE}"
            extra = (netstack_profile(params, x[self.kernel_key]),)
        kernel = CodeProfile(self.kernel_profile, "kernel", x["kernel_base_cpi"], kws, kreuse,
                             instructions=length, demand_share=kdemand,
                             provenance=prov.format("+".join(shapes["kernel_shape"])) + f"; instructions = {what}")
        return params.with_profiles(user, kernel, *extra)

    def fit(self, params: ModelParams, seed: int = ROOT_SEED, tol: float = 0.005,
            max_iter: int = 25) -> tuple[ModelParams, dict]:
        t = self.targets()
        x = {"user_instructions_per_request": t["user_instructions_per_syscall"] * t["syscalls_per_request"],
             self.kernel_key: t["kernel_instructions_per_syscall"] * self.kernel_start,
             "user_base_cpi": 0.5 / t["user_ipc"], "kernel_base_cpi": 0.5 / t["kernel_ipc"]}
        history = []
        best = None       # (worst residual, x, row): the interrupt work's timing makes the IPCs a
                          # slightly rough function of the CPIs, so the iteration may cycle
        for it in range(1, max_iter + 1):
            row = self.run(self.build(params, x), x["user_instructions_per_request"], seed)
            err = {k: row[k] / t[k] - 1 for k in TARGETS}
            history.append({"iteration": it, **x, **{k: row[k] for k in (*TARGETS, "syscalls_per_request")}})
            worst = max(abs(e) for e in err.values())
            if best is None or worst < best[0]:
                best = (worst, dict(x), row)
            if worst < tol:
                break
            x["user_instructions_per_request"] *= t["user_instructions_per_syscall"] / row["user_instructions_per_syscall"]
            if self.kernel_free == "call":
                x[self.kernel_key] *= t["kernel_instructions_per_syscall"] / row["kernel_instructions_per_syscall"]
            else:   # the kernel instructions per request still missing, per connection
                missing = (t["kernel_instructions_per_syscall"] - row["kernel_instructions_per_syscall"]) * \
                    row["syscalls_per_request"]
                x[self.kernel_key] = max(0.0, x[self.kernel_key] + missing / row["tcp_connections_per_request"])
            x["user_base_cpi"] = max(MIN_CPI, x["user_base_cpi"] + 1 / t["user_ipc"] - row["user_cpi"])
            x["kernel_base_cpi"] = max(MIN_CPI, x["kernel_base_cpi"] + 1 / t["kernel_ipc"] - row["kernel_cpi"])
        worst, x, row = best
        residuals = [{"target": k, "paper": t[k], "model": row[k], "residual_pct": 100 * (row[k] / t[k] - 1)}
                     for k in (*TARGETS, "syscalls_per_request")]
        report = {"condition": self.condition, "seed": seed, "free": dict(x), "converged": worst < tol,
                  "iterations": history,
                  "residuals": residuals,
                  "note": "syscalls_per_request is an output of the state machine, reported, not fitted"}
        return self.build(params, x), report

    def calibrate(self, path: str | Path = PARAMS_FILE) -> tuple[ModelParams, dict]:
        """Add (or refit) this server's profiles in an existing parameter file, keeping the rest."""
        from . import to_json
        doc = json.loads(Path(path).read_text())
        params, report = self.fit(ModelParams.from_dict(doc))
        write_text(path, to_json(params, {**doc.get("fit", {}), self.server: report}))
        reload()                       # later load_params() calls see the new file
        return params, report
