"""Validation of the occupancy model against a trace-driven LRU hierarchy (pycachesim).

Two synthetic programs, "user" and "kernel", each reuse a contiguous working set of cache
lines, touching one uniformly random line of it per instruction. They alternate in
segments of `user_instructions` and `kernel_instructions` accesses. pycachesim runs the
trace through an LRU L1d/L2/L3 with Table 3's sizes; the analytic model runs the same
segments with profiles whose working set is the program's lines and whose reuse interval is
the working-set size (one access per instruction, uniform over the set). Both report the
steady-state refill misses per round in each level where both working sets fit alone (in
a level that one program overflows by itself the model's premise does not hold, and those
misses are capacity misses, part of base CPI).

Associativity is not in Table 3; we use Nehalem's (L1d 8-way, L2 8-way, L3 16-way).
Contiguous working sets spread evenly over the sets, so set conflicts are what they would
be in a fully associative cache of the same size.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from cachesim import Cache, CacheSimulator, MainMemory

from ..harness.seeds import rng
from .machine import Machine
from .params import ModelParams
from .profile import CodeProfile
from .spec import PlatformSpec

WAYS = {"l1d": 8, "l2": 8, "l3": 16}
LEVELS = ("l1d", "l2", "l3")
KERNEL_BASE_LINE = 1 << 24        # far from the user's lines; a multiple of every set count


# Miss counts do not depend on penalties: any valid platform values will do.
NEUTRAL_PARAMS = ModelParams({"user_direct_cycles": 0.0, "kernel_direct_cycles": 0.0,
                              "inflight_window_instructions": 1.0,
                              "entry_exit_overlap_cycles": 0.0, "overlap_l1d": 1.0, "overlap_l2": 1.0,
                              "overlap_l3": 1.0, "tlb_miss_cycles": 0.0}, {})


@dataclass(frozen=True)
class Case:
    user_lines: int
    kernel_lines: int
    user_instructions: int
    kernel_instructions: int


def hierarchy(spec: PlatformSpec) -> CacheSimulator:
    line = spec.cache_line_bytes
    mem = MainMemory()
    caches = {}
    for s in reversed(LEVELS):
        sets = spec.capacity(s) // WAYS[s]
        below = caches.get(LEVELS[LEVELS.index(s) + 1]) if s != "l3" else None
        caches[s] = Cache(s, sets, WAYS[s], line, "LRU", load_from=below, store_to=below)
    mem.load_to(caches["l3"])
    mem.store_from(caches["l3"])
    return CacheSimulator(caches["l1d"], mem)


def _misses(cs: CacheSimulator) -> dict[str, int]:
    return {st["name"]: st["MISS_count"] for st in cs.stats() if st["name"] in LEVELS}


def simulate(spec: PlatformSpec, case: Case, rounds: int, warmup: int, seed: int = 0) -> dict[str, float]:
    """pycachesim: mean misses per round (user + kernel segment) per level after warm-up."""
    r = rng(seed)
    line = spec.cache_line_bytes
    cs = hierarchy(spec)
    for i in range(warmup + rounds):
        if i == warmup:
            cs.reset_stats()
        u = r.integers(0, case.user_lines, case.user_instructions) * line
        k = (KERNEL_BASE_LINE + r.integers(0, case.kernel_lines, case.kernel_instructions)) * line
        cs.load(np.concatenate([u, k]).tolist(), 1)     # one C loop over the round's addresses, in order
    return {s: m / rounds for s, m in _misses(cs).items()}


def model(spec: PlatformSpec, case: Case, rounds: int = 200, params: ModelParams = NEUTRAL_PARAMS) -> dict[str, float]:
    """The occupancy model: steady-state misses per round per level."""
    def prof(name, lines):
        fits = [s for s in LEVELS if lines <= spec.capacity(s)]
        return CodeProfile(name, "user" if name == "user" else "kernel", 1.0,
                           working_set={s: float(lines) for s in fits},
                           reuse_instructions={s: float(lines) for s in fits})
    user, kernel = prof("user", case.user_lines), prof("kernel", case.kernel_lines)
    core = Machine(spec, params, cores=1).core(0)
    for _ in range(rounds):
        a, b = core.run(user, case.user_instructions), core.run(kernel, case.kernel_instructions)
    return {s: a.misses.get(s, 0.0) + b.misses.get(s, 0.0) for s in LEVELS}


def compared_levels(spec: PlatformSpec, case: Case) -> list[str]:
    """Levels where both programs fit alone but not together: where refills happen."""
    return [s for s in LEVELS if max(case.user_lines, case.kernel_lines) <= spec.capacity(s)
            < case.user_lines + case.kernel_lines]


def compare(spec: PlatformSpec, cases: list[Case], rounds: int, warmup: int, seed: int = 0) -> list[dict]:
    """Rows (case, level, simulated and modelled refills per round, relative error)."""
    rows = []
    for case in cases:
        sim, mod = simulate(spec, case, rounds, warmup, seed), model(spec, case)
        for s in compared_levels(spec, case):
            rows.append({**case.__dict__, "level": s, "pycachesim_misses": sim[s], "model_misses": mod[s],
                         "relative_error": (mod[s] - sim[s]) / sim[s] if sim[s] else float("nan")})
    return rows


# Cases: (user lines, kernel lines, user / kernel accesses per segment). Each pair of
# working sets overflows exactly one level; the granularities go from much shorter than the
# working sets to several sweeps of them.
SMALL_CASES = [
    Case(400, 200, 100, 100), Case(400, 200, 400, 200), Case(400, 200, 1000, 400),
    Case(400, 200, 4000, 1000), Case(400, 200, 150, 2000),
    Case(6000, 3000, 1000, 1000), Case(6000, 3000, 6000, 3000), Case(6000, 3000, 20000, 6000),
]
LARGE_CASES = SMALL_CASES + [
    Case(7000, 2000, 500, 2000), Case(7000, 2000, 30000, 5000),
    Case(100000, 40000, 20000, 20000), Case(100000, 40000, 100000, 40000), Case(100000, 40000, 300000, 60000),
]
