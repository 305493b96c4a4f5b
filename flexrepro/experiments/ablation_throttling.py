"""Beyond the paper (Section 7): throttling -- a fixed number of syscall entries per core, new
calls delayed while all are busy -- and its standstill.

Two experiments, one notebook:
- `ablation_throttling`: memcached on libflexsc (1 core, batching) with 64-512 entries for
  1,024 memslap connections: throughput, latency, batch size and calls delayed per request
  vs entries per core, each run watched for standstill (`_throttled`).
- `ablation_throttling_standstill`: a server-speaks-first protocol
  (`flexrepro.servers.greeting`) that arms a read on every connection before greeting it.
  With no more entries than connections every entry holds a read whose command can only
  come after a greeting that cannot be posted: the run stands still, and the row says so
  (`standstill`, when, for how long, what held the entries) instead of hanging. With more
  entries than connections it runs.
The standstill detector (`runtime.standstill`) fires when no call completed for
`standstill_cycles` while calls waited for an entry.
"""
from __future__ import annotations

from ..harness.config import Param, ParamSet
from ..errors import ConfigError
from ..kernel.pages import ENTRIES_PER_PAGE
from ..harness.registry import Experiment, register
from . import _throttled

STANDSTILL = Param("standstill_cycles", float, 23e6, low=1.0, high=1e12,
                   doc="no completion for this long while calls wait for an entry = standstill (10 ms at 2.3 GHz)")


def check(config: dict) -> None:
    if config["entries_per_core"] % ENTRIES_PER_PAGE:
        raise ConfigError(f"parameter 'entries_per_core': got {config['entries_per_core']}; allowed: a multiple "
                          f"of {ENTRIES_PER_PAGE} (whole syscall pages)")


def run_memcached(config: dict, seed: int) -> dict:
    c = config["connections"]
    return _throttled.memcached(1, c, config["entries_per_core"] // ENTRIES_PER_PAGE, seed,
                                config["standstill_cycles"], warmup=2 * c + 1000, measure=2 * c)


def run_greeting(config: dict, seed: int) -> dict:
    from ..servers.greeting import run
    return run(config["connections"], config["entries_per_core"] // ENTRIES_PER_PAGE, replies=config["replies"],
               standstill_cycles=config["standstill_cycles"])


ENTRIES = Param("entries_per_core", int, 128, low=64, high=65536, doc="syscall entries per core (64 per page)")

register(Experiment(
    id="ablation_throttling", title="Throttling: memcached throughput vs a fixed number of syscall entries",
    paper_item="(beyond: Section 7)",
    params=ParamSet((ENTRIES, Param("connections", int, 1024, low=1, high=65536, doc="memslap connections"),
                     STANDSTILL)),
    run_point=run_memcached,
    grid={"entries_per_core": [64, 128, 256, 512]},
    quick_grid={"entries_per_core": [64, 512], "connections": [512]},
    seeds=2, quick_seeds=1, notebook="ablation_throttling", check=check,
))

register(Experiment(
    id="ablation_throttling_standstill",
    title="Throttling's standstill: a server-speaks-first protocol with reads armed before greetings",
    paper_item="(beyond: Section 7)",
    params=ParamSet((ENTRIES, Param("connections", int, 128, low=1, high=65536, doc="client connections"),
                     Param("replies", int, 2000, low=1, high=10_000_000, doc="replies to serve"), STANDSTILL)),
    run_point=run_greeting,
    grid={"entries_per_core": [64, 128, 192, 256, 512]},
    quick_grid={"entries_per_core": [64, 128, 192, 256]},
    stochastic=False, notebook="ablation_throttling", check=check,
))
