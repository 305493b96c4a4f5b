"""fig06: normalisation and claim-check logic on synthetic frames, and one real quick point."""
import pandas as pd

from flexrepro.experiments.fig06 import METRICS, normalised
from flexrepro.claims import checks


def _frame(user_cpi_ratio, l1i_epoll=10.0):
    rows = []
    for cores in (1, 4):
        for rep in range(2):
            base = {m: 10.0 for m in METRICS}
            base["user_l1i_misses_per_request"] = l1i_epoll
            fx = {m: v * 0.5 for m, v in base.items()}
            fx["user_cpi"] = base["user_cpi"] * user_cpi_ratio[cores]
            rows.append({"system": "epoll", "cores": cores, "replicate": rep, **base})
            rows.append({"system": "flexsc", "cores": cores, "replicate": rep, **fx})
    return pd.DataFrame(rows)


def test_normalised_and_checks():
    f = {"fig06": _frame({1: 0.78, 4: 0.48})}
    n = normalised(f["fig06"])
    assert set(n.cores) == {1, 4}
    assert n[n.metric == "user_cpi"].set_index("cores").ratio.round(3).to_dict() == {1: 0.78, 4: 0.48}
    ck = checks()
    for cid in ("F6-user-cpi-1core", "F6-user-cpi-4core", "F6-kernel-cpi", "F6-l1-misses"):
        assert ck[cid].fn(f).reproduced, cid
    f = {"fig06": _frame({1: 1.0, 4: 0.9}, l1i_epoll=0.0)}
    for cid in ("F6-user-cpi-1core", "F6-user-cpi-4core", "F6-l1-misses"):
        assert not ck[cid].fn(f).reproduced, cid
