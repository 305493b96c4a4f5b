"""The occupancy (footprint) model of one cache or TLB, with LRU order between segments.

State: blocks of resident lines (entries), each owned by one profile, ordered by when
they were last touched (oldest first) — LRU at the granularity of segments. A profile
owns a block of the lines its last segment touched and up to two older remnants.

A segment of profile p touches a footprint `F = t * W` of its working set `W`, uniformly
spread; a touched line that is not resident is a miss (refill). Victims follow LRU order:
free capacity first, then the blocks oldest first. While the victims are free space or
other profiles' lines, p's miss rate is `1 - S/U` (S its stale resident lines, U its
untouched ones; S/U stays constant). When the victim is one of p's own stale blocks, each
new touch consumes one stale own line (a hit, or a miss that evicts one), so the gap
`D = U - S` stays constant and the misses over footprint [F1, F2] are
`D * ln((W - F1) / (W - F2))`: a program whose own old lines are the least recent evicts
itself first, as LRU does. Lines touched by the segment become the most recent block.

Why LRU order rather than displacing other profiles in proportion to their share: the
trace-driven check (`tracesim`, pycachesim LRU) showed the proportional rule under-counting
refills by up to ~45% once segments are long enough to sweep their working sets. A profile
never needs more victims than exist, because a working set is at most the capacity.

Compiled (numba): a server simulation touches ~10^6 structures, and the victim walk in
pure Python was ~45% of a point's time. The state of every structure of a machine lives in
two arrays (`Structures`), profiles are small integer ids, and `run_plan` executes all rows
of one segment in one call from `Core.execute`. The arithmetic is the pure-Python model's,
operation for operation (no fast-math: no reassociation or fused multiply-add; `exp` and
`log` are the C library's in both), so results are bit-identical to it —
`tests/platform/test_occupancy.py` checks that against a pure-Python reference.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..errors import ConfigError

_EPS = 1e-9
MAX_BLOCKS = 3          # blocks kept per profile: the touched-last one and older remnants

# One row per structure. ints: number of blocks, the key of the profile whose whole working
# set is the most recent block (-1: none; its next touch is all hits and changes nothing),
# then the blocks' owners. floats: capacity, resident total, that profile's working set, then
# the blocks' resident lines. Blocks are least recently run first.
_N, _WHOLE_KEY, _OWNERS = 0, 1, 2
_CAPACITY, _TOTAL, _WHOLE_W, _LINES = 0, 1, 2, 3
_START_KEYS = 8


@njit(cache=True)
def touch(ints, floats, s, key, w, t):
    """Structure `s`: a segment of profile `key` touches `t` of its working set `w`; its misses.

    A profile running again on a structure that still holds all of it returns at once;
    otherwise one pass finds p's stale lines, the all-resident case reorders, and the victim
    walk rewrites the blocks in place (a block is read before anything is written over it)."""
    if ints[s, _WHOLE_KEY] == key and floats[s, _WHOLE_W] == w:
        return 0.0                                # the same profile again, all resident
    footprint = w * t
    if footprint <= 0.0:                          # touched nothing: recency unchanged
        return 0.0
    n = ints[s, _N]
    owner = ints[s, _OWNERS:]
    lines = floats[s, _LINES:]
    stale = 0.0
    n_own = 0
    for i in range(n):
        if owner[i] == key:
            stale += lines[i]
            n_own += 1
    if stale >= w * (1.0 - _EPS):                 # all resident: hits only, all now most recent
        if n_own == 1:
            if owner[n - 1] != key:               # its one block moves to the most recent place
                i = 0
                while owner[i] != key:
                    i += 1
                keep = lines[i]
                for j in range(i, n - 1):
                    owner[j] = owner[j + 1]
                    lines[j] = lines[j + 1]
                owner[n - 1] = key
                lines[n - 1] = keep
        else:
            j = 0
            for i in range(n):
                if owner[i] != key:
                    owner[j] = owner[i]
                    lines[j] = lines[i]
                    j += 1
            owner[j] = key
            lines[j] = stale
            ints[s, _N] = j + 1
        ints[s, _WHOLE_KEY] = key
        floats[s, _WHOLE_W] = w
        return 0.0
    # Walk the victims in LRU order: free capacity, then every block oldest first.
    untouched, left, misses, consumed, cum_own = w, footprint, 0.0, 0.0, 0.0
    free = floats[s, _CAPACITY] - floats[s, _TOTAL]
    if free > _EPS:
        rate = 1.0 - stale / untouched
        d = left if left * rate <= free else free / rate
        misses += rate * d
        consumed += d * (1.0 - rate)
        stale -= d * (1.0 - rate)
        untouched -= d
        left -= d
    for i in range(n):
        if left <= _EPS:
            break
        if owner[i] == key:                       # own stale lines: LRU evicts p itself
            cum_own += lines[i]
            b = cum_own - consumed
            if b > _EPS:
                d = left if left < b else b
                misses += (untouched - stale) * math.log(untouched / (untouched - d))
                stale -= d
                untouched -= d
                consumed += d
                left -= d
        else:                                     # another profile's older lines: it loses them
            rate = 1.0 - stale / untouched
            d = left if left * rate <= lines[i] else lines[i] / rate
            misses += rate * d
            consumed += d * (1.0 - rate)
            stale -= d * (1.0 - rate)
            untouched -= d
            left -= d
            lines[i] -= rate * d
    # New state: own stale lines keep their place (the oldest consumed first), blocks left
    # empty go, neighbours of one owner merge, the touched lines become the most recent block.
    total = footprint
    n_own = 1
    n_out = 0
    for i in range(n):
        o = owner[i]
        keep = lines[i]
        if o == key:
            c = consumed if consumed < keep else keep
            consumed -= c
            keep -= c
        if keep > _EPS:
            total += keep
            if n_out > 0 and owner[n_out - 1] == o:
                lines[n_out - 1] += keep
            else:
                owner[n_out] = o
                lines[n_out] = keep
                n_out += 1
                if o == key:
                    n_own += 1
    if n_out > 0 and owner[n_out - 1] == key:
        lines[n_out - 1] += footprint
        n_own -= 1
    else:
        owner[n_out] = key
        lines[n_out] = footprint
        n_out += 1
    if n_own > MAX_BLOCKS:
        n_out = _cap_blocks(owner, lines, n_out, key)
    ints[s, _N] = n_out
    floats[s, _TOTAL] = total
    if n_own == 1 and lines[n_out - 1] >= w * (1.0 - _EPS):
        ints[s, _WHOLE_KEY] = key
        floats[s, _WHOLE_W] = w
    else:
        ints[s, _WHOLE_KEY] = -1
    return misses


@njit(cache=True)
def _cap_blocks(owner, lines, n, key):
    """Keep at most MAX_BLOCKS blocks of `key`: merge its two oldest into the older place."""
    while True:
        count, i, j = 0, -1, -1
        for k in range(n):
            if owner[k] == key:
                count += 1
                if i < 0:
                    i = k
                elif j < 0:
                    j = k
        if count <= MAX_BLOCKS:
            return n
        lines[i] += lines[j]
        for k in range(j, n - 1):
            owner[k] = owner[k + 1]
            lines[k] = lines[k + 1]
        n -= 1


@njit(cache=True)
def run_plan(ints, floats, plan, counts, base, instructions, base_cpi):
    """One segment of `instructions` on a core: touch every row of its plan, add the refills
    and cycles to the core's counters (`counts[base:]`: instructions, cycles, then one column
    per structure), leave each row's misses in its last column; return the cycles.

    A plan row: structure, key, counter column, lines, 1 / reuse interval, cycles per refill."""
    cycles = instructions * base_cpi
    neg = -instructions
    for r in range(plan.shape[0]):
        m = touch(ints, floats, int(plan[r, 0]), int(plan[r, 1]), plan[r, 3], 1.0 - math.exp(neg * plan[r, 4]))
        cycles += m * plan[r, 5]
        counts[base + int(plan[r, 2])] += m
        plan[r, 6] = m
    counts[base] += instructions
    counts[base + 1] += cycles
    return cycles


# The one signature the machines call run_plan with (machine.Core.execute).
RUN_PLAN_ARGS = "(int64[:, ::1], float64[:, ::1], float64[:, ::1], float64[::1], int64, float64, float64)"


def compile_ahead() -> None:
    """Compile run_plan (or load it from numba's cache) now: a process that then forks sweep
    workers or notebook kernels does it once for all of them (a compile is ~2 CPU-s, a load
    ~0.4 s, in every process that runs a segment otherwise)."""
    run_plan.compile(RUN_PLAN_ARGS)


class Structures:
    """The occupancy state of a set of structures (one machine's), for the compiled touch.

    Profiles are keys by identity; each gets a small integer id on first use. A key owns at
    most MAX_BLOCKS blocks of a structure, so `3 * keys + 1` block columns always suffice;
    the arrays grow when a new key needs more (callers read `ints` / `floats` anew)."""

    def __init__(self, names: list[str], capacities: list[float]):
        for name, capacity in zip(names, capacities):
            if not capacity > 0:
                raise ConfigError(f"structure '{name}': capacity must be > 0, got {capacity!r}")
        self.keys: list = []                  # key objects by id (kept alive: ids are by identity)
        self._ids: dict[int, int] = {}
        n = len(names)
        self.ints = np.zeros((n, _OWNERS + MAX_BLOCKS * _START_KEYS + 1), dtype=np.int64)
        self.ints[:, _WHOLE_KEY] = -1
        self.floats = np.zeros((n, _LINES + MAX_BLOCKS * _START_KEYS + 1))
        self.floats[:, _CAPACITY] = [float(c) for c in capacities]
        self.views = [Occupancy._of(self, i, name) for i, name in enumerate(names)]

    def key_id(self, key) -> int:
        i = self._ids.get(id(key))
        if i is None:
            i = self._ids[id(key)] = len(self.keys)
            self.keys.append(key)
            blocks = MAX_BLOCKS * len(self.keys) + 1
            if blocks > self.ints.shape[1] - _OWNERS:
                grow = blocks + MAX_BLOCKS * _START_KEYS
                self.ints = np.pad(self.ints, ((0, 0), (0, grow - self.ints.shape[1] + _OWNERS)))
                self.floats = np.pad(self.floats, ((0, 0), (0, grow - self.floats.shape[1] + _LINES)))
        return i


class Occupancy:
    """One structure's occupancy: a view on its row of a `Structures` (its own, when built
    alone as `Occupancy(name, capacity)`)."""
    __slots__ = ("name", "_state", "_row")

    def __init__(self, name: str, capacity: float):
        view = Structures([name], [capacity]).views[0]
        self.name, self._state, self._row = name, view._state, view._row

    @classmethod
    def _of(cls, state: Structures, row: int, name: str) -> "Occupancy":
        self = object.__new__(cls)
        self.name, self._state, self._row = name, state, row
        return self

    @property
    def capacity(self) -> float:
        return float(self._state.floats[self._row, _CAPACITY])

    @property
    def total(self) -> float:
        return float(self._state.floats[self._row, _TOTAL])

    @property
    def blocks(self) -> list[list]:
        """[profile, resident lines] per block, least recently run first."""
        st, r = self._state, self._row
        n = st.ints[r, _N]
        return [[st.keys[k], v] for k, v in zip(st.ints[r, _OWNERS:_OWNERS + n].tolist(),
                                                st.floats[r, _LINES:_LINES + n].tolist())]

    @property
    def resident(self) -> dict:
        """Resident lines per profile."""
        out: dict = {}
        for k, v in self.blocks:
            out[k] = out.get(k, 0.0) + v
        return out

    def touch(self, key, working_set: float, touched_fraction: float) -> float:
        """Run a segment touching `touched_fraction` of `working_set`; return its misses."""
        st = self._state
        k = st.key_id(key)
        return touch(st.ints, st.floats, self._row, k, float(working_set), float(touched_fraction))

    def fraction(self, key, working_set: float) -> float:
        """Resident fraction of a profile's working set (1 for an empty working set)."""
        if working_set <= 0:
            return 1.0
        return sum(v for k, v in self.blocks if k is key) / working_set

    def clear(self) -> None:
        st, r = self._state, self._row
        st.ints[r, _N] = 0
        st.ints[r, _WHOLE_KEY] = -1
        st.floats[r, _TOTAL] = 0.0
