"""Table 1: the syscall profile of the epoll servers, measured by the simulator.

Syscalls per request come out of each server's state machine; instructions and IPC per mode
come from the processor model's counters. The memcached row is the calibration condition
of its profiles (calibration/memcached_fit.py), so agreement here checks the fit, not a
prediction. Adding a server = one entry in `SERVERS` (a function seed -> row of `METRICS`)
and its claim ids in `CLAIMS` (checked in claims/table1.py).
"""
from __future__ import annotations

from typing import Callable

from ..harness.config import Param, ParamSet
from ..harness.registry import Experiment, register
from ..testbed.memcached import simulate as simulate_memcached
from ..testbed.nginx import simulate as simulate_nginx

METRICS = ("syscalls_per_request", "user_instructions_per_syscall", "user_ipc",
           "kernel_instructions_per_syscall", "kernel_ipc")


def memcached(seed: int) -> dict:
    """memcached with epoll, memslap, 1 core, 768 connections (the claims table's condition)."""
    row = simulate_memcached("epoll", 1, 768, seed)
    return {"workload": "memslap", **{m: row[m] for m in METRICS}}


def nginx(seed: int) -> dict:
    """nginx with epoll, ApacheBench, 1 core, 256 concurrent clients (the claims table's condition)."""
    row = simulate_nginx("epoll", 1, "apachebench", 256, seed)
    return {"workload": "apachebench", **{m: row[m] for m in METRICS}}


SERVERS: dict[str, Callable[[int], dict]] = {"memcached": memcached, "nginx": nginx}
CLAIMS = {"memcached": {"T1-mc-syscalls": "syscalls_per_request", "T1-mc-user-instr": "user_instructions_per_syscall",
                        "T1-mc-user-ipc": "user_ipc", "T1-mc-kernel-instr": "kernel_instructions_per_syscall",
                        "T1-mc-kernel-ipc": "kernel_ipc"},
          "nginx": {"T1-ng-syscalls": "syscalls_per_request", "T1-ng-user-instr": "user_instructions_per_syscall",
                    "T1-ng-user-ipc": "user_ipc", "T1-ng-kernel-instr": "kernel_instructions_per_syscall",
                    "T1-ng-kernel-ipc": "kernel_ipc"}}


def run_point(config: dict, seed: int) -> dict:
    return SERVERS[config["server"]](seed)


register(Experiment(
    id="table1", title="Syscall profile of the epoll servers", paper_item="Table 1",
    params=ParamSet((Param("server", str, "memcached", choices=tuple(SERVERS)),)),
    run_point=run_point, grid={"server": list(SERVERS)}, quick_grid={"server": list(SERVERS)},
    seeds=5, quick_seeds=1, notebook="table1",
))
