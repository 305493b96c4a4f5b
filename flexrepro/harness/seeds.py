"""Seeds derived from one root seed (numpy SeedSequence); no global random state.

Replicate r of every grid point gets the same seed, so systems compared at one point see
common random numbers, and a seed never depends on the executor or the order of work.
"""
from __future__ import annotations

import numpy as np

ROOT_SEED = 20110615  # ATC'11 opened on 15 June 2011; any fixed value would do


def replicate_seeds(n: int, root: int = ROOT_SEED) -> list[int]:
    """The seeds of replicates 0..n-1 (32-bit ints, stable across numpy versions)."""
    children = np.random.SeedSequence(root).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)
