"""Beyond the paper: epoll vs FlexSC on more cores, with a testbed that is not the bottleneck.

The paper stopped at 4 cores (memcached) and at 2 cores for nginx under ApacheBench, whose
single client machine saturated. Here the client machine has `client_scale` times the cores
of the paper's client (as if that many client machines shared the load; per-request costs
unchanged) and the link runs at `link_gbps`, so the server is what limits throughput
(`client_utilisation` and the link utilisations in every row say whether that held). The
NIC spreads its interrupts over the cores (`irq` = "rss", a multi-queue NIC as a 10 Gbps one
would be); "one" puts them all on core 0 as in the paper's testbed. Everything else is the
calibrated model of Figures 5 and 7, unchanged -- memcached's epoll workers contend for
memcached 1.4.5's global cache_lock (`lock_wait_fraction`), FlexSC's one thread does not.
"""
from __future__ import annotations

from dataclasses import replace

from ..harness.config import Param, ParamSet
from ..harness.registry import Experiment, register
from ..testbed import memcached as memcached_testbed, nginx as nginx_testbed
from ..kernel.netstack import IRQ_MODES
from ..workloads.network import ClientParams, LinkParams, load_client, load_link

SYSTEM = Param("system", str, "epoll", choices=("epoll", "flexsc"), doc="epoll baseline or libflexsc")
CORES = Param("cores", int, 1, low=1, high=64, doc="cores of the server")
# 16 x the paper's client: memslap then has 32 cores (~4.9 M req/s of client CPU), enough
# for epoll memcached on 16 cores (~1.3 M req/s); ApacheBench has 16 (~0.8 M req/s).
CLIENT_SCALE = Param("client_scale", int, 16, low=1, high=1024,
                     doc="client machine cores = client_scale x the paper's client (data/workloads/client.toml)")
LINK_GBPS = Param("link_gbps", float, 10.0, low=0.01, high=1000.0, doc="line rate of the testbed link (Gbps)")
IRQ = Param("irq", str, "rss", choices=IRQ_MODES, doc="NIC interrupts on core 0 ('one') or spread by RSS")

KEEP = ("throughput_rps", "mean_latency_s", "syscalls_per_request", "user_ipc", "kernel_ipc", "mean_batch",
        "client_utilisation", "link_to_server_utilisation", "link_to_client_utilisation", "util_min", "requests",
        "sim_events")
MEMCACHED_KEEP = KEEP + ("lock_wait_fraction", "lock_contention", "futex_calls_per_request")
NGINX_KEEP = KEEP + ("accept_mutex_acquisitions", "accept_mutex_failures")


def scaled_testbed(tool: str, client_scale: int, link_gbps: float) -> tuple[LinkParams, ClientParams]:
    """The paper's link and client of `tool`, with the line rate and the client's cores replaced."""
    client = load_client(tool)
    return replace(load_link(), rate_bps=link_gbps * 1e9), replace(client, cores=client.cores * client_scale)


def _row(row: dict, keep: tuple[str, ...], cores: int) -> dict:
    util = [row[f"util_core{c}"] for c in range(cores)]
    out = {k: row[k] for k in keep} | {f"util_core{c}": u for c, u in enumerate(util)}
    out["util_mean"] = sum(util) / cores
    out["throughput_per_core_rps"] = row["throughput_rps"] / cores
    return out


def run_memcached(config: dict, seed: int) -> dict:
    link, client = scaled_testbed("memslap", config["client_scale"], config["link_gbps"])
    row = memcached_testbed.simulate(config["system"], config["cores"], config["connections"], seed,
                                     link=link, client=client, irq=config["irq"])
    return _row(row, MEMCACHED_KEEP, config["cores"])


def run_nginx(config: dict, seed: int) -> dict:
    link, client = scaled_testbed("apachebench", config["client_scale"], config["link_gbps"])
    row = nginx_testbed.simulate(config["system"], config["cores"], "apachebench", config["concurrency"], seed,
                                 link=link, client=client, irq=config["irq"])
    return _row(row, NGINX_KEEP, config["cores"])


register(Experiment(
    id="ablation_cores", title="More cores, client not binding: memcached 1-16 cores, nginx 1-4 cores (epoll vs FlexSC)",
    paper_item="(beyond: Figure 5 past 4 cores)",
    params=ParamSet((SYSTEM, CORES, Param("connections", int, 768, low=1, high=65536,
                                          doc="concurrent memslap connections"), CLIENT_SCALE, LINK_GBPS, IRQ)),
    run_point=run_memcached,
    grid={"system": ["epoll", "flexsc"], "cores": [1, 2, 4, 8, 12, 16]},
    quick_grid={"system": ["epoll", "flexsc"], "cores": [1, 4]},
    seeds=3, quick_seeds=1, notebook="ablation_cores",
))

register(Experiment(
    id="ablation_cores_nginx", title="nginx (ApacheBench) on 1-4 cores, client not binding (epoll vs FlexSC)",
    paper_item="(beyond: Figure 7 on 4 cores)",
    params=ParamSet((SYSTEM, CORES, Param("concurrency", int, 256, low=1, high=65536,
                                          doc="concurrent ApacheBench clients"), CLIENT_SCALE, LINK_GBPS, IRQ)),
    run_point=run_nginx,
    grid={"system": ["epoll", "flexsc"], "cores": [1, 2, 4]},
    # quick: 2 cores, not 4 -- a multi-worker epoll point simulates nginx's accept-mutex start-up
    # (up to ~1 s), the costliest point of a quick run at 4 workers
    quick_grid={"system": ["epoll", "flexsc"], "cores": [1, 2]},
    stochastic=False, notebook="ablation_cores",
))
