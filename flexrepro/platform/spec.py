"""Table 3 as a validated, typed platform spec (loaded from data/platform/*.toml)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .. import paths
from ..errors import ConfigError

STRUCTURES = ("l1i", "l1d", "l2", "l3", "dtlb", "itlb", "stlb")
CACHES = ("l1i", "l1d", "l2", "l3")
TLBS = ("dtlb", "itlb", "stlb")


@dataclass(frozen=True)
class Structure:
    name: str
    scope: str                      # "private" (per core) or "shared" (all cores)
    size_kib: float | None = None   # caches
    entries: int | None = None      # TLBs
    latency_cycles: float | None = None
    source: str = ""

    def capacity(self, line_bytes: int) -> int:
        """Capacity in lines (caches) or entries (TLBs)."""
        if self.entries is not None:
            return self.entries
        return int(self.size_kib * 1024 // line_bytes)


@dataclass(frozen=True)
class PlatformSpec:
    name: str
    cores: int
    clock_ghz: float
    cache_line_bytes: int
    memory_latency_cycles: float
    syscall_entry_cycles: float
    syscall_exit_cycles: float
    structures: dict[str, Structure]
    line_fill_buffers: int          # outstanding L1 misses per core: bounds memory-level parallelism

    def __post_init__(self):
        def need(cond, what):
            if not cond:
                raise ConfigError(f"platform: {what}")
        need(isinstance(self.cores, int) and self.cores >= 1, f"'cores' must be an integer >= 1, got {self.cores!r}")
        need(self.clock_ghz > 0, f"'clock_ghz' must be > 0, got {self.clock_ghz!r}")
        need(self.cache_line_bytes > 0 and self.cache_line_bytes & (self.cache_line_bytes - 1) == 0,
             f"'cache_line_bytes' must be a power of two, got {self.cache_line_bytes!r}")
        for key in ("memory_latency_cycles", "syscall_entry_cycles", "syscall_exit_cycles"):
            need(getattr(self, key) >= 0, f"'{key}' must be >= 0, got {getattr(self, key)!r}")
        need(isinstance(self.line_fill_buffers, int) and self.line_fill_buffers >= 1,
             f"'line_fill_buffers' must be an integer >= 1, got {self.line_fill_buffers!r}")
        unknown = set(self.structures) - set(STRUCTURES)
        need(not unknown, f"unknown structure(s) {sorted(unknown)}; allowed: {', '.join(STRUCTURES)}")
        missing = set(STRUCTURES) - set(self.structures)
        need(not missing, f"missing structure(s) {sorted(missing)}")
        for s in self.structures.values():
            need(s.scope in ("private", "shared"), f"structure '{s.name}': scope must be private or shared, got {s.scope!r}")
            need(s.capacity(self.cache_line_bytes) > 0, f"structure '{s.name}': size must be > 0")

    def cycles_to_ns(self, cycles: float) -> float:
        return cycles / self.clock_ghz

    def capacity(self, structure: str) -> int:
        if structure not in self.structures:
            raise ConfigError(f"unknown structure '{structure}'; allowed: {', '.join(STRUCTURES)}")
        return self.structures[structure].capacity(self.cache_line_bytes)

    def rows(self) -> list[dict]:
        """Table 3 as rows (for the table3 experiment and the report)."""
        out = [
            {"component": "cores", "value": self.cores, "unit": "count", "latency_cycles": None, "scope": ""},
            {"component": "clock", "value": self.clock_ghz, "unit": "GHz", "latency_cycles": None, "scope": ""},
            {"component": "cache_line", "value": self.cache_line_bytes, "unit": "bytes", "latency_cycles": None, "scope": "all caches"},
        ]
        for s in self.structures.values():
            if s.entries is not None:
                out.append({"component": s.name, "value": s.entries, "unit": "entries",
                            "latency_cycles": s.latency_cycles, "scope": s.scope})
            else:
                out.append({"component": s.name, "value": s.size_kib, "unit": "KiB",
                            "latency_cycles": s.latency_cycles, "scope": s.scope})
        out.append({"component": "memory", "value": None, "unit": "", "latency_cycles": self.memory_latency_cycles, "scope": ""})
        out.append({"component": "syscall entry / exit", "value": None, "unit": "",
                    "latency_cycles": self.syscall_entry_cycles + self.syscall_exit_cycles, "scope": ""})
        return out


def from_dict(d: dict) -> PlatformSpec:
    d = dict(d)
    structs = {name: Structure(name=name, **s) for name, s in d.pop("structures").items()}
    try:
        return PlatformSpec(structures=structs, **d)
    except TypeError as e:
        raise ConfigError(f"platform file: {e}") from None


@lru_cache(maxsize=None)
def load_platform(path: str | Path = paths.PLATFORM / "corei7.toml") -> PlatformSpec:
    with open(path, "rb") as f:
        return from_dict(tomllib.load(f))
