"""Figure 2: the 64-byte syscall entry, drawn from the dtype the simulator uses, and the
status state machine with the transitions a short simulation actually performed."""
from ..harness.config import ParamSet
from ..kernel.pages import TRANSITIONS, entry_layout
from ..harness.registry import Experiment, register


def run_point(config: dict, seed: int) -> list[dict]:
    from ..platform import load_params
    from ..kernel.programs import status_transitions
    rows = [{"kind": "layout", **r} for r in entry_layout()]
    observed = {(r["from"], r["to"]): r["count"] for r in status_transitions(load_params())}
    for a, b, by in TRANSITIONS:
        rows.append({"kind": "transition", "from": a, "to": b, "by": by, "count": observed.get((a, b), 0)})
    return rows


register(Experiment(
    id="fig02", title="Syscall entry layout and status machine", paper_item="Figure 2",
    params=ParamSet(()), run_point=run_point, stochastic=False, notebook="fig02",
))
