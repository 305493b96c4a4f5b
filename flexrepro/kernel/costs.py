"""Costs of the FlexSC mechanisms (thread switch, wake-up, IPI, scans ...) from data/kernel/costs.toml.

None of these is fitted: each is a physical assumption with its justification in the file.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from functools import lru_cache

from .. import paths
from ..errors import ConfigError


@dataclass(frozen=True)
class KernelCosts:
    switch_instructions: float
    switch_profile: str
    wakeup_instructions: float
    wakeup_profile: str
    ipi_send_cycles: float
    ipi_latency_cycles: float
    kernel_scan_per_entry: float
    user_scan_per_entry: float
    user_post_instructions: float
    user_complete_instructions: float
    queue_op_instructions: float
    spin_cycles: float
    signal_cycles: float
    pid_max: int
    thread_memory_kib: float

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, str) and not v >= 0:
                raise ConfigError(f"kernel cost '{f.name}': must be >= 0, got {v!r}")

    def with_overrides(self, **kw) -> "KernelCosts":
        names = {f.name for f in fields(self)}
        for k in kw:
            if k not in names:
                raise ConfigError(f"unknown kernel cost '{k}'; allowed: {', '.join(sorted(names))}")
        return replace(self, **kw)


@lru_cache(maxsize=None)
def load_costs(path: str | None = None) -> KernelCosts:
    with open(path or paths.DATA / "kernel" / "costs.toml", "rb") as f:
        t = tomllib.load(f)
    return KernelCosts(
        switch_instructions=t["thread_switch"]["instructions"], switch_profile=t["thread_switch"]["profile"],
        wakeup_instructions=t["wakeup"]["instructions"], wakeup_profile=t["wakeup"]["profile"],
        ipi_send_cycles=t["ipi"]["send_cycles"], ipi_latency_cycles=t["ipi"]["latency_cycles"],
        kernel_scan_per_entry=t["scan"]["kernel_instructions_per_entry"],
        user_scan_per_entry=t["scan"]["user_instructions_per_entry"],
        user_post_instructions=t["entry"]["user_post_instructions"],
        user_complete_instructions=t["entry"]["user_complete_instructions"],
        queue_op_instructions=t["queue"]["instructions_per_op"],
        spin_cycles=t["spin"]["cycles"], signal_cycles=t["cancel"]["signal_cycles"],
        pid_max=int(t["limits"]["pid_max"]), thread_memory_kib=t["limits"]["thread_memory_kib"],
    )
