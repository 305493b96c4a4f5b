"""Executors give identical rows; an interrupted sweep resumes without recomputing."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

import flexrepro
from flexrepro.harness import sweep

POINTS = {"arrival_rate": [0.3, 0.5], "customers": 2000}


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as c:
        yield c
    sweep.close_dask_clients()


def run(executor, **kw):
    return flexrepro.run("engine_mm1", quick=True, seeds=3, executor=executor, progress=False,
                         cache=False, **POINTS, **kw)


def test_serial_process_dask_identical(cluster, monkeypatch):
    serial = run("serial")
    assert len(serial) == 6 and serial.attrs["computed"] == 6
    for df in (run("process"), run("dask", dask_scheduler=cluster.scheduler_address)):
        pd.testing.assert_frame_equal(serial, df, check_exact=True)
    monkeypatch.setenv(sweep.SCHEDULER_ENV, cluster.scheduler_address)   # how notebooks find it
    pd.testing.assert_frame_equal(serial, run("dask"), check_exact=True)
    assert "wall_time_s" in serial.attrs and "wall_time_s" not in serial.columns


def test_dask_without_address_starts_a_local_cluster(monkeypatch):
    monkeypatch.delenv(sweep.SCHEDULER_ENV, raising=False)
    try:
        df = run("dask")
        assert sweep.dask_client().cluster is not None
    finally:
        sweep.close_dask_clients()
    pd.testing.assert_frame_equal(run("serial"), df, check_exact=True)


def test_unknown_executor_fails_before_work():
    with pytest.raises(flexrepro.ConfigError, match="parameter 'executor'.*serial, process, dask"):
        flexrepro.run("engine_mm1", quick=True, executor="threads", cache=False)


TOY = textwrap.dedent('''
    """A slow toy experiment that logs every point it computes."""
    import os, time
    from flexrepro.harness.config import Param, ParamSet
    from flexrepro.harness.registry import Experiment, register
    from flexrepro.harness.seeds import rng

    def run_point(config, seed):
        with open(os.environ["TOY_LOG"], "a") as f:
            f.write(f"{os.environ['TOY_RUN']} {config['x']} {seed}\\n")
        time.sleep(float(os.environ["TOY_SLEEP"]))
        return {"y": float(rng(seed).normal()) + config["x"]}

    register(Experiment(id="toy_slow", title="toy", paper_item="(test)",
                        params=ParamSet((Param("x", int, 0, low=0),)), run_point=run_point,
                        grid={"x": list(range(6))}, seeds=2))
''')

DRIVER = textwrap.dedent('''
    import sys, toyexp, flexrepro, pandas as pd
    from flexrepro.harness.cache import model_version
    print("model", model_version(), flush=True)
    df = flexrepro.run("toy_slow", executor="serial", progress=False)
    if sys.argv[1] == "check":
        import os; os.environ["TOY_RUN"] = "ref"
        ref = flexrepro.run("toy_slow", executor="serial", progress=False, cache=False)
        pd.testing.assert_frame_equal(df, ref, check_exact=True)
        print("computed", df.attrs["computed"], "cached", df.attrs["cached"])
''')


def test_killed_sweep_resumes_without_recomputing(tmp_path):
    (tmp_path / "toyexp.py").write_text(TOY)
    (tmp_path / "driver.py").write_text(DRIVER)
    log, cache = tmp_path / "computed.log", tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "FLEXREPRO_CACHE": str(cache),
           "TOY_LOG": str(log), "TOY_RUN": "first", "TOY_SLEEP": "0.25"}
    first = subprocess.Popen([sys.executable, str(tmp_path / "driver.py"), "run"], env=env,
                             stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(list(cache.rglob("*.parquet"))) < 3:
        assert first.poll() is None, "the sweep finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    version = first.communicate()[0].split()[1]
    finished = len(list(cache.rglob("*.parquet")))
    assert 3 <= finished < 12

    env.update(TOY_RUN="second", TOY_SLEEP="0")
    out = subprocess.run([sys.executable, str(tmp_path / "driver.py"), "check"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    if f"model {version}" not in out.stdout:
        pytest.skip("the package source changed while the test ran (a new model version)")
    assert f"computed {12 - finished} cached {finished}" in out.stdout
    runs = [line.split() for line in log.read_text().splitlines()]
    first_points = [tuple(r[1:]) for r in runs if r[0] == "first"]
    second_points = {tuple(r[1:]) for r in runs if r[0] == "second"}
    all_points = {tuple(r[1:]) for r in runs if r[0] == "ref"}
    assert len(all_points) == 12
    # serial order: the first `finished` points logged are the cached ones; none ran again
    assert second_points == all_points - set(first_points[:finished])
