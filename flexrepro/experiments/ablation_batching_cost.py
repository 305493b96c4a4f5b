"""Beyond the paper: the cost of one exception-less null call vs batch size, on the caller's
core (batching) and on a remote core that must be woken (specialization, worst case), next to
the synchronous call (OSDI'10 measured this shape; here it follows from the mechanism costs).
The synchronous point is a tight loop of null calls: its trap is entry + exit less their
overlap with nothing in flight (`platform.trap`), the overlap identified by OSDI'10's 56 ns
getppid loop, so that point is a calibration check, not a prediction."""
from ..harness.config import Param, ParamSet
from ..harness.registry import Experiment, register

BATCHES = [1, 2, 4, 8, 16, 32, 64]


def run_point(config: dict, seed: int) -> dict:
    from ..platform import load_params
    from ..kernel.programs import null_call_cost
    r = null_call_cost(config["placement"], config["batch_size"], load_params(), rounds=config["rounds"])
    return {"ns_per_call": r["ns_per_call"], "cycles_per_call": r["cycles_per_call"],
            "ipis_per_batch": r["ipis_per_batch"], "flexsc_waits_per_batch": r["flexsc_waits_per_batch"]}


register(Experiment(
    id="ablation_batching_cost", title="Exception-less call cost vs batch size", paper_item="(beyond: OSDI'10 microbenchmark)",
    params=ParamSet((
        Param("placement", str, "same_core", choices=("sync", "same_core", "remote_core")),
        Param("batch_size", int, 1, low=1, high=512, doc="calls posted before the thread waits for them"),
        Param("rounds", int, 200, low=1, high=100_000, doc="measured batches (after 20 warm-up batches)"),
    )),
    run_point=run_point,
    grid={"placement": ["sync", "same_core", "remote_core"], "batch_size": BATCHES},
    quick_grid={"placement": ["sync", "same_core", "remote_core"], "batch_size": [1, 8, 64], "rounds": [50]},
    stochastic=False, notebook="ablation_batching_cost",
))
