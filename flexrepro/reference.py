"""The paper's numbers (data/paper/, copied from shared/reference with provenance).

These are only ever compared against; no model code reads them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

import pandas as pd

from . import paths

FILES = {
    "claims": "atc11_claims.csv",
    "table1": "atc11_table1_syscall_profile.csv",
    "table2": "atc11_table2_porting_effort.csv",
    "table3": "atc11_table3_corei7.csv",
    "fig1": "atc11_fig1_xalan_ipc_degradation.csv",
    "syscall_footprint": "osdi10_table1_syscall_footprint.csv",
    "xalan_recovery": "osdi10_xalan_pwrite_recovery.csv",
    "kernel_ipc_loss": "osdi10_fig4_kernel_ipc_loss.csv",
    "platform_facts": "platform_facts.csv",
}


@lru_cache(maxsize=None)
def _load(name: str) -> pd.DataFrame:
    if name not in FILES:
        raise KeyError(f"unknown reference table '{name}'; allowed: {', '.join(FILES)}")
    return pd.read_csv(paths.PAPER / FILES[name])


def reload() -> None:
    """Read the tables again (after data/paper/ changed under a running process)."""
    _load.cache_clear()
    _claim_rows.cache_clear()
    target.cache_clear()


def load(name: str) -> pd.DataFrame:
    """A copy of one reference table (callers may modify it)."""
    return _load(name).copy()


def claims() -> pd.DataFrame:
    return load("claims")


@lru_cache(maxsize=None)
def _claim_rows() -> dict[str, pd.Series]:
    # One index for the ~1,000 look-ups a process makes (the bands' corners read every
    # platform claim): a boolean filter each time cost 2 ms, 2 s per notebook kernel.
    c = _load("claims")
    return {cid: c.iloc[i] for i, cid in reversed(list(enumerate(c.claim_id)))}


def claim(claim_id: str) -> pd.Series:
    try:
        return _claim_rows()[claim_id].copy()
    except KeyError:
        raise KeyError(f"unknown claim '{claim_id}'") from None


# --- a claim's paper value and tolerance, parsed once ------------------------------------
# The claims table states a tolerance in words: 'rel X%', 'abs X [points] [each]',
# 'range a..b', 'abs X points on the a..b band' (a stated span widened by X),
# 'ratio [X] abs Y' (a ratio, X or the paper value's leading number) or 'bool' with the
# paper value a bound ('>= 0.9', '< +5%', '< 0.5 each'). Every check, the scorecard's
# borderline test and the notebooks' paper markers read it from here.

_REL = re.compile(r"rel\s+([\d.]+)%")
_ABS = re.compile(r"abs\s+([\d.]+)(?:\s+points?)?(?:\s+each)?")
_RANGE = re.compile(r"range\s+([\d.]+)\.\.([\d.]+)")
_SPAN = re.compile(r"([\d.]+)\s*\.\.\s*([\d.]+)")
_ON_SPAN = re.compile(r"abs\s+([\d.]+)(?:\s+points?)?\s+on the\s+[\d.]+\.\.[\d.]+\s+band")
_RATIO = re.compile(r"ratio\s+(?:([\d.]+)\s+)?(abs\s+[\d.]+)")
_BOUND = re.compile(r"(<=|>=|<|>)\s*\+?(-?[\d.]+)")
_NUMBER = re.compile(r"\s*(-?[\d.]+)")
_ONSET = re.compile(r">=\s*(\d+)")
_COMPARE = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}


@dataclass(frozen=True)
class Target:
    """What a claim accepts: `kind` is 'rel' / 'abs' (|x - paper| within `width`, in % of
    the paper value or absolute), 'range' / 'span' (low <= x <= high; a span is a stated
    range, widened by its tolerance), 'bound' (x `op` `bound`) or 'none' (a yes/no the
    check decides by itself)."""
    kind: str
    paper: float | None = None       # the number the model is compared with
    width: float | None = None
    low: float | None = None
    high: float | None = None
    op: str | None = None
    bound: float | None = None
    stated: tuple[float, float] | None = None   # the paper's span ("25..35"), before widening

    @property
    def decides(self) -> bool:
        """True when one number can be tested (a per-point tolerance has no paper value)."""
        return self.kind in ("range", "span", "bound") or (self.kind in ("rel", "abs") and self.paper is not None)

    def accepts(self, x: float) -> bool:
        """Does the measured `x` pass?"""
        if self.kind == "rel" and self.paper is not None:
            return bool(abs(x - self.paper) <= self.width / 100 * abs(self.paper))
        if self.kind == "abs" and self.paper is not None:
            return bool(abs(x - self.paper) <= self.width + 1e-12)
        if self.kind in ("range", "span"):
            return bool(self.low <= x <= self.high)
        if self.kind == "bound":
            return bool(_COMPARE[self.op](float(x), self.bound))
        raise ValueError(f"tolerance of kind {self.kind!r} has no paper value to compare with")

    def around(self, paper: float) -> "Target":
        """The same tolerance about another paper number (a per-point claim: 'abs 5 points each')."""
        return replace(self, paper=float(paper))

    @property
    def edges(self) -> list[float]:
        """The values where the verdict flips."""
        if self.kind == "rel":
            d = self.width / 100 * abs(self.paper)
            return [self.paper - d, self.paper + d]
        if self.kind == "abs":
            return [self.paper - self.width, self.paper + self.width]
        if self.kind in ("range", "span"):
            return [self.low, self.high]
        return [self.bound] if self.kind == "bound" else []


def parse(paper_value, tolerance: str) -> Target:
    """The Target stated by a paper value and a tolerance (ValueError: neither form)."""
    t, text = str(tolerance).strip(), str(paper_value).strip()
    try:
        paper = float(text)
    except ValueError:
        paper = None
    if m := _RANGE.fullmatch(t):
        return Target("range", paper, low=float(m.group(1)), high=float(m.group(2)))
    if (m := _ON_SPAN.fullmatch(t)) and (s := _SPAN.fullmatch(text)):
        lo, hi, w = float(s.group(1)), float(s.group(2)), float(m.group(1))
        return Target("span", width=w, low=lo - w, high=hi + w, stated=(lo, hi))
    if m := _RATIO.fullmatch(t):
        if m.group(1):
            paper, t = float(m.group(1)), m.group(2)            # "ratio 1.8 abs 0.4"
        elif n := _NUMBER.match(text):
            paper, t = float(n.group(1)), m.group(2)            # "1.73 (about ...)", "ratio abs 0.35"
    if m := _REL.fullmatch(t):
        return Target("rel", paper, width=float(m.group(1)))
    if m := _ABS.fullmatch(t):
        return Target("abs", paper, width=float(m.group(1)))
    if t == "bool":
        if m := _BOUND.match(text):
            return Target("bound", op=m.group(1), bound=float(m.group(2)))
        return Target("none")
    raise ValueError(f"tolerance {tolerance!r} is not 'rel X%', 'abs X', 'range a..b', "
                     "'abs X points on the a..b band', 'ratio [X] abs Y' or 'bool'")


@lru_cache(maxsize=None)
def target(claim_id: str) -> Target:
    """The claim's Target, from its row of the claims table."""
    c = claim(claim_id)
    return parse(c.paper_value, c.tolerance)


def leading_number(claim_id: str) -> float | None:
    """The number the claim's paper value starts with ('0.51 -> 0.92 (x1.8)': 0.51), if any."""
    m = _NUMBER.match(str(claim(claim_id).paper_value))
    return float(m.group(1)) if m else None


def onset(claim_id: str) -> int:
    """Where a claim starts to hold, from its metric ('... at every concurrency >= 64')."""
    m = _ONSET.search(str(claim(claim_id).metric))
    if m is None:
        raise ValueError(f"claim '{claim_id}': its metric names no '>= N'")
    return int(m.group(1))
