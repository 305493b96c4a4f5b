"""The notebook pipeline: order, parameter checks before any work, failures that name the notebook."""
import json
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from flexrepro import ConfigError, paths, pipeline

PARAMS = '''quick = False
seeds = None
executor = "process"
out_dir = None
rate = 0.5
label = "x"
n = 3
flag = True
cores = [1, 2]
'''


def write_nb(path, body="print('hello')", params=PARAMS):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, new_code_cell(body)]
    nbformat.write(nb, path)
    return path


def test_calibration_first_scorecard_last(tmp_path):
    for name in ["zeta", "scorecard", "alpha", "calibration", "fig05"]:
        write_nb(tmp_path / f"{name}.ipynb")
    assert [p.stem for p in pipeline.notebook_order(tmp_path)] == \
        ["calibration", "alpha", "fig05", "zeta", "scorecard"]


def test_good_parameters_are_typed(tmp_path):
    nb = write_nb(tmp_path / "p.ipynb")
    got = pipeline.check_parameters(nb, [("quick", "True"), ("seeds", "3"), ("executor", "dask"),
                                         ("rate", "1"), ("label", "5"), ("n", "7"), ("flag", "False"),
                                         ("cores", "[1, 2, 4]"), ("out_dir", "/tmp/x")])
    assert got == {"quick": True, "seeds": 3, "executor": "dask", "rate": 1.0, "label": "5", "n": 7,
                   "flag": False, "cores": [1, 2, 4], "out_dir": "/tmp/x"}
    assert type(got["rate"]) is float


@pytest.mark.parametrize("name, value, message", [
    ("bogus", "1", "unknown parameter 'bogus' for notebook p; allowed: quick, seeds, executor"),
    ("quick", "yes", "parameter 'quick' of notebook p: got 'yes'; allowed: a boolean"),
    ("quick", "1", "parameter 'quick'.*a boolean"),
    ("seeds", "two", "parameter 'seeds'.*an integer or None"),
    ("seeds", "0", "parameter 'seeds': got 0; allowed: an integer >= 1"),
    ("executor", "threads", "parameter 'executor': got 'threads'; allowed: one of serial, process, dask"),
    ("rate", "fast", "parameter 'rate'.*a number or an integer"),
    ("n", "1.5", "parameter 'n'.*an integer"),
    ("flag", "0", "parameter 'flag'.*a boolean"),
    ("cores", "4", "parameter 'cores'.*a list"),
])
def test_bad_parameters_fail_before_any_work(tmp_path, monkeypatch, name, value, message):
    nb = write_nb(tmp_path / "p.ipynb")

    def no_work(*a, **k):
        raise AssertionError("papermill started although a parameter was bad")

    monkeypatch.setattr(papermill, "execute_notebook", no_work)
    with pytest.raises(ConfigError, match=message):
        pipeline.variant(str(nb), [(name, value)], out=tmp_path / "variants")
    assert not (tmp_path / "variants").exists()


def test_kernels_import_this_checkout_whatever_else_is_on_the_path(tmp_path, monkeypatch):
    # another flexrepro first on PYTHONPATH (as another checkout installed in FLEXREPRO_PYTHON's env)
    decoy = tmp_path / "other" / "flexrepro"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("")
    monkeypatch.setenv("PYTHONPATH", str(decoy.parent))
    where = tmp_path / "where.txt"
    nb = write_nb(tmp_path / "where.ipynb",
                  body="import flexrepro, pathlib\npathlib.Path(out_dir).write_text(flexrepro.__file__)")
    pipeline.execute_notebook(nb, tmp_path / "executed" / "where.ipynb", {"out_dir": str(where)})
    assert Path(where.read_text()).resolve().parent == paths.ROOT / "flexrepro"


def test_unknown_notebook_lists_the_known_ones():
    with pytest.raises(ConfigError, match="notebook 'nope' not found; allowed: .*table3"):
        pipeline.resolve_notebook("nope")


def test_a_failing_notebook_stops_the_run_and_names_the_executed_copy(tmp_path, capsys):
    ok = write_nb(tmp_path / "good.ipynb")
    bad = write_nb(tmp_path / "broken.ipynb", body="raise ValueError('boom at step 3')")
    never = write_nb(tmp_path / "later.ipynb")
    out = tmp_path / "results"
    with pytest.raises(pipeline.NotebookFailed) as e:
        pipeline.reproduce(out, quick=True, only=[str(ok), str(bad), str(never)], report=False, jobs=1)
    executed = out / "notebooks" / "broken.ipynb"
    assert "notebook 'broken' failed: ValueError: boom at step 3" in str(e.value)
    assert str(executed) in str(e.value)
    assert "boom at step 3" in executed.read_text()                 # the saved error
    assert not (out / "notebooks" / "later.ipynb").exists()         # the run stopped
    timings = pd.read_csv(out / "notebooks" / "timings.csv")
    assert list(timings.notebook) == ["good", "broken"] and list(timings.status) == ["ok", "FAILED"]
    printed = capsys.readouterr().out
    assert "good" in printed and "FAILED" in printed and "total" in printed


def test_a_hung_cell_fails_the_run_at_the_cell_timeout_naming_the_notebook(tmp_path, monkeypatch):
    """A cell past CELL_TIMEOUT_S (a kernel that never answers: nbclient #312) is interrupted and
    the run stops with the notebook named, instead of waiting for ever."""
    monkeypatch.setattr(pipeline, "CELL_TIMEOUT_S", 2.0)
    hung = write_nb(tmp_path / "hung.ipynb", body="import time; time.sleep(60)")
    t0 = time.monotonic()
    with pytest.raises(pipeline.NotebookFailed) as e:
        pipeline.reproduce(tmp_path / "results", quick=True, only=[str(hung)], report=False, jobs=1)
    assert "notebook 'hung' failed" in str(e.value) and "Timeout" in str(e.value)
    assert time.monotonic() - t0 < 45


def test_a_kernel_talks_over_unix_sockets_that_are_gone_afterwards(tmp_path):
    """No TCP ports for a kernel: picked by the client and bound seconds later by the kernel,
    one taken in between killed a kernel at start in CI (kernels.private_channels)."""
    seen = tmp_path / "seen.txt"
    nb = write_nb(tmp_path / "ipc.ipynb",
                  body="import pathlib\nfrom ipykernel.kernelapp import IPKernelApp\n"
                       "app = IPKernelApp.instance()\n"
                       "pathlib.Path(out_dir).write_text(f'{app.transport} {app.ip}')")
    pipeline.execute_notebook(nb, tmp_path / "executed" / "ipc.ipynb", {"out_dir": str(seen)})
    transport, ip = seen.read_text().split()
    assert transport == "ipc"
    assert not Path(ip).parent.exists(), "the socket directory is removed with the kernel"


def test_a_kernel_that_dies_at_start_fails_with_the_end_of_its_log(tmp_path, monkeypatch):
    """A kernel that exits before its first reply says why only on its stderr: the error
    quotes the end of the kernel log."""
    spec = tmp_path / "jupyter" / "kernels" / "dies"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-c", "import sys; sys.exit('no kernel today: port taken')", "{connection_file}"],
        "display_name": "dies", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setattr(pipeline, "KERNEL", "dies")
    nb = write_nb(tmp_path / "nb.ipynb")
    with pytest.raises(pipeline.NotebookFailed) as e:
        pipeline.execute_notebook(nb, tmp_path / "executed" / "nb.ipynb", {})
    assert "Kernel died before replying to kernel_info" in str(e.value)
    assert "| no kernel today: port taken" in str(e.value)


def test_variant_writes_into_variants_with_its_parameters(tmp_path):
    nb = write_nb(tmp_path / "p.ipynb", body="import pathlib; pathlib.Path(out_dir).mkdir(parents=True); "
                                            "pathlib.Path(out_dir, 'n.txt').write_text(str(n * rate))")
    executed = pipeline.variant(str(nb), [("n", "4"), ("rate", "0.25")], out=tmp_path / "variants")
    assert executed == tmp_path / "variants" / "p-n=4-rate=0.25.ipynb" and executed.is_file()
    assert (tmp_path / "variants" / "p-n=4-rate=0.25" / "n.txt").read_text() == "1.0"


def test_unchanged_notebooks_are_reused_until_an_input_or_output_changes(tmp_path):
    nb = write_nb(tmp_path / "w.ipynb", body="import pathlib; d = pathlib.Path(out_dir, 'w'); "
                                             "d.mkdir(parents=True, exist_ok=True); (d / 'v.txt').write_text('1')")
    out = tmp_path / "results"

    def status(**kw):
        return [t.status for t in pipeline.reproduce(out, quick=True, only=[str(nb)], report=False, **kw)]

    assert status() == ["ok"]
    assert status() == ["reused"]
    (out / "w" / "v.txt").write_text("tampered")                     # an output changed
    assert status() == ["ok"] and (out / "w" / "v.txt").read_text() == "1"
    assert status(force=True) == ["ok"]
    assert [t.status for t in pipeline.reproduce(out, quick=False, only=[str(nb)], report=False)] == ["ok"]


def test_notebooks_two_at_a_time_stop_at_a_failure_and_keep_each_stamp(tmp_path):
    body = "import pathlib; d = pathlib.Path(out_dir, '{0}'); d.mkdir(parents=True, exist_ok=True); (d / 'v.txt').write_text('1')"
    a, b = write_nb(tmp_path / "a.ipynb", body=body.format("a")), write_nb(tmp_path / "b.ipynb", body=body.format("b"))
    out = tmp_path / "results"
    assert sorted(t.status for t in pipeline.reproduce(out, quick=True, only=[str(a), str(b)], report=False,
                                                         jobs=2)) == ["ok", "ok"]
    assert [t.status for t in pipeline.reproduce(out, quick=True, only=[str(a), str(b)], report=False,
                                                   jobs=2)] == ["reused", "reused"]
    bad = write_nb(tmp_path / "broken.ipynb", body="raise ValueError('boom in a slot')")
    with pytest.raises(pipeline.NotebookFailed, match="notebook 'broken' failed: ValueError: boom in a slot"):
        pipeline.reproduce(out, quick=True, only=[str(bad), str(a)], report=False, jobs=2, force=True)
    timings = pd.read_csv(out / "notebooks" / "timings.csv")
    assert "FAILED" in set(timings.status)


def test_bad_jobs_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="parameter 'jobs': got 0; allowed: an integer >= 1"):
        pipeline.reproduce(tmp_path / "r", only=[str(write_nb(tmp_path / "a.ipynb"))], jobs=0)


def test_a_neighbours_atomic_write_in_flight_is_not_an_output(tmp_path):
    """Two notebooks run at a time: the listing taken when one finishes can meet the other's
    temporary file, which is renamed before the stamp is written (a crash seen in a quick run)."""
    (tmp_path / "fig05").mkdir()
    (tmp_path / "fig05" / "fig05.csv").write_text("a\n1\n")
    (tmp_path / "fig05" / ".fig05.md.kq011_la.tmp").write_text("half")
    listed = pipeline._listing(tmp_path)
    assert list(listed) == ["fig05/fig05.csv"]
    stamp = tmp_path / "notebooks" / "fig05.stamp.json"
    stamp.parent.mkdir()
    pipeline._write_stamp(stamp, "k", tmp_path, ["fig05/fig05.csv", "fig05/gone.md"], 1.0)
    import json
    assert list(json.loads(stamp.read_text())["outputs"]) == ["fig05/fig05.csv"]


def test_notebooks_start_longest_first_by_last_time_else_by_points_read():
    from flexrepro.pipeline import longest_first

    reads = {"identifiability": 1000, "fig05": 360, "table3": 1, "live_check": 0}
    # a fresh clone: nothing timed, the notebook reading most points first
    assert longest_first(list(reads), {}, reads) == ["identifiability", "fig05", "table3", "live_check"]
    # timed before: the last times rank them (live_check runs real servers and reads no point)
    secs = {"identifiability": 45.0, "fig05": 11.0, "table3": 3.0, "live_check": 25.0}
    assert longest_first(list(reads), secs, reads) == ["identifiability", "live_check", "fig05", "table3"]


def test_a_notebook_that_reads_no_point_runs_beside_the_sweep(tmp_path, monkeypatch):
    """Two slots: a notebook that reads no sweep point (the live check) need not wait for the
    pool; it runs while the points compute (the sweep here waits for its output)."""
    import time

    out = tmp_path / "results"
    done = out / "free" / "v.txt"
    free = write_nb(tmp_path / "free.ipynb", body="import pathlib; d = pathlib.Path(out_dir, 'free'); "
                    "d.mkdir(parents=True, exist_ok=True); (d / 'v.txt').write_text('1')")
    reader = write_nb(tmp_path / "reader.ipynb", body="import flexrepro\nif False:\n    flexrepro.run('table2', quick=quick)")
    seen = []

    def sweep(tasks, executor, scheduler):
        deadline = time.monotonic() + 120
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        seen.append((len(tasks), done.exists()))

    monkeypatch.setattr(pipeline, "_precompute", sweep)
    timings = pipeline.reproduce(out, quick=True, only=[str(reader), str(free)], report=False, jobs=2)
    assert seen == [(1, True)]
    assert sorted(t.status for t in timings) == ["ok", "ok"]
