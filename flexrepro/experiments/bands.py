"""Prediction bands: how far the evidence lets every numeric prediction move.

Each assumption of the identification ledger (data/ledger.csv) that no calibration data
identify, and whose change leaves the calibration untouched (no refit needed), is set to
each end of its plausible range, one at a time; the figure points a prediction claim reads
are re-simulated there, and the claim's OWN check (flexrepro/claims/) is run on the figure's
frame with those points replaced: the band is the verdict's number at every corner. The
verdict stays on the point estimate; the scorecard shows the band (min and max over the
corners and the point estimate itself) beside it. A claim on several numbers (one per core
count, or per structure) is banded over all of them: its band holds every number its
verdict tests, at every corner.

Banded here:
- the client machine's CPU per request (memslap, ApacheBench, httperf): its range is what the
  paper's text allows (data/workloads/client.toml [bounds]: the client keeps up with the
  servers Section 6 says it kept up with) within the engineering estimate's band.
The NIC's interrupt core (`netstack.irq`) is not banded: the same Section 6.2 statement
identifies it (data/ledger.csv).
Not banded, because each end would need a refit of the platform or server fits: Xalan's L1i
and L3 shares, the kernel saturation, the dTLB miss cost, the servers' profile shapes, and the shared
kernel core's size (`kernel_core.scale`: its ends refit both servers' Table 1 fits, ~3 min of
CPU each; experiments/bands_kernel.py runs them apart, outside the pipeline's budget, in rows
of this experiment's shape); nor the
FlexSC mechanism costs (data/kernel/costs.toml), which the server benches do not take as inputs.

What a corner re-simulates (one seed; the point estimate keeps its figure's seeds):
- a claim on one load: that load (both systems);
- a claim on a maximum or minimum over loads (F5-max-gain, F7-2core-max, F7-2core-from-16,
  F9-2core-max, A-*): the loads where the last full run's point estimate peaks (`POINTS`); the
  corner moves the extreme by what it moves it among those loads, so a corner that would move
  the peak to another load is not seen;
- a Figure 9 knee: the whole curve, by bisection on the claim's own rule (the highest offered
  rate served at >= 95%, which the model's curves meet monotonically) over Figure 9's own rates
  (2,500 req/s steps, as the point estimate's knee; quick: the quick grid's two rates): 5 runs
  per curve and corner instead of 26.
The corner's number is paired with the point's on the same seed (common random numbers): the
claim's check runs on its points' rows of the corner's seed as the figure ran them and as the
corner did, and that difference is added to the point estimate (scorecard.corner_values), so
a band shows what the assumption moves, not one seed's spread about the figure's mean.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import pandas as pd

from .. import paths
from ..harness.config import Param, ParamSet
from ..harness.registry import Experiment, get, register
from ..platform import MODELLED
from ..testbed import memcached as memcached_testbed, nginx as nginx_testbed
from ..workloads.network import load_client
from . import fig05, fig06, fig09
from ._nginx import _keep

CORNERS = ("low", "high")
# the figures a client tool's points belong to, and the columns that name a point in each
FIGURES = {"memslap": ("fig05", "fig06"), "apachebench": ("fig07", "fig08"), "httperf": ("fig09", "fig10")}
LOAD = {"memslap": "connections", "apachebench": "concurrency", "httperf": "rate"}


@dataclass(frozen=True)
class Point:
    """One load of one figure, both systems, and the claims that read it."""
    tool: str
    cores: int
    load: int
    claims: tuple[str, ...]
    quick: bool            # in its figure's quick grid too

    def rows(self, df: pd.DataFrame) -> pd.Series:
        """Which rows of one of its figures' frames are this point (both systems, every seed)."""
        return (df.cores == self.cores) & (df[LOAD[self.tool]] == self.load)


@dataclass(frozen=True)
class Knee:
    """One Figure 9 curve, searched for its knee by bisection over Figure 9's own rates (of its
    quick grid when `quick`): the same resolution as the point estimate's knee."""
    system: str
    cores: int
    quick: bool
    claims: tuple[str, ...]
    tool: str = "httperf"

    @property
    def rates(self) -> list[int]:
        return sorted(get("fig09").grid_for(self.quick)["rate"])

    def rows(self, df: pd.DataFrame) -> pd.Series:
        """Which rows of Figure 9's frame are this curve (every rate and seed)."""
        return (df.system == self.system) & (df.cores == self.cores)


_MAX5 = ("F5-max-gain",)
POINTS: dict[str, Point] = {
    "memslap-1c-1": Point("memslap", 1, 1, ("F5-low-concurrency",), True),
    "memslap-2c-1": Point("memslap", 2, 1, ("F5-low-concurrency",), False),
    "memslap-4c-1": Point("memslap", 4, 1, ("F5-low-concurrency",), True),
    "memslap-1c-768": Point("memslap", 1, 768, ("F6-user-cpi-1core", "F6-kernel-cpi", "F6-l1-misses", *_MAX5,
                                                 "A-memcached"), True),
    "memslap-4c-768": Point("memslap", 4, 768, ("F6-user-cpi-4core", "F6-kernel-cpi", "F6-l1-misses",
                                                 "F5-one-thread", *_MAX5), True),
    # where the full run's best gains sit: 1 core at 1024 (also A-memcached), 2 at 1024, 4 at 32
    "memslap-1c-1024": Point("memslap", 1, 1024, (*_MAX5, "A-memcached"), False),
    "memslap-2c-1024": Point("memslap", 2, 1024, _MAX5, False),
    "memslap-4c-32": Point("memslap", 4, 32, _MAX5, False),
    "apachebench-1c-256": Point("apachebench", 1, 256, ("F7-1core-256", "F8-1core", "F8-second-core"), True),
    # the smallest 2-core gain from 16 on is at 16; the best at 256 (512 within 0.6 points)
    "apachebench-2c-16": Point("apachebench", 2, 16, ("F7-2core-from-16", "F7-2core-max"), True),
    "apachebench-2c-256": Point("apachebench", 2, 256, ("F7-2core-from-16", "F7-2core-max", "F8-2core",
                                                         "F8-second-core", "A-nginx"), True),
    "httperf-1c-40000": Point("httperf", 1, 40000, ("F10-user-cpi-1core", "F10-kernel-cpi-1core", "F10-l1-l2",
                                                     "F10-kernel-l3-1core"), True),
    "httperf-2c-60000": Point("httperf", 2, 60000, ("F10-user-cpi-2core", "F10-kernel-cpi-2core", "F10-l1-l2",
                                                     "F10-user-tlb-2core"), False),
    "httperf-1c-50000": Point("httperf", 1, 50000, ("F9-1core-50k", "A-nginx"), True),
    "httperf-2c-67500": Point("httperf", 2, 67500, ("F9-2core-max", "A-nginx"), False),
}


def _knees() -> dict[str, Knee]:
    out = {}
    for grid, quick in (("full", False), ("quick", True)):
        for cores in (1, 2) if not quick else (1,):       # the quick Figure 9 has one core only
            for system in ("epoll", "flexsc"):
                out[f"knee-{system}-{cores}c-{grid}"] = Knee(system, cores, quick,
                                                             (f"F9-{cores}core-{system}-knee",))
    return out


KNEES = _knees()


def target(name: str) -> Point | Knee:
    return POINTS[name] if name in POINTS else KNEES[name]


@lru_cache(maxsize=None)
def banded_assumptions() -> pd.DataFrame:
    """Ledger rows this experiment can vary: not identified, a range, no refit."""
    led = pd.read_csv(paths.DATA / "ledger.csv", keep_default_na=False)
    led = led[(led.kind == "assumption") & led.identified_by.str.startswith("not identified")]
    return led[led.parameter.str.match(r"client\.\w+\.per_request_s$")].set_index("parameter")


def _moves(assumption: str, t: Point | Knee) -> bool:
    return assumption.split(".")[1] == t.tool


def _corners(assumption: str) -> list[str]:
    """The ends of a range that differ from the value."""
    row = banded_assumptions().loc[assumption]
    return [c for c in CORNERS if row[c] != row["value"]]


def cases(quick: bool = False) -> list[str]:
    """`target|assumption|corner` for every point or knee of the grid and every assumption that moves it."""
    names = [n for n, p in POINTS.items() if p.quick or not quick]
    names += [n for n in KNEES if n.endswith("-quick") == quick]
    return [f"{n}|{a}|{c}" for n in names for a in banded_assumptions().index if _moves(a, target(n))
            for c in _corners(a)]


def _simulate(tool: str, system: str, cores: int, load: int, seed: int, client, params) -> dict:
    if tool == "memslap":
        row = memcached_testbed.simulate(system, cores, load, seed, client=client, params=params)
        keep = [*fig05.KEEP, *fig06.METRICS, *(f"{d}_{s}_mpki" for d in fig06.MODES for s in MODELLED)]
        return {k: row[k] for k in dict.fromkeys(keep)} | {f"util_core{c}": row[f"util_core{c}"] for c in range(cores)}
    return _keep(nginx_testbed.simulate(system, cores, tool, load, seed, client=client, params=params), cores)


def point_rows(name: str, seed: int, client=None, params=None) -> list[dict]:
    """A point's or knee's rows, shaped as its figures' rows, with the client machine or the
    model parameters replaced (None: the data files')."""
    t = target(name)
    client = client or load_client(t.tool)
    if isinstance(t, Knee):
        return _knee_rows(t, seed, client, params)
    return [_row(t.tool, s, t.cores, t.load, seed, client, params) for s in ("epoll", "flexsc")]


def _row(tool: str, system: str, cores: int, load: int, seed: int, client, params) -> dict:
    return {"system": system, "cores": cores, LOAD[tool]: load, "interface": "pages",
            **_simulate(tool, system, cores, load, seed, client, params)}


def _knee_rows(k: Knee, seed: int, client, params) -> list[dict]:
    """Bisection on the knee rule: rates[lo] is served at >= 95%, rates[hi] is not (the ends virtual)."""
    rates = k.rates
    lo, hi, rows = -1, len(rates), []
    while hi - lo > 1:
        mid = (lo + hi) // 2
        row = _row("httperf", k.system, k.cores, rates[mid], seed, client, params)
        rows.append(row)
        lo, hi = (mid, hi) if row["throughput_rps"] >= fig09.FOLLOW * rates[mid] else (lo, mid)
    return rows


def run_point(config: dict, seed: int) -> list[dict]:
    name, assumption, corner = config["case"].split("|")
    value = float(banded_assumptions().loc[assumption, corner])
    client = replace(load_client(target(name).tool), per_request_s=value)
    rows = point_rows(name, seed, client)
    tag = {"target": name, "assumption": assumption, "corner": corner, "assumption_value": str(value)}
    return [tag | r for r in rows]


def claims() -> list[str]:
    """Every claim some point or knee bands."""
    return list(dict.fromkeys(c for t in (*POINTS.values(), *KNEES.values()) for c in t.claims))


_ALL = sorted(set(cases(False)) | set(cases(True)))
register(Experiment(
    id="bands", title="Prediction bands: the prediction claims at the ends of the unidentified assumptions",
    paper_item="(beyond: identification)",
    params=ParamSet((Param("case", str, _ALL[0], choices=tuple(_ALL),
                           doc="point or knee|ledger assumption|corner (low or high end of its range)"),)),
    run_point=run_point,
    grid={"case": cases(False)},
    quick_grid={"case": cases(True)},
    # one seed: a band is the spread over the assumption's ends (each claim's own CI comes from its
    # figure's seeds), and the multi-core points cost 5-10 s of CPU per run
    stochastic=True, seeds=1, quick_seeds=1, notebook="identifiability",
))
