"""Engine check: an M/M/1 queue in SimPy against queueing theory.

Not a paper item: it tests the simulation engine, seeds and sweep machinery the servers
rely on (mean response time of M/M/1 is 1 / (mu - lambda)).
"""
import simpy

from ..errors import ConfigError
from ..harness.config import Param, ParamSet
from ..harness.registry import Experiment, register
from ..harness.seeds import rng


def run_point(config: dict, seed: int) -> dict:
    lam, mu, n = config["arrival_rate"], config["service_rate"], config["customers"]
    r = rng(seed)
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    times: list[float] = []

    def customer(service):
        t0 = env.now
        with server.request() as req:
            yield req
            yield env.timeout(service)
        times.append(env.now - t0)

    def source():
        for gap, service in zip(r.exponential(1 / lam, n), r.exponential(1 / mu, n)):
            yield env.timeout(gap)
            env.process(customer(service))

    env.process(source())
    env.run()
    mean = sum(times) / len(times)
    return {"mean_response": mean, "theory_response": 1 / (mu - lam), "served": len(times),
            "sim_time": env.now}


def check(config: dict) -> None:
    if config["arrival_rate"] >= config["service_rate"]:
        raise ConfigError("parameter 'arrival_rate': must be below 'service_rate' (an unstable queue has no steady state)")


register(Experiment(
    id="engine_mm1", title="M/M/1 engine check", paper_item="(engine)",
    params=ParamSet((
        Param("arrival_rate", float, 0.5, low=1e-9, doc="lambda, customers per time unit"),
        Param("service_rate", float, 1.0, low=1e-9, doc="mu, customers per time unit"),
        Param("customers", int, 20000, low=1, high=10_000_000),
    )),
    run_point=run_point,
    grid={"arrival_rate": [0.3, 0.5, 0.8]},
    quick_grid={"arrival_rate": [0.5]},
    seeds=5, quick_seeds=3, check=check,
))
