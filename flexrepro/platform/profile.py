"""Code profiles: what a stretch of user or kernel code needs from the processor.

A profile is the model's description of one body of code (Xalan's user code, the kernel's
pwrite path, ...): its CPI when everything it reuses is resident (`base_cpi`), and per
modelled structure its **working set** (lines or entries it keeps reusing, at most the
structure's capacity) and its **reuse interval** (instructions over which it touches a
fraction 1 - 1/e of that working set). The footprint of a segment of I instructions is
`W * (1 - exp(-I / reuse))`: it grows with the segment's length and saturates at the
working set (the uniform-reuse footprint curve of Thiebaut & Stone).

`demand_share` (per structure, default 1): the share of the profile's refills that are
demand misses, which stall the core; the rest are hardware-prefetch fills that occupy the
structure (and evict other lines) at no stall. A core keeps at most 10 demand misses in
flight, so each demand refill costs at least the next level's latency / 10; where a
measurement shows more fills than that can pay for, the fills beyond are prefetches.

`shares` (optional): the name of another profile whose lines every segment of this one also
touches -- the kernel's shared core (entry/exit, fd table, VFS and socket layers) that all
system calls run through (`kernel.core`). Those lines are keyed by the shared profile in the
occupancy model, so one call leaves them warm for the next, whatever call it is; the
profile's own working set per structure counts them (the core is part of it).

`stall_scale` (optional, default 1): a factor on every refill's stall. A server's user code
responds to pollution the way Figure 1's user code (Xalan) does, scaled by its base IPC
(calibration.server_fit): its stalls are Xalan's times base_cpi / Xalan's base CPI, so the
same pollution costs it the same share of its cycles as it costs Xalan.

Modelled structures: `l1i`, `l1d`, `l2`, `l3` and one TLB, `dtlb` (the 64-entry L1 data
TLB). Why one TLB, and that one: the OSDI'10 footprint table (our calibration data) reports
evictions from the L1 dTLB only; Linux 2.6.33 on x86-64 maps kernel text with 2 MiB pages
and marks kernel entries global, so a system call costs the user a handful of iTLB entries
at most and flushes nothing; and the 512-entry STLB backs both L1 TLBs, so an L1 dTLB miss
mostly costs an STLB hit (the `tlb_miss_cycles` of the parameter file). Figure 10 reports a
single TLB miss rate, which this structure provides.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError

MODELLED = ("l1i", "l1d", "l2", "l3", "dtlb")
DOMAINS = ("user", "kernel")


@dataclass(frozen=True, eq=False)   # identity hash: the occupancy state is keyed by profile
class CodeProfile:
    name: str
    domain: str
    base_cpi: float
    working_set: dict[str, float] = field(default_factory=dict)
    reuse_instructions: dict[str, float] = field(default_factory=dict)
    instructions: float | None = None   # typical instructions per invocation (kernel paths)
    provenance: str = ""
    demand_share: dict[str, float] = field(default_factory=dict)
    shares: str = ""
    stall_scale: float = 1.0

    def __post_init__(self):
        def fail(what):
            raise ConfigError(f"profile '{self.name}': {what}")
        if self.domain not in DOMAINS:
            fail(f"domain must be one of {', '.join(DOMAINS)}, got {self.domain!r}")
        if not (isinstance(self.base_cpi, (int, float)) and self.base_cpi > 0):
            fail(f"base_cpi must be a number > 0, got {self.base_cpi!r}")
        for key, table in (("working_set", self.working_set), ("reuse_instructions", self.reuse_instructions)):
            for s, v in table.items():
                if s not in MODELLED:
                    fail(f"{key}: unknown structure '{s}'; allowed: {', '.join(MODELLED)}")
                if not isinstance(v, (int, float)) or v < 0 or v != v:
                    fail(f"{key}['{s}'] must be a number >= 0, got {v!r}")
        for s, w in self.working_set.items():
            if w > 0 and self.reuse_instructions.get(s, 0) <= 0:
                fail(f"reuse_instructions['{s}'] must be > 0 for a non-empty working set")
        for s, v in self.demand_share.items():
            if s not in MODELLED:
                fail(f"demand_share: unknown structure '{s}'; allowed: {', '.join(MODELLED)}")
            if not isinstance(v, (int, float)) or not 0 <= v <= 1:
                fail(f"demand_share['{s}'] must be a number in [0, 1], got {v!r}")
        if self.instructions is not None and not self.instructions >= 0:
            fail(f"instructions must be >= 0, got {self.instructions!r}")
        if not (isinstance(self.stall_scale, (int, float)) and self.stall_scale > 0):
            fail(f"stall_scale must be a number > 0, got {self.stall_scale!r}")
        if not isinstance(self.shares, str) or self.shares == self.name:
            fail(f"shares must name another profile, got {self.shares!r}")

    def to_dict(self) -> dict:
        d = {"domain": self.domain, "base_cpi": self.base_cpi, "working_set": dict(self.working_set),
             "reuse_instructions": dict(self.reuse_instructions), "instructions": self.instructions,
             "demand_share": dict(self.demand_share), "provenance": self.provenance}
        if self.shares:
            d["shares"] = self.shares
        if self.stall_scale != 1.0:
            d["stall_scale"] = self.stall_scale
        return d

    @classmethod
    def from_dict(cls, name: str, d: dict) -> "CodeProfile":
        unknown = set(d) - {"domain", "base_cpi", "working_set", "reuse_instructions", "instructions",
                            "demand_share", "provenance", "shares", "stall_scale"}
        if unknown:
            raise ConfigError(f"profile '{name}': unknown field(s) {sorted(unknown)}")
        return cls(name=name, **d)
