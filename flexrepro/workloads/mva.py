"""Exact mean-value analysis (Reiser & Lavenberg 1980) of a closed single-class network.

Queueing stations (single-server, FCFS exponential or processor sharing) with service
demands D_k, plus a delay (infinite-server) station with demand Z (e.g. link propagation and
client time at low load). For population n = 1..N:
    R_k(n) = D_k (1 + Q_k(n-1)),   X(n) = n / (Z + sum_k R_k(n)),   Q_k(n) = X(n) R_k(n).
Used as an engine check: a closed-loop simulation at low concurrency must agree with it.
"""
from __future__ import annotations

from typing import Sequence

from ..errors import ConfigError


def mva(demands: Sequence[float], delay: float, population: int) -> list[dict]:
    """Throughput, response time and queue lengths for n = 1..population."""
    if population < 1 or int(population) != population:
        raise ConfigError(f"parameter 'population': got {population!r}; allowed: an integer >= 1")
    if delay < 0 or any(d < 0 for d in demands):
        raise ConfigError(f"parameters 'demands'/'delay': got {list(demands)!r}/{delay!r}; allowed: numbers >= 0")
    q = [0.0] * len(demands)
    out = []
    for n in range(1, int(population) + 1):
        r = [d * (1 + qk) for d, qk in zip(demands, q)]
        x = n / (delay + sum(r))
        q = [x * rk for rk in r]
        out.append({"n": n, "throughput": x, "response": sum(r), "cycle": n / x, "queue": list(q)})
    return out
