"""The paper's claims, checked: one module per paper item (table1, fig01, fig05..fig10, and
abstract for the abstract's headline numbers).

A check reads the experiments' frames (its experiment module's pure helpers, such as
`experiments.fig05.improvement`) and the claim's paper value and tolerance
(`reference.target`, from data/paper/atc11_claims.csv), and returns a `Verdict`; the
scorecard turns verdicts into rows. Nothing here runs inside a simulated point, so the
result cache does not hash this package: changing a tolerance re-scores, it does not
re-simulate.
"""
from .base import Check, Verdict, best_gain, checks, claim_check, compare

__all__ = ["Check", "Verdict", "best_gain", "checks", "claim_check", "compare"]
