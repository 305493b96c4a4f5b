"""Verdicts: borderline when the CI straddles the claim's threshold, and the headline split."""
import pandas as pd
import pytest

from flexrepro import reference
from flexrepro.scorecard import Verdict, classify, headline, summary_lines, threshold


@pytest.mark.parametrize("paper, tol, bounds", [
    (">= 0.9", "bool", [0.9]), ("< +5%", "bool", [5.0]), ("< 0.5 each", "bool", [0.5]),
    ("20000", "range 15000..25000", [15000.0, 25000.0]), ("0.78", "abs 0.06", [0.72, 0.84]),
    ("2", "rel 10%", [1.8, 2.2]), ("0.51 -> 0.92 (x1.8)", "ratio 1.8 abs 0.4", [1.4, 2.2]),
    ("1.73 (about +4 per 1000 instructions)", "ratio abs 0.35", [1.38, 2.08]), ("25..35", "abs 7 points on the 25..35 band", None), ("true", "bool", None),
])
def test_threshold_read_from_the_claims_table(paper, tol, bounds):
    t = threshold(paper, tol)
    assert (t is None) if bounds is None else t[1] == pytest.approx(bounds)


@pytest.mark.parametrize("verdict, seeds, expect", [
    (Verdict(0.898, False, 0.894, 0.902), 5, ("borderline", 20)),        # half-width 0.004, gap 0.002
    (Verdict(0.898, False, 0.890, 0.899), 5, ("not reproduced", None)),  # the CI decides it
    (Verdict(0.91, True, 0.905, 0.915), 5, ("reproduced", None)),
    (Verdict(0.9, True, 0.89, 0.91), 5, ("borderline", None)),           # on the threshold: seeds cannot help
    (Verdict(0.898, False), 5, ("not reproduced", None)),                # no CI
    (Verdict(0.95, False, 0.85, 0.99), 5, ("not reproduced", None)),     # the check's own test differs
])
def test_borderline_and_the_seeds_that_resolve_it(verdict, seeds, expect):
    assert classify(verdict, ">= 0.9", "bool", seeds) == expect


def test_headline_keeps_calibration_and_predictions_apart():
    c = reference.claims()
    card = c.assign(verdict="not reproduced", seeds=5, seeds_to_resolve=pd.NA, ci_low=0.894, ci_high=0.902)
    card.loc[card.kind == "calibration", "verdict"] = "reproduced"
    card.loc[card.claim_id == "F5-one-thread", ["verdict", "seeds_to_resolve"]] = ["borderline", 20]
    card.loc[card.claim_id == "F7-1core-256", "verdict"] = "reproduced"
    n_cal, n_pred = int((c.kind == "calibration").sum()), int((c.kind == "prediction").sum())
    assert headline(card) == f"calibration {n_cal}/{n_cal}, predictions 1/{n_pred} (1 borderline)"
    lines = summary_lines(card)
    assert len(lines) == 2 and "borderline F5-one-thread" in lines[1] and "about 20 seeds (now 5)" in lines[1]


def test_seeds_of_a_claim_are_those_of_its_replicated_experiment():
    from flexrepro.scorecard import _replicates

    frames = {"ab": pd.DataFrame({"replicate": [0, 0]}), "httperf": pd.DataFrame({"replicate": [0, 1, 2, 0]})}
    assert _replicates(frames, ("ab", "httperf")) == 3     # the deterministic one has no CI to shrink
    assert _replicates(frames, ("missing",)) is None
