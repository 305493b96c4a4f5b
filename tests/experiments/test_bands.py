"""The bands experiment: the prediction claims' points at the ends of the unidentified assumptions."""
import pandas as pd
import pytest

import flexrepro
from flexrepro import reference, scorecard
from flexrepro.experiments import bands
from flexrepro.harness.registry import get


def test_every_target_has_both_ends_of_its_clients_range():
    full, quick = set(bands.cases()), set(bands.cases(quick=True))
    for name, t in {**bands.POINTS, **bands.KNEES}.items():
        grid = quick if getattr(t, "quick", False) or name.endswith("-quick") else full
        a = f"client.{t.tool}.per_request_s"
        assert {f"{name}|{a}|low", f"{name}|{a}|high"} <= grid
    led = bands.banded_assumptions()
    assert (led.low.astype(float) < led.value.astype(float)).all()
    assert (led.value.astype(float) < led.high.astype(float)).all()
    # the NIC's interrupt core is identified (Section 6.2's client statement, data/ledger.csv): not banded
    assert "netstack.irq" not in led.index


def test_every_prediction_claim_with_a_number_is_banded():
    """Read from the claims table: a prediction is banded unless its verdict is a yes/no per case."""
    predictions = set(reference.claims().query("kind == 'prediction'").claim_id)
    yes_no = {"F5-crossover"}          # {'1 cores': True, ...}: no number to band
    assert predictions - yes_no <= set(bands.claims())
    assert set(bands.claims()) <= predictions


def _quick_points(exp_id: str) -> set[tuple[int, int]]:
    """(cores, load) of a figure's quick grid."""
    from flexrepro.experiments.fig10 import CONDITIONS
    g = get(exp_id).grid_for(True)
    if exp_id == "fig10":
        return {CONDITIONS[c] for c in g["condition"]}
    load = next(k for k in ("connections", "concurrency", "rate") if k in g)
    return {(c, x) for c in g["cores"] for x in g[load]}


def test_quick_points_are_in_their_figures_quick_grids():
    for name, t in bands.POINTS.items():
        on = [e for e in bands.FIGURES[t.tool] if (t.cores, t.load) in _quick_points(e)]
        assert bool(on) == t.quick, name


def test_knee_bisection_finds_the_rules_knee_in_five_runs(monkeypatch):
    served = []

    def fake_row(tool, system, cores, load, seed, client, params):
        served.append(load)
        return {"system": system, "cores": cores, "rate": load, "throughput_rps": min(load, 23000.0)}

    monkeypatch.setattr(bands, "_row", fake_row)
    knee = bands.KNEES["knee-epoll-1c-full"]
    rows = bands._knee_rows(knee, seed=1, client=None, params=None)
    assert len(knee.rates) == 26 and len(rows) == len(served) <= 5     # Figure 9's rates: log2(27) -> 5 runs
    ok = [r["rate"] for r in rows if r["throughput_rps"] >= 0.95 * r["rate"]]
    assert max(ok) == 22500                                # 25,000 is served at 92%: past the knee


def test_band_holds_the_point_and_the_corners_of_one_claim():
    """F8-1core at 1 core, 256 clients: the claim's own check on the corner's frame."""
    frames = {"fig08": flexrepro.run("fig08", quick=True, cores=1, executor="serial", progress=False)}
    cases = [c for c in bands.cases(quick=True) if c.startswith("apachebench-1c-256|")]
    frames["bands"] = flexrepro.run("bands", case=cases, executor="serial", progress=False)
    corners = scorecard.corner_values(frames["bands"], frames)
    mine = corners[corners.claim == "F8-1core"].set_index("corner")
    assert set(mine.index) == {"low", "high"}
    rows = frames["bands"].set_index(["corner", "system"]).mean_latency_s
    for c in ("low", "high"):       # the same number, re-derived from the corner's rows
        assert mine.loc[c, "low"] == pytest.approx(100 * (rows[c, "flexsc"] / rows[c, "epoll"] - 1), abs=0.05)
    row = scorecard.claims_table(frames, ["F8-1core"]).iloc[0]
    assert row.band_low <= row.measured_value <= row.band_high
    assert row.band_low == pytest.approx(min(row.measured_value, *mine.low))
    assert row.band_high == pytest.approx(max(row.measured_value, *mine.high))


def test_bad_case():
    with pytest.raises(flexrepro.ConfigError, match="case"):
        flexrepro.run("bands", case="F5|nothing|middle")
