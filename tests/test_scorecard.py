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


@pytest.mark.parametrize("measured, nums", [
    (152.2, [152.2]), (17500.0, [17500.0]), (float("nan"), []), (True, []), ("undefined", []),
    ("1c: 152.2% @1024, 2c: 116.0% @1024, 4c: 26.1% @32", [152.2, 116.0, 26.1]),
    ("1c l1d: 0.005, 4c l1i: no epoll misses", [0.005]), ("{'1 cores': True, '2 cores': False}", []),
    ("flexsc 2c/1c 0.68, epoll 2c/1c 1.00", [0.68, 1.0]),
])
def test_numbers_a_verdict_tests(measured, nums):
    from flexrepro.scorecard import numbers

    assert numbers(measured) == nums


def test_band_holds_the_point_even_when_every_corner_lies_on_one_side(monkeypatch):
    """A-memcached's old band (148.32-151.99) missed its own point 152.2: the point is in the min/max."""
    from flexrepro import scorecard
    from flexrepro.claims import Check

    corners = pd.DataFrame({"claim": ["A-memcached"] * 2, "assumption": ["client.memslap.per_request_s"] * 2,
                            "corner": ["low", "high"], "assumption_value": ["a", "b"],
                            "low": [151.5, 148.3], "high": [151.5, 148.3]})
    point = Check("A-memcached", ("fig05",), lambda frames: Verdict(152.2, False))
    monkeypatch.setattr(scorecard, "checks", lambda: {"A-memcached": point})
    b = scorecard.band(pd.DataFrame(), {"fig05": None}, corners).set_index("claim").loc["A-memcached"]
    assert (b.band_low, b.point_low, b.band_high) == (148.3, 152.2, 152.2)
