"""Beyond the paper: nginx on 1-8 cores with a 1 or 10 Gbps link and a client that never binds.

The paper could not measure nginx beyond 2 cores under ApacheBench: its one client machine
saturated (Section 6.2). Here the ApacheBench client has `client_scale` times the paper's
client cores (as if that many client machines shared the load; per-request costs
unchanged), and the link runs at 1 Gbps (the paper's) or 10 Gbps. Every row carries the
client's and the link's utilisation, so whether the testbed bound is read off the row,
not assumed. Everything else is the calibrated model of Figure 7.
"""
from __future__ import annotations

from ..harness.config import Param, ParamSet
from ..harness.registry import Experiment, register
from ..testbed import nginx as nginx_testbed
from .ablation_cores import NGINX_KEEP, SYSTEM, _row, scaled_testbed


def run_point(config: dict, seed: int) -> dict:
    link, client = scaled_testbed("apachebench", config["client_scale"], config["link_gbps"])
    row = nginx_testbed.simulate(config["system"], config["cores"], "apachebench", config["concurrency"], seed,
                                 link=link, client=client)
    return _row(row, NGINX_KEEP, config["cores"])


register(Experiment(
    id="ablation_network", title="nginx on 1-8 cores: 1 vs 10 Gbps and a client that never binds (epoll vs FlexSC)",
    paper_item="(beyond: Figure 7 past the client's limit)",
    params=ParamSet((
        SYSTEM, Param("cores", int, 1, low=1, high=64, doc="cores of the server"),
        Param("link_gbps", float, 1.0, low=0.01, high=1000.0, doc="line rate of the testbed link (Gbps)"),
        Param("concurrency", int, 256, low=1, high=65536, doc="concurrent ApacheBench clients"),
        Param("client_scale", int, 64, low=1, high=1024,
              doc="client machine cores = client_scale x the paper's client (data/workloads/client.toml)"),
    )),
    run_point=run_point,
    grid={"system": ["epoll", "flexsc"], "cores": [1, 2, 4, 8], "link_gbps": [1.0, 10.0]},
    # quick: 2 cores, not 8 (a multi-worker epoll point simulates the accept-mutex start-up)
    quick_grid={"system": ["epoll", "flexsc"], "cores": [1, 2], "link_gbps": [1.0]},
    stochastic=False, notebook="ablation_network",
))
