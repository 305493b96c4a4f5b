"""The pipeline's shared pool computes exactly the points the notebooks then ask for."""
import pytest

from flexrepro import pipeline
from flexrepro.harness import registry
from flexrepro.pipeline import precompute
from flexrepro.harness.sweep import Task, plan


@pytest.mark.parametrize("quick", [True, False])
def test_every_run_call_of_every_notebook_is_planned(quick):
    """No notebook is left computing its own points: each `flexrepro.run` call is read."""
    params = {"quick": quick, "executor": "process", "out_dir": "/tmp/x"}
    for nb in pipeline.notebook_order():
        calls = precompute.notebook_calls(nb, params)
        assert not calls.unplanned, (nb.stem, calls.unplanned)
        for exp_id, kw in calls.calls:
            registry.get(exp_id)                      # a registered experiment
            assert kw.get("quick") == quick, (nb.stem, exp_id, kw)


def test_calls_carry_the_notebooks_own_parameters():
    nb = pipeline.resolve_notebook("ablation_cores")
    calls = dict(precompute.notebook_calls(nb, {"quick": True, "seeds": 3}).calls)
    assert calls["ablation_cores"]["seeds"] == 3 and "seeds" not in calls["ablation_cores_nginx"]
    assert calls["ablation_cores"]["client_scale"] == precompute.notebook_parameters(nb, {})["client_scale"]


def test_planned_keys_are_the_keys_the_notebook_run_asks_for():
    calls = [("fig09", {"quick": True, "seeds": None}), ("fig09", {"quick": True})]
    tasks = precompute.plan_tasks(calls)
    assert [t.key for t in tasks] == [t.key for t in plan("fig09", quick=True)]   # duplicates once


def test_longest_first_uses_last_times_then_the_experiments_longest():
    ts = [Task("e", (("x", i),), 0, 0) for i in range(3)] + [Task("new", (("x", 0),), 0, 0)]
    secs = {precompute._cost_key(ts[0]): 1.0, precompute._cost_key(ts[1]): 5.0}
    order = precompute.longest_first(ts, secs)
    assert [t.experiment_id for t in order][0] == "new"                 # never timed: first
    assert order[1:] == [ts[1], ts[2], ts[0]]                           # ts[2] counts as e's longest (5 s)


def test_precompute_fills_the_cache_the_sweep_reads(tmp_path, monkeypatch):
    monkeypatch.setenv("FLEXREPRO_CACHE", str(tmp_path / "cache"))
    import flexrepro

    tasks = precompute.plan_tasks([("fig02", {"quick": True})])
    assert precompute.precompute(tasks, executor="serial", progress=False) == (len(tasks), 0)
    assert precompute.precompute(tasks, executor="serial", progress=False) == (0, len(tasks))
    df = flexrepro.run("fig02", quick=True, executor="serial", progress=False)
    assert df.attrs["computed"] == 0 and df.attrs["cached"] == len(tasks)
    fresh = flexrepro.run("fig02", quick=True, executor="serial", progress=False, cache=False)
    import pandas as pd
    pd.testing.assert_frame_equal(df, fresh, check_exact=True)
    assert (tmp_path / "cache" / precompute.SECONDS_FILE).is_file()
