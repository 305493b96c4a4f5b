"""One measured run of memcached under memslap: machine + kernel + server + testbed + client.

`simulate(system, cores, connections, seed, ...)` returns one plain row: client-side
throughput and latency, and what the hardware counters of the paper would show over the
measured window (after the warm-up): syscalls per request, instructions and IPC per mode,
misses per structure and mode, per-core utilisation, batch sizes, cache hit rate, lock
contention, simulated events. Shared by the calibration (Table 1 condition) and the
experiments (table1, fig05, fig06).
"""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil

import simpy

from ..errors import ConfigError
from ..kernel import Kernel, Listener
from ..kernel.kernel import Counters
from ..kernel.pages import ENTRIES_PER_PAGE
from ..platform import Machine, ModelParams, PlatformSpec, load_params, load_platform
from ..harness.seeds import rng
from ..steady import COLUMNS as STEADY
from ..workloads.memslap import Memslap
from ..workloads.network import ClientParams, LinkParams, Testbed
from .measure import processor_columns
from .one_kernel import network_stack, server_catalogue
from .memcached import (KERNEL_PROFILE, USER_PROFILE, Cache, EpollMemcached, FlexscMemcached, MemcachedParams,
                        load_memcached)

SYSTEMS = ("epoll", "flexsc")
INTERFACES = ("pages", "queues")
NET_CALLS = ("read", "sendmsg", "write", "epoll_wait", "epoll_ctl", "accept", "close")
DEFAULT_PAGES = 8          # FlexSC's default: 8 syscall pages (512 entries) per core (OSDI'10)


def memcached_catalogue(params: ModelParams):
    """The catalogue with memcached's network calls on the common scale (one_kernel), run on
    the fitted memcached kernel profile."""
    return server_catalogue(params, NET_CALLS, KERNEL_PROFILE)


def pages_for(connections: int, cores: int) -> int:
    """Syscall pages per core: FlexSC's default 8, or enough for a read and a reply per
    connection (libflexsc keeps a read outstanding on every connection; our choice, the
    paper does not say how many pages its memcached mapped)."""
    return max(DEFAULT_PAGES, ceil(2 * connections / (ENTRIES_PER_PAGE * cores)))


def default_window(connections: int) -> tuple[int, int]:
    """(warm-up, measured) requests. Warm-up: 8 rounds of C requests (+1000) -- with many
    connections FlexSC's batches move the backlog between server and client queues for several
    rounds before the steady state (checked: 4 cores, 1024 connections, the throughput settles
    within ~6 rounds). Measured: a whole number (>= 2) of rounds, so the window does not cut a
    round of batched replies in the middle (a closed loop completes one request per connection
    per round)."""
    return 8 * connections + 1000, connections * max(2, ceil(2000 / connections))


@dataclass
class Bench:
    """Everything of one run, wired together (tests inspect it; `simulate` runs it)."""
    env: simpy.Environment
    machine: Machine
    kernel: Kernel
    server: object
    cache: Cache
    client: Memslap
    window: dict

    def run(self, go_at_once: bool = False) -> dict:
        """memslap connects everything first; its loops start once the server has taken every
        connection over (accepted and, for epoll, handed to a worker), so the measured window
        never overlaps connection set-up. `go_at_once`: each loop starts as its connection
        opens (a server with fewer syscall entries than connections must serve the first
        connections before it can accept the rest)."""
        n = self.client.connections
        if not go_at_once:
            self.server.on_connection.append(lambda taken: self.client.go() if taken == n else None)
        self.server.start()
        self.client.start(go=go_at_once)
        self.env.run(until=self.client.done)
        return _row(self)


def build(system: str, cores: int, connections: int, seed: int, warmup: int | None = None,
          measure: int | None = None, interface: str = "pages", params: ModelParams | None = None,
          mc: MemcachedParams | None = None, spec: PlatformSpec | None = None,
          link: LinkParams | None = None, client: ClientParams | None = None, policy: str | None = None,
          pages_per_core: int | None = None, irq: str | None = None) -> Bench:
    """`spec`, `link` and `client` replace the platform, the wire and the client machine of the
    data files (what-if ablations: costlier traps, a faster testbed); `policy` and
    `pages_per_core` replace FlexSC's scheduler policy and syscall pages (Section 7 ablations);
    `irq` the NIC interrupt's core ("one" or "rss", data/kernel/netstack.toml)."""
    if system not in SYSTEMS:
        raise ConfigError(f"parameter 'system': got {system!r}; allowed: one of {', '.join(SYSTEMS)}")
    if interface not in INTERFACES:
        raise ConfigError(f"parameter 'interface': got {interface!r}; allowed: one of {', '.join(INTERFACES)}")
    spec = spec or load_platform()
    params = params or load_params()
    mc = mc or load_memcached(user_instructions=params.profile(USER_PROFILE).instructions)
    w0, m0 = default_window(connections)
    warmup, measure = (w0 if warmup is None else warmup), (m0 if measure is None else measure)

    env = simpy.Environment()
    machine = Machine(spec, params, cores)
    kernel = Kernel(env, machine, params, catalogue=memcached_catalogue(params))
    r = rng(seed)
    listener = Listener(env)
    network_stack(kernel, listener, cores, KERNEL_PROFILE, irq)
    testbed = Testbed.build(env, "memslap", spec.clock_ghz, link, client)
    client = Memslap(testbed, listener, connections, r, warmup, measure)
    cache = Cache(mc.cache_items)
    cache.prefill(client.key_population, r)
    if system == "epoll":
        server = EpollMemcached(kernel, mc, cache, listener, cores)
    else:
        server = FlexscMemcached(kernel, mc, cache, listener, cores, interface,
                                 pages_per_core or pages_for(connections, cores), policy)
    window = {"t0": 0.0, "requests": 0, "hits": 0, "misses": 0, "lock": (0, 0, 0, 0.0)}
    bench = Bench(env, machine, kernel, server, cache, client, window)

    def open_window():
        machine.reset_counters()
        kernel.counters = Counters()
        window.update(t0=env.now, requests=server.requests, hits=cache.hits, misses=cache.misses,
                      lock=_lock_counts(server))

    client.on_warm.append(open_window)
    return bench


def simulate(system: str, cores: int, connections: int, seed: int, **kw) -> dict:
    """One measured run (see `build` for the keyword arguments); returns its row."""
    return build(system, cores, connections, seed, **kw).run()


def _row(b: Bench) -> dict:
    env, machine, kernel, server, cache, client, window = b.env, b.machine, b.kernel, b.server, b.cache, b.client, b.window
    requests = server.requests - window["requests"]
    gets = (cache.hits - window["hits"]) + (cache.misses - window["misses"])
    acq, cont, futex, wait = (a - b for a, b in zip(_lock_counts(server), window["lock"]))
    elapsed = env.now - window["t0"]
    threads = len(server.workers) if hasattr(server, "workers") else 1
    out = client.summary()
    return {
        # closed loop without think time: X = C / R (Little's law) over the window's request
        # cycles; unlike completions / elapsed it does not depend on where the window cuts
        # a burst of batched replies
        "throughput_rps": client.connections / out["mean_latency_s"],
        "window_throughput_rps": out["throughput_rps"], "mean_latency_s": out["mean_latency_s"],
        "requests": requests, "client_requests": out["requests"],
        **processor_columns(machine, kernel, requests, env.now - window["t0"]),
        "hit_rate": (cache.hits - window["hits"]) / gets if gets else float("nan"),
        "lock_contention": cont / acq if acq else 0.0,
        "futex_calls_per_request": futex / requests if requests else 0.0,
        # share of the request-handling threads' time spent spinning, asleep or being woken
        # on the cache_lock (one thread -- FlexSC's, or one epoll worker -- never waits)
        "lock_wait_fraction": wait / (threads * elapsed) if elapsed else 0.0,
        "client_utilisation": out["client_utilisation"],
        **{k: out[k] for k in STEADY},
        "link_to_server_utilisation": out["link_to_server_utilisation"],
        "link_to_client_utilisation": out["link_to_client_utilisation"],
        "duplicates": out["duplicates"], "unexpected_replies": out["unexpected_replies"],
        "sent": out["sent"], "answered": out["answered"],
        "sim_events": next(env._eid),     # SimPy's event serial: events scheduled so far
    }


def _lock_counts(server) -> tuple[int, int, int, float]:
    """(acquisitions, contended, futex calls, wait cycles) of the cache_lock so far."""
    lk = server.lock
    return (lk.acquisitions, lk.contended, lk.futex_calls, lk.wait_cycles) if lk else (0, 0, 0, 0.0)
