"""The unidentified assumptions the prediction bands move, and the refitted parameter sets at
their ends (data/calibration/bands/).

One `Band` is one assumption of the ledger (data/ledger.csv), or a group of them that move
together in an argued direction. Its two corners put every row at one end of its ledger range
(`Band.ends` says which end goes with the band's `high` corner). Some assumptions enter the
calibration itself: the platform fit (Xalan's L3 share, the kernel's saturation, the
dTLB miss cost), the servers' Table 1 fits (the shared kernel core's size, the network stack's
per-packet work and interrupt rate, the EAGAIN exit: they run in the Table 1 conditions, epoll
on 1 core). At such a corner the model is only calibrated again once those fits are re-run on
it; that takes 1-5 minutes of CPU per corner, so it is done ONCE, by

    python -m flexrepro.calibration.band_fits BAND CORNER     (or: all)

and the parameter set is committed as data/calibration/bands/<band>-<corner>.json with its
provenance (the command, the commit, a digest of the data the fit read and of the committed
params.json it started from). The bands experiment only loads it. A refitted corner whose
Table 1 fit misses a target by more than the committed fit does (plus the fit's tolerance), or
whose platform fit misses a calibration claim the committed fit meets (`misses`), is not a
calibrated model: the calibration data exclude that end, and the bands do
not run it (they list it);
tests/calibration/test_band_fits.py checks the files are current (digests) and that one
corner still re-simulates its Table 1 rows within the fit tolerance.

The other assumptions (FlexSC's mechanism costs, memcached's cache_lock, libflexsc's posted
accepts, the client machine) do not act in the Table 1 conditions (no FlexSC, one epoll
worker, ...): their corners run on the committed parameters. The test checks that too: the
Table 1 condition's row is unchanged at those corners.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .. import paths
from ..atomic import write_text
from ..errors import ConfigError
from ..platform import ModelParams, load_params

BANDS_DIR = paths.DATA / "calibration" / "bands"
CORNERS = ("low", "high")
LEVELS = ("client", "testbed", "server", "platform")


@dataclass(frozen=True)
class Band:
    """One banded assumption or group: the ledger rows it sets, and where it acts."""
    name: str
    ends: dict[str, str]          # ledger parameter -> the end of its range at the band's "high" corner
    level: str                    # client | testbed (no refit) | server (Table 1 refits) | platform (all fits)
    systems: tuple[str, ...] = ("epoll", "flexsc")     # whose rows it can move
    servers: tuple[str, ...] = ("memcached", "nginx")
    multicore: bool = False       # acts only with more than one core
    concurrent: bool = False      # acts only with more than one request in flight
    tools: tuple[str, ...] = ("memslap", "apachebench", "httperf")
    why: str = ""

    @property
    def refit(self) -> bool:
        return self.level in ("server", "platform")


_HI = "high"
BANDS: dict[str, Band] = {b.name: b for b in (
    *(Band(f"client.{t}.per_request_s", {f"client.{t}.per_request_s": _HI}, "client", tools=(t,),
           servers=("memcached",) if t == "memslap" else ("nginx",),
           why="the client machine's CPU per request: only its own tool's runs")
      for t in ("memslap", "apachebench", "httperf")),
    Band("flexsc.mechanism", {"costs.thread_switch.instructions": _HI, "costs.wakeup.instructions": _HI,
                              "costs.ipi.send_cycles": _HI, "costs.ipi.latency_cycles": _HI,
                              "costs.entry.user_post_instructions": _HI, "costs.spin.cycles": "low"},
         "testbed",
         why="high = FlexSC-unfavourable: every cost FlexSC pays per call or batch at its top, and the "
             "shortest spin (an idle syscall thread sleeps sooner, so more calls need a wake-up, an IPI "
             "and a switch). Switch and wake-up are also what a blocked epoll thread pays (one kernel): "
             "both systems are re-simulated. Not in the Table 1 conditions (epoll at saturation never "
             "sleeps; checked)"),
    Band("memcached.cache_lock", {"memcached.lock.sections.get_miss": _HI, "memcached.lock.sections.get_hit": _HI,
                                  "memcached.lock.sections.set": _HI, "memcached.lock.lines": _HI,
                                  "syscall.futex": _HI},
         "testbed", servers=("memcached",), multicore=True, concurrent=True,
         why="high = a costlier cache_lock: longer sections, more lines moved per hand-over, a longer futex "
             "path. One core has one worker, and one connection has one request in flight, so no hand-over: "
             "multi-core memcached with more than one connection only. The sections "
             "stay within the process stage in the Table 1 condition (checked)"),
    Band("memcached.lock.spin_cycles", {"memcached.lock.spin_cycles": _HI}, "testbed", servers=("memcached",),
         systems=("epoll",), multicore=True, concurrent=True,
         why="spinning before the futex sleep: its direction is not argued (a spin saves a wake-up and burns "
             "the core), so it is its own band; only contended epoll workers spin (FlexSC's one thread never waits)"),
    Band("nginx.posted_accepts", {"nginx.posted_accepts": _HI}, "testbed", servers=("nginx",), systems=("flexsc",),
         why="the libflexsc worker's posted accepts: FlexSC nginx only"),
    Band("netstack.work", {"netstack.rx": _HI, "netstack.ack_rx": _HI, "netstack.tx_completion": _HI,
                           "netstack.max_rate": "low", "netstack.mss": "low", "syscall.eagain": _HI},
         "server",
         why="high = more kernel network work outside the fitted totals: every per-packet cost and the "
             "EAGAIN exit at the top, the fewest interrupts (each softirq pass pollutes more at once) and "
             "the smaller MSS (more segments per reply). "
             "All enter both Table 1 fits (memcached's kernel per syscall includes the softirq work; nginx's "
             "leftover per-connection total is what the rest does not cover): refitted per corner"),
    Band("netstack.split", {"netstack.split.syn": _HI, "netstack.split.established": _HI,
                            "netstack.split.fin": "low", "netstack.split.close": "low",
                            "netstack.split.time_wait": "low"},
         "testbed", servers=("nginx",),
         why="when a connection's fitted per-connection work is paid: high = at set-up (SYN, handshake), "
             "low = at tear-down (FIN, close, TIME_WAIT); each end renormalised to sum 1. nginx under "
             "ApacheBench and httperf opens connections in the window; memcached's are open before it. The "
             "total is unchanged, so the Table 1 fit does not move beyond its tolerance (checked)"),
    Band("platform.pollution", {"platform.tlb_miss_cycles": _HI, "kernel.saturation": _HI,
                                "xalan.working_set.l3": _HI},
         "platform",
         why="high = pollution costs more: a dearer dTLB miss, a call touching more of its working set, "
             "Xalan's (hence the servers' user code's) L3 share at its top; the platform fit and "
             "both server fits re-run at each end"),
    Band("kernel_core.scale", {"kernel_core.scale": _HI}, "server",
         why="the shared kernel core's size: both server fits re-run on it (the platform fit does not see it)"),
)}


@lru_cache(maxsize=None)
def ledger() -> pd.DataFrame:
    return pd.read_csv(paths.DATA / "ledger.csv", keep_default_na=False).set_index("parameter")


def _parts(v: str) -> list[float]:
    """'450+600+60' -> [450, 600, 60]; '1 / 1+1 / 3+4+1' -> [1, 1, 1, 3, 4, 1]."""
    return [float(x) for x in str(v).replace("/", "+").split("+") if x.strip()]


def row_value(parameter: str, corner: str, band: Band) -> float:
    """The ledger row's end that goes with the band's `corner` (point: its value, summed parts)."""
    row = ledger().loc[parameter]
    if corner == "point":
        return sum(_parts(row.value))
    end = band.ends[parameter] if corner == "high" else ("low" if band.ends[parameter] == "high" else "high")
    return float(row[end])


def values(band: str, corner: str) -> dict[str, float]:
    """Every ledger row of the band at its `corner`."""
    b = get(band)
    return {p: row_value(p, corner, b) for p in b.ends}


def get(name: str) -> Band:
    if name not in BANDS:
        raise ConfigError(f"parameter 'band': got {name!r}; allowed: one of {', '.join(BANDS)}")
    return BANDS[name]


def corners(band: str) -> list[str]:
    """The corners that differ from the point (a value at one end of its range has one corner)."""
    b = get(band)
    return [c for c in CORNERS if any(row_value(p, c, b) != row_value(p, "point", b) for p in b.ends)]


def admissible_corners(band: str) -> list[str]:
    """The corners the bands run: those that differ from the point, less those whose refit
    cannot meet Table 1 (`misses`)."""
    return list(_admissible_corners(band))


@lru_cache(maxsize=None)
def _admissible_corners(band: str) -> tuple[str, ...]:
    # asked ~180 times when the bands' grid is built at import
    return tuple(c for c in corners(band) if admissible(band, c))


# --- what a corner changes ------------------------------------------------------------------

_COSTS = {"costs.thread_switch.instructions": "switch_instructions", "costs.wakeup.instructions": "wakeup_instructions",
          "costs.ipi.send_cycles": "ipi_send_cycles", "costs.ipi.latency_cycles": "ipi_latency_cycles",
          "costs.entry.user_post_instructions": "user_post_instructions", "costs.spin.cycles": "spin_cycles"}
_NETSTACK = {"netstack.rx": "rx", "netstack.ack_rx": "ack_rx", "netstack.tx_completion": "tx_completion",
             "netstack.max_rate": "max_rate", "netstack.mss": "mss"}
_CALLS = {"syscall.eagain": "eagain", "syscall.futex": "futex"}
_PLATFORM = {"platform.tlb_miss_cycles": "TLB_MISS_CYCLES", "kernel.saturation": "KERNEL_SATURATION",
             "xalan.working_set.l3": "XALAN_L3_FRACTION"}
_CAPACITY = {"xalan.working_set.l3": "l3"}     # ledger lines -> share


@dataclass
class Corner:
    """What one corner changes, by where it is read."""
    costs: dict = field(default_factory=dict)
    netstack: dict = field(default_factory=dict)
    calls: dict = field(default_factory=dict)
    platform: dict = field(default_factory=dict)     # platform_fit module constants
    core_scale: float | None = None
    client: float | None = None                      # per_request_s of the band's tool
    memcached: dict = field(default_factory=dict)    # MemcachedParams fields
    nginx: dict = field(default_factory=dict)        # NginxParams fields


def corner(band: str, which: str) -> Corner:
    """The changes of `band` at `which` (low or high)."""
    from ..platform import load_platform
    b = get(band)
    if which not in CORNERS:
        raise ConfigError(f"parameter 'corner': got {which!r}; allowed: one of {', '.join(CORNERS)}")
    v = values(band, which)
    c = Corner()
    split = {}
    for p, x in v.items():
        if p in _COSTS:
            c.costs[_COSTS[p]] = x
        elif p in _NETSTACK:
            c.netstack[_NETSTACK[p]] = int(x) if p == "netstack.mss" else x
        elif p in _CALLS:
            c.calls[_CALLS[p]] = x
        elif p in _PLATFORM:
            c.platform[_PLATFORM[p]] = x / load_platform().capacity(_CAPACITY[p]) if p in _CAPACITY else x
        elif p == "kernel_core.scale":
            c.core_scale = x
        elif p.startswith("client."):
            c.client = x
        elif p.startswith("netstack.split."):
            split[p.rsplit(".", 1)[1]] = x
        elif p == "nginx.posted_accepts":
            c.nginx["posted_accepts"] = int(x)
        elif p.startswith("memcached.lock.sections.") or p == "memcached.lock.lines":
            pass                                     # below: they reshape the sections together
        elif p == "memcached.lock.spin_cycles":
            c.memcached["spin_cycles"] = x
        else:  # pragma: no cover - a band names a row nobody reads
            raise ConfigError(f"band '{band}': no reader for ledger row '{p}'")
    if split:
        total = sum(split.values())
        c.netstack["split"] = {k: x / total for k, x in split.items()}
    if any(p.startswith("memcached.lock.sections.") or p == "memcached.lock.lines" for p in v):
        c.memcached["sections"] = _sections(v)
    return c


def _sections(v: dict[str, float]):
    """memcached's locked sections at the corner: each op's sections scaled to the ledger end of
    its total (their proportions kept), each moving `memcached.lock.lines` lines at the end."""
    from ..servers.memcached import load_memcached
    base = load_memcached().sections
    out = {}
    for op, secs in base.items():
        key = f"memcached.lock.sections.{op}"
        scale = v[key] / sum(i for i, _ in secs) if key in v else 1.0
        lines = int(v["memcached.lock.lines"]) if "memcached.lock.lines" in v else None
        out[op] = tuple((i * scale, n if lines is None else lines) for i, n in secs)
    return out


@contextmanager
def applied(c: Corner):
    """The kernel-side changes of a corner in force (kernel.assumed) inside the block."""
    from ..kernel.assumed import assumed
    with assumed(costs=c.costs, netstack=c.netstack, calls=c.calls):
        yield


@contextmanager
def _platform_constants(values_: dict[str, float]):
    from . import platform_fit
    old = {k: getattr(platform_fit, k) for k in values_}
    try:
        for k, x in values_.items():
            setattr(platform_fit, k, x)
        yield
    finally:
        for k, x in old.items():
            setattr(platform_fit, k, x)


# --- the refitted corners -----------------------------------------------------------------

FIT_INPUTS = ("paper", "platform", "kernel", "servers", "workloads")
_NOT_FIT_INPUTS = ("atc11_claims.csv", "README.md")      # the claims table and prose: no fit reads them


def inputs_digest() -> str:
    """sha256 over the data files the fits read, and the committed parameter file."""
    h = hashlib.sha256()
    files = sorted(f for d in FIT_INPUTS for f in (paths.DATA / d).rglob("*")
                   if f.is_file() and f.name not in _NOT_FIT_INPUTS)
    for f in [*files, paths.DATA / "calibration" / "params.json"]:
        h.update(str(f.relative_to(paths.DATA)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def corner_file(band: str, which: str) -> Path:
    return BANDS_DIR / f"{band}-{which}.json"


def refit(band: str, which: str) -> tuple[ModelParams, dict]:
    """The parameter set at a refit band's corner: the fits that see it re-run there (platform
    fit for a platform band, then memcached's and nginx's Table 1 fits, with the corner's
    kernel-side values in force)."""
    from . import memcached_fit, nginx_fit, platform_fit
    from .. import reference
    b = get(band)
    if not b.refit:
        raise ConfigError(f"parameter 'band': {band!r} needs no refit; allowed: one of "
                          f"{', '.join(n for n, x in BANDS.items() if x.refit)}")
    c = corner(band, which)
    reports: dict = {}
    with _platform_constants(c.platform), applied(c):
        if c.platform:
            params, reports["platform"] = platform_fit.fit()
        else:
            params = load_params()
        if c.core_scale is not None:
            params = params.with_profiles(platform_fit.kernel_core(reference.load("syscall_footprint"), c.core_scale))
        params, reports["memcached"] = memcached_fit.fit(params)
        params, reports["nginx"] = nginx_fit.fit(params)
    return params, reports


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except OSError:  # pragma: no cover
        return ""


def write_corner(band: str, which: str) -> Path:
    from . import to_json
    params, reports = refit(band, which)
    doc = json.loads(to_json(params, reports))
    doc["band"] = {"band": band, "corner": which, "values": values(band, which),
                   "command": f"python -m flexrepro.calibration.band_fits {band} {which}",
                   "commit": _commit(), "inputs_sha256": inputs_digest()}
    path = corner_file(band, which)
    write_text(path, json.dumps(doc, indent=1) + "\n")
    return path


@lru_cache(maxsize=None)
def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def _corner_doc(band: str, which: str) -> dict:
    """The committed file of a refit band's corner (read once per process: every process that
    loads the experiments asks which corners are admissible)."""
    path = corner_file(band, which)
    if not path.is_file():
        raise ConfigError(f"band '{band}' corner '{which}': {path} is missing; run "
                          f"`python -m flexrepro.calibration.band_fits {band} {which}` and commit it")
    return _read(path)


@lru_cache(maxsize=None)
def load_corner(band: str, which: str) -> ModelParams:
    """The committed refitted parameter set of a refit band's corner."""
    return ModelParams.from_dict(_corner_doc(band, which))


FIT_TOL_PCT = 0.5       # server_fit's tolerance (tol=0.005), in percent


def misses(band: str, which: str) -> list[str]:
    """The Table 1 targets a refitted corner misses by more than the committed fit misses them
    (plus the fit's tolerance), and the platform targets a platform refit misses (`_platform_misses`):
    at such a corner the model is not calibrated -- typically a base CPI held at the 4-wide core's
    peak -- so the calibration data exclude that end of the range."""
    if not get(band).refit:
        return []
    fit = _corner_doc(band, which)["fit"]
    ref = _read(paths.DATA / "calibration" / "params.json")["fit"]
    out = []
    if "platform" in fit:
        out += _platform_misses(fit["platform"]["residuals"], ref["platform"]["residuals"])
    for server in ("memcached", "nginx"):
        committed = {r["target"]: abs(r["residual_pct"]) for r in ref[server]["residuals"]}
        for r in fit[server]["residuals"]:
            if abs(r["residual_pct"]) > committed[r["target"]] + FIT_TOL_PCT:
                out.append(f"{server} {r['target']} {r['residual_pct']:+.1f}% (committed fit "
                           f"{committed[r['target']]:.1f}%)")
    return out


FIG4_POINTS = 5.0       # issue 13's target for OSDI'10 Figure 4 (tests/experiments/test_fig01.py); no claim row
CLAIMED = ("fig1_total_pct", "fig1_direct_pct", "kernel_ipc_loss_pct")


def _within(target: str, r: dict) -> bool:
    """A Figure 1 point within F1-xalan-curve's tolerance (the claims table's), a Figure 4 point
    within FIG4_POINTS."""
    from .. import reference
    if target == "kernel_ipc_loss_pct":
        return abs(r["model"] - r["paper"]) <= FIG4_POINTS
    return reference.target("F1-xalan-curve").around(r["paper"]).accepts(r["model"])


def _platform_misses(rows: list[dict], committed: list[dict]) -> list[str]:
    """The calibration claims a refitted platform corner misses that the committed fit meets: a
    Figure 1 point outside F1-xalan-curve's tolerance or an OSDI'10 Figure 4 point outside 5, Figure 1's
    direct share not dominant at 1K or not dominated at 5K-100K. Not the fit's total cost: the
    committed fit is its minimum, so any other value of an assumption costs more and a cost
    threshold would set the band's width. The recovery bins and OSDI'10 Table 1's cycles carry
    no tolerance to judge a corner by; the corner files keep their residuals."""
    def by_point(rs):
        return {(r["target"], r["x"]): r for r in rs if r["target"] in CLAIMED}
    mine, ref = by_point(rows), by_point(committed)
    out = [f"{t} at {x:g}: {r['model']:.1f} vs {r['paper']:g} (committed fit {ref[t, x]['model']:.1f})"
           for (t, x), r in mine.items() if _within(t, ref[t, x]) and not _within(t, r)]

    def holds(rs, x):        # F1-direct-dominates at 1K, F1-indirect-dominates at 5K-100K
        share = rs["fig1_direct_pct", x]["model"] / rs["fig1_total_pct", x]["model"]
        return share > 0.5 if x <= 1000 else share < 0.5
    for (t, x) in mine:
        if t == "fig1_total_pct" and (x <= 1000 or x >= 5000) and holds(ref, x) and not holds(mine, x):
            out.append(f"Figure 1's direct share at {x:g} on the wrong side of 0.5")
    return out


def admissible(band: str, which: str) -> bool:
    """The corner is a calibrated model (`misses` is empty)."""
    return not misses(band, which)


def table() -> pd.DataFrame:
    """One row per band and corner: its level, its values, and whether the bands run it (a
    refitted corner the calibration excludes is listed with what it misses)."""
    rows = []
    for name, b in BANDS.items():
        for c in corners(name):
            miss = misses(name, c)
            rows.append({"band": name, "corner": c, "level": b.level,
                         "values": ", ".join(f"{p}={v:g}" for p, v in values(name, c).items()),
                         "run": not miss, "excluded_by": "; ".join(miss)})
    return pd.DataFrame(rows)


def main(argv: list[str]) -> int:
    if len(argv) != 2 and argv != ["all"]:
        print("usage: python -m flexrepro.calibration.band_fits BAND CORNER | all", file=sys.stderr)
        return 2
    todo = [(n, c) for n, b in BANDS.items() if b.refit for c in corners(n)] if argv == ["all"] else [tuple(argv)]
    for band, which in todo:
        try:
            print(f"wrote {write_corner(band, which)}", flush=True)
        except ConfigError as e:
            print(f"flexrepro: {e}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
