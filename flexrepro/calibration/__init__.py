"""Calibration: deterministic fits of the model's parameters to the paper's calibration targets.

`calibrate()` runs every fit, writes the result to results/calibration/params.json and
compares it with the committed data/calibration/params.json (the parameter set every
prediction uses) within `REL_TOL` / `ABS_TOL`. Only `calibrate(write=True)` — the command
`flexrepro calibrate --write` — replaces the committed file, so running the pipeline never
modifies a tracked file.

Why a tolerance and not byte equality: the fits are deterministic on one machine, but BLAS
and libm round differently on other CPUs. Least squares runs each start to convergence
(`platform_fit.LEAST_SQUARES`, tolerances 1e-12), where its two starts end within 5e-7 of
each other; a relative 1e-4 is far above that noise and far below any change of the model
that matters (a prediction moves by < 0.01%). Until session 9 the search stopped at 300
evaluations, mid-valley, and another CPU's path stopped up to 0.6% away (overlap_l2 8.227
vs 8.179): a tolerance cannot cover a fit that has not converged.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..atomic import write_text
from ..errors import FlexreproError
from ..platform import ModelParams
from ..platform.params import PARAMS_FILE, reload
from . import platform_fit

__all__ = ["REL_TOL", "ABS_TOL", "Calibration", "CalibrationDrift", "calibrate", "differences",
           "fit_all", "global_search", "occupancy_validation", "to_json", "platform_fit"]

REL_TOL = 1e-4
ABS_TOL = 1e-6     # for values near zero (free parameters at a bound)
# Differences of two compared values (model - paper): a small difference of large numbers
# carries their rounding noise relatively amplified, and is checked through its terms.
DERIVED = frozenset({"residual", "residual_pct"})


class CalibrationDrift(FlexreproError):
    """The fit no longer reproduces the committed parameter file."""


def fit_all() -> tuple[ModelParams, dict]:
    """All fits, in dependency order; returns the parameters and the fit reports by group."""
    params, report = platform_fit.fit()
    reports = {"platform": report}
    from . import memcached_fit          # needs the simulator (servers layer): imported when fitting
    params, reports["memcached"] = memcached_fit.fit(params)
    from . import nginx_fit
    params, reports["nginx"] = nginx_fit.fit(params)
    return params, reports


def to_json(params: ModelParams, reports: dict) -> str:
    """The parameter file's text (stable: sorted floats as repr, fixed key order)."""
    doc = {"format": 1, **params.to_dict(), "fit": reports}
    return json.dumps(doc, indent=1, sort_keys=False) + "\n"


def differences(fresh, committed, subset: bool = False, path: str = "") -> list[str]:
    """Where `fresh` and `committed` differ beyond REL_TOL/ABS_TOL, one line each.

    `subset`: only the keys present in `fresh` are compared (the quick, platform-only fit).
    """
    if isinstance(fresh, dict) and isinstance(committed, dict):
        out = []
        keys = fresh if subset else fresh | committed
        for k in keys:
            if k in DERIVED:
                continue
            if k not in fresh or k not in committed:
                out.append(f"{path}.{k}: only in the {'fit' if k in fresh else 'committed file'}")
            else:
                out += differences(fresh[k], committed[k], subset, f"{path}.{k}")
        return out
    if isinstance(fresh, list) and isinstance(committed, list):
        if len(fresh) != len(committed):
            return [f"{path}: {len(fresh)} entries vs {len(committed)} committed"]
        return [d for i, (a, b) in enumerate(zip(fresh, committed))
                for d in differences(a, b, subset, f"{path}[{i}]")]
    numbers = (int, float)
    if isinstance(fresh, numbers) and isinstance(committed, numbers) and \
            not isinstance(fresh, bool) and not isinstance(committed, bool):
        if math.isclose(fresh, committed, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            return []
        return [f"{path.lstrip('.')}: fit {fresh!r} vs committed {committed!r}"]
    return [] if fresh == committed else [f"{path.lstrip('.')}: fit {fresh!r} vs committed {committed!r}"]


@dataclass
class Calibration:
    params: ModelParams
    reports: dict
    written: Path                 # the fit's own file, under results/
    committed: Path
    differences: list[str]
    replaced: bool                # the committed file was rewritten (write=True)

    def summary(self) -> str:
        tol = f"rel {REL_TOL:g} (abs {ABS_TOL:g})"
        if self.replaced:
            return f"fit written to {self.written} and to the committed {self.committed}"
        if not self.differences:
            return f"fit written to {self.written}; it matches the committed {self.committed} within {tol}"
        shown = "\n  ".join(self.differences[:10]) + ("\n  ..." if len(self.differences) > 10 else "")
        return (f"fit written to {self.written}; it differs from the committed {self.committed} "
                f"beyond {tol} in {len(self.differences)} value(s):\n  {shown}\n"
                "The committed file is what every prediction uses: if the model changed on purpose, "
                "run `flexrepro calibrate --write` and commit the file.")

    def check(self) -> None:
        """CalibrationDrift when the committed parameters are not what the model fits now."""
        if self.differences and not self.replaced:
            raise CalibrationDrift(self.summary())


def calibrate(out: str | Path | None = None, write: bool = False, quick: bool = False,
              committed: str | Path = PARAMS_FILE) -> Calibration:
    """Fit, write the fit to `out`/params.json (default results/calibration/), compare it with
    the committed file; `write=True` replaces the committed file too.

    `quick` does not search: it rebuilds the platform parameters from the committed file's
    fitted values (`platform_fit.rebuild`, under a second) and compares the part of the file
    that covers, so it catches a model whose platform no longer gives the committed numbers,
    not a fit whose optimum has moved (the full run refits from the fixed starts).
    """
    if write and quick:
        raise FlexreproError("parameter 'write': the committed file takes the full fit; "
                             "allowed: write without quick")
    out = Path(out) if out is not None else paths.RESULTS / "calibration"
    committed = Path(committed)
    before = json.loads(committed.read_text()) if committed.is_file() else None
    if quick:
        if before is None:
            raise FlexreproError(f"parameter 'quick': it checks the committed {committed}, which does not "
                                 "exist; allowed: quick=False (the full fit)")
        free = before.get("fit", {}).get("platform", {}).get("free")
        missing = sorted(set(platform_fit.FREE) - set(free or {}))
        if missing:
            raise FlexreproError(f"parameter 'quick': {committed} has no fitted value of {', '.join(missing)} "
                                 "to rebuild from; allowed: quick=False (the full fit: "
                                 "`flexrepro calibrate --write` refits and writes the file)")
        params, report = platform_fit.rebuild(free)
        reports = {"platform": report}
    else:
        params, reports = fit_all()
    text = to_json(params, reports)
    written = out / "params.json"
    write_text(written, text)
    fresh = json.loads(text)
    if before is not None:
        diffs = differences(fresh, before, subset=quick)
    else:
        diffs = [f"{committed} does not exist"]
    replaced = False
    if write:
        write_text(committed, text)
        reload()                       # later load_params() calls see the new file
        replaced = True
    return Calibration(params, reports, written, committed, diffs, replaced)


# The occupancy model's accepted error against the trace-driven LRU hierarchy (per level).
VALIDATION_TOL = 0.20


def occupancy_validation(quick: bool = False, spec=None):
    """The occupancy model against trace-driven LRU caches (pycachesim, Table 3's sizes):
    one row per case and level, `within_20pct` flagged; the small traces when `quick`."""
    import pandas as pd

    from ..platform import load_platform, tracesim

    cases = tracesim.SMALL_CASES if quick else tracesim.LARGE_CASES
    val = pd.DataFrame(tracesim.compare(spec or load_platform(), cases, rounds=20, warmup=10))
    val["within_20pct"] = val.relative_error.abs() <= VALIDATION_TOL
    return val


def global_search(quick: bool = False, run: bool | None = None, spec=None) -> tuple | None:
    """A seeded differential-evolution search of the platform fit's space (slow): (best, cost),
    run when `run`, or (`run` None) unless `quick`; else None."""
    if not (run if run is not None else not quick):
        return None
    return platform_fit.global_search(spec)
