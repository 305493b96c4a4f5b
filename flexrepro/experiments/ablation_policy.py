"""Beyond the paper: FlexSC's scheduler policies on 2 and 4 cores, memcached and nginx.

- `batching`: the OSDI'10 single-core policy on a multicore: syscall threads run only on
  the user thread's core, in batches while it sleeps in flexsc_wait (the other cores idle);
- `static`: core 0 runs the user thread, the other cores run syscall threads and never
  sleep (they keep polling the syscall pages);
- `dynamic`: FlexSC's dynamic core specialization (the paper's choice): syscall threads
  are woken by IPI on the first free core of a list and sleep after polling a while.
epoll (one worker per core) is the reference. The testbed does not bind (the client and
link of `ablation_cores`, scaled up), so the server's cores decide. Every policy gets the
same syscall entries: enough for a read and a reply per connection on one core's list
(`pages_for(connections, 1)`), so batching, which maps pages on one core only, is not
throttled either.
"""
from __future__ import annotations

from ..harness.config import Param, ParamSet
from ..errors import ConfigError
from ..harness.registry import Experiment, register
from ..testbed import memcached as memcached_testbed, nginx as nginx_testbed
from .ablation_cores import CLIENT_SCALE, LINK_GBPS, scaled_testbed

KEEP = ("throughput_rps", "mean_latency_s", "syscalls_per_request", "user_ipc", "kernel_ipc", "mean_batch",
        "client_utilisation", "util_min", "util_max", "requests", "sim_events")


def run_point(config: dict, seed: int) -> dict:
    system = "epoll" if config["policy"] == "epoll" else "flexsc"
    policy = None if system == "epoll" else config["policy"]
    cores, c = config["cores"], config["connections"]
    if config["server"] == "memcached":
        link, client = scaled_testbed("memslap", config["client_scale"], config["link_gbps"])
        row = memcached_testbed.simulate(system, cores, c, seed, link=link, client=client, policy=policy,
                                         pages_per_core=memcached_testbed.pages_for(c, 1))
    else:
        link, client = scaled_testbed("apachebench", config["client_scale"], config["link_gbps"])
        row = nginx_testbed.simulate(system, cores, "apachebench", c, seed, link=link, client=client, policy=policy,
                                     pages_per_core=nginx_testbed.pages_for(c, 1))
    out = {k: row[k] for k in KEEP}
    util = [row[f"util_core{i}"] for i in range(cores)]
    out["util_mean"] = sum(util) / cores
    return out


def check(config: dict) -> None:
    if config["cores"] < 2 and config["policy"] == "static":
        raise ConfigError(f"parameter 'cores': got {config['cores']}; allowed: >= 2 under the static policy "
                          "(it needs a core for syscall threads besides the user's)")


register(Experiment(
    id="ablation_policy", title="Batching only vs static vs dynamic core specialization, 2 and 4 cores (memcached)",
    paper_item="(beyond: Section 3 policies)",
    params=ParamSet((
        Param("server", str, "memcached", choices=("memcached",)),
        Param("policy", str, "dynamic", choices=("epoll", "batching", "static", "dynamic"),
              doc="FlexSC scheduler policy (epoll: the baseline server)"),
        Param("cores", int, 2, low=1, high=64, doc="cores of the server"),
        Param("connections", int, 768, low=1, high=65536, doc="memslap connections"),
        CLIENT_SCALE, LINK_GBPS,
    )),
    run_point=run_point,
    grid={"policy": ["epoll", "batching", "static", "dynamic"], "cores": [2, 4]},
    quick_grid={"policy": ["epoll", "batching", "static", "dynamic"], "cores": [2], "connections": [256]},
    seeds=2, quick_seeds=1, notebook="ablation_policy", check=check,   # the time budget
))

register(Experiment(
    id="ablation_policy_nginx", title="Batching only vs static vs dynamic core specialization, nginx (ApacheBench)",
    paper_item="(beyond: Section 3 policies)",
    params=ParamSet((
        Param("server", str, "nginx", choices=("nginx",)),
        Param("policy", str, "dynamic", choices=("epoll", "batching", "static", "dynamic"),
              doc="FlexSC scheduler policy (epoll: the baseline server)"),
        Param("cores", int, 2, low=1, high=64, doc="cores of the server"),
        Param("connections", int, 256, low=1, high=65536, doc="ApacheBench concurrency"),
        CLIENT_SCALE, LINK_GBPS,
    )),
    run_point=run_point,
    grid={"policy": ["epoll", "batching", "static", "dynamic"], "cores": [2, 4]},
    quick_grid={"policy": ["epoll", "batching", "static", "dynamic"], "cores": [2], "connections": [64]},
    stochastic=False, notebook="ablation_policy", check=check,
))
