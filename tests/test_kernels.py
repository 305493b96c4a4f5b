"""Warm kernels (flexrepro.pipeline.kernels): a forked kernel is a fresh process in everything a
notebook sees, signals reach it, it dies with its stub and with the zygote, and without a
zygote the stub is an ordinary kernel."""
import json
import os
import signal
import sys
import time

import nbformat
import papermill as pm
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from flexrepro.pipeline import kernels
from flexrepro.pipeline.kernel_stub import ENV

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork and PR_SET_PDEATHSIG: Linux")

PROBE = ("import os, sys, random, json\n"
         "print(json.dumps({'pid': os.getpid(), 'ppid': os.getppid(), 'cwd': os.getcwd(), 'path0': sys.path[0],\n"
         "  'env': os.environ.get('FLEXREPRO_TEST_VAR'), 'random': random.random(),\n"
         "  'pgid': os.getpgid(0), 'warm': 'pandas' in sys.modules}))")


def _notebook(path, *cells):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


def _run(tmp_path, *cells, **kw):
    src = _notebook(tmp_path / "in.ipynb", *cells)
    out = tmp_path / "out.ipynb"
    with kernels.private_channels() as channels:
        pm.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False, cwd=str(tmp_path),
                            **channels, **kw)
    return json.loads(out.read_text())


def _probe(nb) -> dict:
    text = nb["cells"][0]["outputs"][0]["text"]
    return json.loads("".join(text) if isinstance(text, list) else text)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:          # a zombie (exited, not yet reaped) is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _start_kernel(channels):
    """jupyter_client.start_new_kernel, over the unix sockets of kernels.private_channels."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3", **channels)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


@pytest.fixture(scope="module")
def zygote():
    with kernels.warm_kernels() as pid:
        assert pid is not None
        yield pid


def test_a_warm_kernel_is_forked_and_sees_its_own_process_state(zygote, tmp_path, monkeypatch):
    monkeypatch.setenv("FLEXREPRO_TEST_VAR", "seen")     # set after the zygote started: the stub's
    a = _probe(_run(tmp_path, PROBE, "import matplotlib.pyplot as plt\nplt.plot([0, 1])"))
    b = _probe(_run(tmp_path, PROBE))
    assert a["ppid"] == b["ppid"] == zygote and a["pid"] != b["pid"]
    assert a["warm"], "the zygote's imports are in the kernel"
    assert a["cwd"] == a["path0"] == str(tmp_path)
    assert a["env"] == "seen"
    assert a["pgid"] == a["pid"], "a kernel leads its own process group (interrupts go there)"
    assert a["random"] != b["random"]


def test_a_warm_kernels_figures_are_shown_inline(zygote, tmp_path):
    nb = _run(tmp_path, "import matplotlib.pyplot as plt\nplt.plot([0, 1]);")
    assert any("image/png" in o.get("data", {}) for o in nb["cells"][0]["outputs"])


FIRST_USE = ("import json, sys, matplotlib, matplotlib.pyplot as plt\n"
             "mods = ['matplotlib.backends.backend_pdf', 'pyarrow.parquet', 'tabulate', 'PIL.Image',\n"
             "        'flexrepro.claims.fig05', 'ipykernel.debugger']\n"
             "print(json.dumps({'loaded': [m for m in mods if m in sys.modules], 'figures': plt.get_fignums(),\n"
             "  'rc': {k: repr(v) for k, v in matplotlib.rcParams.items()}}))")


def test_a_warm_kernel_has_its_first_figure_and_table_loaded_and_pyplot_untouched(zygote, tmp_path, monkeypatch):
    """The zygote's first use (fonts, the PDF writer, pyarrow, tabulate, the claims) is paid
    before the fork, without a pyplot figure or an rcParams value an ordinary kernel lacks."""
    warm = _probe(_run(tmp_path, FIRST_USE))
    monkeypatch.delenv(ENV)                      # the stub execs an ordinary kernel
    plain = _probe(_run(tmp_path, FIRST_USE))
    assert len(warm["loaded"]) == 6 and len(plain["loaded"]) < 6
    assert warm["figures"] == plain["figures"] == []
    assert warm["rc"] == plain["rc"]


def test_the_executed_notebook_names_the_python3_kernel(zygote, tmp_path):
    assert _run(tmp_path, "1")["metadata"]["kernelspec"]["name"] == "python3"


def test_a_timed_out_cell_is_interrupted_through_the_stub(zygote, tmp_path):
    from nbclient.exceptions import CellTimeoutError

    t0 = time.monotonic()
    with pytest.raises(CellTimeoutError):
        _run(tmp_path, "import time\ntime.sleep(60)", execution_timeout=2)
    assert time.monotonic() - t0 < 30


def test_a_kernel_dies_with_its_stub_and_with_the_zygote(tmp_path):
    with kernels.warm_kernels() as z, kernels.private_channels() as channels:
        km, kc = _start_kernel(channels)
        out = []
        kc.execute_interactive("import os; print(os.getpid(), os.getppid())", timeout=60,
                               output_hook=out.append)
        pid, ppid = map(int, next(m["content"]["text"] for m in out if m["msg_type"] == "stream").split())
        assert ppid == z
        stub = km.provisioner.process.pid
        os.kill(stub, signal.SIGKILL)                 # a stub killed without notice
        assert _gone(pid), "the kernel outlived its stub"
        kc.stop_channels()
        km.cleanup_resources()
        km2, kc2 = _start_kernel(channels)
        out = []
        kc2.execute_interactive("import os; print(os.getpid())", timeout=60, output_hook=out.append)
        pid2 = int(next(m["content"]["text"] for m in out if m["msg_type"] == "stream"))
        os.kill(z, signal.SIGKILL)                    # the zygote killed
        assert _gone(pid2), "the kernel outlived the zygote"
        kc2.stop_channels()
        km2.cleanup_resources()


def test_without_a_zygote_the_stub_is_an_ordinary_kernel(tmp_path, monkeypatch):
    root = tmp_path / "spec"
    kernels._kernel_spec(root)
    monkeypatch.setenv("JUPYTER_PATH", str(root))
    monkeypatch.setenv(ENV, str(tmp_path / "no-such.sock"))
    nb = _run(tmp_path, PROBE)
    p = _probe(nb)
    assert p["ppid"] == os.getpid(), "the stub exec'd the kernel: the kernel is the process papermill started"
    assert not p["warm"]


def test_warm_kernels_can_be_switched_off(monkeypatch):
    monkeypatch.setenv(kernels.SWITCH, "0")
    monkeypatch.delenv(ENV, raising=False)
    with kernels.warm_kernels() as pid:
        assert pid is None
        assert ENV not in os.environ


def test_the_block_leaves_the_environment_as_it_was(monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", "/somewhere")
    monkeypatch.delenv(ENV, raising=False)
    with kernels.warm_kernels():
        assert os.environ["JUPYTER_PATH"].endswith("/somewhere")
        assert os.environ[ENV]
    assert os.environ["JUPYTER_PATH"] == "/somewhere" and ENV not in os.environ


def test_the_zygote_runs_without_a_runpy_warning():
    """The zygote is `python -m flexrepro.pipeline.kernels`: had the package imported the module
    already, runpy would print a RuntimeWarning into every reproduce run's output (session 10)."""
    import subprocess
    code = "import sys, flexrepro.pipeline; print('flexrepro.pipeline.kernels' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
