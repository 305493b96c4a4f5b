"""Live mix beside the model's, quantity by quantity, with stated tolerances.

A quantity is a system call (calls per request), `total` (all calls per request), `errors`
(failed calls per request: in the model, the receives that return EAGAIN) or `hit_ratio`
(memcached gets that hit). It AGREES when |live - model| is within the tolerance below.
Where the live server is known to differ, data/live/expected_differences.csv says so with
a reason and a band for the live value: the quantity is an EXPECTED DIFFERENCE if the live
value falls in that band (so the documented reason is itself checked), and UNEXPECTED
otherwise -- as is any quantity outside its tolerance without such a row."""
from __future__ import annotations

import math

import pandas as pd

from .. import paths

EXPECTED = paths.DATA / "live" / "expected_differences.csv"
# One call in ten requests: finer than that, a state machine's path is the same (connection
# set-up inside the window, timer wake-ups, a brk) -- coarser, a path differs.
CALL_TOL = 0.1
TOTAL_REL_TOL = 0.05        # all calls per request: within 5%
HIT_TOL = 0.05              # hit ratio, absolute


def load_expected() -> pd.DataFrame:
    return pd.read_csv(EXPECTED)


def compare(server: str, workload: str, live: dict, model: dict,
            expected: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per quantity: live, model, tolerance, verdict, reason.

    `live` and `model`: {"calls": {name: per request}, "errors_per_request" /
    "eagain_per_request", "hit_ratio"}."""
    exp = load_expected() if expected is None else expected
    exp = exp[(exp.server == server) & (exp.workload == workload)].set_index("quantity")
    names = sorted(set(live["calls"]) | set(model["calls"]))
    rows = []

    def add(q, lv, mv, tol, kind):
        ok = abs(lv - mv) <= tol
        if q in exp.index:
            e = exp.loc[q]
            inside = e.live_low <= lv <= e.live_high
            verdict = "expected difference" if inside else "unexpected"
            reason = e.reason if inside else f"outside the documented band [{e.live_low}, {e.live_high}]: {e.reason}"
        else:
            verdict, reason = ("agrees" if ok else "unexpected"), ""
        rows.append({"server": server, "workload": workload, "quantity": q, "kind": kind,
                     "live": lv, "model": mv, "tolerance": tol, "verdict": verdict, "reason": reason})

    for n in names:
        add(n, live["calls"].get(n, 0.0), model["calls"].get(n, 0.0), CALL_TOL, "calls/request")
    lt, mt = sum(live["calls"].values()), sum(model["calls"].values())
    add("total", lt, mt, TOTAL_REL_TOL * mt, "calls/request")
    add("errors", live["errors_per_request"], model["eagain_per_request"], CALL_TOL, "failed calls/request")
    if not (math.isnan(live["hit_ratio"]) or math.isnan(model["hit_ratio"])):
        add("hit_ratio", live["hit_ratio"], model["hit_ratio"], HIT_TOL, "fraction of gets")
    return pd.DataFrame(rows)
