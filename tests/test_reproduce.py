"""reproduce.sh end to end on a few notebooks (its own environment set-up is skipped:
FLEXREPRO_PYTHON points it at this interpreter)."""
import os
import shutil
import subprocess
import sys

import pytest

from flexrepro import paths, reference
from flexrepro.pipeline.notebook import output_dir, save_table

SCRIPT = paths.ROOT / "reproduce.sh"


def sh(*args, tmp_path, timeout=300, env=None):
    env = {**os.environ, "FLEXREPRO_PYTHON": sys.executable,
           "FLEXREPRO_RESULTS": str(tmp_path / "results"), "FLEXREPRO_CACHE": str(tmp_path / "cache"),
           **(env or {})}
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_script_is_executable_bash():
    assert os.access(SCRIPT, os.X_OK)
    assert subprocess.run(["bash", "-n", str(SCRIPT)]).returncode == 0
    assert "set -euo pipefail" in SCRIPT.read_text()


def test_quick_run_writes_notebooks_outputs_summary_and_report(tmp_path):
    # The scorecard notebook runs every experiment; here a ready scorecard stands in for it.
    res = tmp_path / "results"
    card = reference.claims()[["claim_id", "paper_item", "kind", "paper_value", "tolerance"]].assign(
        measured_value=None, ci_low=None, ci_high=None, verdict="not yet run", note="")
    save_table(card, output_dir("scorecard", res), "scorecard")
    r = sh("--quick", "--only", "table3", "table2", tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    for f in ["notebooks/table3.ipynb", "notebooks/table2.ipynb", "notebooks/timings.csv",
              "table3/table3.csv", "table2/table2.csv", "REPORT.md", "appendix.md", "report.html"]:
        assert (res / f).is_file(), f
    assert "| table3 | " in (res / "appendix.md").read_text()         # the timings reached the appendix
    assert "calibration 0/13" in r.stdout                              # the pipeline prints the headline
    lines = r.stdout.splitlines()
    assert any(line.startswith("[ 1/2] table3") and line.endswith("s  ok") for line in lines)
    assert any(line.startswith("total") for line in lines)
    assert f"results: {res}" in r.stdout


def test_failing_notebook_exits_nonzero_naming_it(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = new_code_cell('quick = False\nseeds = None\nexecutor = "process"\nout_dir = None')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, new_code_cell("1 / 0")]
    nbformat.write(nb, tmp_path / "broken.ipynb")
    r = sh("--only", str(tmp_path / "broken.ipynb"), tmp_path=tmp_path)
    assert r.returncode == 1
    executed = tmp_path / "results" / "notebooks" / "broken.ipynb"
    assert "notebook 'broken' failed: ZeroDivisionError" in r.stderr and str(executed) in r.stderr
    assert executed.is_file()


@pytest.mark.parametrize("args, message", [
    (["variant", "table3", "-p", "bogus", "1"], "unknown parameter 'bogus' for notebook table3"),
    (["variant", "table3", "-p", "quick", "maybe"], "parameter 'quick' of notebook table3: got 'maybe'"),
    (["frobnicate"], "unknown command 'frobnicate'"),
])
def test_bad_commands_fail_with_a_clear_message(tmp_path, args, message):
    r = sh(*args, tmp_path=tmp_path)
    assert r.returncode == 2 and message in r.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("args, env, message", [
    (["--out", "{tmp}/afile"], {}, "parameter '--out': {tmp}/afile is a file"),
    (["--out", "{tmp}/afile/results"], {}, "is under the file {tmp}/afile"),
    (["--out", "/proc/flexrepro"], {}, "parameter '--out': cannot write in /proc"),
    (["--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"], {}, "cannot connect to tcp://127.0.0.1:9 within 10 s"),
    (["--scheduler", "tcp://127.0.0.1:9"], {}, "given with --executor process; allowed: only with --executor dask"),
    ([], {"FLEXREPRO_CACHE": "{tmp}/afile"}, "parameter 'FLEXREPRO_CACHE': {tmp}/afile is a file"),
    (["--seeds", "0"], {}, "parameter 'seeds'"),
    (["--only", "nope"], {}, "notebook 'nope' not found"),
    (["--frobnicate"], {}, "unrecognized arguments: --frobnicate"),
    (["variant", "table3", "-p", "quick", "True", "-p", "quick", "False"], {}, "parameter '-p': 'quick' given twice"),
    (["variant", "table3", "--out", "{tmp}/afile"], {}, "parameter '--out': {tmp}/afile is a file"),
])
def test_bad_input_is_one_line_exit_2_before_any_work(tmp_path, args, env, message):
    import time

    (tmp_path / "afile").write_text("keep")
    fill = lambda s: s.replace("{tmp}", str(tmp_path))   # noqa: E731
    t0 = time.monotonic()
    r = sh(*[fill(a) for a in args], tmp_path=tmp_path, env={k: fill(v) for k, v in env.items()}, timeout=60)
    assert time.monotonic() - t0 < 15
    assert r.returncode == 2, r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert fill(message) in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]     # no results/, no cache/
    assert r.stdout == ""


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium absent: the test command would install it")
def test_no_tests_collected_is_an_error(tmp_path):
    r = sh("test", str(paths.ROOT / "tests" / "test_reproduce.py"), "-k", "no_such_test_anywhere",
           "-n", "0", "-p", "no:cacheprovider", tmp_path=tmp_path)
    assert r.returncode == 5 and "collected no tests" in r.stderr


def test_kill_9_of_reproduce_sh_leaves_no_workers(tmp_path):
    """The notebook kernel and its process-pool workers die with ./reproduce.sh, even on SIGKILL
    (nothing of ours runs then): the kernel polls its parent, the workers get PR_SET_PDEATHSIG."""
    import signal
    import time

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = new_code_cell('quick = False\nseeds = None\nexecutor = "process"\nout_dir = None')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, new_code_cell(
        "import os, time\nfrom flexrepro.harness.sweep import process_pool\npool = process_pool(2)\n"
        "futures = [pool.submit(time.sleep, 300) for _ in range(2)]\ntime.sleep(1)\n"
        "pids = os.path.join(out_dir, 'pids')\n"
        "open(pids + '.tmp', 'w').write(' '.join(map(str, [os.getpid(), *pool._processes])))\n"
        "os.rename(pids + '.tmp', pids)\ntime.sleep(300)")]
    nbformat.write(nb, tmp_path / "hold.ipynb")
    env = {**os.environ, "FLEXREPRO_PYTHON": sys.executable,
           "FLEXREPRO_RESULTS": str(tmp_path / "results"), "FLEXREPRO_CACHE": str(tmp_path / "cache")}
    proc = subprocess.Popen([str(SCRIPT), "--only", str(tmp_path / "hold.ipynb"), "--no-report"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    pids_file = tmp_path / "results" / "pids"
    try:
        deadline = time.monotonic() + 120
        while not pids_file.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
        assert pids_file.exists(), "the notebook never started its pool"
        pids = [int(p) for p in pids_file.read_text().split()]
        assert len(pids) == 3                                     # the kernel and two workers
        assert {os.getpgid(p) for p in pids} == {pids[0]}         # the kernel's group: kill -- -PGID stops it all
        proc.send_signal(signal.SIGKILL)
        proc.wait()

        def alive(pid):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    return f.read().split(")")[-1].split()[0] != "Z"
            except FileNotFoundError:
                return False

        deadline = time.monotonic() + 15
        while any(map(alive, pids)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not [p for p in pids if alive(p)], "orphaned after kill -9"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_help_lists_every_option_of_the_pipeline():
    from flexrepro.cli import build_parser

    text = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True).stdout
    subs = next(a for a in build_parser()._actions if a.dest == "command").choices
    flags = {f for name in ("reproduce", "variant") for a in subs[name]._actions for f in a.option_strings
             if f.startswith("--")}
    flags -= {"--help", "--parameter"}          # variant's -p is shown as -p NAME VALUE
    assert flags and all(f in text for f in flags), flags - {f for f in flags if f in text}
    assert "-p NAME VALUE" in text
