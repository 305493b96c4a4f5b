"""The pipeline's one process pool: every sweep point the notebooks will ask for, computed up front.

Each notebook calls `flexrepro.run(experiment, quick=quick, seeds=seeds, ...)` with its own
parameters; the scorecard calls `run` for every experiment a claim needs. Before any of them
starts, the pipeline reads those calls out of the notebooks' code (no execution), expands
them with `sweep.plan` exactly as the notebooks will, and computes the points that are not
cached yet in ONE pool that spans the machine's cores, longest points first. The notebooks
then read every point from the cache: same keys, same rows (a cached point is identical to a
computed one, see flexrepro.cache), so nothing a notebook shows depends on this.

A call whose arguments are not a literal or a parameter of the notebook is left to the
notebook (it computes its points itself, as before); `unplanned` lists such calls.
Points are cached as each finishes, so an interrupt loses only the points in flight.
"""
from __future__ import annotations

import ast
import functools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import write_text
from ..harness.cache import ResultCache, default_root
from ..harness.sweep import Task, execute, plan, run_task, task_frame

RUN_NAMES = ("run", "flexrepro.run")
# Wall seconds of each point last time it was computed (keyed without the model version,
# which changes with every edit): only to order the next run's pool, longest first.
SECONDS_FILE = "point_seconds.json"


@dataclass
class Calls:
    """What one notebook asks `flexrepro.run` for: (experiment, keyword arguments) pairs."""
    notebook: str
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    unplanned: list[str] = field(default_factory=list)   # calls read as source, left to the notebook


def _code_cells(nb: Path) -> list[tuple[list[str], str]]:
    cells = json.loads(nb.read_text())["cells"]
    return [(c.get("metadata", {}).get("tags", []), "".join(c["source"]))
            for c in cells if c["cell_type"] == "code"]


def notebook_parameters(nb: Path, given: dict[str, Any]) -> dict[str, Any]:
    """The values the notebook's parameters cell ends with once papermill injects `given`."""
    values: dict[str, Any] = {}
    for tags, src in _code_cells(nb):
        if "parameters" in tags:
            for node in ast.parse(src).body:
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        if isinstance(t, ast.Name):
                            try:
                                values[t.id] = ast.literal_eval(node.value)
                            except ValueError:
                                pass
    return values | {k: v for k, v in given.items() if k in values}


def _value(node: ast.AST, names: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        raise ValueError(node.id)
    return ast.literal_eval(node)


def notebook_calls(nb: Path, given: dict[str, Any]) -> Calls:
    """Every `flexrepro.run(...)` call of a notebook, with its arguments as the kernel will see them."""
    names = notebook_parameters(nb, given)
    out = Calls(nb.stem)
    for _tags, src in _code_cells(nb):
        for node in ast.walk(ast.parse(src)):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func) in RUN_NAMES):
                continue
            try:
                if len(node.args) != 1 or any(k.arg is None for k in node.keywords):
                    raise ValueError("positional or ** arguments")
                exp_id = _value(node.args[0], names)
                kwargs = {k.arg: _value(k.value, names) for k in node.keywords}
            except ValueError:
                out.unplanned.append(ast.unparse(node))
                continue
            kwargs.pop("executor", None)
            kwargs.pop("progress", None)
            out.calls.append((exp_id, kwargs))
    return out


def scorecard_calls(given: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """What `scorecard.score` runs: every experiment a claim needs, and the prediction bands."""
    from ..harness import registry
    from ..scorecard import checks

    ids = {e for c in checks().values() for e in c.experiments}
    ids |= {e.id for e in registry.all_experiments() if e.id == "bands"}
    kw = {k: given[k] for k in ("quick", "seeds") if k in given}
    return [(e, dict(kw)) for e in sorted(ids)]


def plan_tasks(calls: list[tuple[str, dict[str, Any]]]) -> list[Task]:
    """The distinct points of the calls (a point asked for twice is computed once)."""
    seen: dict[str, Task] = {}
    for exp_id, kwargs in calls:
        kw = dict(kwargs)
        if kw.pop("cache", True) is False:     # the notebook bypasses the cache: nothing to share
            continue
        kw.pop("dask_scheduler", None)
        for t in plan(exp_id, **kw):
            seen.setdefault(t.key, t)
    return list(seen.values())


def _cost_key(t: Task) -> str:
    return json.dumps([t.experiment_id, [[k, repr(v)] for k, v in t.config], t.seed])


def timed_task(task: Task, share: Path | None = None) -> tuple[list[dict], float]:
    """run_task, and the wall seconds it took (to order the next run's pool)."""
    t0 = time.perf_counter()
    rows = run_task(task, share)
    return rows, time.perf_counter() - t0


def longest_first(tasks: list[Task], seconds: dict[str, float]) -> list[Task]:
    """Known points by their last wall time, longest first; a point never timed counts as its
    experiment's longest known one, or (an experiment never timed) goes first."""
    per_exp: dict[str, float] = {}
    for t in tasks:
        s = seconds.get(_cost_key(t))
        if s is not None:
            per_exp[t.experiment_id] = max(per_exp.get(t.experiment_id, 0.0), s)
    est = [seconds.get(_cost_key(t), per_exp.get(t.experiment_id, float("inf"))) for t in tasks]
    order = sorted(range(len(tasks)), key=lambda i: -est[i])   # stable: plan order among equals
    return [tasks[i] for i in order]


def precompute(tasks: list[Task], executor: str = "process", scheduler: str | None = None,
               progress: bool = True) -> tuple[int, int]:
    """Compute the tasks not cached yet into the result cache; (computed, already cached)."""
    store = ResultCache()
    todo = [t for t in tasks if not store.path(t.experiment_id, t.key).exists()]
    seconds_path = default_root() / SECONDS_FILE
    try:
        seconds = json.loads(seconds_path.read_text())
    except (OSError, ValueError):
        seconds = {}
    todo = longest_first(todo, seconds)

    def done(i: int, result: tuple[list[dict], float]) -> None:
        rows, secs = result
        t = todo[i]
        store.put(t.experiment_id, t.key, task_frame(rows))
        seconds[_cost_key(t)] = round(secs, 4)

    try:
        execute(todo, executor=executor, progress=progress, desc="sweep points", on_result=done,
                scheduler=scheduler, fn=functools.partial(timed_task, share=store.simulations()))
    finally:
        write_text(seconds_path, json.dumps(seconds, sort_keys=True))
    return len(todo), len(tasks) - len(todo)
