"""Warm notebook kernels: forked from one process that has imported the notebooks' libraries.

A notebook kernel spends ~3 CPU-seconds before its first line runs: IPython, pandas,
matplotlib, seaborn, scipy, numba and the experiment registry. Across the 28 notebooks of a
run that is ~85 CPU-seconds, a third of a `--quick` run on two cores. So the pipeline starts
one *zygote* that imports all of it once and forks a kernel for each notebook (the way
Android starts apps, or multiprocessing's forkserver starts workers):

    warm_kernels()         the zygote, and a kernel spec named python3 (so executed notebooks
                           keep their metadata) whose command is kernel_stub.py;
    kernel_stub.py         what the kernel manager starts: it hands the zygote its arguments,
                           directory, environment and standard streams, passes signals on and
                           exits with the kernel's status;
    serve()                the zygote: one fork per request; the child is an ordinary
                           IPKernelApp in a process group of its own.

A forked kernel is a fresh process in every way a notebook can see (its own pid, directory,
environment, streams, random state) except that its modules are already imported: nothing
is cached in them at import that the notebooks could change (the registry, the reference
tables). Kernels die with the zygote, the zygote with its parent, and a kernel whose stub is
killed is killed too. Linux only (fork, PR_SET_PDEATHSIG); elsewhere, or with
FLEXREPRO_WARM_KERNELS=0, the notebooks get ordinary kernels.
"""
from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..harness.sweep import die_with_parent
from .kernel_stub import ENV as SOCKET_ENV

SWITCH = "FLEXREPRO_WARM_KERNELS"
STUB = Path(__file__).with_name("kernel_stub.py")
# what ipykernel would set at start; set before matplotlib is imported so that the warm
# import reads the same backend a fresh kernel does (it is resolved only at the first figure)
INLINE = "module://matplotlib_inline.backend_inline"
READY_TIMEOUT_S = 60.0


def preload() -> None:
    """What every notebook imports, imported once in the zygote, and what a notebook's first
    figure and table would otherwise load in every kernel."""
    os.environ.setdefault("MPLBACKEND", INLINE)
    # debugpy (imported by every kernel's IPKernelApp, ~0.2 s) warns at import about frozen
    # modules; the zygote's stderr is the pipeline's terminal
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    import ipykernel.debugger  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401  (and IPython)
    import matplotlib.pyplot  # noqa: F401
    import pandas  # noqa: F401
    import seaborn  # noqa: F401  (and scipy.stats)

    from ..harness import registry
    from ..platform.occupancy import compile_ahead
    from .. import scorecard
    from . import notebook  # noqa: F401

    registry.load_all()
    scorecard.checks()                   # the claims' modules
    _first_use()
    compile_ahead()


def _first_use() -> None:
    """A figure saved as PNG and PDF and a table written as CSV, Markdown and Parquet, into
    memory: the font files, the PDF writer (fontTools), PIL, tabulate and pyarrow are loaded
    here once instead of in each kernel (~0.5 CPU-s a notebook). Nothing global changes: the
    figure is not pyplot's, rcParams are untouched."""
    import io

    import pandas as pd
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label="line")
    ax.bar([0.5], [0.5])
    ax.set(title="title", xlabel="x", ylabel="y")
    ax.legend()
    for fmt in ("png", "pdf"):
        fig.savefig(io.BytesIO(), format=fmt, bbox_inches="tight")
    df = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    df.to_csv(io.StringIO())
    df.to_markdown()
    buf = io.BytesIO()
    df.to_parquet(buf)
    pd.read_parquet(io.BytesIO(buf.getvalue()))


def _child(request: dict, fds: list[int], closing: list[socket.socket]) -> None:
    """In the forked child: become the kernel the request describes; never returns."""
    code = 1
    try:
        for s in closing:
            s.close()
        os.setpgid(0, 0)                 # interrupts go to the kernel's own group (ipykernel killpg)
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        die_with_parent(os.getppid())    # the zygote
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        os.chdir(request["cwd"])
        sys.path[0] = request["cwd"]     # as `python -m ipykernel_launcher` started there has it
        os.environ.clear()
        os.environ.update(request["env"])
        import random

        import numpy as np

        random.seed()                    # fresh entropy, as a new process would have
        np.random.seed()
        argv = list(request["argv"])
        if os.environ.get("JPY_PARENT_PID"):   # read when ipykernel was imported, in the zygote
            argv.append(f"--IPKernelApp.parent_handle={int(os.environ['JPY_PARENT_PID'])}")
        sys.argv = ["ipykernel_launcher", *argv]
        from ipykernel.kernelapp import launch_new_instance

        launch_new_instance()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(path: str) -> None:
    """The zygote: listen on the unix socket `path`, import, then fork a kernel per request."""
    die_with_parent(os.getppid())        # the pipeline
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)                  # a stub that connects during the imports waits for them
    preload()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    sel.register(wake_r, selectors.EVENT_READ)
    kernels: dict[int, socket.socket] = {}          # child pid -> its stub's connection
    try:
        while not stop:
            for key, _ in sel.select():
                if key.fileobj is listener:
                    conn, _ = listener.accept()
                    try:
                        _fork(conn, listener, kernels, sel)
                    except Exception:        # this stub gets no reply and starts a plain kernel
                        traceback.print_exc()
                        conn.close()
                elif key.fileobj == wake_r:
                    os.read(wake_r, 512)
                    _reap(kernels, sel)
                else:                                    # a stub hung up: it was killed
                    conn = key.fileobj
                    if not conn.recv(1):
                        for pid, c in list(kernels.items()):
                            if c is conn:
                                _kill(pid)
                        sel.unregister(conn)
            _reap(kernels, sel)
    finally:
        for pid in list(kernels):
            _kill(pid)
        listener.close()


def _fork(conn: socket.socket, listener: socket.socket, kernels: dict[int, socket.socket], sel) -> None:
    msg, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
    request = json.loads(msg.partition(b"\n")[0])
    pid = os.fork()
    if pid == 0:
        _child(request, fds, [listener, conn, *kernels.values()])
    for fd in fds:
        os.close(fd)
    kernels[pid] = conn
    sel.register(conn, selectors.EVENT_READ)
    conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(kernels: dict[int, socket.socket], sel) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = kernels.pop(pid, None)
        if conn is not None:
            try:
                conn.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
            except OSError:
                pass
            if conn.fileno() in sel.get_map():     # not yet unregistered (its stub did not hang up)
                sel.unregister(conn)
            conn.close()


def _kernel_spec(root: Path) -> None:
    """The python3 kernel spec the notebooks would get, with the stub as its command."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3").to_dict()
    spec["argv"] = [sys.executable, "-S", str(STUB), "-f", "{connection_file}"]
    d = root / "kernels" / "python3"
    d.mkdir(parents=True)
    (d / "kernel.json").write_text(json.dumps(spec, indent=1))


@contextmanager
def private_channels() -> Iterator[dict]:
    """papermill keyword arguments that give a notebook's kernel its five channels as unix
    sockets in a directory of its own, removed afterwards.

    Over TCP (jupyter_client's default) the client picks five free ports, writes them into the
    connection file and the kernel binds them when it has started: seconds later for a warm
    kernel, which waits for the zygote's imports. Any process that takes one of those ports in
    between (another test worker's kernel client, a load generator's connection) makes the bind
    fail with EADDRINUSE and the kernel exit: "Kernel died before replying to kernel_info"
    (jupyter_client #276, kernel_gateway #131). A socket file in a fresh directory cannot be
    taken. The directory is under the temporary directory: a unix socket path has at most 107
    bytes, and the default (next to the connection file in the runtime directory) can exceed
    that under a long home directory."""
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="flexrepro-kernel-") as d:
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(d, "channel")     # sockets channel-1 ... channel-5
        yield {"config": config}


def enabled() -> bool:
    return sys.platform.startswith("linux") and os.environ.get(SWITCH, "1") != "0"


@contextmanager
def warm_kernels() -> Iterator[int | None]:
    """For the block, notebook kernels started from this process (and from processes it
    starts) are forked from a zygote; yields the zygote's pid (None: ordinary kernels)."""
    if not enabled():
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="flexrepro-kernels-"))
    sock = root / "zygote.sock"
    _kernel_spec(root)
    zygote = subprocess.Popen([sys.executable, "-m", "flexrepro.pipeline.kernels", str(sock)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not sock.exists() and zygote.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    saved = {k: os.environ.get(k) for k in (SOCKET_ENV, "JUPYTER_PATH")}
    if sock.exists():
        os.environ[SOCKET_ENV] = str(sock)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            [str(root), *[p for p in (saved["JUPYTER_PATH"] or "").split(os.pathsep) if p]])
    try:
        yield zygote.pid if sock.exists() else None
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        zygote.terminate()
        try:
            zygote.wait(timeout=10)
        except subprocess.TimeoutExpired:
            zygote.kill()
            zygote.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    serve(sys.argv[1])
