"""The bands experiment: the prediction claims' points at the ends of the unidentified assumptions."""
from dataclasses import replace

import pandas as pd
import pytest

import flexrepro
from flexrepro import paths, reference, scorecard
from flexrepro.experiments import bands
from flexrepro.harness.registry import get


def test_every_target_has_both_ends_of_its_clients_range():
    full, quick = set(bands.cases()), set(bands.cases(quick=True))
    for name, t in {**bands.POINTS, **bands.KNEES}.items():
        grid = quick if getattr(t, "quick", False) or name.endswith("-quick") else full
        a = f"client.{t.tool}.per_request_s"
        assert {f"{name}|{a}|low", f"{name}|{a}|high"} <= grid
    led = bands.banded_assumptions()
    assert (led.kind == "assumption").all() and led.identified_by.str.startswith("not identified").all()
    # the NIC's interrupt core is identified (Section 6.2's client statement, data/ledger.csv): not banded
    assert "netstack.irq" not in led.index


def test_every_unidentified_assumption_is_banded_or_said_why_not():
    """Every ledger row marked not identified is in a band, or named in the bands docstring with
    the reason it cannot move a prediction claim."""
    led = pd.read_csv(paths.DATA / "ledger.csv", keep_default_na=False)
    open_rows = set(led[(led.kind == "assumption") & led.identified_by.str.startswith("not identified")].parameter)
    banded = set(bands.banded_assumptions().index)
    doc = bands.__doc__
    for p in sorted(open_rows - banded):
        prefix = p.split(".")[0] + ".*"
        assert f"`{p}`" in doc or prefix in doc or p in doc, p


def test_a_band_that_cannot_move_a_target_is_not_simulated_for_it():
    full = bands.cases()
    by = {}
    for c in full:
        n, b, _ = c.split("|")
        by.setdefault(b, set()).add(n)
    # memcached's lock: multi-core memcached with requests in flight only; nginx's accepts: nginx only
    assert by["memcached.cache_lock"] == {"memslap-4c-768"}
    assert all(n.startswith(("apachebench", "httperf", "knee")) for n in by["nginx.posted_accepts"])
    assert not any(n.startswith(("apachebench", "httperf", "knee")) for n in by["client.memslap.per_request_s"])
    # a band of one system simulates that system only; the other row is the figure's
    assert bands.systems("nginx.posted_accepts", bands.POINTS["apachebench-1c-256"]) == ("flexsc",)
    assert bands.systems("nginx.posted_accepts", bands.KNEES["knee-epoll-1c-full"]) == ()
    assert bands.systems("memcached.lock.spin_cycles", bands.POINTS["memslap-4c-768"]) == ("epoll",)


def test_one_system_band_simulates_one_system(monkeypatch):
    ran = []
    monkeypatch.setattr(bands, "_row", lambda tool, system, cores, load, seed, kw: ran.append(system) or
                        {"system": system, "ng": kw.get("ng")})
    rows = bands.run_point({"case": "apachebench-1c-256|nginx.posted_accepts|low"}, seed=1)
    assert ran == ["flexsc"] and rows[0]["ng"].posted_accepts == 1
    assert rows[0]["assumption_value"] == "nginx.posted_accepts=1"


def test_refitted_bands_run_on_their_committed_corner_and_skip_excluded_ends(monkeypatch):
    from flexrepro.calibration import band_fits
    got = []
    monkeypatch.setattr(bands, "_row", lambda tool, system, cores, load, seed, kw: got.append(kw["params"]) or {})
    bands.run_point({"case": "memslap-1c-768|kernel_core.scale|high"}, seed=1)
    assert got and all(p is band_fits.load_corner("kernel_core.scale", "high") for p in got)
    for c in bands.cases():
        _, b, which = c.split("|")
        assert band_fits.admissible(b, which), c


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


@pytest.mark.parametrize("start,runs", [(22500, 2), (23000, 2), (17500, 6), (30000, 6), (None, 7)])
def test_knee_search_finds_the_rules_knee(monkeypatch, start, runs):
    served = []

    def fake_row(tool, system, cores, load, seed, kw):
        served.append(load)
        return {"system": system, "cores": cores, "rate": load, "throughput_rps": min(load, 23000.0)}

    monkeypatch.setattr(bands, "_row", fake_row)
    knee = replace(bands.KNEES["knee-epoll-1c-full"], start=start)
    rows = bands._knee_rows(knee, seed=1, kw={})
    assert len(knee.rates) == 26 and len(rows) == len(served) == len(set(served)) <= runs
    ok = [r["rate"] for r in rows if r["throughput_rps"] >= 0.95 * r["rate"]]
    assert max(ok) == 22500                                # 25,000 is served at 92%: past the knee
    assert 25000 in served                                 # and the rule's next rate was seen failing


def test_knee_searches_start_on_figure_9s_rates():
    for k in bands.KNEES.values():
        assert k.start is None or k.start in k.rates, k


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
