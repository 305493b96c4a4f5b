"""A claim check: the experiments' frames in, a `Verdict` out.

`@claim_check(claim_id, experiment_ids...)` registers a check. Most checks follow one
pattern — pick the row the claim is about, compare its value with the claim's paper value
and tolerance (read once by `reference.target`), keep its CI — which `compare` writes once.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from .. import reference


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


def checks() -> dict[str, Check]:
    """Every registered check (imports every module of this package)."""
    from .. import claims
    for mod in pkgutil.iter_modules(claims.__path__):
        if mod.name != "base":
            importlib.import_module(f"{claims.__name__}.{mod.name}")
    return dict(_CHECKS)


def compare(claim_id: str, picked: pd.DataFrame, missing: str, value: str = "value", digits: int = 3,
            note: str = "") -> Verdict:
    """Pick -> check -> verdict: the first row of `picked` (none: `missing`, not reproduced),
    its `value` rounded to `digits` against the claim's target, with the row's 95% CI."""
    if picked.empty:
        return Verdict(missing, False)
    r = picked.iloc[0]
    v = r[value]
    return Verdict(round(v, digits), reference.target(claim_id).accepts(v), r.ci_low, r.ci_high, note=note)


def best_gain(gains: pd.DataFrame, claim_id: str, at: str, note: str, cores: int = 2,
              about: Callable[[Any], str] | None = None) -> Verdict:
    """The largest gain of a `ratio` frame on `cores` cores against `claim_id`; `note` is
    formatted with the value of column `at` where it occurs, and `about(value)` (if given)
    adds what else is known of the runs there."""
    g = gains[gains.cores == cores]
    if g.empty:
        return Verdict(f"no {cores}-core point", False)
    best = g.loc[g.value.idxmax()]
    text = note.format(int(best[at])) + (about(best[at]) if about else "")
    return Verdict(round(best.value, 1), reference.target(claim_id).accepts(best.value), best.ci_low,
                   best.ci_high, note=text)
