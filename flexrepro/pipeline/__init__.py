"""The reproduction pipeline behind reproduce.sh: every notebook with papermill, then the report.

    python -m flexrepro reproduce [--quick] [--out results]     (= python -m flexrepro.pipeline ...)
    python -m flexrepro variant NOTEBOOK -p name value [-p name value ...]

The command line is flexrepro.cli's (one parser). The package also holds what the
notebooks and the report need: `nbparams` (papermill parameters, checked), `notebook`
(the notebooks' helpers: output_dir, save_*, paper_*), `report` (REPORT.md from results/).

`reproduce` executes notebooks/calibration.ipynb first (it checks that the committed parameters,
which every other notebook uses, are still what the model fits) and the notebooks that read no
sweep point while the points compute, then every other notebook (two at a time, longest first,
the scorecard among them), and writes the report. Kernels are forked from one warm process
(`kernels`) and talk to papermill over unix sockets, not TCP ports. Every input is checked
before the first notebook starts; the run never modifies a tracked file. Executed copies go to results/notebooks/; each notebook writes its figures and
tables to results/<name>/. A failing notebook stops the run, naming the executed copy
that shows the error. Sweep points are cached as they finish (flexrepro.harness.cache), so a
rerun after an interrupt recomputes nothing that had finished.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import paths
from ..atomic import write_csv, write_text
from ..errors import ConfigError, FlexreproError
from ..inputs import scheduler_address, writable_dir
from .nbparams import check_parameters
from ..harness.sweep import EXECUTORS, SCHEDULER_ENV

FIRST, LAST = "calibration", "scorecard"
KERNEL = "python3"


class NotebookFailed(FlexreproError):
    def __init__(self, name: str, executed: Path, reason: str, log: Path):
        super().__init__(f"notebook '{name}' failed: {reason}\n"
                         f"  executed notebook showing the error: {executed}\n  kernel log: {log}")
        self.name, self.executed, self.reason, self.log = name, executed, reason, log


@dataclass
class Timing:
    notebook: str
    seconds: float
    status: str


def notebook_order(nb_dir: Path = paths.NOTEBOOKS) -> list[Path]:
    """calibration first, scorecard last, the rest by name (the order of a serial run and of
    the numbering; with two or more slots the notebooks after calibration start longest first)."""
    nbs = sorted(nb_dir.glob("*.ipynb"))
    rank = {FIRST: 0, LAST: 2}
    return sorted(nbs, key=lambda p: (rank.get(p.stem, 1), p.stem))


def resolve_notebook(name: str) -> Path:
    """`fig05`, `fig05.ipynb` or a path -> the notebook file (ConfigError when none)."""
    p = Path(name)
    for cand in (p, paths.NOTEBOOKS / p.name, paths.NOTEBOOKS / f"{p.name}.ipynb"):
        if cand.suffix == ".ipynb" and cand.is_file():
            return cand
    known = ", ".join(q.stem for q in notebook_order())
    raise ConfigError(f"notebook '{name}' not found; allowed: {known}")


@contextmanager
def _stderr_to(log: Path):
    """Send fd 2 (the kernels' warnings and tracebacks) to a log file for the block."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "w") as f:
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def this_checkout_first() -> None:
    """Kernels (they inherit this process's environment) import this checkout's flexrepro.

    Without it a kernel finds whichever flexrepro its interpreter has installed: with
    FLEXREPRO_PYTHON pointing at another checkout's environment (installed editable), the
    notebooks would run that checkout's code and read and fill that checkout's cache."""
    root = str(paths.ROOT)
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]
    os.environ["PYTHONPATH"] = os.pathsep.join([root, *rest])


CELL_TIMEOUT_S = 1800.0    # a cell of `reproduce` reads cached points: the longest, the calibration
                           # fit, takes ~2-4 min here; a cell past this is a hung kernel, not work


def execute_notebook(nb: Path, executed: Path, parameters: dict[str, Any],
                     cell_timeout: float | None = None) -> float:
    """Run one notebook with papermill; seconds taken, or NotebookFailed (also when a cell runs
    longer than `cell_timeout` seconds: the kernel is interrupted and the run stops, naming it)."""
    import papermill as pm

    # imported here, as warm_kernels below: the zygote runs `python -m flexrepro.pipeline.kernels`,
    # and a package that imported the module first makes runpy warn on every run
    from .kernels import private_channels

    this_checkout_first()

    declared = pm.inspect_notebook(str(nb))
    log = executed.with_suffix(".log")
    executed.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        with _stderr_to(log), private_channels() as channels:
            pm.execute_notebook(str(nb), str(executed), kernel_name=KERNEL, progress_bar=False,
                                cwd=str(nb.parent), execution_timeout=cell_timeout,
                                parameters={k: v for k, v in parameters.items() if k in declared},
                                **channels)
    except pm.PapermillExecutionError as e:
        raise NotebookFailed(nb.stem, executed, f"{e.ename}: {e.evalue}", log) from None
    except Exception as e:  # a dead kernel, a timeout, a broken notebook file
        raise NotebookFailed(nb.stem, executed, f"{type(e).__name__}: {e}{_tail(log)}", log) from None
    return time.perf_counter() - t0


def _tail(log: Path, lines: int = 12) -> str:
    """The end of the kernel's log, for an error that happened outside a cell (a kernel that
    died at start says why only there)."""
    try:
        text = log.read_text(errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return ""
    return "".join(f"\n  | {t}" for t in text) if text else ""


# --- notebook-level reuse ---------------------------------------------------------------
# A notebook whose source, parameters, package and data are unchanged, and whose executed
# copy and outputs are still in place, is not run again: its stamp records all of that.

def _stamp_key(nb: Path, params: dict[str, Any]) -> str:
    from ..harness.cache import source_hash

    tree = source_hash(paths.ROOT / "flexrepro", paths.DATA, everything=True)
    ident = [hashlib.sha256(nb.read_bytes()).hexdigest(), json.dumps(params, sort_keys=True), tree]
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()


def _in_flight(p: Path) -> bool:
    """A temporary file of an atomic write (flexrepro.atomic) that another notebook has not renamed yet."""
    return p.name.startswith(".") and p.name.endswith(".tmp")


def _listing(out: Path) -> dict[str, tuple[int, int]]:
    """Files under out/ (but the pipeline's own) with (mtime, size): to see what a notebook wrote.
    Two notebooks run at a time, so files can appear and vanish while this walks the tree."""
    if not out.is_dir():
        return {}
    seen = {}
    for p in out.rglob("*"):
        rel = p.relative_to(out)
        if rel.parts[0] in ("notebooks", "variants") or p.name in ("REPORT.md", "appendix.md", "report.html") \
                or _in_flight(p):
            continue
        try:
            st = p.stat()
        except FileNotFoundError:
            continue
        if p.is_file():
            seen[rel.as_posix()] = (st.st_mtime_ns, st.st_size)
    return seen


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_stamp(stamp: Path, key: str, out: Path, outputs: list[str], seconds: float) -> None:
    """Record the key and a digest of every output still in place (one that vanished since the
    listing, e.g. a neighbour's temporary file, is not an output)."""
    digests = {}
    for o in sorted(outputs):
        try:
            digests[o] = _digest(out / o)
        except FileNotFoundError:
            continue
    write_text(stamp, json.dumps({"key": key, "seconds": seconds, "outputs": digests}, indent=1))


def _is_fresh(stamp: Path, key: str, out: Path) -> bool:
    try:
        s = json.loads(stamp.read_text())
        return s["key"] == key and all(_digest(out / o) == d for o, d in s["outputs"].items())
    except (OSError, ValueError, KeyError):
        return False


def _summary(timings: list[Timing]) -> str:
    width = max([len(t.notebook) for t in timings] + [8])
    lines = [f"{'notebook':<{width}}  {'seconds':>8}  status", f"{'-' * width}  {'-' * 8}  ------"]
    lines += [f"{t.notebook:<{width}}  {t.seconds:8.1f}  {t.status}" for t in timings]
    lines.append(f"{'total':<{width}}  {sum(t.seconds for t in timings):8.1f}")
    return "\n".join(lines)


@contextmanager
def _shared_dask(executor: str, scheduler: str | None):
    """Point every notebook kernel at one scheduler (a LocalCluster unless one is given)."""
    if executor != "dask":
        yield
        return
    old = os.environ.get(SCHEDULER_ENV)
    cluster = None
    if not scheduler and not old:
        from dask.distributed import LocalCluster

        cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=":0")
        scheduler = cluster.scheduler_address
    if scheduler:
        os.environ[SCHEDULER_ENV] = scheduler
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(SCHEDULER_ENV, None)
        else:
            os.environ[SCHEDULER_ENV] = old
        if cluster is not None:
            cluster.close()


def check_inputs(out: Path, executor: str, scheduler: str | None,
                 only: list[str] | None) -> tuple[Path, list[Path]]:
    """Everything a run needs, checked before the first notebook starts (ConfigError)."""
    from ..harness.cache import default_root

    if executor not in EXECUTORS:
        raise ConfigError(f"parameter '--executor': got {executor!r}; allowed: one of {', '.join(EXECUTORS)}")
    out = writable_dir(out, "--out").resolve()
    nbs = [resolve_notebook(n) for n in only] if only else notebook_order()
    if scheduler:
        scheduler_address(scheduler, executor)
    default_root()                      # FLEXREPRO_CACHE, when set, must be a usable directory
    return out, nbs


def _slot(nb: Path, executed: Path, parameters: dict[str, Any]) -> tuple[float | None, str, str]:
    """execute_notebook in a notebook slot's process: (seconds, "", "") or (None, reason, log)."""
    try:
        return execute_notebook(nb, executed, parameters, CELL_TIMEOUT_S), "", ""
    except NotebookFailed as e:
        return None, e.reason, str(e.log)


def _plan(nbs: list[Path], params: dict[str, Any]):
    """Every sweep point the notebooks will ask for, and how many each notebook reads."""
    from .precompute import notebook_calls, plan_tasks, scorecard_calls

    calls, reads = [], {}
    for nb in nbs:
        c = notebook_calls(nb, params)
        mine = c.calls + (scorecard_calls(params) if nb.stem == LAST else [])
        calls += mine
        reads[nb.stem] = len(plan_tasks(mine)) + len(c.unplanned)
        for text in c.unplanned:
            print(f"note: {nb.stem} computes its own points for {text}", flush=True)
    return plan_tasks(calls), reads


def _precompute(tasks, executor: str, scheduler: str | None) -> None:
    """The points, in one pool across the machine's cores."""
    from .precompute import precompute

    t0 = time.perf_counter()
    computed, cached = precompute(tasks, executor=executor, scheduler=scheduler)
    print(f"sweep points: {computed} computed, {cached} from the cache, "
          f"{time.perf_counter() - t0:.1f} s", flush=True)


POINTS_PER_SECOND = 25.0     # a notebook reads and re-checks ~25 points/s (identifiability: ~1,000 in ~45 s)


def longest_first(names: list[str], seconds: dict[str, float], reads: dict[str, int]) -> list[str]:
    """The order to start notebooks in, longest first, so that the run does not end on one long
    notebook with a core idle: by the seconds each took when it last ran here; a notebook never
    timed here (a fresh clone: all of them) by the sweep points it reads, at POINTS_PER_SECOND."""
    return sorted(names, key=lambda n: -seconds[n] if n in seconds else -reads.get(n, 0) / POINTS_PER_SECOND)


def _last_seconds(out: Path) -> dict[str, float]:
    """Seconds each notebook took when it last ran ok into `out` (none: {})."""
    try:
        df = pd.read_csv(out / "notebooks" / "timings.csv")
        return dict(zip(df.notebook[df.status == "ok"], df.seconds[df.status == "ok"].astype(float)))
    except (OSError, ValueError, AttributeError, KeyError):
        return {}


def reproduce(out: Path = paths.RESULTS, quick: bool = False, seeds: int | None = None,
              executor: str = "process", scheduler: str | None = None,
              only: list[str] | None = None, report: bool = True, force: bool = False,
              jobs: int | None = None) -> list[Timing]:
    """Compute every sweep point the notebooks need (one shared pool), execute the notebooks
    (`jobs` at a time: calibration while the points compute, then the others longest first), then write the
    report; prints one line per notebook.

    A notebook whose inputs are unchanged since its last successful run here, with its
    outputs intact, is reused (status `reused`) unless `force`. A failing notebook stops
    the run: nothing new starts, the notebooks already running finish.
    """
    out, nbs = check_inputs(out, executor, scheduler, only)
    if jobs is None:
        jobs = min(2, os.cpu_count() or 1)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"parameter 'jobs': got {jobs!r}; allowed: an integer >= 1")
    params = {"quick": quick, "executor": executor, "out_dir": str(out)}
    if seeds is not None:
        params["seeds"] = seeds
    mode = "quick" if quick else "full"
    print(f"flexrepro: {len(nbs)} notebooks ({mode}, executor {executor}, {jobs} at a time) -> {out}", flush=True)
    timings: list[Timing] = []
    start = time.perf_counter()
    number = {nb.stem: i for i, nb in enumerate(nbs, 1)}

    def line(t: Timing, note: str = "") -> None:
        print(f"[{number[t.notebook]:2d}/{len(nbs)}] {t.notebook:<24s} {t.seconds:7.1f} s  {t.status}{note}", flush=True)

    todo: list[tuple[Path, Path, str]] = []
    for nb in nbs:
        t0 = time.perf_counter()
        executed = out / "notebooks" / nb.name
        stamp, key = executed.with_suffix(".stamp.json"), _stamp_key(nb, params)
        if not force and _is_fresh(stamp, key, out):
            timings.append(Timing(nb.stem, time.perf_counter() - t0, "reused"))
            line(timings[-1], " (unchanged)")
        else:
            stamp.unlink(missing_ok=True)
            todo.append((nb, executed, key))

    def finish(nb: Path, executed: Path, key: str, before, secs: float | None, reason: str, log: str) -> None:
        if secs is None:
            timings.append(Timing(nb.stem, time.perf_counter() - t_start[nb.stem], "FAILED"))
            line(timings[-1])
            raise NotebookFailed(nb.stem, executed, reason, Path(log))
        after = _listing(out)
        written = [f for f, st in after.items() if before.get(f) != st]
        _write_stamp(executed.with_suffix(".stamp.json"), key, out, written + [f"notebooks/{nb.name}"], secs)
        timings.append(Timing(nb.stem, secs, "ok"))
        line(timings[-1])

    t_start: dict[str, float] = {}
    from ..platform.occupancy import compile_ahead
    from .kernels import warm_kernels

    this_checkout_first()                # the zygote imports this checkout, as each kernel would
    try:
        with _shared_dask(executor, scheduler), (warm_kernels() if todo else nullcontext()):
            if todo:
                # numba's compile (~2 CPU-s on a fresh clone) here, while the zygote imports: it
                # then loads the cached code instead of compiling it a second time
                compile_ahead()
                if jobs == 1 or len(todo) == 1:
                    _precompute(_plan([nb for nb, _, _ in todo], params)[0], executor, scheduler)
                    for nb, executed, key in todo:
                        t_start[nb.stem], before = time.perf_counter(), _listing(out)
                        try:
                            secs, reason, log = execute_notebook(nb, executed, params, CELL_TIMEOUT_S), "", ""
                        except NotebookFailed as e:
                            secs, reason, log = None, e.reason, str(e.log)
                        finish(nb, executed, key, before, secs, reason, log)
                else:
                    _run_in_slots(todo, params, executor, scheduler, jobs, out, t_start, finish)
    finally:
        if timings:
            df = pd.DataFrame([t.__dict__ for t in timings]).assign(mode=mode)
            write_csv(df, out / "notebooks" / "timings.csv")
            print("\n" + _summary(timings), flush=True)
    if report and only and not (out / "scorecard" / "scorecard.csv").is_file():
        print("\nreport: skipped (no scorecard yet: run the scorecard notebook too)")
    elif report:
        from .report import write_report

        from .report import load_claims
        from ..scorecard import summary_lines

        md, html = write_report(out)
        print("\n" + "\n".join(summary_lines(load_claims(out))))
        print(f"report: {md}\n        {html}")
    print(f"results: {out}  (executed notebooks in {out / 'notebooks'}; "
          f"{time.perf_counter() - start:.1f} s in all)")
    return timings


def _run_in_slots(todo, params, executor, scheduler, jobs, out, t_start, finish) -> None:
    """`jobs` notebook kernels at a time. The calibration notebook and, in the other slots,
    notebooks that read no sweep point run while the shared pool computes the points; the
    others start once the points are cached, longest first."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from ..harness.sweep import die_with_parent

    slots = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                initializer=die_with_parent, initargs=(os.getpid(),))
    running: dict = {}

    def submit(item) -> None:
        nb, executed, _key = item
        t_start[nb.stem] = time.perf_counter()
        running[slots.submit(_slot, nb, executed, params)] = (item, _listing(out))

    def drain(until_empty: bool) -> None:
        while running:
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for f in done:
                (nb, executed, key), before = running.pop(f)
                secs, reason, log = f.result()
                finish(nb, executed, key, before, secs, reason, log)
            if not until_empty:
                return

    try:
        tasks, reads = _plan([it[0] for it in todo], params)
        # calibration, then the notebooks that read no sweep point (the live check: real servers,
        # partly waiting on them) run beside the pool, in the slots; the others once the points
        # are cached, the scorecard among them (it reads only cached points)
        seconds = _last_seconds(out)
        first = [it for it in todo if it[0].stem == FIRST]
        free = [it for it in todo if it not in first and reads[it[0].stem] == 0]
        order = longest_first([it[0].stem for it in free], seconds, {})
        first += sorted(free, key=lambda it: order.index(it[0].stem))
        middle = [it for it in todo if it not in first]
        for it in first:                 # queued in the slots' pool: they start as slots free up
            submit(it)
        _precompute(tasks, executor, scheduler)
        order = longest_first([it[0].stem for it in middle], seconds, reads)
        middle.sort(key=lambda it: order.index(it[0].stem))
        for it in middle:
            while len(running) >= jobs:
                drain(until_empty=False)
            submit(it)
        drain(until_empty=True)
    except NotebookFailed:
        # a failure stops the run: nothing new starts; the notebooks already running finish
        slots.shutdown(wait=True, cancel_futures=True)
        raise
    except BaseException:
        # an interrupt: end the slots now (each kernel notices its parent is gone and exits);
        # their notebooks have no stamp yet, so the next run executes them again
        for p in list(getattr(slots, "_processes", {}).values()):
            p.terminate()
        slots.shutdown(wait=False, cancel_futures=True)
        raise
    slots.shutdown(wait=True)



# --- a variant: one notebook with other parameters ----------------------------------------

def _slug(params: dict[str, Any]) -> str:
    text = "-".join(f"{k}={v}" for k, v in params.items() if k != "out_dir")
    return re.sub(r"[^A-Za-z0-9_.=,+-]+", "_", text)[:120]


def variant(notebook: str, raw: list[tuple[str, str]], out: Path | None = None) -> Path:
    """papermill one notebook with parameters into results/variants/; returns the executed copy."""
    nb = resolve_notebook(notebook)
    params = check_parameters(nb, raw)
    base = writable_dir(out or paths.RESULTS / "variants", "--out").resolve()
    from ..harness.cache import default_root

    default_root()
    stem = nb.stem + (f"-{_slug(params)}" if _slug(params) else "")
    params.setdefault("out_dir", str(base / stem))
    executed = base / f"{stem}.ipynb"
    print(f"variant {nb.stem} {params} ...", end=" ", flush=True)
    secs = execute_notebook(nb, executed, params)
    print(f"{secs:.1f} s\nexecuted notebook: {executed}\noutputs: {params['out_dir']}")
    return executed
