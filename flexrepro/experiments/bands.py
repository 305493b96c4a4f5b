"""Prediction bands: how far the evidence lets the headline predictions move.

Each assumption of the identification ledger (data/ledger.csv) that no calibration data
identify, and whose change leaves the calibration untouched (no refit needed), is set to
each end of its plausible range, one at a time, and the headline prediction claims' points
are re-run there: a tornado per claim. The verdict stays on the point estimate; the
scorecard shows the band (min and max over the ends and the point) beside it.

Banded here: the client machine's CPU per request (memslap, ApacheBench, httperf; +-50%),
which Table 1's fit does not see (it fits instruction counts and CPI, not throughput).
Not banded (each end would need a refit of the platform and server fits): Xalan's L1i share,
the kernel saturation, the dTLB miss cost, the servers' profile shapes; and the FlexSC
mechanism costs (data/kernel/costs.toml), which the server benches do not take as inputs.
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

# point -> (client tool, where, {claim: flexsc/epoll metric})
POINTS = {
    "memcached-1core-768": ("memslap", {"cores": 1, "load": 768}, {"A-memcached": "throughput_rps"}),
    "apachebench-1core-256": ("apachebench", {"cores": 1, "load": 256},
                              {"F7-1core-256": "throughput_rps", "F8-1core": "mean_latency_s"}),
    "httperf-1core-50k": ("httperf", {"cores": 1, "load": 50000}, {"F9-1core-50k": "reply_mbps"}),
}
CORNERS = ("low", "point", "high")


@lru_cache(maxsize=None)
def banded_assumptions() -> pd.DataFrame:
    """Ledger rows this experiment can vary: not identified, numeric range, no refit."""
    led = pd.read_csv(paths.DATA / "ledger.csv", keep_default_na=False)
    led = led[(led.kind == "assumption") & led.identified_by.str.startswith("not identified")]
    return led[led.parameter.str.match(r"client\.\w+\.per_request_s$")].set_index("parameter")


def cases() -> list[str]:
    """`point|assumption|corner` for every point and every assumption that can move it."""
    out = []
    for name, (tool, _, _) in POINTS.items():
        out.append(f"{name}|none|point")
        for a in banded_assumptions().index:
            if a.split(".")[1] == tool:
                out += [f"{name}|{a}|low", f"{name}|{a}|high"]
    return out


def _simulate(tool: str, system: str, where: dict, seed: int, client) -> dict:
    if tool == "memslap":
        return memcached_testbed.simulate(system, where["cores"], where["load"], seed, client=client)
    return nginx_testbed.simulate(system, where["cores"], tool, where["load"], seed, client=client)


def run_point(config: dict, seed: int) -> list[dict]:
    name, assumption, corner = config["case"].split("|")
    tool, where, metrics = POINTS[name]
    client = load_client(tool)
    value = client.per_request_s
    if assumption != "none":
        value = float(banded_assumptions().loc[assumption, corner])
        client = replace(client, per_request_s=value)
    rows = {s: _simulate(tool, s, where, seed, client) for s in ("epoll", "flexsc")}
    out = []
    for claim, metric in metrics.items():
        e, f = rows["epoll"][metric], rows["flexsc"][metric]
        out.append({"claim": claim, "assumption": assumption, "corner": corner, "assumption_value": value,
                    "metric": metric, "epoll": e, "flexsc": f,
                    "change_pct": 100.0 * (f / e - 1.0) if e > 0 else float("nan")})
    return out


def band(frame: pd.DataFrame) -> pd.DataFrame:
    """Per claim: the point estimate (mean over seeds) and the band over every end."""
    per = frame.groupby(["claim", "assumption", "corner"], as_index=False)["change_pct"].mean()
    point = per[per.corner == "point"].set_index("claim")["change_pct"]
    out = per.groupby("claim")["change_pct"].agg(band_low="min", band_high="max")
    return out.assign(point=point).reset_index()


register(Experiment(
    id="bands", title="Prediction bands: headline claims at the ends of the unidentified assumptions",
    paper_item="(beyond: identification)",
    params=ParamSet((Param("case", str, cases()[0], choices=tuple(cases()),
                           doc="claim|ledger assumption|corner (low, point or high end of its range)"),)),
    run_point=run_point,
    grid={"case": cases()},
    stochastic=True, seeds=2, quick_seeds=1, notebook="identifiability",
))
