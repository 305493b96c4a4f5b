"""Table 3: the platform parameters the model runs with."""
from ..harness.config import ParamSet
from ..platform import load_platform
from ..harness.registry import Experiment, register


def run_point(config: dict, seed: int) -> list[dict]:
    return load_platform().rows()


register(Experiment(
    id="table3", title="Core i7 platform parameters in use", paper_item="Table 3",
    params=ParamSet(()), run_point=run_point, stochastic=False, notebook="table3",
))
