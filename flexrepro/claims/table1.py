"""Table 1's claims: each server's syscall profile under epoll (calibration targets, and
syscalls per request, an output of the state machine)."""
from __future__ import annotations

from .. import reference
from ..experiments.table1 import CLAIMS
from ..stats import mean_ci
from .base import Verdict, claim_check


def _check(server: str, claim_id: str, metric: str):
    @claim_check(claim_id, "table1")
    def check(frames):
        df = frames["table1"]
        sel = df[df.server == server][metric]
        if sel.empty:
            return Verdict(f"no {server} row", False)
        m, lo, hi = mean_ci(sel)
        return Verdict(round(m, 3), reference.target(claim_id).accepts(m), lo, hi,
                       note="calibration target" if metric != "syscalls_per_request" else "output of the state machine")
    return check


for _server, _claims in CLAIMS.items():
    for _cid, _metric in _claims.items():
        _check(_server, _cid, _metric)
