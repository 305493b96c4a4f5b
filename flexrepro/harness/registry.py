"""The experiment registry: id -> (parameters, grid, quick grid, run_point).

An experiment is a pure function `run_point(config, seed) -> row` (or a list of rows)
over a declared parameter grid. Modules under `flexrepro.experiments` register
themselves on import; `load_all()` imports them all.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from .config import ParamSet
from ..errors import UnknownExperiment

RunPoint = Callable[[dict, int], "dict | list[dict]"]


@dataclass(frozen=True)
class Experiment:
    id: str
    title: str
    paper_item: str
    params: ParamSet
    run_point: RunPoint
    grid: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    quick_grid: Mapping[str, Sequence[Any]] | None = None
    seeds: int = 5            # the paper reports the mean of 5 runs
    quick_seeds: int = 2
    stochastic: bool = True   # a deterministic model needs only one seed
    notebook: str | None = None
    # Cross-parameter constraints (raise ConfigError); called on every planned config.
    check: Callable[[dict], None] | None = None
    # run_point runs testbeds through their arguments alone (no context such as a band's
    # corner around the call): its runs may be shared with other such experiments (testbed.memo)
    shares_runs: bool = False

    def __post_init__(self):
        for g in (self.grid, self.quick_grid or {}):
            for name, values in g.items():
                self.params.validate_values(name, values)

    def grid_for(self, quick: bool) -> dict[str, list[Any]]:
        g = self.quick_grid if (quick and self.quick_grid is not None) else self.grid
        return {k: list(v) for k, v in g.items()}

    def n_seeds(self, quick: bool, seeds: int | None = None) -> int:
        if not self.stochastic:
            return 1
        if seeds is not None:
            return seeds
        return self.quick_seeds if quick else self.seeds


_REGISTRY: dict[str, Experiment] = {}
_LOADED = False


def register(exp: Experiment) -> Experiment:
    if exp.id in _REGISTRY and _REGISTRY[exp.id].run_point is not exp.run_point:
        raise ValueError(f"experiment id '{exp.id}' registered twice")
    _REGISTRY[exp.id] = exp
    return exp


def load_all() -> None:
    """Import every module of flexrepro.experiments (each registers its experiments)."""
    global _LOADED
    if _LOADED:
        return
    from .. import experiments

    for mod in pkgutil.iter_modules(experiments.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{experiments.__name__}.{mod.name}")
    _LOADED = True


def get(experiment_id: str) -> Experiment:
    load_all()
    try:
        return _REGISTRY[experiment_id]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownExperiment(f"unknown experiment '{experiment_id}'; allowed: {known}") from None


def all_experiments() -> list[Experiment]:
    load_all()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
