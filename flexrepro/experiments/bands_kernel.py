"""Prediction bands for the kernel's shared core: the headline claims at the ends of its range.

The shared core (calibration.platform_fit.kernel_core) is read off OSDI'10 Table 1, but that
the lines two socket calls share equal the lines open+close and write share is an assumption
(ledger `kernel_core.scale`, 0.5-1.5). Unlike the client CPU that experiments/bands.py varies,
the core enters the server fits: at each end the servers' Table 1 fits are re-run on the
platform with that core (memcached, then nginx, as `flexrepro calibrate` does; the platform
fit itself does not see the core, no OSDI'10 experiment runs two different calls), and the
points of experiments/bands.py (not its knees) are simulated on those parameters. A refit
takes ~3 minutes, so one case is one corner with every point (each worker refits at most once
per corner). Nothing is written to the committed parameter file.

Not in the pipeline, and so not in the scorecard's band: two refits (~3 min of CPU each) and
the 15 points twice (~2.5 min more), past the full run's budget (issue 12); its earlier form,
6 points, measured 789 s of CPU. Its rows have the bands experiment's shape, so
`scorecard.band(pd.concat([bands_rows, bands_kernel_rows]), frames)` folds this assumption in.
"""
from __future__ import annotations

from functools import lru_cache

from .. import reference
from ..calibration.platform_fit import KERNEL_CORE_SCALE, kernel_core
from ..harness.config import Param, ParamSet
from ..platform import ModelParams, load_params
from ..harness.registry import Experiment, register
from .bands import POINTS, point_rows

ASSUMPTION = "kernel_core.scale"
RANGE = {"low": 0.5, "point": KERNEL_CORE_SCALE, "high": 1.5}     # = the ledger row's range
CORNERS = ("low", "high")           # the point estimate is the figures' own


@lru_cache(maxsize=None)
def refit(scale: float) -> ModelParams:
    """The committed parameters with the core at `scale` and both servers refitted on it."""
    from ..calibration import memcached_fit, nginx_fit
    params = load_params()
    if scale == KERNEL_CORE_SCALE:
        return params
    params = params.with_profiles(kernel_core(reference.load("syscall_footprint"), scale))
    params, _ = memcached_fit.fit(params)
    params, _ = nginx_fit.fit(params)
    return params


def run_point(config: dict, seed: int) -> list[dict]:
    corner = config["corner"]
    value = RANGE[corner]
    params = refit(value)
    tag = {"assumption": ASSUMPTION, "corner": corner, "assumption_value": str(value)}
    return [{"target": name, **tag, **r} for name in POINTS for r in point_rows(name, seed, params=params)]


register(Experiment(
    id="bands_kernel", title="Prediction bands: headline claims at the ends of the shared kernel core's range",
    paper_item="(beyond: identification)",
    params=ParamSet((Param("corner", str, "low", choices=CORNERS,
                           doc=f"end of {ASSUMPTION}'s range (the servers are refitted there)"),)),
    run_point=run_point,
    grid={"corner": list(CORNERS)},
    stochastic=True, seeds=2, quick_seeds=1,
))
