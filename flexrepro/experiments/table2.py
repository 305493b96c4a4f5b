"""Table 2: porting effort. The paper's numbers; our own ports' diff joins with the servers."""
from .. import reference
from ..config import ParamSet
from ..registry import Experiment, register


def run_point(config: dict, seed: int) -> list[dict]:
    t = reference.load("table2")
    return [{"source": "paper", **r} for r in t.to_dict("records")]


register(Experiment(
    id="table2", title="Porting effort (lines and files changed)", paper_item="Table 2",
    params=ParamSet(()), run_point=run_point, stochastic=False, notebook="table2",
))
