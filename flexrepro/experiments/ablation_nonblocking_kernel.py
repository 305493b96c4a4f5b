"""Beyond the paper (Section 7): a non-blocking kernel with one syscall thread, simulated,
against FlexSC's one syscall thread per entry, from 10^2 to 10^6 outstanding calls.

The server of `ablation_scaling` (`flexrepro.kernel.dormant`): `outstanding_calls -
active_calls` reads parked on dormant connections, `active_calls` connections served in
rounds -- but each read is posted *before* its request arrives (libflexsc keeps a read
outstanding on every connection), so active reads block. FlexSC parks the syscall thread
with each blocked read and switches threads; the non-blocking kernel
(`flexrepro.kernel.nonblocking`) saves a continuation and its single thread goes on.
Measured per completed call: thread switches, continuations, busy cycles, throughput; and
the memory of the syscall threads (plus continuations) against the machine and PID_MAX.
Queue rings by default, so that page scans (`ablation_interface`) do not mix in.
"""
from ..harness.config import Param, ParamSet
from ..errors import ConfigError
from ..harness.registry import Experiment, register

OUTSTANDING = [100, 1_000, 10_000, 100_000, 1_000_000]
KIB_PER_GIB = 1024 ** 2
MEASURED = ("syscall_threads", "dormant_calls", "thread_switches_per_call", "continuations_per_call",
            "blocked_per_call", "busy_cycles_per_call", "elapsed_cycles_per_call", "scan_cycles_per_call")


def run_point(config: dict, seed: int) -> dict:
    from ..kernel import load_costs
    from ..platform import load_params, load_platform
    from ..kernel.dormant import dormant_cost
    r = dormant_cost(config["interface"], config["outstanding_calls"], load_params(),
                     active_calls=config["active_calls"], rounds=config["rounds"], kernel=config["kernel"],
                     early_reads=True, data_delay=config["data_delay_cycles"])
    hz = load_platform().clock_ghz * 1e9
    return {
        **{key: r[key] for key in MEASURED},
        "throughput_calls_per_s": hz / r["elapsed_cycles_per_call"],
        "cpu_calls_per_s": hz / r["busy_cycles_per_call"],
        "memory_mib": r["thread_memory_kib"] / 1024,
        "memory_fraction": r["thread_memory_kib"] / (config["machine_memory_gib"] * KIB_PER_GIB),
        "pid_fraction": r["syscall_threads"] / load_costs().pid_max,
    }


def check(config: dict) -> None:
    if config["active_calls"] > config["outstanding_calls"]:
        raise ConfigError(f"parameter 'active_calls': got {config['active_calls']}; allowed: at most "
                          f"outstanding_calls ({config['outstanding_calls']})")


register(Experiment(
    id="ablation_nonblocking_kernel",
    title="A non-blocking kernel with one syscall thread vs one syscall thread per entry (Section 7)",
    paper_item="(beyond: Section 7)",
    params=ParamSet((
        Param("kernel", str, "flexsc", choices=("flexsc", "nonblocking"),
              doc="flexsc: a syscall thread per entry; nonblocking: one thread, continuations"),
        Param("outstanding_calls", int, 1_000, low=1, high=4_000_000,
              doc="posted, not yet consumed calls: parked dormant reads + the active calls"),
        Param("active_calls", int, 16, low=1, high=4096, doc="active connections, one request each per round"),
        Param("rounds", int, 100, low=1, high=100_000, doc="measured rounds (after 10 warm-up rounds)"),
        Param("data_delay_cycles", float, 20_000.0, low=0.0, high=1e9,
              doc="cycles between posting a round's reads and its requests arriving"),
        Param("interface", str, "queues", choices=("pages", "queues")),
        Param("machine_memory_gib", float, 8.0, low=0.001, high=1e6,
              doc="memory of the machine (assumption: the paper does not state it)"),
    )),
    run_point=run_point,
    grid={"kernel": ["flexsc", "nonblocking"], "outstanding_calls": OUTSTANDING},
    quick_grid={"kernel": ["flexsc", "nonblocking"], "outstanding_calls": [100, 10_000, 1_000_000], "rounds": [30]},
    stochastic=False, notebook="ablation_nonblocking_kernel", check=check,
))
