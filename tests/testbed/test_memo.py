"""testbed.memo: a simulation shared across experiments is the simulation itself."""
import pandas as pd

from flexrepro.testbed import memo


def _counted():
    calls = []

    @memo.shared
    def simulate(system, cores, load, seed, **kw):
        calls.append((system, cores, load, seed, kw))
        return {"x": float(len(calls)), "system": system}

    return simulate, calls


def test_without_a_directory_every_call_runs():
    sim, calls = _counted()
    sim("epoll", 1, 64, 0)
    sim("epoll", 1, 64, 0)
    assert len(calls) == 2


def test_the_same_call_runs_once_and_returns_the_first_row(tmp_path):
    sim, calls = _counted()
    with memo.sharing(tmp_path):
        first = sim("epoll", 1, 64, 0, interface="pages")
        again = sim("epoll", 1, 64, 0, interface="pages")
    assert first == again == {"x": 1.0, "system": "epoll"} and len(calls) == 1
    assert again is not first                     # a caller may change its copy


def test_other_arguments_run_apart_even_equal_numbers_of_another_type(tmp_path):
    sim, calls = _counted()
    with memo.sharing(tmp_path):
        sim("epoll", 1, 64, 0)
        sim("epoll", 1, 64.0, 0)
        sim("epoll", 1, 64, 1)
        sim("epoll", 1, 64, 0, interface="queues")
        sim("epoll", True, 64, 0)
    assert len(calls) == 5


def test_an_object_argument_is_never_shared(tmp_path):
    sim, calls = _counted()
    params = object()
    with memo.sharing(tmp_path):
        sim("epoll", 1, 64, 0, params=params)
        sim("epoll", 1, 64, 0, params=params)
    assert len(calls) == 2


def test_a_torn_file_is_run_again_and_an_unwritable_directory_only_loses_the_sharing(tmp_path):
    sim, calls = _counted()
    with memo.sharing(tmp_path):
        sim("epoll", 1, 64, 0)
        (f,) = tmp_path.glob("*.pkl")
        f.write_bytes(f.read_bytes()[:5])
        assert sim("epoll", 1, 64, 0) == {"x": 2.0, "system": "epoll"}
    blocked = tmp_path / "file"
    blocked.write_text("")
    with memo.sharing(blocked / "sub"):               # a directory under a file: cannot be made
        assert sim("flexsc", 1, 64, 0)["x"] == 3.0


def test_figure_6_reads_figure_5s_runs_and_its_rows_are_the_unshared_ones(tmp_path, monkeypatch):
    """One memcached run, 1 core, 768 connections, seed of replicate 0: Figure 6 after Figure 5
    simulates nothing, and both figures' rows equal those computed without sharing."""
    from flexrepro.harness import sweep
    from flexrepro.testbed import memcached

    monkeypatch.setenv("FLEXREPRO_CACHE", str(tmp_path))
    runs = []
    build = memcached.build
    monkeypatch.setattr(memcached, "build", lambda *a, **k: runs.append(a) or build(*a, **k))
    point = dict(system=["epoll"], cores=[1], connections=[768], seeds=1, executor="serial", progress=False)
    fig05 = sweep.run("fig05", quick=True, **point)
    fig06 = sweep.run("fig06", quick=True, **point)
    assert len(runs) == 1
    for exp, shared_rows in (("fig05", fig05), ("fig06", fig06)):
        alone = sweep.run(exp, quick=True, cache=False, **point)
        pd.testing.assert_frame_equal(shared_rows, alone, check_exact=True)
    assert len(runs) == 3


def test_only_experiments_that_declare_it_share_runs(tmp_path):
    """A band's corner runs the figure's call inside a context (band_fits.applied) the call's
    arguments do not show: shared, it would read the figure's row (session 7 saw its bands
    move). So sharing is opt-in: Figures 5-10 declare `shares_runs`, the bands do not."""
    from flexrepro.harness import registry
    from flexrepro.harness.sweep import plan, run_task

    assert {e.id for e in registry.all_experiments() if e.shares_runs} == \
        {"fig05", "fig06", "fig07", "fig08", "fig09", "fig10"}
    corner = next(t for t in plan("bands") if t.config_dict["case"] == "memslap-1c-1|flexsc.mechanism|high")
    run_task(corner, share=tmp_path)
    assert not list(tmp_path.iterdir())
    point = plan("fig05", quick=True, seeds=1, system=["epoll"], cores=[1], connections=[1])[0]
    run_task(point, share=tmp_path)
    assert len(list(tmp_path.glob("*.pkl"))) == 1
