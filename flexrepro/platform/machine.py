"""Cores running code segments: cycles and misses from the occupancy model.

The cycles of a segment are `instructions * base_cpi + sum_s refills_s * penalty_s`, where
the refills come from each structure's occupancy (private L1i/L1d/L2/dTLB per core, one L3
shared by all cores) and a refill's penalty is the extra latency of the level that serves
it (Table 3: an L1 miss is served by the L2, an L2 miss by the L3, an L3 miss by memory),
divided for data levels by a fitted overlap factor (memory-level parallelism: at most the
platform's 10 line-fill buffers, so an L3 refill is never cheaper than an L2 hit).
Instruction-cache misses stall the front end and are not overlapped; a dTLB miss costs an
STLB hit. A profile's `demand_share` scales a level's penalty: the fills beyond its demand
misses are the hardware prefetchers' and occupy the structure without a stall; its
`stall_scale` scales every penalty (a server's user code priced like Xalan's, per its base IPC).

A trap's direct cost depends on what the interrupted code had in flight (`platform.trap`):
each core counts the user instructions it ran since its last trap.

`Core.execute` is called ~10^6 times per server simulation: each core keeps its per-profile
plan bound to its own structures as one array, and one compiled call (`occupancy.run_plan`)
runs a segment's rows and adds to the core's counters (an array, viewed per domain).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .occupancy import Structures, run_plan
from .params import ModelParams
from .profile import DOMAINS, MODELLED, CodeProfile
from .spec import PlatformSpec
from .trap import TrapCost

MAX_CORES = 64
COUNTS = ("instructions", "cycles", *MODELLED)     # a core's counters per domain, in array order
_COLUMN = {name: i for i, name in enumerate(COUNTS)}
_PRIVATE = tuple(s for s in MODELLED if s != "l3")
_BASE = {d: i * len(COUNTS) for i, d in enumerate(DOMAINS)}     # a domain's first counter
_CYCLES, _L1D, _L2 = _COLUMN["cycles"], _COLUMN["l1d"], _COLUMN["l2"]
_USER_CYCLES, _KERNEL_CYCLES = _BASE["user"] + _CYCLES, _BASE["kernel"] + _CYCLES


@dataclass(slots=True)
class Segment:
    cycles: float
    instructions: float
    domain: str
    profile: str
    misses: dict[str, float]


def penalties(spec: PlatformSpec, params: ModelParams) -> dict[str, float]:
    """Effective cycles per refill of each modelled structure."""
    lat = {s: spec.structures[s].latency_cycles for s in ("l2", "l3")}
    p = params.platform
    return {
        "l1i": lat["l2"],
        "l1d": lat["l2"] / p["overlap_l1d"],
        "l2": (lat["l3"] - lat["l2"]) / p["overlap_l2"],
        "l3": (spec.memory_latency_cycles - lat["l3"]) / p["overlap_l3"],
        "dtlb": p["tlb_miss_cycles"],
    }


class DomainCounters:
    """One domain's counters of a core by name, read-only: a view on the core's counter array
    (written by the compiled segment, `Core.trap` and `Core.count_transfer`)."""
    __slots__ = ("_counts", "_base")

    def __init__(self, counts: np.ndarray, base: int):
        self._counts, self._base = counts, base

    def __getitem__(self, name: str) -> float:
        return float(self._counts[self._base + _COLUMN[name]])


@dataclass(frozen=True, slots=True)
class _Plan:
    rows: np.ndarray          # per row: structure, key, counter column, lines, 1 / reuse, cycles per refill, misses
    structures: tuple         # the structure of each row (for the misses of `run`)
    base: int                 # the domain's first counter
    base_cpi: float
    user: bool


class Core:
    """One core: private structures, a reference to the shared L3, counters per domain."""

    def __init__(self, machine: "Machine", index: int):
        self.machine = machine
        self.index = index
        first = 1 + len(_PRIVATE) * index            # this core's rows of the machine's structures
        self._row = {s: 0 if s == "l3" else first + _PRIVATE.index(s) for s in MODELLED}
        self.structures = {s: machine.state.views[r] for s, r in self._row.items()}
        self.counts = np.zeros(len(DOMAINS) * len(COUNTS))
        self.counters = {d: DomainCounters(self.counts, _BASE[d]) for d in DOMAINS}
        self._plans: dict[CodeProfile, _Plan] = {}
        self._state = machine.state
        self._entry_exit = machine.spec.syscall_entry_cycles + machine.spec.syscall_exit_cycles
        self._trap_cost = machine.trap_cost
        self.user_since_trap = 0.0        # user instructions run since the last trap: its in-flight work

    def run(self, profile: CodeProfile, instructions: float) -> Segment:
        """Execute `instructions` of `profile`; update occupancy and counters."""
        misses: dict[str, float] = {}
        cycles = self.execute(profile, instructions, misses)
        return Segment(cycles, instructions, profile.domain, profile.name, misses)

    def execute(self, profile: CodeProfile, instructions: float, misses: dict | None = None) -> float:
        """`run` without the Segment record: returns the cycles (the kernel's hot path;
        `misses`, when given, receives the refills per structure)."""
        if not instructions >= 0:
            raise ConfigError(f"Core.run: 'instructions' must be >= 0, got {instructions!r}")
        plan = self._plans.get(profile)
        if plan is None:
            plan = self._plan(profile)
        state = self._state                       # its arrays may grow: read them at each call
        cycles = run_plan(state.ints, state.floats, plan.rows, self.counts, plan.base, float(instructions),
                          plan.base_cpi)
        if misses is not None:                    # a shared core's rows add to the structure's
            for s, m in zip(plan.structures, plan.rows[:, -1].tolist()):
                misses[s] = misses.get(s, 0.0) + m
        if plan.user:
            self.user_since_trap += instructions
        return cycles

    def _plan(self, profile: CodeProfile) -> _Plan:
        """The machine's constants for `profile`, bound to this core's structures."""
        state = self._state
        rows = self.machine._plan(profile)
        table = np.array([(self._row[s], state.key_id(key), _COLUMN[s], w, inv_reuse, penalty, 0.0)
                          for s, key, w, inv_reuse, penalty in rows], dtype=float).reshape(len(rows), 7)
        plan = self._plans[profile] = _Plan(table, tuple(r[0] for r in rows), _BASE[profile.domain],
                                            float(profile.base_cpi), profile.domain == "user")
        return plan

    def trap(self) -> float:
        """Charge one trap round trip: entry/exit and the kernel's lost work to the kernel
        domain, the user's pipeline refill after the return to the user domain; both lost
        works grow with the user instructions run since the previous trap (`platform.trap`)."""
        user, kernel = self._trap_cost.cycles(self.user_since_trap)
        kernel += self._entry_exit
        self.user_since_trap = 0.0
        counts = self.counts
        counts[_KERNEL_CYCLES] += kernel
        counts[_USER_CYCLES] += user
        return kernel + user

    def count_transfer(self, domain: str, cycles: float, lines: float) -> None:
        """Charge `domain` for reading `lines` lines another core wrote: the cycles, and the
        lines as L1d and L2 misses (`Machine.transfer`)."""
        counts, base = self.counts, _BASE[domain]
        counts[base + _CYCLES] += cycles
        counts[base + _L1D] += lines
        counts[base + _L2] += lines

    def resident_fraction(self, profile: CodeProfile, structure: str) -> float:
        """Resident fraction of the profile's working set in one structure (for tests, plots)."""
        if structure not in self.structures:
            raise ConfigError(f"unknown structure '{structure}'; allowed: {', '.join(MODELLED)}")
        return self.structures[structure].fraction(profile, profile.working_set.get(structure, 0.0))


class Machine:
    """`cores` cores of the platform sharing one L3."""

    def __init__(self, spec: PlatformSpec, params: ModelParams, cores: int | None = None):
        cores = spec.cores if cores is None else cores
        if isinstance(cores, bool) or not isinstance(cores, int) or not 1 <= cores <= MAX_CORES:
            raise ConfigError(f"parameter 'cores': got {cores!r}; allowed: an integer in [1, {MAX_CORES}]")
        self.spec = spec
        self.params = params
        self.penalty = penalties(spec, params)
        self.trap_cost = TrapCost(params.platform)
        # one shared L3, then each core's private structures
        self.state = Structures(["l3", *(s for _ in range(cores) for s in _PRIVATE)],
                                [spec.capacity("l3"), *(spec.capacity(s) for _ in range(cores) for s in _PRIVATE)])
        self.l3 = self.state.views[0]
        self._plans: dict[CodeProfile, tuple] = {}
        self.cores = [Core(self, i) for i in range(cores)]

    def core(self, index: int) -> Core:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self.cores):
            raise ConfigError(f"core index: got {index!r}; allowed: an integer in [0, {len(self.cores) - 1}]")
        return self.cores[index]

    def _plan(self, profile: CodeProfile) -> tuple:
        """Per-profile constants, validated against this platform once: per structure, the
        occupancy key, the lines, 1 / reuse interval and the cycles per refill. A profile that
        `shares` a core touches the core's lines first (keyed by the core: any profile sharing
        it finds them warm), then the rest of its own working set; both parts are touched over
        the profile's own reuse interval (one pass through the call's path covers both)."""
        plan = self._plans.get(profile)
        if plan is None:
            if not isinstance(profile, CodeProfile):
                raise ConfigError(f"Core.run: expected a CodeProfile, got {type(profile).__name__}")
            core = self.params.profile(profile.shares) if profile.shares else None
            rows = []
            for s, w in profile.working_set.items():
                cap = self.spec.capacity(s)
                if w > cap:
                    raise ConfigError(f"profile '{profile.name}': working_set['{s}'] = {w:g} exceeds the "
                                      f"structure's capacity {cap}")
                shared = core.working_set.get(s, 0.0) if core is not None else 0.0
                if shared > w * (1.0 + 1e-9):
                    raise ConfigError(f"profile '{profile.name}': working_set['{s}'] = {w:g} is smaller than the "
                                      f"shared core '{core.name}' it runs through ({shared:g})")
                penalty = self.penalty[s] * profile.demand_share.get(s, 1.0) * profile.stall_scale
                inv_reuse = 1.0 / profile.reuse_instructions[s] if w > 0 else 0.0
                if shared > 0:
                    rows.append((s, core, float(shared), inv_reuse, penalty))
                if w - shared > 1e-9 * w:
                    rows.append((s, profile, float(w - shared), inv_reuse, penalty))
            plan = self._plans[profile] = tuple(rows)
        return plan

    def transfer(self, lines: float, src: int = 0, dst: int = 1, domain: str | None = None) -> float:
        """Cycles for `dst` to read `lines` cache lines last written on core `src`.

        On the same core the lines are still in its private caches (free). Across cores the
        inclusive L3 forwards each line from the owner's private cache: an L2 miss served by
        the L3 plus the snoop of the owner (one more L2 access), overlapped like other L2
        misses. With `domain`, the reads count as L1d and L2 misses of `dst` in that domain.
        """
        if not lines >= 0:
            raise ConfigError(f"transfer: 'lines' must be >= 0, got {lines!r}")
        self.core(src)
        dst_core = self.core(dst)
        if src == dst or lines == 0:
            return 0.0
        lat = self.spec.structures
        cycles = lines * (lat["l3"].latency_cycles + lat["l2"].latency_cycles) / self.params.platform["overlap_l2"]
        if domain is not None:
            if domain not in DOMAINS:
                raise ConfigError(f"transfer: 'domain' must be one of {', '.join(DOMAINS)}, got {domain!r}")
            dst_core.count_transfer(domain, cycles, lines)
        return cycles

    def counters(self) -> list[dict]:
        """One row per (core, domain): instructions, cycles and `<structure>_misses`."""
        rows = []
        for core in self.cores:
            for d in DOMAINS:
                c = core.counters[d]
                rows.append({"core": core.index, "domain": d, "instructions": c["instructions"],
                             "cycles": c["cycles"], **{f"{s}_misses": c[s] for s in MODELLED}})
        return rows

    def reset_counters(self) -> None:
        for core in self.cores:
            core.counts[:] = 0.0
