"""Grid x seeds -> tidy DataFrame, on a serial, process or dask executor, cached.

Rows are a pure function of (experiment, config, seed): the executors differ only in
where the work runs, and rows come back in task order, so every executor returns the
same DataFrame. Wall time is run metadata (`df.attrs`), never a row column.
Each point is written to the result cache as soon as it finishes, so an interrupted
sweep loses nothing and a rerun computes only the missing points.
"""
from __future__ import annotations

import atexit
import functools
import itertools
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd
from tqdm.auto import tqdm

from . import registry
from .cache import ResultCache, task_key
from ..errors import ConfigError
from .seeds import replicate_seeds
from ..testbed.memo import sharing

EXECUTORS = ("serial", "process", "dask")
# Default dask scheduler address (e.g. tcp://host:8786) when none is passed: lets
# reproduce.sh and papermill-run notebooks send their sweeps to a cluster.
SCHEDULER_ENV = "FLEXREPRO_DASK_SCHEDULER"


@dataclass(frozen=True)
class Task:
    experiment_id: str
    config: tuple[tuple[str, Any], ...]   # sorted items: hashable and picklable
    replicate: int
    seed: int

    @property
    def config_dict(self) -> dict[str, Any]:
        return dict(self.config)

    @property
    def key(self) -> str:
        """Content address in the result cache."""
        return task_key(self.experiment_id, self.config_dict, self.replicate, self.seed)


def plan(experiment_id: str, quick: bool = False, seeds: int | None = None, **overrides) -> list[Task]:
    """Validate overrides and expand the grid into tasks (nothing runs here).

    An override with a list/tuple value replaces that grid axis; a scalar fixes the
    parameter at one value.
    """
    exp = registry.get(experiment_id)
    if seeds is not None and (isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1):
        raise ConfigError(f"parameter 'seeds': got {seeds!r}; allowed: an integer >= 1")
    grid = exp.grid_for(quick)
    fixed: dict[str, Any] = {}
    for name, value in overrides.items():
        if name not in exp.params:
            raise exp.params.unknown(name)
        if isinstance(value, (list, tuple)):
            if not value:
                raise ConfigError(f"parameter '{name}': empty list; allowed: {exp.params[name].allowed()}")
            grid[name] = exp.params.validate_values(name, value)
        else:
            grid.pop(name, None)
            fixed[name] = exp.params[name].validate(value)
    axes = list(grid)
    seeds_list = replicate_seeds(exp.n_seeds(quick, seeds))
    tasks = []
    for combo in itertools.product(*(grid[a] for a in axes)):
        config = exp.params.validate({**fixed, **dict(zip(axes, combo))})
        if exp.check is not None:
            exp.check(config)
        items = tuple(sorted(config.items()))
        for rep, seed in enumerate(seeds_list):
            tasks.append(Task(experiment_id, items, rep, seed))
    return tasks


def run_task(task: Task, share: Path | None = None) -> list[dict]:
    """Run one (config, seed) point; returns its rows with config, replicate and seed.
    `share`: a directory where the testbed runs of experiments that declare `shares_runs` are
    shared (testbed.memo; the result cache passes its own)."""
    exp = registry.get(task.experiment_id)
    config = task.config_dict
    with sharing(share if exp.shares_runs else None):
        out = exp.run_point(dict(config), task.seed)
    rows = out if isinstance(out, list) else [out]
    result = []
    for row in rows:
        clash = set(row) & (set(config) | {"replicate", "seed"})
        if clash:
            raise RuntimeError(f"{task.experiment_id}: run_point output overwrites {sorted(clash)}")
        result.append({**config, "replicate": task.replicate, "seed": task.seed, **row})
    return result


OnResult = Callable[[int, list[dict]], None]


def die_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when the process that made the pool dies.

    A pool's workers hold both ends of its queues, so a parent killed with SIGKILL (no
    clean-up runs) would leave them waiting forever, re-parented to init. On Linux the
    kernel delivers SIGKILL on the parent's death (prctl PR_SET_PDEATHSIG); elsewhere a
    daemon thread polls the parent's id once a second.
    """
    import signal
    import sys
    import threading

    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:
        def watch():
            while os.getppid() == parent:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, name="flexrepro-parent-watch", daemon=True).start()
    if os.getppid() != parent:          # it died before the watch was set up
        os._exit(1)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process, however it ends."""
    return ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),))


def execute(tasks: list[Task], executor: str = "process", progress: bool = True,
            desc: str = "", on_result: OnResult | None = None,
            scheduler: str | None = None, fn: Callable[[Task], Any] = run_task) -> list[Any]:
    """Run tasks on an executor; results (`fn(task)`, by default its rows) in task order.

    `on_result(i, rows)` is called as each task finishes (in completion order), which is
    how `run` caches points before the sweep is over. `scheduler` is the dask scheduler
    address (default `$FLEXREPRO_DASK_SCHEDULER`, else a LocalCluster on this machine).
    """
    if executor not in EXECUTORS:
        raise ConfigError(f"parameter 'executor': got {executor!r}; allowed: one of {', '.join(EXECUTORS)}")
    results: list[Any] = [None] * len(tasks)
    bar = tqdm(total=len(tasks), desc=desc, disable=not progress or len(tasks) < 2, leave=False)

    def finished(i: int, result: Any) -> None:
        results[i] = result
        if on_result is not None:
            on_result(i, result)
        bar.update()

    try:
        if executor == "serial" or len(tasks) < 2:
            for i, t in enumerate(tasks):
                finished(i, fn(t))
        elif executor == "process":
            from ..platform.occupancy import compile_ahead

            compile_ahead()              # once here, inherited by the forked workers
            pool = process_pool(min(os.cpu_count() or 1, len(tasks)))
            try:
                futures = {pool.submit(fn, t): i for i, t in enumerate(tasks)}
                for f in as_completed(futures):
                    finished(futures[f], f.result())
            finally:  # on an error or Ctrl-C, do not wait for the queued points
                pool.shutdown(wait=True, cancel_futures=True)
        else:
            _execute_dask(tasks, finished, scheduler, fn)
        return results  # type: ignore[return-value]
    finally:
        bar.close()


_DASK_CLIENTS: dict[str, Any] = {}


def dask_client(scheduler: str | None = None):
    """A client on `scheduler`, or on a LocalCluster (one process per core), reused per process."""
    from dask.distributed import Client, LocalCluster

    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    name = scheduler or "local"
    client = _DASK_CLIENTS.get(name)
    if client is None or client.status != "running":
        if scheduler:
            from ..inputs import CONNECT_TIMEOUT_S

            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        else:
            cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, dashboard_address=":0")
            client = Client(cluster)
        _DASK_CLIENTS[name] = client
    return client


@atexit.register
def close_dask_clients() -> None:
    """Close the clients (and local clusters) this process opened."""
    for client in _DASK_CLIENTS.values():
        cluster = client.cluster
        client.close()
        if cluster is not None:
            cluster.close()
    _DASK_CLIENTS.clear()


def _execute_dask(tasks: list[Task], finished, scheduler: str | None, fn=run_task) -> None:
    from dask.distributed import as_completed as dask_completed

    client = dask_client(scheduler)
    # pure=False: a task's identity is its index here, so equal tasks are still run apart.
    futures = client.map(fn, tasks, pure=False)
    index = {f.key: i for i, f in enumerate(futures)}
    for f in dask_completed(futures):
        finished(index[f.key], f.result())
        f.release()


def to_frame(results: Iterable[list[dict]]) -> pd.DataFrame:
    return pd.DataFrame([row for rows in results for row in rows])


def task_frame(rows: list[dict]) -> pd.DataFrame:
    """One point's rows as a frame: the unit the cache stores and `run` concatenates."""
    return pd.DataFrame(rows)


def run(experiment_id: str, quick: bool = False, seeds: int | None = None,
        executor: str = "process", progress: bool = True, cache: bool = True,
        dask_scheduler: str | None = None, **overrides) -> pd.DataFrame:
    """Run an experiment's grid x seeds and return one tidy DataFrame.

    Finished points come from the result cache (`cache=False` ignores and bypasses it);
    the rest run on `executor` and are cached as each finishes. `df.attrs` records the
    run: executor, tasks, points computed and read from cache, wall time.
    """
    if dask_scheduler and executor != "dask":
        raise ConfigError(f"parameter 'dask_scheduler': given with executor {executor!r}; "
                          "allowed: only with executor 'dask'")
    tasks = plan(experiment_id, quick=quick, seeds=seeds, **overrides)
    t0 = time.perf_counter()
    store = ResultCache() if cache else None
    keys = [t.key for t in tasks] if store else []
    frames: list[pd.DataFrame | None] = [store.get(experiment_id, k) for k in keys] if store else [None] * len(tasks)
    todo = [i for i, f in enumerate(frames) if f is None]

    def done(j: int, rows: list[dict]) -> None:
        i = todo[j]
        frames[i] = task_frame(rows)
        if store:
            store.put(experiment_id, keys[i], frames[i])

    cached = len(tasks) - len(todo)
    desc = experiment_id + (f" ({cached} cached)" if cached else "")
    fn = functools.partial(run_task, share=store.simulations()) if store else run_task
    execute([tasks[i] for i in todo], executor=executor, progress=progress, desc=desc,
            on_result=done, scheduler=dask_scheduler, fn=fn)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    df.attrs.update(experiment=experiment_id, quick=quick, executor=executor, tasks=len(tasks),
                    computed=len(todo), cached=cached, wall_time_s=time.perf_counter() - t0)
    return df
