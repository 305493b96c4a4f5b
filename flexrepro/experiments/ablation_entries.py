"""Beyond the paper (Section 7): throughput vs syscall entries per core, both servers, at
2,048 connections per core.

FlexSC maps 8 syscall pages (512 entries) per core by default; libflexsc delays a call while
every entry is busy. Here the entries per core go from 64 (one page) to 1,024 (16 pages)
with 2,048 connections (memslap) or concurrent clients (ApacheBench) per core, so the
smaller settings throttle. Rows: throughput (completions over the measured window), latency,
batch size, calls delayed for lack of an entry per request, and a standstill diagnostic if
a run stops making progress (`_throttled`). FlexSC's policy is its own: batching on 1 core,
dynamic core specialization on more. memslap gets a shorter warm-up than Figure 5's
(2 rounds of connections + 1,000 requests) to keep 2,048-connection points to seconds.
"""
from __future__ import annotations

from ..harness.config import Param, ParamSet
from ..errors import ConfigError
from ..kernel.pages import ENTRIES_PER_PAGE
from ..harness.registry import Experiment, register
from . import _throttled

ENTRIES = [64, 256, 1024]      # an nginx point at 2,048 clients costs ~10 s: three settings span the range


def _pages(config: dict) -> int:
    return config["entries_per_core"] // ENTRIES_PER_PAGE


def check(config: dict) -> None:
    if config["entries_per_core"] % ENTRIES_PER_PAGE:
        raise ConfigError(f"parameter 'entries_per_core': got {config['entries_per_core']}; allowed: a multiple "
                          f"of {ENTRIES_PER_PAGE} (whole syscall pages)")


def run_point(config: dict, seed: int) -> dict:
    c = config["cores"] * config["connections_per_core"]
    if config["server"] == "memcached":
        return _throttled.memcached(config["cores"], c, _pages(config), seed, config["standstill_cycles"],
                                    warmup=2 * c + 1000, measure=2 * c)
    return _throttled.nginx(config["cores"], c, _pages(config), seed, config["standstill_cycles"])


register(Experiment(
    id="ablation_entries", title="Throughput vs syscall entries per core at 2,048 connections per core (memcached, nginx)",
    paper_item="(beyond: Section 7)",
    params=ParamSet((
        Param("server", str, "memcached", choices=("memcached", "nginx")),
        Param("entries_per_core", int, 512, low=64, high=65536, doc="syscall entries per core (64 per page)"),
        Param("cores", int, 1, low=1, high=64, doc="cores of the server"),
        Param("connections_per_core", int, 2048, low=1, high=65536,
              doc="memslap connections / ApacheBench clients per core"),
        Param("standstill_cycles", float, 23e6, low=1.0, high=1e12,
              doc="no completion for this long while calls wait for an entry = standstill (10 ms at 2.3 GHz)"),
    )),
    run_point=run_point,
    grid={"server": ["memcached", "nginx"], "entries_per_core": ENTRIES},
    quick_grid={"server": ["memcached"], "entries_per_core": [64, 1024]},
    seeds=2, quick_seeds=1,   # memslap's draws vary; nginx under ApacheBench does not
    notebook="ablation_entries", check=check,
))
