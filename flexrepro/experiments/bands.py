"""Prediction bands: how far the evidence lets every numeric prediction move.

Every assumption of the identification ledger (data/ledger.csv: kind `assumption`,
identified_by "not identified...") that can move a prediction claim (Figures 5-10, A-*) is
set to each end of its plausible range -- alone, or in a group whose direction is argued --
and the points a claim reads are re-simulated there; the claim's OWN check
(flexrepro/claims/) runs on the figure's frame with those points replaced. The band is the
min and max over the corners and the point estimate; the verdict stays on the point estimate.
The bands and their groups are `calibration.band_fits.BANDS` (each with its reason):

| band | ledger rows | corners run on |
|---|---|---|
| client.{memslap,apachebench,httperf}.per_request_s | the client's CPU per request | committed parameters; its tool's points only |
| flexsc.mechanism | costs.thread_switch, wakeup, ipi.send, ipi.latency, entry.user_post (high), spin (low) | committed parameters (no Table 1 condition runs FlexSC or sleeps) |
| memcached.cache_lock | memcached.lock.sections.*, lock.lines, syscall.futex | committed parameters; multi-core memcached only |
| memcached.lock.spin_cycles | (its value is the low end: one corner) | multi-core memcached, epoll rows only |
| nginx.posted_accepts | libflexsc's posted accepts | nginx, FlexSC rows only |
| netstack.split | when the per-connection work is paid (set-up vs tear-down) | nginx only |
| netstack.work | netstack.rx, ack_rx, tx_completion (high), max_rate (low), mss (low), syscall.eagain (high) | refitted: data/calibration/bands/ |
| platform.pollution | platform.tlb_miss_cycles, kernel.saturation, xalan.working_set.l3 | refitted (platform + servers) |
| kernel_core.scale | the shared kernel core's size | refitted (servers) |

The refitted corners were fitted once (`python -m flexrepro.calibration.band_fits`) and are
loaded, never refitted here (tests/calibration/test_band_fits.py checks they are current). A
refitted end whose Table 1 fit misses a target by more than the committed fit does, or whose
platform fit misses a calibration claim the committed fit meets, is excluded by the calibration
data and not run (`band_fits.misses`): kernel_core.scale = 0.5 (nginx's user IPC -20.7%, its
base CPI at the 4-wide peak).
A group moves its rows together, so its bar is the group's: the tornado
(notebooks/identifiability.ipynb) says which group moves which claim, not which row in it.

Not banded, and why:
- `server.user_shape`, `server.kernel_shape`, `netstack.profile`: structural choices (a rule,
  not a number; netstack.profile's alternative was measured and rejected, kernel/netstack.py);
- `netstack.irq`: identified (Section 6.2's client statement, data/ledger.csv);
- live.*, nonblocking.*, ablation.*, ablation_network.*, ablation_nonblocking_kernel.*: inputs
  of the live check and of the ablations only; no prediction claim reads them;
- steady.* (MSER batch, bins, batches), nginx.ab_window_requests, nginx.httperf_window_s:
  how a run is measured, not what the model is; their effect is studied in the fig07 and fig09
  docstrings (and is within the claims' seed CIs);
- memslap.get_hit_ratio: identified by memslap's key window (not an unidentified assumption).

The budget (issue 12: the full run is over its time already): about 200 point-seconds over the
client-only bands of session 4. Measured (session 5, the full grid in the pipeline's pool, one
after the other on the shared machine at load 2-3): session 4's bands 38 points, 217
point-seconds; these 133 points, 510 (the client bands 149 of them: the knee search from the last
knee saves ~45; the new bands 361). Scaled to session 4's idle-machine measurement of the same 38
points (155), about 364, i.e. +209. So the client bands re-simulate every target below,
and every other band the headline targets only (`headline`: the points of the figures'
quick grids -- memcached at 1 and 768 connections on 1 and 4 cores, nginx under ApacheBench
at 256 on 1 core and at 16 and 256 on 2, under httperf at 40,000 and 50,000 req/s on 1 core
-- and Figure 9's 1-core knees). The claims read only at the other targets (2-core httperf:
F10-*-2core, F9-2core-max, the 2-core knees; and the extra loads of F5-max-gain, F5-low-concurrency's
2 cores) are banded by the client's CPU alone (a lower bound on their bands), and
--quick bands the client's CPU only, on the quick grids' points.

What a corner re-simulates (one seed; the point estimate keeps its figure's seeds):
- only the targets the band can move (its servers and tools; multi-core points for a band that
  acts only between cores) and only the systems it can move: the other system's row is the
  figure's own row of the same seed (common random numbers: it would be the same row);
- a claim on one load: that load;
- a claim on a maximum or minimum over loads (F5-max-gain, F7-2core-max, F7-2core-from-16,
  F9-2core-max, A-*): the loads where the last full run's point estimate peaks (`POINTS`); the
  corner moves the extreme by what it moves it among those loads, so a corner that would move
  the peak to another load is not seen (a lower bound);
- a Figure 9 knee: the claim's own rule (the highest offered rate served at >= 95%, which the
  model's curves meet monotonically) on Figure 9's own rates, searched from the last full run's
  knee (`Knee.start`) outwards by doubling steps, then bisection: 2 runs when the corner leaves
  the knee where it was, about 2 log2(steps moved) more when it moves it.
The corner's number is paired with the point's on the same seed (scorecard.corner_values): the
claim's check runs on its points' rows of the corner's seed as the figure ran them and as the
corner did, and that difference is added to the point estimate, so a band shows what the
assumption moves, not one seed's spread about the figure's mean.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from ..calibration import band_fits
from ..calibration.band_fits import BANDS
from ..harness.config import Param, ParamSet
from ..harness.registry import Experiment, get, register
from ..platform import MODELLED
from ..servers.memcached import load_memcached
from ..servers.nginx import load_nginx
from ..testbed import memcached as memcached_testbed, nginx as nginx_testbed
from ..workloads.network import load_client
from . import fig05, fig06, fig09
from ._nginx import _keep

SYSTEMS = ("epoll", "flexsc")
# the figures a client tool's points belong to, and the columns that name a point in each
FIGURES = {"memslap": ("fig05", "fig06"), "apachebench": ("fig07", "fig08"), "httperf": ("fig09", "fig10")}
LOAD = {"memslap": "connections", "apachebench": "concurrency", "httperf": "rate"}
SERVER = {"memslap": "memcached", "apachebench": "nginx", "httperf": "nginx"}


@dataclass(frozen=True)
class Point:
    """One load of one figure, both systems, and the claims that read it."""
    tool: str
    cores: int
    load: int
    claims: tuple[str, ...]
    quick: bool            # in its figure's quick grid too
    systems: tuple[str, ...] = SYSTEMS

    def rows(self, df: pd.DataFrame) -> pd.Series:
        """Which rows of one of its figures' frames are this point (its systems, every seed)."""
        return (df.cores == self.cores) & (df[LOAD[self.tool]] == self.load) & df.system.isin(self.systems)


@dataclass(frozen=True)
class Knee:
    """One Figure 9 curve, searched for its knee over Figure 9's own rates (of its quick grid
    when `quick`), from `start` (the last full run's knee; None: the middle rate)."""
    system: str
    cores: int
    quick: bool
    claims: tuple[str, ...]
    start: int | None = None
    tool: str = "httperf"

    @property
    def systems(self) -> tuple[str, ...]:
        return (self.system,)

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
# the knees of the model as it stands (its bands' client corners, session 5): where each search
# starts; any start finds the rule's knee, a near one in fewer runs (2 when it has not moved)
KNEE_START = {("epoll", 1): 17500, ("flexsc", 1): 27500, ("epoll", 2): 37500, ("flexsc", 2): 45000}


def _knees() -> dict[str, Knee]:
    out = {}
    for grid, quick in (("full", False), ("quick", True)):
        for cores in (1, 2) if not quick else (1,):       # the quick Figure 9 has one core only
            for system in SYSTEMS:
                out[f"knee-{system}-{cores}c-{grid}"] = Knee(system, cores, quick, (f"F9-{cores}core-{system}-knee",),
                                                             None if quick else KNEE_START[system, cores])
    return out


KNEES = _knees()


def target(name: str) -> Point | Knee:
    return POINTS[name] if name in POINTS else KNEES[name]


def banded_assumptions() -> pd.DataFrame:
    """The ledger rows the bands move, with the band that moves each."""
    led = band_fits.ledger()
    rows = [(p, n) for n, b in BANDS.items() for p in b.ends]
    out = led.loc[[p for p, _ in rows]].copy()
    out["band"] = [n for _, n in rows]
    return out


def systems(band: str, t: Point | Knee) -> tuple[str, ...]:
    """The systems of target `t` whose rows `band` can move (none: it cannot move `t`)."""
    b = BANDS[band]
    single = isinstance(t, Point) and t.tool == "memslap" and t.load == 1      # one request in flight
    if t.tool not in b.tools or SERVER[t.tool] not in b.servers or (b.multicore and t.cores == 1) \
            or (b.concurrent and single):
        return ()
    return tuple(s for s in t.systems if s in b.systems)


def headline(name: str) -> bool:
    """A target every band re-simulates in the full run: a point of its figures' quick grids, or
    a 1-core Figure 9 knee (the others only the client's CPU moves: the budget, module docstring)."""
    t = target(name)
    return t.quick if isinstance(t, Point) else (t.cores == 1 and not t.quick)


def cases(quick: bool = False) -> list[str]:
    """`target|band|corner` for every point or knee of the grid and every band that can move it:
    quick, the client bands on the quick grids' points; full, the client bands on every target
    and the other bands on the headline targets."""
    names = [n for n, p in POINTS.items() if p.quick or not quick]
    names += [n for n in KNEES if n.endswith("-quick") == quick]
    return [f"{n}|{b}|{c}" for n in names for b in BANDS if systems(b, target(n))
            and (BANDS[b].level == "client" or (not quick and headline(n))) for c in band_fits.admissible_corners(b)]


def _simulate(tool: str, system: str, cores: int, load: int, seed: int, kw: dict) -> dict:
    if tool == "memslap":
        row = memcached_testbed.simulate(system, cores, load, seed, **kw)
        keep = [*fig05.KEEP, *fig06.METRICS, *(f"{d}_{s}_mpki" for d in fig06.MODES for s in MODELLED)]
        return {k: row[k] for k in dict.fromkeys(keep)} | {f"util_core{c}": row[f"util_core{c}"] for c in range(cores)}
    return _keep(nginx_testbed.simulate(system, cores, tool, load, seed, **kw), cores)


def point_rows(name: str, seed: int, band: str | None = None, which: str | None = None, **kw) -> list[dict]:
    """A point's or knee's rows, shaped as its figures' rows: at `band`'s corner `which` (only
    the systems it can move), or (band None) as the figures run them, with testbed keywords
    `kw` (client, params, ...)."""
    t = target(name)
    run = systems(band, t) if band else t.systems
    if band:
        c = band_fits.corner(band, which)
        params = band_fits.load_corner(band, which) if BANDS[band].refit else None
        kw = dict(kw, params=params)
        if c.client is not None:
            kw["client"] = replace(load_client(t.tool), per_request_s=c.client)
        if c.memcached and t.tool == "memslap":
            kw["mc"] = replace(load_memcached(params=params), **c.memcached)
        if c.nginx and t.tool != "memslap":
            kw["ng"] = replace(load_nginx(params=params), **c.nginx)
        with band_fits.applied(c):
            return _rows(t, run, seed, kw)
    return _rows(t, run, seed, kw)


def _rows(t: Point | Knee, run: tuple[str, ...], seed: int, kw: dict) -> list[dict]:
    if isinstance(t, Knee):
        return _knee_rows(t, seed, kw) if run else []
    return [_row(t.tool, s, t.cores, t.load, seed, kw) for s in run]


def _row(tool: str, system: str, cores: int, load: int, seed: int, kw: dict) -> dict:
    return {"system": system, "cores": cores, LOAD[tool]: load, "interface": "pages",
            **_simulate(tool, system, cores, load, seed, kw)}


def _knee_rows(k: Knee, seed: int, kw: dict) -> list[dict]:
    """The knee rule's search: lo is a rate index served at >= 95%, hi one that is not (-1 and
    len(rates) virtual); from the start, steps double outwards until the knee is bracketed,
    then bisection."""
    rates, rows, served = k.rates, [], {}

    def ok(i: int) -> bool:
        if i not in served:
            row = _row("httperf", k.system, k.cores, rates[i], seed, kw)
            rows.append(row)
            served[i] = row["throughput_rps"] >= fig09.FOLLOW * rates[i]
        return served[i]

    n = len(rates)
    i = max([j for j, r in enumerate(rates) if r <= k.start] or [0]) if k.start is not None else n // 2
    step = 1
    if ok(i):
        lo, hi = i, n
        while lo + step < n:
            if not ok(lo + step):
                hi = lo + step
                break
            lo, step = lo + step, 2 * step
    else:
        lo, hi = -1, i
        while hi - step >= 0:
            if ok(hi - step):
                lo = hi - step
                break
            hi, step = hi - step, 2 * step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return rows


def run_point(config: dict, seed: int) -> list[dict]:
    name, band, which = config["case"].split("|")
    values = band_fits.values(band, which)
    tag = {"target": name, "assumption": band, "corner": which,
           "assumption_value": ", ".join(f"{p}={v:g}" for p, v in values.items())}
    return [tag | r for r in point_rows(name, seed, band, which)]


def claims() -> list[str]:
    """Every claim some point or knee bands."""
    return list(dict.fromkeys(c for t in (*POINTS.values(), *KNEES.values()) for c in t.claims))


_ALL = sorted(set(cases(False)) | set(cases(True)))
register(Experiment(
    id="bands", title="Prediction bands: the prediction claims at the ends of the unidentified assumptions",
    paper_item="(beyond: identification)",
    params=ParamSet((Param("case", str, _ALL[0], choices=tuple(_ALL),
                           doc="point or knee|band (calibration.band_fits.BANDS)|corner (low or high end)"),)),
    run_point=run_point,
    grid={"case": cases(False)},
    quick_grid={"case": cases(True)},
    # one seed: a band is the spread over the assumption's ends (each claim's own CI comes from its
    # figure's seeds), and the multi-core points cost 5-10 s of CPU per run
    stochastic=True, seeds=1, quick_seeds=1, notebook="identifiability",
))
