"""Beyond the paper (Section 7): syscall pages vs queue rings, and one syscall thread per
outstanding call, from 10^2 to 10^6 outstanding calls.

A server holds `outstanding_calls - active_calls` reads parked on dormant connections and
serves `active_calls` active ones (`flexrepro.kernel.dormant`). Per completed call:
the cycles spent finding work and completions — linear scans of the syscall pages by the
user's polls and the kernel's claims, or ring operations — and the syscall threads FlexSC
keeps alive (one per entry, 10 KiB each) against the machine's memory and the PID limit.
`nonblocking_*`: the same server on a non-blocking kernel (Section 7's proposal) needs one
syscall thread per core that runs syscall threads (in this workload no active call blocks, so
its timing equals FlexSC's); `ablation_nonblocking_kernel` simulates that kernel with calls
that do block.
"""
from ..harness.config import Param, ParamSet
from ..errors import ConfigError
from ..harness.registry import Experiment, register

OUTSTANDING = [100, 316, 1_000, 3_162, 10_000, 31_623, 100_000, 316_228, 1_000_000]
KIB_PER_GIB = 1024 ** 2
MEASURED = ("scan_cycles_per_call", "user_scan_cycles_per_call", "kernel_scan_cycles_per_call",
            "entries_scanned_per_call", "ring_ops_per_call", "scan_instructions_per_call", "scan_bytes_per_call",
            "busy_cycles_per_call", "scan_share", "dormant_calls", "syscall_threads", "parked_threads")


def run_point(config: dict, seed: int) -> dict:
    from ..kernel import load_costs
    from ..platform import load_params
    from ..kernel.dormant import dormant_cost
    r = dormant_cost(config["interface"], config["outstanding_calls"], load_params(),
                     active_calls=config["active_calls"], rounds=config["rounds"], policy=config["policy"],
                     cores=config["cores"], user_instructions=config["user_instructions"])
    costs = load_costs()
    threads, nb_threads = r["syscall_threads"], r["kernel_cores"]
    return {
        **{key: r[key] for key in MEASURED},
        "thread_memory_mib": r["thread_memory_kib"] / 1024,
        "thread_memory_fraction": r["thread_memory_kib"] / (config["machine_memory_gib"] * KIB_PER_GIB),
        "pid_fraction": threads / costs.pid_max,
        "entry_memory_mib": r["entry_memory_kib"] / 1024,
        "nonblocking_threads": nb_threads,
        "nonblocking_memory_mib": nb_threads * costs.thread_memory_kib / 1024,
    }


def check(config: dict) -> None:
    if config["active_calls"] > config["outstanding_calls"]:
        raise ConfigError(f"parameter 'active_calls': got {config['active_calls']}; allowed: at most "
                          f"outstanding_calls ({config['outstanding_calls']})")
    if config["policy"] == "batching" and config["cores"] != 1:
        raise ConfigError(f"parameter 'cores': got {config['cores']}; allowed: 1 under the batching policy")


register(Experiment(
    id="ablation_scaling", title="Scaling outstanding calls: page scans vs queue rings, thread memory",
    paper_item="(beyond: Section 7)",
    params=ParamSet((
        Param("interface", str, "pages", choices=("pages", "queues")),
        Param("outstanding_calls", int, 1_000, low=1, high=4_000_000,
              doc="posted, not yet consumed calls: parked dormant reads + the active calls"),
        Param("active_calls", int, 16, low=1, high=4096, doc="active connections, one request each per round"),
        Param("rounds", int, 100, low=1, high=100_000, doc="measured rounds (after 10 warm-up rounds)"),
        Param("policy", str, "batching", choices=("batching", "dynamic")),
        Param("cores", int, 1, low=1, high=64, doc="1 under batching"),
        Param("user_instructions", float, 2000.0, low=0.0, high=1e7, doc="handler work per request"),
        Param("machine_memory_gib", float, 8.0, low=0.001, high=1e6,
              doc="memory of the machine (assumption: the paper does not state it)"),
    )),
    run_point=run_point,
    grid={"interface": ["pages", "queues"], "outstanding_calls": OUTSTANDING},
    quick_grid={"interface": ["pages", "queues"], "outstanding_calls": [100, 1_000, 10_000], "rounds": [30]},
    stochastic=False, notebook="ablation_scaling", check=check,
))
