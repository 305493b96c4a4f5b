"""The scorecard: every claim of the paper with a verdict.

Experiment modules register a check per claim with `@claim_check(claim_id, exp_ids...)`;
a check receives the experiments' DataFrames and returns a `Verdict`. A claim with no
check (its experiment does not exist yet) is reported as `not yet run`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from . import reference, registry
from .sweep import run

COLUMNS = ["claim_id", "paper_item", "kind", "paper_value", "measured_value",
           "ci_low", "ci_high", "tolerance", "verdict", "band_low", "band_high", "note"]
VERDICTS = ("reproduced", "not reproduced", "not yet run")


@dataclass(frozen=True)
class Verdict:
    measured_value: float | str
    reproduced: bool
    ci_low: float | None = None
    ci_high: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Check:
    claim_id: str
    experiments: tuple[str, ...]
    fn: Callable[[dict[str, pd.DataFrame]], Verdict]


_CHECKS: dict[str, Check] = {}


def claim_check(claim_id: str, *experiments: str):
    """Register the check of one claim; it needs the named experiments' results."""
    def deco(fn):
        reference.claim(claim_id)  # fails early on a typo
        _CHECKS[claim_id] = Check(claim_id, experiments, fn)
        return fn
    return deco


def within(measured: float, paper: float, tolerance: str) -> bool:
    """Is `measured` within `tolerance` ('rel X%', 'abs X', 'range a..b') of `paper`?"""
    t = tolerance.strip()
    if m := re.fullmatch(r"rel\s+([\d.]+)%", t):
        return abs(measured - paper) <= float(m.group(1)) / 100 * abs(paper)
    if m := re.fullmatch(r"abs\s+([\d.]+)(?:\s+\w+)?", t):
        return abs(measured - paper) <= float(m.group(1)) + 1e-12
    if m := re.fullmatch(r"range\s+([\d.]+)\.\.([\d.]+)", t):
        return float(m.group(1)) <= measured <= float(m.group(2))
    raise ValueError(f"tolerance {tolerance!r} is not 'rel X%', 'abs X' or 'range a..b'")


def checks() -> dict[str, Check]:
    registry.load_all()
    return dict(_CHECKS)


def score(quick: bool = False, seeds: int | None = None, executor: str = "process",
          progress: bool = True, frames: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per claim of the claims table, in its order."""
    cks = checks()
    frames = dict(frames or {})
    for exp_id in sorted({e for c in cks.values() for e in c.experiments}):
        if exp_id not in frames:
            frames[exp_id] = run(exp_id, quick=quick, seeds=seeds, executor=executor, progress=progress)
    # prediction bands (experiments/bands.py): the range the unidentified assumptions allow
    if "bands" not in frames and any(e.id == "bands" for e in registry.all_experiments()):
        frames["bands"] = run("bands", quick=quick, seeds=seeds, executor=executor, progress=progress)
    bands = pd.DataFrame(columns=["band_low", "band_high"])
    if "bands" in frames:
        from .experiments.bands import band
        bands = band(frames["bands"]).set_index("claim")
    rows = []
    for c in reference.claims().itertuples(index=False):
        row = {"claim_id": c.claim_id, "paper_item": c.paper_item, "kind": c.kind,
               "paper_value": c.paper_value, "measured_value": None, "ci_low": None,
               "ci_high": None, "band_low": None, "band_high": None, "tolerance": c.tolerance,
               "verdict": "not yet run", "note": ""}
        if c.claim_id in bands.index:
            row.update(band_low=round(float(bands.loc[c.claim_id, "band_low"]), 2),
                       band_high=round(float(bands.loc[c.claim_id, "band_high"]), 2))
        if c.claim_id in cks:
            v = cks[c.claim_id].fn(frames)
            row.update(measured_value=v.measured_value, ci_low=v.ci_low, ci_high=v.ci_high,
                       verdict="reproduced" if v.reproduced else "not reproduced", note=v.note)
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)
