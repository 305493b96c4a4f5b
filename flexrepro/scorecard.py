"""The scorecard: every claim of the paper with a verdict.

The claims package (flexrepro/claims/, one module per paper item) registers a check per
claim with `@claim_check(claim_id, exp_ids...)`; a check receives the experiments'
DataFrames and returns a `Verdict`. A claim with no
check (its experiment does not exist yet) is reported as `not yet run`.

A claim whose 95% CI straddles its threshold is `borderline`: its mean may pass or fail,
but the seeds do not decide it. The threshold is read from the claims table (the
tolerance, or a bound such as ">= 0.9"), and used only when it gives the check's own
verdict at the mean. `seeds_to_resolve` estimates how many seeds would shrink the CI off
the threshold, taking its half-width to scale as 1/sqrt(n) (it ignores the t quantile's
shrinking, so it errs high; a min..max range over seeds does not shrink, so for those the
estimate is a lower bound).

A prediction with a number gets `band_low, band_high` from the bands experiment
(experiments/bands.py): its own check run on the points it reads, re-simulated at each end of
every unidentified assumption that can move them (alone or in an argued group; refitted
corners load their committed parameter sets), paired with the same seed's figure rows; the
band holds those numbers and the point estimate's. The verdict stays on the point estimate.
"""
from __future__ import annotations

import math
import re
from typing import Callable

import pandas as pd

from . import reference
from .harness import registry
from .claims import Check, Verdict, checks as _registered
from .harness.sweep import run

COLUMNS = ["claim_id", "paper_item", "kind", "paper_value", "measured_value",
           "ci_low", "ci_high", "tolerance", "verdict", "band_low", "band_high", "note", "seeds",
           "seeds_to_resolve"]
VERDICTS = ("reproduced", "borderline", "not reproduced", "not yet run")


def threshold(paper_value: str, tolerance: str) -> tuple[Callable[[float], bool], list[float]] | None:
    """The claim's pass test on one number and the values where it flips, when the claims
    table states one (`reference.parse`); else None (a yes/no, a per-point tolerance, or a
    stated span whose check is on several numbers)."""
    try:
        t = reference.parse(paper_value, tolerance)
    except ValueError:
        return None
    if not t.decides or t.kind == "span":
        return None
    return t.accepts, t.edges


def _number(v) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v is None or math.isnan(v):
        return None
    return float(v)


def classify(v: Verdict, paper_value: str, tolerance: str, seeds: int | None) -> tuple[str, int | None]:
    """(verdict, seeds that would resolve it when borderline)."""
    plain = "reproduced" if v.reproduced else "not reproduced"
    m, lo, hi = _number(v.measured_value), _number(v.ci_low), _number(v.ci_high)
    test = threshold(paper_value, tolerance)
    if m is None or lo is None or hi is None or test is None:
        return plain, None
    passes, bounds = test
    if passes(m) != v.reproduced or passes(lo) == passes(hi):
        return plain, None              # not the check's own test, or the CI decides it
    inside = [b for b in bounds if lo <= b <= hi]
    gap = min(abs(m - b) for b in inside)
    half = max(m - lo, hi - m)
    if gap == 0 or not seeds:
        return "borderline", None       # the mean sits on the threshold: seeds cannot decide
    return "borderline", math.ceil(seeds * (half / gap) ** 2)


def checks() -> dict[str, Check]:
    """Every claim's check, by claim id."""
    registry.load_all()
    return _registered()


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
    rows = [evaluate(c.claim_id, frames, cks) for c in reference.claims().itertuples(index=False)]
    return with_bands(pd.DataFrame(rows, columns=COLUMNS), frames).astype({"seeds": "Int64", "seeds_to_resolve": "Int64"})


def with_bands(card: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """`card` with band_low, band_high filled from the bands experiment's frame, if `frames` has it."""
    if "bands" not in frames:
        return card
    b = band(frames["bands"], frames).set_index("claim")
    card = card.copy()
    for col in ("band_low", "band_high"):
        card[col] = [round(float(b.at[c, col]), 4) if c in b.index else None for c in card.claim_id]
    return card


# --- prediction bands: the claims' own checks on the frames of each corner ---

def numbers(measured) -> list[float]:
    """The numbers a verdict tests: its value, or every decimal of a per-core or per-structure
    text ('1c: 0.428, 4c: 0.472'); none for a yes/no or an undefined value."""
    if isinstance(measured, bool):
        return []
    if isinstance(measured, (int, float)):
        return [] if math.isnan(measured) else [float(measured)]
    return [float(x) for x in re.findall(r"-?\d+\.\d+", str(measured))]


def _corner_frames(claim: str, rows: pd.DataFrame, experiments: tuple[str, ...],
                   frames: dict[str, pd.DataFrame]) -> tuple[dict, dict]:
    """(before, after): the figures' frames cut to the points that band `claim`, as the figure
    ran them, and with those the corner re-simulated (`rows`) in their place -- only the rows of
    the systems the corner re-simulated (a band that moves one system keeps the figure's row of
    the other, of the same seed). A figure the corner re-simulated nothing of stays whole in both."""
    from .experiments import bands
    before, after = dict(frames), dict(frames)
    mine = [t for t in (*bands.POINTS.values(), *bands.KNEES.values()) if claim in t.claims]
    for e in experiments:
        targets = [t for t in mine if e in bands.FIGURES[t.tool]]
        moved = {n: bands.target(n) for n in rows.target.unique() if bands.target(n) in targets}
        if not moved:
            continue
        f = frames[e]
        before[e] = f[pd.concat([t.rows(f) for t in targets], axis=1).any(axis=1)]
        b = before[e]
        gone = pd.concat([t.rows(b) & b.system.isin(rows.system[rows.target == n].unique())
                          for n, t in moved.items()], axis=1).any(axis=1)
        redone = rows[rows.target.isin(list(moved))].drop(
            columns=["target", "assumption", "corner", "assumption_value", "case"], errors="ignore")
        after[e] = pd.concat([before[e][~gone], redone], ignore_index=True)
    return before, after


def corner_values(frame: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per banded claim and corner: the low and high of the numbers its check gives there.

    `frame` is the bands experiment's rows, `frames` the figures' point-estimate frames. The
    check runs twice on the figures' rows of the corner's seeds, as they are and with the
    corner's points in place; the difference, number by number, is added to the point
    estimate's (common random numbers: the seed's own spread cancels). A claim whose figures
    are not all in `frames` is left out, and so is a corner where the check has no number
    (no knee, no such point)."""
    from .experiments import bands
    cks = checks()
    out = []
    for claim in bands.claims():
        ck = cks[claim]
        if not all(e in frames for e in ck.experiments):
            continue
        point = numbers(ck.fn(frames).measured_value)
        mine = frame[frame.target.map(lambda n: claim in bands.target(n).claims)]
        for (a, c), rows in mine.groupby(["assumption", "corner"], sort=True):
            same_seed = {e: frames[e][frames[e].replicate.isin(rows.replicate)] for e in ck.experiments}
            was, now = _corner_frames(claim, rows, ck.experiments, same_seed)
            before, after = numbers(ck.fn(was).measured_value), numbers(ck.fn(now).measured_value)
            if not after:
                continue
            paired = len(point) == len(before) == len(after)
            nums = [p + (x - b) for p, b, x in zip(point, before, after)] if paired else after
            out.append({"claim": claim, "assumption": a, "corner": c, "assumption_value": rows.assumption_value.iloc[0],
                        "low": min(nums), "high": max(nums), "paired": paired})
    return pd.DataFrame(out, columns=["claim", "assumption", "corner", "assumption_value", "low", "high", "paired"])


def band(frame: pd.DataFrame, frames: dict[str, pd.DataFrame], corners: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per banded claim: the numbers of its point estimate (low..high), and the band: min and max
    over those and every corner's (`corners`: `corner_values`, computed when not given)."""
    cks = checks()
    per = corner_values(frame, frames) if corners is None else corners
    out = []
    for claim, g in per.groupby("claim", sort=False):
        point = numbers(cks[claim].fn(frames).measured_value)
        if point:
            out.append({"claim": claim, "point_low": min(point), "point_high": max(point),
                        "band_low": min(point + list(g.low)), "band_high": max(point + list(g.high)),
                        "corners": len(g)})
    return pd.DataFrame(out, columns=["claim", "point_low", "point_high", "band_low", "band_high", "corners"])


def _replicates(frames: dict[str, pd.DataFrame], experiments: tuple[str, ...]) -> int | None:
    n = [int(frames[e]["replicate"].nunique()) for e in experiments
         if e in frames and "replicate" in frames[e]]
    return max(n) if n else None        # the CI comes from the replicated experiment


def evaluate(claim_id: str, frames: dict[str, pd.DataFrame], cks: dict[str, Check] | None = None) -> dict:
    """One claim's scorecard row from the experiments' frames (its check must have them)."""
    c = reference.claim(claim_id)
    row = {"claim_id": claim_id, "paper_item": c.paper_item, "kind": c.kind,
           "paper_value": c.paper_value, "measured_value": None, "ci_low": None, "ci_high": None,
           "band_low": None, "band_high": None,
           "tolerance": c.tolerance, "verdict": "not yet run", "note": "", "seeds": None,
           "seeds_to_resolve": None}
    ck = (cks if cks is not None else checks()).get(claim_id)
    if ck is not None:
        v = ck.fn(frames)
        seeds = _replicates(frames, ck.experiments)
        verdict, more = classify(v, c.paper_value, c.tolerance, seeds)
        row.update(measured_value=v.measured_value, ci_low=v.ci_low, ci_high=v.ci_high,
                   verdict=verdict, note=v.note, seeds=seeds, seeds_to_resolve=more)
    return row


def claims_table(frames: dict[str, pd.DataFrame], claim_ids: list[str] | None = None) -> pd.DataFrame:
    """Scorecard rows of some claims (default: every claim whose experiments are all in
    `frames`, in the claims table's order): what a figure's notebook shows under its plot."""
    cks = checks()
    if claim_ids is None:
        claim_ids = [cid for cid in reference.claims().claim_id
                     if cid in cks and all(e in frames for e in cks[cid].experiments)]
    return with_bands(pd.DataFrame([evaluate(cid, frames, cks) for cid in claim_ids], columns=COLUMNS), frames)


def headline(card: pd.DataFrame) -> str:
    """'calibration x/13, predictions y/29 (b borderline)': the two kinds of claim apart."""
    parts = []
    for kind, name in (("calibration", "calibration"), ("prediction", "predictions")):
        g = card[card.kind == kind]
        text = f"{name} {int((g.verdict == 'reproduced').sum())}/{len(g)}"
        extra = [f"{int((g.verdict == v).sum())} {v}" for v in VERDICTS[1:] if v != "not reproduced"
                 and (g.verdict == v).any()]
        parts.append(text + (f" ({', '.join(extra)})" if extra else ""))
    return ", ".join(parts)


def borderline_line(row) -> str:
    """Why a borderline claim is one, and what would settle it."""
    more = row.seeds_to_resolve
    settle = (f"about {int(more)} seeds (now {int(row.seeds)}) would resolve it" if not pd.isna(more)
              else "more seeds cannot resolve it (the mean sits on the threshold)")
    lo, hi = float(row.ci_low), float(row.ci_high)
    test = threshold(row.paper_value, row.tolerance)
    edges = [b for b in (test[1] if test else []) if lo <= b <= hi]
    where = " and ".join(f"{b:.4g}" for b in edges) or "the threshold"
    claim = row.paper_value if row.tolerance == "bool" else f"{row.paper_value}, {row.tolerance}"
    return f"95% CI [{lo:.4g}, {hi:.4g}] straddles {where} (paper: {claim}); {settle}"


def summary_lines(card: pd.DataFrame) -> list[str]:
    """The headline, then one line per borderline claim: what the pipeline prints."""
    lines = [headline(card)]
    lines += [f"  borderline {r.claim_id}: {borderline_line(r)}" for r in card[card.verdict == "borderline"].itertuples()]
    return lines
