"""`flexrepro calibrate-host`: the host's null-call round trip, its method and spread, as a preset."""
import math

import pytest

from flexrepro import hostcal
from flexrepro.cli import main
from flexrepro.platform import load_params, load_platform


def test_python_method_reports_median_and_spread():
    m = hostcal.measure(loops=2000, repetitions=3, method="python")
    assert m["method"] == "python" and "subtracted" in m["how"]
    assert len(m["per_repetition_ns"]) == 3
    assert m["min_ns"] <= m["round_trip_ns"] <= m["max_ns"] and m["iqr_ns"] >= 0


@pytest.mark.skipif(hostcal._compiler() is None, reason="no C compiler on this machine")
def test_c_method_times_a_compiled_loop():
    m = hostcal.measure(loops=20_000, repetitions=3, method="c")
    assert m["method"] == "c" and "compiled" in m["how"]
    assert m["round_trip_ns"] > 0 and all(math.isfinite(v) for v in m["per_repetition_ns"])


def test_preset_is_the_excess_over_the_models_tight_loop_and_round_trips_through_toml(tmp_path):
    spec = load_platform()
    # the model's tight-loop round trip: entry + exit less their overlap (56 ns at 2.3 GHz)
    model = spec.syscall_entry_cycles + spec.syscall_exit_cycles - load_params().platform["entry_exit_overlap_cycles"]
    assert model == pytest.approx(56 * spec.clock_ghz, rel=0.01)
    m = {"method": "python", "how": "x", "loops": 1, "repetitions": 3, "round_trip_ns": 100.0, "min_ns": 90.0,
         "max_ns": 110.0, "iqr_ns": 5.0, "per_repetition_ns": [90.0, 100.0, 110.0]}
    p = hostcal.preset(m)
    assert p["round_trip_cycles"] == pytest.approx(100 * spec.clock_ghz)
    assert p["extra_trap_cycles"] == pytest.approx(max(0.0, 100 * spec.clock_ghz - model))
    assert hostcal.preset({**m, "round_trip_ns": 1.0})["extra_trap_cycles"] == 0.0
    path = hostcal.save(p, tmp_path / "platform" / "host.toml")
    assert hostcal.load(path) == p
    assert hostcal.load(tmp_path / "none.toml") is None


def test_cli_prints_method_and_spread_and_writes_the_preset(tmp_path, capsys):
    assert main(["calibrate-host", "--loops", "2000", "--repetitions", "3", "--method", "python",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "round trip" in out and "method: python" in out and "min" in out and "IQR" in out
    assert (tmp_path / "platform" / "host.toml").is_file()


def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys):
    assert main(["calibrate-host", "--loops", "0", "--out", str(tmp_path)]) == 2
    assert "loops" in capsys.readouterr().err
    assert not (tmp_path / "platform").exists()
