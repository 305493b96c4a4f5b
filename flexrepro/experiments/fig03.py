"""Figure 3: synchronous vs exception-less execution as per-core timelines from the kernel's trace."""
from ..harness.config import Param, ParamSet
from ..harness.registry import Experiment, register


def run_point(config: dict, seed: int) -> list[dict]:
    from ..platform import load_params
    from ..kernel.programs import timeline
    return timeline(config["mode"], load_params(), iterations=config["iterations"],
                    user_instructions=config["user_instructions"], call=config["call"], batch=config["batch"])


register(Experiment(
    id="fig03", title="Synchronous vs exception-less timelines", paper_item="Figure 3",
    params=ParamSet((
        Param("mode", str, "sync", choices=("sync", "batching", "specialization"),
              doc="sync traps; batching: exception-less on one core; specialization: syscall threads on core 1"),
        Param("iterations", int, 8, low=1, high=1000, doc="user-work + call iterations"),
        Param("user_instructions", float, 3000.0, low=0.0, doc="user instructions between calls"),
        Param("call", str, "pwrite", doc="catalogue name of the call"),
        Param("batch", int, 4, low=1, high=512, doc="exception-less: posts before the thread waits"),
    )),
    run_point=run_point,
    grid={"mode": ["sync", "batching", "specialization"]},
    quick_grid={"mode": ["sync", "batching", "specialization"], "iterations": [4]},
    stochastic=False, notebook="fig03",
))
