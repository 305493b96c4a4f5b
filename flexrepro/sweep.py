"""Grid x seeds -> tidy DataFrame, on a serial or process executor.

Rows are a pure function of (experiment, config, seed): the executors differ only in
where the work runs, and rows come back in task order, so every executor returns the
same DataFrame. Wall time is run metadata (`df.attrs`), never a row column.
"""
from __future__ import annotations

import itertools
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd
from tqdm.auto import tqdm

from . import registry
from .errors import ConfigError
from .seeds import replicate_seeds

EXECUTORS = ("serial", "process")


@dataclass(frozen=True)
class Task:
    experiment_id: str
    config: tuple[tuple[str, Any], ...]   # sorted items: hashable and picklable
    replicate: int
    seed: int

    @property
    def config_dict(self) -> dict[str, Any]:
        return dict(self.config)


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


def run_task(task: Task) -> list[dict]:
    """Run one (config, seed) point; returns its rows with config, replicate and seed."""
    exp = registry.get(task.experiment_id)
    config = task.config_dict
    out = exp.run_point(dict(config), task.seed)
    rows = out if isinstance(out, list) else [out]
    result = []
    for row in rows:
        clash = set(row) & (set(config) | {"replicate", "seed"})
        if clash:
            raise RuntimeError(f"{task.experiment_id}: run_point output overwrites {sorted(clash)}")
        result.append({**config, "replicate": task.replicate, "seed": task.seed, **row})
    return result


def execute(tasks: list[Task], executor: str = "process", progress: bool = True,
            desc: str = "") -> list[list[dict]]:
    """Run tasks on an executor; results in task order."""
    if executor not in EXECUTORS:
        raise ConfigError(f"parameter 'executor': got {executor!r}; allowed: one of {', '.join(EXECUTORS)}")
    bar = tqdm(total=len(tasks), desc=desc, disable=not progress or len(tasks) < 2, leave=False)
    try:
        if executor == "serial" or len(tasks) < 2:
            results = []
            for t in tasks:
                results.append(run_task(t))
                bar.update()
            return results
        workers = min(os.cpu_count() or 1, len(tasks))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_task, t) for t in tasks]
            results = []
            for f in futures:
                results.append(f.result())
                bar.update()
            return results
    finally:
        bar.close()


def to_frame(results: Iterable[list[dict]]) -> pd.DataFrame:
    return pd.DataFrame([row for rows in results for row in rows])


def run(experiment_id: str, quick: bool = False, seeds: int | None = None,
        executor: str = "process", progress: bool = True, **overrides) -> pd.DataFrame:
    """Run an experiment's grid x seeds and return one tidy DataFrame."""
    tasks = plan(experiment_id, quick=quick, seeds=seeds, **overrides)
    t0 = time.perf_counter()
    df = to_frame(execute(tasks, executor=executor, progress=progress, desc=experiment_id))
    df.attrs.update(experiment=experiment_id, quick=quick, executor=executor,
                    tasks=len(tasks), wall_time_s=time.perf_counter() - t0)
    return df
