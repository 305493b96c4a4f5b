"""Mode-switch ablation: costlier traps hurt epoll (a trap per call) more than FlexSC (one per batch)."""
import pytest

import flexrepro
from flexrepro.errors import ConfigError
from flexrepro.experiments.ablation_mode_switch import isolated_spec, run_nginx, run_point
from flexrepro.platform import load_platform


def test_extra_cycles_land_on_every_trap_round_trip():
    base, spec = load_platform(), isolated_spec(500)
    assert (spec.syscall_entry_cycles + spec.syscall_exit_cycles
            == base.syscall_entry_cycles + base.syscall_exit_cycles + 500)
    assert spec.structures == base.structures and spec.clock_ghz == base.clock_ghz


def test_gain_grows_with_trap_cost():
    df = flexrepro.run("ablation_mode_switch", executor="serial", progress=False, cache=False, seeds=1,
                       extra_trap_cycles=[0, 1000, 2000], connections=256)
    wide = df.pivot_table(index="extra_trap_cycles", columns="system", values="throughput_rps")
    gain = (wide["flexsc"] / wide["epoll"] - 1).tolist()
    assert gain[0] > 0 and all(b >= a for a, b in zip(gain, gain[1:])), gain
    assert gain[-1] > gain[0] + 0.05        # 2,000 cycles on ~2 traps per request must show
    epoll = df[df.system == "epoll"].sort_values("extra_trap_cycles")
    assert epoll.throughput_rps.is_monotonic_decreasing
    assert (df.client_utilisation < 1).all()


def test_bad_input_names_the_parameter():
    for kw, name in (({"extra_trap_cycles": -1}, "extra_trap_cycles"), ({"cores": 0}, "cores"),
                     ({"system": "io_uring"}, "system"), ({"connections": 0}, "connections")):
        with pytest.raises(ConfigError, match=name):
            flexrepro.run("ablation_mode_switch", quick=True, executor="serial", **kw)


def test_deterministic():
    cfg = {"system": "flexsc", "extra_trap_cycles": 500.0, "cores": 1, "connections": 16}
    assert run_point(cfg, 7) == run_point(cfg, 7)


def test_nginx_pays_per_trap_too():
    cfg = {"system": "epoll", "cores": 1, "concurrency": 64}
    cheap, dear = run_nginx({**cfg, "extra_trap_cycles": 0.0}, 1), run_nginx({**cfg, "extra_trap_cycles": 2000.0}, 1)
    assert dear["throughput_rps"] < cheap["throughput_rps"] and dear["trap_cycles"] == cheap["trap_cycles"] + 2000
    assert cheap["traps_per_request"] > 5           # nginx traps on every one of its ~12 calls per request
