"""The sweep: grid expansion, overrides, seeds, and identical rows on every executor."""
import pandas as pd
import pytest

import flexrepro
from flexrepro.harness import registry
from flexrepro.errors import ConfigError, UnknownExperiment
from flexrepro.harness.seeds import replicate_seeds
from flexrepro.harness.sweep import plan

SMALL = dict(customers=2000)


def test_serial_and_process_give_identical_frames():
    a = flexrepro.run("engine_mm1", seeds=3, executor="serial", progress=False, arrival_rate=[0.3, 0.6], **SMALL)
    b = flexrepro.run("engine_mm1", seeds=3, executor="process", progress=False, arrival_rate=[0.3, 0.6], **SMALL)
    assert len(a) == 6
    pd.testing.assert_frame_equal(a, b)
    assert "wall_time_s" in a.attrs and "wall_time_s" not in a.columns


def test_same_seed_same_rows_and_seeds_differ_between_replicates():
    a = flexrepro.run("engine_mm1", seeds=2, executor="serial", progress=False, **SMALL)
    b = flexrepro.run("engine_mm1", seeds=2, executor="serial", progress=False, **SMALL)
    pd.testing.assert_frame_equal(a, b)
    assert a.seed.nunique() == 2 and a.mean_response.nunique() > 1


def test_seeds_come_from_one_root_and_are_prefix_stable():
    assert replicate_seeds(5)[:3] == replicate_seeds(3)
    assert replicate_seeds(3, root=1) != replicate_seeds(3)


def test_overrides_scalar_fixes_list_sets_axis():
    tasks = plan("engine_mm1", seeds=1, arrival_rate=0.4)
    assert [t.config_dict["arrival_rate"] for t in tasks] == [0.4]
    tasks = plan("engine_mm1", seeds=2, arrival_rate=["0.1", "0.2"])
    assert sorted({t.config_dict["arrival_rate"] for t in tasks}) == [0.1, 0.2]
    assert len(tasks) == 4


def test_quick_grid_and_defaults():
    exp = registry.get("engine_mm1")
    assert len(plan("engine_mm1", quick=True)) == len(exp.quick_grid["arrival_rate"]) * exp.quick_seeds
    assert len(plan("engine_mm1")) == len(exp.grid["arrival_rate"]) * exp.seeds


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(customers=0), "parameter 'customers'"),
    (dict(nope=1), "unknown parameter 'nope'"),
    (dict(arrival_rate=[]), "parameter 'arrival_rate': empty list"),
    (dict(arrival_rate=2.0), "parameter 'arrival_rate': must be below"),
    (dict(seeds=0), "parameter 'seeds'"),
])
def test_bad_overrides_fail_before_running(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment):
        plan("engine_mm1", **kwargs)


def test_unknown_experiment_lists_known_ids():
    with pytest.raises(UnknownExperiment, match="unknown experiment 'fig99'; allowed: .*engine_mm1"):
        flexrepro.run("fig99")


def test_bad_executor():
    with pytest.raises(ConfigError, match="parameter 'executor'"):
        flexrepro.run("engine_mm1", seeds=1, executor="threads", **SMALL)
