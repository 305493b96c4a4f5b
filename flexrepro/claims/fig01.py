"""Figure 1's claims: the Xalan degradation curve (total and direct, each N of the paper's
csv) and which cost dominates where."""
from __future__ import annotations

from .. import reference
from ..experiments.fig01 import PAPER_N
from .base import Verdict, claim_check


def _curve(frame, syscall):
    rows = frame[frame.syscall == syscall].set_index("instructions_between_syscalls")
    return rows["user_degradation_pct"], rows


@claim_check("F1-xalan-curve", "fig01")
def check_curve(frames):
    f = frames["fig01"]
    paper = reference.load("fig1").set_index("instructions_between_syscalls")
    each = reference.target("F1-xalan-curve")          # the same tolerance about every point
    total, rows = _curve(f, "pwrite")
    ns = [n for n in PAPER_N if n in total.index]
    if len(ns) < len(PAPER_N):
        return Verdict("missing N", False, note=f"fig01 rows lack N = {sorted(set(PAPER_N) - set(ns))}")
    devs, parts, ok = [], [], True
    for n in ns:
        mt, md = total[n], rows.loc[n, "direct_degradation_pct"]
        pt, pd_ = paper.loc[n, "total_degradation_pct"], paper.loc[n, "direct_degradation_pct"]
        ok &= each.around(pt).accepts(mt) and each.around(pd_).accepts(md)
        devs += [abs(mt - pt), abs(md - pd_)]
        parts.append(f"N={n}: total {mt:.1f} (paper {pt}), direct {md:.1f} (paper {pd_})")
    return Verdict(round(float(max(devs)), 2), bool(ok),
                   note="max |model - paper| in points; " + "; ".join(parts))


@claim_check("F1-direct-dominates", "fig01")
def check_direct(frames):
    _, rows = _curve(frames["fig01"], "pwrite")
    r = rows.loc[1000]
    share = r["direct_degradation_pct"] / r["user_degradation_pct"]
    return Verdict(round(float(share), 3), reference.target("F1-direct-dominates").accepts(share),
                   note=f"N=1K: direct {r['direct_degradation_pct']:.1f} of total {r['user_degradation_pct']:.1f} points")


@claim_check("F1-indirect-dominates", "fig01")
def check_indirect(frames):
    _, rows = _curve(frames["fig01"], "pwrite")
    sel = rows[(rows.index >= 5000) & (rows.index <= 100000)]
    shares = sel["indirect_share"]
    t = reference.target("F1-indirect-dominates")
    return Verdict(round(float(shares.min()), 3), all(t.accepts(s) for s in shares) and len(shares) > 0,
                   note="indirect share (min over N=5K..100K) — " +
                        ", ".join(f"N={n}: {s:.2f}" for n, s in shares.items()))
