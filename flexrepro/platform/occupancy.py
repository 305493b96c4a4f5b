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
"""
from __future__ import annotations

import math

from ..errors import ConfigError

_EPS = 1e-9
MAX_BLOCKS = 3          # blocks kept per profile: the touched-last one and older remnants


class Occupancy:
    __slots__ = ("name", "capacity", "blocks", "total")

    def __init__(self, name: str, capacity: float):
        if not capacity > 0:
            raise ConfigError(f"structure '{name}': capacity must be > 0, got {capacity!r}")
        self.name = name
        self.capacity = float(capacity)
        self.blocks: list[list] = []     # [profile, resident lines], least recently run first
        self.total = 0.0

    @property
    def resident(self) -> dict:
        """Resident lines per profile."""
        out: dict = {}
        for k, v in self.blocks:
            out[k] = out.get(k, 0.0) + v
        return out

    def touch(self, key, working_set: float, touched_fraction: float) -> float:
        """Run a segment touching `touched_fraction` of `working_set`; return its misses.

        Hot path (five calls per simulated segment): one pass to find p's stale lines, the
        all-resident case reorders in place, and the victim walk and the new state are built
        without temporary per-call containers beyond the new block list."""
        w = working_set
        footprint = w * touched_fraction
        if footprint <= 0.0:                      # touched nothing: recency unchanged
            return 0.0
        blocks = self.blocks
        stale = 0.0
        n_own = 0
        for b in blocks:
            if b[0] is key:
                stale += b[1]
                n_own += 1
        if stale >= w * (1.0 - _EPS):             # all resident: hits only, all now most recent
            if n_own == 1:
                if blocks[-1][0] is not key:      # its one block moves to the most recent place
                    for i, b in enumerate(blocks):
                        if b[0] is key:
                            blocks.append(blocks.pop(i))
                            break
            else:
                self.blocks = [b for b in blocks if b[0] is not key]
                self.blocks.append([key, stale])
            return 0.0
        # Walk the victims in LRU order: free capacity, then every block oldest first.
        untouched, left, misses, consumed, cum_own = w, footprint, 0.0, 0.0, 0.0
        free = self.capacity - self.total
        if free > _EPS:
            rate = 1.0 - stale / untouched
            d = left if left * rate <= free else free / rate
            misses += rate * d
            consumed += d * (1.0 - rate)
            stale -= d * (1.0 - rate)
            untouched -= d
            left -= d
        taken = []                                # lines taken from each block walked
        for owner, size in blocks:
            if left <= _EPS:
                break
            if owner is key:                      # own stale lines: LRU evicts p itself
                cum_own += size
                b = cum_own - consumed
                if b > _EPS:
                    d = left if left < b else b
                    misses += (untouched - stale) * math.log(untouched / (untouched - d))
                    stale -= d
                    untouched -= d
                    consumed += d
                    left -= d
                taken.append(0.0)
            else:                                 # another profile's older lines
                rate = 1.0 - stale / untouched
                d = left if left * rate <= size else size / rate
                misses += rate * d
                consumed += d * (1.0 - rate)
                stale -= d * (1.0 - rate)
                untouched -= d
                left -= d
                taken.append(rate * d)
        # New state: others lose what was taken, own stale lines keep their place (the
        # oldest consumed first), the touched lines become the most recent block.
        out = []
        total = footprint
        n_own = 1
        n_taken = len(taken)
        last = None                               # the block appended last to `out`
        i = 0
        for owner, keep in blocks:
            if owner is key:
                c = consumed if consumed < keep else keep
                consumed -= c
                keep -= c
            elif i < n_taken:
                keep -= taken[i]
            i += 1
            if keep > _EPS:
                total += keep
                if last is not None and last[0] is owner:
                    last[1] += keep
                else:
                    last = [owner, keep]
                    out.append(last)
                    if owner is key:
                        n_own += 1
        if last is not None and last[0] is key:
            last[1] += footprint
            n_own -= 1
        else:
            out.append([key, footprint])
        self.blocks = out if n_own <= MAX_BLOCKS else _cap_blocks(out, key)
        self.total = total
        return misses

    def fraction(self, key, working_set: float) -> float:
        """Resident fraction of a profile's working set (1 for an empty working set)."""
        if working_set <= 0:
            return 1.0
        return sum(v for k, v in self.blocks if k is key) / working_set

    def clear(self) -> None:
        self.blocks.clear()
        self.total = 0.0


def _cap_blocks(blocks: list[list], key, limit: int = MAX_BLOCKS) -> list[list]:
    """Keep at most `limit` blocks of `key`: merge its two oldest into the older place."""
    while True:
        idx = [i for i, b in enumerate(blocks) if b[0] is key]
        if len(idx) <= limit:
            return blocks
        i, j = idx[0], idx[1]
        blocks[i][1] += blocks[j][1]
        del blocks[j]
