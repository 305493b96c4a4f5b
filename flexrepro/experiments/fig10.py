"""Figure 10: CPI and misses per structure and mode, FlexSC normalised to epoll (httperf).

At 40,000 req/s offered on 1 core and 60,000 req/s on 2 cores, as in the paper. CPI and
misses are the processor model's counters over the measured window; misses are compared
as miss ratios (per 1000 instructions of the mode), the way the paper words them. Also the
absolute kernel L3 and user TLB misses per 1000 instructions.
"""
from __future__ import annotations

import pandas as pd

from ..harness.config import Param, ParamSet
from ..platform import MODELLED
from ..harness.registry import Experiment, register
from .paired import ratios
from ._nginx import INTERFACE, SYSTEM, run_httperf

CONDITIONS = {"1 core, 40000 req/s": (1, 40000), "2 cores, 60000 req/s": (2, 60000)}
RATE_OF = dict(CONDITIONS.values())
METRICS = ("user_cpi", "kernel_cpi", *(f"{d}_{s}_mpki" for d in ("user", "kernel") for s in MODELLED))
PARAMS = ParamSet((SYSTEM, Param("condition", str, "1 core, 40000 req/s", choices=tuple(CONDITIONS),
                                 doc="cores and offered httperf rate"), INTERFACE))


def run_point(config: dict, seed: int) -> dict:
    cores, rate = CONDITIONS[config["condition"]]
    row = run_httperf({"system": config["system"], "cores": cores, "rate": rate, "interface": config["interface"]}, seed)
    return {"cores": cores, "rate": rate, **row}


def normalised(df: pd.DataFrame) -> pd.DataFrame:
    """flexsc / epoll per cores and metric (mean and 95% CI over replicates)."""
    parts = ratios(df, list(METRICS), ["cores"], pct=False)
    return pd.concat([r.assign(metric=m) for m, r in parts.items()], ignore_index=True)


register(Experiment(
    id="fig10", title="nginx CPI and misses per structure, FlexSC / epoll (httperf)", paper_item="Figure 10",
    params=PARAMS, run_point=run_point,
    grid={"system": ["epoll", "flexsc"], "condition": list(CONDITIONS)},
    quick_grid={"system": ["epoll", "flexsc"], "condition": list(CONDITIONS)[:1]},
    seeds=5, quick_seeds=2, notebook="fig10", shares_runs=True,
))
