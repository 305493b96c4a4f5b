"""Prediction bands: how far the evidence lets the headline predictions move.

Each assumption of the identification ledger (data/ledger.csv) that no calibration data
identify, and whose change leaves the calibration untouched (no refit needed), is set to
each end of its plausible range, one at a time, and the headline prediction claims' points
are re-run there: a tornado per claim. The verdict stays on the point estimate; the
scorecard shows the band (min and max over the ends and the point) beside it.

Banded here:
- the client machine's CPU per request (memslap, ApacheBench, httperf): its range is what the
  paper's text allows (data/workloads/client.toml [bounds]: the client keeps up with the
  servers Section 6 says it kept up with) within the engineering estimate's band;
- the core that takes the NIC's interrupt (`netstack.irq`: "one" or "rss"), which the paper
  does not state; it moves only multi-core points (one core takes every interrupt anyway).
Not banded (each end would need a refit of the platform and server fits): Xalan's L1i share,
the kernel saturation, the dTLB miss cost, the servers' profile shapes; and the FlexSC
mechanism costs (data/kernel/costs.toml), which the server benches do not take as inputs.
Not banded either: the Figure 9 knees (a knee is a whole offered-rate sweep per corner).
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import pandas as pd

from .. import paths
from ..harness.config import Param, ParamSet
from ..harness.registry import Experiment, register
from ..testbed import memcached as memcached_testbed, nginx as nginx_testbed
from ..workloads.network import load_client

# point -> (client tool, where, {claim: metric}); a metric is "pct:col" (flexsc over epoll, %),
# "ratio:col" (flexsc / epoll) or "flexsc:col" (the FlexSC run's own value)
POINTS = {
    "memcached-1core-768": ("memslap", {"cores": 1, "load": 768},
                            {"A-memcached": "pct:throughput_rps", "F6-user-cpi-1core": "ratio:user_cpi"}),
    "memcached-4core-768": ("memslap", {"cores": 4, "load": 768},
                            {"F5-one-thread": "flexsc:util_min", "F6-user-cpi-4core": "ratio:user_cpi"}),
    "apachebench-1core-256": ("apachebench", {"cores": 1, "load": 256},
                              {"F7-1core-256": "pct:throughput_rps", "F8-1core": "pct:mean_latency_s"}),
    "apachebench-2core-1024": ("apachebench", {"cores": 2, "load": 1024}, {"F7-2core-max": "pct:throughput_rps"}),
    "httperf-1core-40k": ("httperf", {"cores": 1, "load": 40000},
                          {"F10-user-cpi-1core": "ratio:user_cpi", "F10-kernel-cpi-1core": "ratio:kernel_cpi"}),
    "httperf-1core-50k": ("httperf", {"cores": 1, "load": 50000}, {"F9-1core-50k": "pct:reply_mbps"}),
}
CORNERS = ("low", "point", "high")
IRQ = "netstack.irq"


@lru_cache(maxsize=None)
def banded_assumptions() -> pd.DataFrame:
    """Ledger rows this experiment can vary: not identified, a range, no refit."""
    led = pd.read_csv(paths.DATA / "ledger.csv", keep_default_na=False)
    led = led[(led.kind == "assumption") & led.identified_by.str.startswith("not identified")]
    return led[led.parameter.str.match(r"client\.\w+\.per_request_s$") | (led.parameter == IRQ)].set_index("parameter")


def _moves(assumption: str, tool: str, where: dict) -> bool:
    if assumption == IRQ:
        return where["cores"] > 1
    return assumption.split(".")[1] == tool


def _corners(assumption: str) -> list[str]:
    """The ends of a range; for the interrupt core only the end that differs from the value."""
    row = banded_assumptions().loc[assumption]
    return [c for c in ("low", "high") if row[c] != row["value"]]


def cases() -> list[str]:
    """`point|assumption|corner` for every point and every assumption that can move it."""
    out = []
    for name, (tool, where, _) in POINTS.items():
        out.append(f"{name}|none|point")
        for a in banded_assumptions().index:
            if _moves(a, tool, where):
                out += [f"{name}|{a}|{c}" for c in _corners(a)]
    return out


def _simulate(tool: str, system: str, where: dict, seed: int, client, irq) -> dict:
    if tool == "memslap":
        return memcached_testbed.simulate(system, where["cores"], where["load"], seed, client=client, irq=irq)
    return nginx_testbed.simulate(system, where["cores"], tool, where["load"], seed, client=client, irq=irq)


def _value(metric: str, epoll: dict, flexsc: dict) -> float:
    how, col = metric.split(":")
    e, f = epoll[col], flexsc[col]
    if how == "flexsc":
        return float(f)
    if not e > 0:
        return float("nan")
    return 100.0 * (f / e - 1.0) if how == "pct" else f / e


def run_point(config: dict, seed: int) -> list[dict]:
    name, assumption, corner = config["case"].split("|")
    tool, where, metrics = POINTS[name]
    client = load_client(tool)
    value, irq = client.per_request_s, None
    if assumption == IRQ:
        value = irq = str(banded_assumptions().loc[assumption, corner])
    elif assumption != "none":
        value = float(banded_assumptions().loc[assumption, corner])
        client = replace(client, per_request_s=value)
    rows = {s: _simulate(tool, s, where, seed, client, irq) for s in ("epoll", "flexsc")}
    return [{"claim": claim, "assumption": assumption, "corner": corner, "assumption_value": str(value),
             "metric": metric, "epoll": rows["epoll"][metric.split(":")[1]],
             "flexsc": rows["flexsc"][metric.split(":")[1]], "value": _value(metric, rows["epoll"], rows["flexsc"])}
            for claim, metric in metrics.items()]


def band(frame: pd.DataFrame) -> pd.DataFrame:
    """Per claim: the point estimate (mean over seeds) and the band over every end."""
    per = frame.groupby(["claim", "assumption", "corner"], as_index=False)["value"].mean()
    point = per[per.corner == "point"].set_index("claim")["value"]
    out = per.groupby("claim")["value"].agg(band_low="min", band_high="max")
    return out.assign(point=point).reset_index()


register(Experiment(
    id="bands", title="Prediction bands: headline claims at the ends of the unidentified assumptions",
    paper_item="(beyond: identification)",
    params=ParamSet((Param("case", str, cases()[0], choices=tuple(cases()),
                           doc="claim|ledger assumption|corner (low, point or high end of its range)"),)),
    run_point=run_point,
    grid={"case": cases()},
    # the quick smoke: the one-core points only (the multi-core ones start nginx's accept-mutex
    # workers and 4-core memcached, minutes each)
    quick_grid={"case": [c for c in cases() if POINTS[c.split("|")[0]][1]["cores"] == 1]},
    # one seed: a band is the spread over the assumption's ends (each claim's own CI comes from its
    # figure's five seeds), and the multi-core points cost 10-30 s of CPU per case
    stochastic=True, seeds=1, quick_seeds=1, notebook="identifiability",
))
