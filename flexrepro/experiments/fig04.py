"""Figure 4: the paper's example server, written on flexrepro's libflexsc API, serving
ApacheBench (a closed loop, one connection per request); the same code on epoll for contrast.

Rows: one `summary` row per point (throughput, latency, calls per request, batch sizes,
simulated events), and `stage` rows with the first handler invocations (the Figure-4 stage
sequence from the trace).
"""
import simpy

from ..harness.config import Param, ParamSet
from ..harness.registry import Experiment, register

SERVERS = ("flexsc_pages", "flexsc_queues", "epoll")
STAGE_ROWS = 10


def run_point(config: dict, seed: int) -> list[dict]:
    from ..kernel import Kernel, Listener
    from ..platform import Machine, load_params, load_platform
    from ..runtime import EpollRuntime, LibFlexSC
    from ..servers.example import ExampleServer
    from ..workloads.apachebench import ApacheBench
    from ..workloads.network import Testbed

    env = simpy.Environment()
    params, spec = load_params(), load_platform()
    kernel = Kernel(env, Machine(spec, params, cores=1), params)
    server = config["server"]
    listener = Listener(env)
    if server == "epoll":
        rt = EpollRuntime(kernel, 0, "xalan")
    else:
        rt = LibFlexSC(kernel, 0, "xalan", policy="batching", interface=server.split("_")[1])
    trace: list = []
    srv = ExampleServer(rt, listener, trace=trace)
    ab = ApacheBench(Testbed.build(env, "apachebench", spec.clock_ghz), listener, config["concurrency"],
                     warmup=config["warmup"], measure=config["requests"])
    marks = {}

    def warm():
        kernel.counters.reset()                      # count the measured window only
        kernel.machine.reset_counters()
        marks["served0"] = srv.served
    ab.on_warm.append(warm)
    srv.main(accepts=config["accepts"])
    ab.start()
    env.run(until=ab.done)
    c = kernel.counters
    summary = c.summary()
    served = srv.served - marks.get("served0", 0)
    client = ab.summary()
    calls = summary["syscalls_sync"] + summary["syscalls_exceptionless"] - c.syscalls[("flexsc_wait", "sync")]
    row = {"kind": "summary", "throughput_rps": client["throughput_rps"],
           "mean_latency_us": client["mean_latency_s"] * 1e6, "measured_requests": client["requests"],
           "served_in_window": served,
           "syscalls_per_request": calls / served if served else 0.0,
           "flexsc_waits_per_request": c.syscalls[("flexsc_wait", "sync")] / served if served else 0.0,
           "mean_batch": summary["mean_batch"],
           "server_utilisation": sum(v for (core, d), v in c.busy.items() if d in ("user", "kernel"))
           / max(env.now - ab.ledger.window_start, 1.0),
           "sim_events": next(env._eid)}              # SimPy's event counter: events scheduled so far
    stages = [{"kind": "stage", "order": i, "time_us": t / (spec.clock_ghz * 1e3), "stage": s}
              for i, (t, s) in enumerate(trace[:STAGE_ROWS])]
    return [row, *stages]


register(Experiment(
    id="fig04", title="The Figure-4 example server on libflexsc", paper_item="Figure 4",
    params=ParamSet((
        Param("server", str, "flexsc_pages", choices=SERVERS,
              doc="libflexsc on syscall pages or queue rings (batching, 1 core), or the same code on epoll"),
        Param("concurrency", int, 16, low=1, high=4096, doc="ApacheBench concurrent clients"),
        Param("accepts", int, 1, low=1, high=512,
              doc="accepts kept posted (Figure 4 as printed: 1; Section 4.1 suggests several)"),
        Param("requests", int, 4000, low=1, high=10_000_000, doc="measured requests"),
        Param("warmup", int, 500, low=0, high=10_000_000, doc="requests before the measured window"),
    )),
    run_point=run_point,
    grid={"server": list(SERVERS), "concurrency": [1, 4, 16, 64], "accepts": [1, 8], "requests": [2000]},
    quick_grid={"server": list(SERVERS), "concurrency": [16], "requests": [300], "warmup": [50]},
    stochastic=False, notebook="fig04",
))
