"""Calibration: deterministic fits of the model's parameters to the paper's calibration targets.

`calibrate()` runs every fit and writes `data/calibration/params.json` (atomically), each
parameter group with its provenance and the fit's residuals. Later fits (the servers'
profiles) add their groups here.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..atomic import write_text
from ..platform import ModelParams
from ..platform.params import PARAMS_FILE, _load
from . import platform_fit

__all__ = ["calibrate", "fit_all", "to_json", "platform_fit"]


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


def calibrate(path: str | Path = PARAMS_FILE) -> tuple[ModelParams, dict]:
    """Fit everything and write the parameter file; returns what was written."""
    params, reports = fit_all()
    write_text(path, to_json(params, reports))
    _load.cache_clear()
    return params, reports
