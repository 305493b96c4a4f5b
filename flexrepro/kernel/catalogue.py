"""The syscall catalogue: per call, its kernel code profile, instructions and blocking rule.

Loaded from `data/kernel/syscalls.csv` (one row per call, each with its provenance). A server
model overrides instruction counts or profiles per call (its calibration lives with it):
`load_catalogue().with_overrides({"read": {"instructions": 4000, "profile": "memcached_kernel"}})`.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Mapping

from .. import paths
from ..errors import ConfigError

KINDS = ("none", "accept", "read", "send", "open", "close", "epoll_wait", "epoll_ctl")
ITEMS = ("", "kib", "event")
BLOCKS = ("none", "readable")


@dataclass(frozen=True)
class Syscall:
    name: str
    number: int                 # Linux x86-64 number (flexsc_wait: FlexSC's own)
    nargs: int
    kind: str                   # which semantic effect the call has (see kernel.semantics)
    profile: str                # kernel code profile in the calibrated parameter file
    instructions: float         # kernel instructions of one call
    per_item_instructions: float
    item: str                   # what per_item counts: KiB moved or events returned
    blocks: str                 # "readable": may block until its object is readable
    provenance: str = ""

    def kernel_instructions(self, items: float = 0.0) -> float:
        return self.instructions + self.per_item_instructions * items


_FIELDS = {"instructions": float, "per_item_instructions": float, "profile": str}


class Catalogue:
    def __init__(self, calls: Mapping[str, Syscall]):
        self._calls = dict(calls)
        self.by_number = {c.number: c for c in self._calls.values()}
        # get(name) -> Syscall | None: the hot paths' lookup (dict.get itself, no Python frame);
        # `catalogue[name]` is the checked one (ConfigError naming the allowed calls)
        self.get = self._calls.get

    def __getitem__(self, name: str) -> Syscall:
        try:
            return self._calls[name]
        except KeyError:
            raise ConfigError(f"syscall '{name}' is not in the catalogue; allowed: {', '.join(sorted(self._calls))}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._calls

    def names(self) -> list[str]:
        return sorted(self._calls)

    def with_overrides(self, overrides: Mapping[str, Mapping[str, object]]) -> "Catalogue":
        """A copy with per-call `instructions`, `per_item_instructions` or `profile` replaced."""
        calls = dict(self._calls)
        for name, fields in overrides.items():
            call = self[name]
            for key, value in fields.items():
                if key not in _FIELDS:
                    raise ConfigError(f"syscall override '{name}.{key}': allowed fields: {', '.join(_FIELDS)}")
                value = _FIELDS[key](value)
                if isinstance(value, float) and value < 0:
                    raise ConfigError(f"syscall override '{name}.{key}': must be >= 0, got {value}")
            calls[name] = replace(call, **{k: _FIELDS[k](v) for k, v in fields.items()})
        return Catalogue(calls)

    def rescaled(self, calls, reference: str, instructions: float, profile) -> "Catalogue":
        """A copy in which `reference` is `instructions` long and the other `calls` keep their
        proportions to it (one common scale: the same kernel code base), each on
        `profile(call)` (a callable: per-call profiles) or all on `profile` (a name)."""
        scale = instructions / self[reference].instructions
        name = profile if callable(profile) else (lambda call: profile)
        return self.with_overrides({n: {"profile": name(self[n]), "instructions": self[n].instructions * scale,
                                        "per_item_instructions": self[n].per_item_instructions * scale}
                                    for n in calls})

    def rows(self) -> list[dict]:
        return [vars(c).copy() for c in self._calls.values()]


@lru_cache(maxsize=None)
def load_catalogue(path: str | None = None) -> Catalogue:
    path = path or str(paths.DATA / "kernel" / "syscalls.csv")
    calls = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            call = Syscall(name=row["name"], number=int(row["number"]), nargs=int(row["nargs"]),
                           kind=row["kind"], profile=row["profile"], instructions=float(row["instructions"]),
                           per_item_instructions=float(row["per_item_instructions"]), item=row["item"],
                           blocks=row["blocks"], provenance=row["provenance"])
            for field, allowed in (("kind", KINDS), ("item", ITEMS), ("blocks", BLOCKS)):
                if getattr(call, field) not in allowed:
                    raise ConfigError(f"{path}: syscall '{call.name}' {field}={getattr(call, field)!r}; allowed: {allowed}")
            if not 0 <= call.nargs <= 6:
                raise ConfigError(f"{path}: syscall '{call.name}' nargs must be in [0, 6]")
            calls[call.name] = call
    return Catalogue(calls)
