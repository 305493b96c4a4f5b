"""Figure 6's claims: memcached's user and kernel CPI and user L1 misses, FlexSC / epoll."""
from __future__ import annotations

from .. import reference
from ..experiments.fig06 import normalised
from .base import Verdict, claim_check


def _ratio(frames, cores: int, metric: str):
    n = normalised(frames["fig06"])
    sel = n[(n.cores == cores) & (n.metric == metric)]
    return None if sel.empty else sel.iloc[0]


def _cpi_check(claim_id: str, cores: int):
    @claim_check(claim_id, "fig06")
    def check(frames):
        r = _ratio(frames, cores, "user_cpi")
        if r is None:
            return Verdict(f"no {cores}-core point", False)
        return Verdict(round(float(r.ratio), 3), reference.target(claim_id).accepts(r.ratio),
                       float(r.ci_low), float(r.ci_high))
    return check


_cpi_check("F6-user-cpi-1core", 1)
_cpi_check("F6-user-cpi-4core", 4)


@claim_check("F6-kernel-cpi", "fig06")
def _kernel_cpi(frames):
    n = normalised(frames["fig06"])
    sel = n[n.metric == "kernel_cpi"]
    t = reference.target("F6-kernel-cpi")
    text = ", ".join(f"{int(r.cores)}c: {r.ratio:.3f}" for r in sel.itertuples())
    return Verdict(text, bool(len(sel)) and all(t.accepts(v) for v in sel.ratio), note="flexsc / epoll kernel CPI")


@claim_check("F6-l1-misses", "fig06")
def _l1(frames):
    df = frames["fig06"]
    t = reference.target("F6-l1-misses")
    parts, ok = [], True
    for cores, g in df.groupby("cores"):
        for s in ("l1d", "l1i"):
            col = f"user_{s}_misses_per_request"
            e, f = g[g.system == "epoll"][col].mean(), g[g.system == "flexsc"][col].mean()
            if e > 0:
                parts.append(f"{int(cores)}c {s}: {f / e:.3f}")
                ok = ok and t.accepts(f / e)
            else:                       # no misses to reduce: the model cannot show this reduction
                parts.append(f"{int(cores)}c {s}: no epoll misses")
                ok = False
    return Verdict(", ".join(parts), bool(parts) and ok, note="user misses per request, flexsc / epoll")
