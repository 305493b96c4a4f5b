"""Beyond the paper: exception-less calls when a mode switch costs more (page-table isolation),
for memcached (memslap) and nginx (ApacheBench).

Since 2018 (Meltdown) Linux isolates the kernel's page tables (KPTI): every kernel entry and
every exit writes CR3, and other entry/exit mitigations add to the crossing. The model takes
that as `extra_trap_cycles` added to the direct cost of each synchronous trap (half on entry,
half on exit, counted as kernel cycles as a CR3 write in the entry code would be); the
calibrated model is otherwise unchanged. Only traps pay it: epoll's every call and FlexSC's
flexsc_wait, not the calls syscall threads execute from syscall pages. The TLB refills a
PCID-less CR3 switch causes are not modelled (direct cost only).

This machine's own crossing is measured by `flexrepro calibrate-host` (`flexrepro.hostcal`):
wall-clock metadata that the notebook marks on the curve, never a row column.
"""
from __future__ import annotations

from dataclasses import replace

from ..harness.config import Param, ParamSet
from ..platform import PlatformSpec, load_params, load_platform
from ..harness.registry import Experiment, register
from ..testbed import memcached as memcached_testbed, nginx as nginx_testbed

EXTRA_CYCLES = [0, 200, 500, 1000, 2000]
KEEP = ("throughput_rps", "mean_latency_s", "syscalls_per_request", "sync_syscalls_per_request",
        "flexsc_waits_per_request", "user_ipc", "kernel_ipc", "mean_batch", "client_utilisation", "util_min",
        "requests", "sim_events")


def isolated_spec(extra_trap_cycles: float, spec: PlatformSpec | None = None) -> PlatformSpec:
    """The platform with `extra_trap_cycles` more per trap round trip (split over entry and exit)."""
    spec = spec or load_platform()
    half = extra_trap_cycles / 2
    return replace(spec, syscall_entry_cycles=spec.syscall_entry_cycles + half,
                   syscall_exit_cycles=spec.syscall_exit_cycles + half)


def _row(row: dict, spec: PlatformSpec) -> dict:
    out = {k: row[k] for k in KEEP}
    out["traps_per_request"] = row["sync_syscalls_per_request"] + row["flexsc_waits_per_request"]
    out["trap_cycles"] = (spec.syscall_entry_cycles + spec.syscall_exit_cycles
                          + load_params().platform["user_direct_cycles"] + load_params().platform["kernel_direct_cycles"])
    return out


def run_point(config: dict, seed: int) -> dict:
    spec = isolated_spec(config["extra_trap_cycles"])
    return _row(memcached_testbed.simulate(config["system"], config["cores"], config["connections"], seed,
                                           spec=spec), spec)


def run_nginx(config: dict, seed: int) -> dict:
    spec = isolated_spec(config["extra_trap_cycles"])
    return _row(nginx_testbed.simulate(config["system"], config["cores"], "apachebench", config["concurrency"],
                                       seed, spec=spec), spec)


SYSTEM = Param("system", str, "epoll", choices=("epoll", "flexsc"), doc="epoll baseline or libflexsc")
EXTRA = Param("extra_trap_cycles", float, 0.0, low=0.0, high=100_000.0,
              doc="cycles added to every trap round trip (CR3 writes and other entry/exit mitigations)")
CORES = Param("cores", int, 1, low=1, high=64, doc="cores of the server")


register(Experiment(
    id="ablation_mode_switch", title="memcached gain vs the direct cost of a mode switch (KPTI era)",
    paper_item="(beyond: modern mode-switch costs)",
    params=ParamSet((SYSTEM, EXTRA, CORES,
                     Param("connections", int, 768, low=1, high=65536, doc="concurrent memslap connections"))),
    run_point=run_point,
    grid={"system": ["epoll", "flexsc"], "extra_trap_cycles": EXTRA_CYCLES},
    quick_grid={"system": ["epoll", "flexsc"], "extra_trap_cycles": [0, 2000]},
    seeds=3, quick_seeds=1, notebook="ablation_mode_switch",
))

register(Experiment(
    id="ablation_mode_switch_nginx", title="nginx (ApacheBench) gain vs the direct cost of a mode switch (KPTI era)",
    paper_item="(beyond: modern mode-switch costs)",
    params=ParamSet((SYSTEM, EXTRA, CORES,
                     Param("concurrency", int, 256, low=1, high=65536, doc="concurrent ApacheBench clients"))),
    run_point=run_nginx,
    grid={"system": ["epoll", "flexsc"], "extra_trap_cycles": EXTRA_CYCLES},
    quick_grid={"system": ["epoll", "flexsc"], "extra_trap_cycles": [0, 2000]},
    stochastic=False, notebook="ablation_mode_switch",
))
