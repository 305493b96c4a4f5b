"""The bands experiment: headline predictions at the ends of the unidentified assumptions."""
import pytest

import flexrepro
from flexrepro.experiments import bands


def test_every_point_has_a_point_case_and_both_ends_of_its_clients_range():
    cases = bands.cases()
    for name, (tool, where, _) in bands.POINTS.items():
        assert f"{name}|none|point" in cases
        a = f"client.{tool}.per_request_s"
        assert {f"{name}|{a}|low", f"{name}|{a}|high"} <= set(cases)
        # the NIC's interrupt core moves multi-core points only: one core takes them all anyway
        assert (f"{name}|{bands.IRQ}|high" in cases) == (where["cores"] > 1)
    led = bands.banded_assumptions()
    num = led.drop(index=bands.IRQ)
    assert (num.low.astype(float) < num.value.astype(float)).all()
    assert (num.value.astype(float) < num.high.astype(float)).all()
    assert (led.loc[bands.IRQ, "value"], led.loc[bands.IRQ, "high"]) == ("one", "rss")


def test_band_holds_the_point_and_the_ends():
    name = "httperf-1core-50k"
    a = "client.httperf.per_request_s"
    rows = [r for case in (f"{name}|none|point", f"{name}|{a}|low", f"{name}|{a}|high")
            for r in bands.run_point({"case": case}, seed=1)]
    import pandas as pd
    frame = pd.DataFrame(rows)
    assert set(frame.corner) == {"point", "low", "high"}
    low, high = (float(frame[frame.corner == c].assumption_value.iloc[0]) for c in ("low", "high"))
    assert low < high
    b = bands.band(frame).set_index("claim").loc["F9-1core-50k"]
    assert b.band_low <= b.point <= b.band_high
    assert b.band_low == pytest.approx(frame.value.min()) and b.band_high == pytest.approx(frame.value.max())


def test_bad_case():
    with pytest.raises(flexrepro.ConfigError, match="case"):
        flexrepro.run("bands", case="F5|nothing|middle")
