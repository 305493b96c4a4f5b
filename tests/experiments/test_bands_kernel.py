"""The shared-core band experiment: its range is the ledger's, its point is the committed model,
and its rows have the bands experiment's shape (so the scorecard's bands can fold them in)."""
import pandas as pd

from flexrepro import paths
from flexrepro.experiments import bands_kernel
from flexrepro.platform import load_params
from flexrepro.harness.registry import get


def test_range_is_the_ledger_row():
    led = pd.read_csv(paths.DATA / "ledger.csv", keep_default_na=False).set_index("parameter")
    row = led.loc[bands_kernel.ASSUMPTION]
    assert row.kind == "assumption"
    assert (float(row.low), float(row.value), float(row.high)) == \
        (bands_kernel.RANGE["low"], bands_kernel.RANGE["point"], bands_kernel.RANGE["high"])


def test_point_uses_the_committed_parameters_without_a_refit():
    assert bands_kernel.refit(bands_kernel.RANGE["point"]) is load_params()
    assert get("bands_kernel").grid == {"corner": ["low", "high"]}   # the point is the figures' own


def test_rows_name_the_bands_targets(monkeypatch):
    from flexrepro.experiments import bands
    monkeypatch.setattr(bands_kernel, "refit", lambda scale: "params")
    monkeypatch.setattr(bands_kernel, "point_rows", lambda name, seed, params: [{"system": "epoll", "p": params}])
    rows = bands_kernel.run_point({"corner": "high"}, seed=1)
    assert [r["target"] for r in rows] == list(bands.POINTS)
    assert {(r["assumption"], r["corner"], r["assumption_value"], r["p"]) for r in rows} == \
        {(bands_kernel.ASSUMPTION, "high", "1.5", "params")}
