"""Prediction bands for the kernel's shared core: the headline claims at the ends of its range.

The shared core (calibration.platform_fit.kernel_core) is read off OSDI'10 Table 1, but that
the lines two socket calls share equal the lines open+close and write share is an assumption
(ledger `kernel_core.scale`, 0.5-1.5). Unlike the client CPU that experiments/bands.py varies,
the core enters the server fits: at each end the servers' Table 1 fits are re-run on the
platform with that core (memcached, then nginx, as `flexrepro calibrate` does; the platform
fit itself does not see the core, no OSDI'10 experiment runs two different calls), and the
headline points are simulated on those parameters. A refit takes ~3 minutes, so one case is
one corner with every headline point (each worker refits at most once per corner). Nothing
is written to the committed parameter file.
"""
from __future__ import annotations

from functools import lru_cache

from .. import reference
from ..calibration.platform_fit import KERNEL_CORE_SCALE, kernel_core
from ..harness.config import Param, ParamSet
from ..platform import ModelParams, load_params
from ..harness.registry import Experiment, register
from ..testbed import memcached as memcached_testbed, nginx as nginx_testbed
from .bands import POINTS

ASSUMPTION = "kernel_core.scale"
RANGE = {"low": 0.5, "point": KERNEL_CORE_SCALE, "high": 1.5}     # = the ledger row's range
CORNERS = tuple(RANGE)


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


def _simulate(tool: str, system: str, where: dict, seed: int, params: ModelParams) -> dict:
    if tool == "memslap":
        return memcached_testbed.simulate(system, where["cores"], where["load"], seed, params=params)
    return nginx_testbed.simulate(system, where["cores"], tool, where["load"], seed, params=params)


def run_point(config: dict, seed: int) -> list[dict]:
    corner = config["corner"]
    value = RANGE[corner]
    params = refit(value)
    out = []
    for tool, where, metrics in POINTS.values():
        rows = {s: _simulate(tool, s, where, seed, params) for s in ("epoll", "flexsc")}
        for claim, metric in metrics.items():
            e, f = rows["epoll"][metric], rows["flexsc"][metric]
            out.append({"claim": claim, "assumption": ASSUMPTION if corner != "point" else "none",
                        "assumption_value": value, "metric": metric, "epoll": e, "flexsc": f,
                        "change_pct": 100.0 * (f / e - 1.0) if e > 0 else float("nan")})
    return out


register(Experiment(
    id="bands_kernel", title="Prediction bands: headline claims at the ends of the shared kernel core's range",
    paper_item="(beyond: identification)",
    params=ParamSet((Param("corner", str, "point", choices=CORNERS,
                           doc=f"end of {ASSUMPTION}'s range (servers refitted there) or the point"),)),
    run_point=run_point,
    grid={"corner": list(CORNERS)},
    stochastic=True, seeds=2, quick_seeds=1,
))
