"""One measured run of memcached under memslap: machine + kernel + server + testbed + client.

`simulate(system, cores, connections, seed, ...)` returns one plain row: client-side
throughput and latency, and what the hardware counters of the paper would show over the
measured window (after the warm-up): syscalls per request, instructions and IPC per mode,
misses per structure and mode, per-core utilisation, batch sizes, cache hit rate, lock
contention, simulated events. Shared by the calibration (Table 1 condition) and the
experiments (table1, fig05, fig06). Common parts: `testbed.common`.
"""
from __future__ import annotations

from math import ceil

from ..kernel.pricing import server_catalogue
from ..platform import ModelParams, PlatformSpec, load_params, load_platform
from ..harness.seeds import rng
from ..servers.memcached import (KERNEL_PROFILE, Cache, EpollMemcached, FlexscMemcached, MemcachedParams,
                                 load_memcached)
from ..workloads.memslap import Memslap
from ..workloads.network import ClientParams, LinkParams, Testbed
from .common import INTERFACES, SYSTEMS, Bench, choose, client_columns, open_window, pages_for, rig, sim_events
from .measure import processor_columns
from .memo import shared

NET_CALLS = ("read", "sendmsg", "write", "epoll_wait", "epoll_ctl", "accept", "close")


def memcached_catalogue(params: ModelParams):
    """The catalogue with memcached's network calls on the common scale (kernel.pricing), run on
    the fitted memcached kernel profile."""
    return server_catalogue(params, NET_CALLS, KERNEL_PROFILE)


def default_window(connections: int) -> tuple[int, int]:
    """(warm-up, measured) requests. Warm-up: 8 rounds of C requests (+1000) -- with many
    connections FlexSC's batches move the backlog between server and client queues for several
    rounds before the steady state (checked: 4 cores, 1024 connections, the throughput settles
    within ~6 rounds). Measured: a whole number (>= 2) of rounds, so the window does not cut a
    round of batched replies in the middle (a closed loop completes one request per connection
    per round)."""
    return 8 * connections + 1000, connections * max(2, ceil(2000 / connections))


class MemcachedBench(Bench):
    """memcached + memslap, wired (`cache`: the server's item store; `window`: the counts at
    the start of the measured window)."""

    def __init__(self, r, server, client, cache: Cache):
        super().__init__(r, server, client)
        self.cache = cache
        self.window = {"t0": 0.0, "requests": 0, "hits": 0, "misses": 0, "lock": (0, 0, 0, 0.0)}
        self.go_at_once = False
        client.on_warm.append(self._open_window)

    def _open_window(self) -> None:
        open_window(self.rig)
        self.window.update(t0=self.env.now, requests=self.server.requests, hits=self.cache.hits,
                           misses=self.cache.misses, lock=_lock_counts(self.server))

    def run(self, go_at_once: bool = False) -> dict:
        """memslap connects everything first; its loops start once the server has taken every
        connection over (accepted and, for epoll, handed to a worker), so the measured window
        never overlaps connection set-up. `go_at_once`: each loop starts as its connection
        opens (a server with fewer syscall entries than connections must serve the first
        connections before it can accept the rest)."""
        self.go_at_once = go_at_once
        return super().run()

    def start(self) -> None:
        n = self.client.connections
        if not self.go_at_once:
            self.server.on_connection.append(lambda taken: self.client.go() if taken == n else None)
        self.server.start()
        self.client.start(go=self.go_at_once)

    def row(self) -> dict:
        env, server, cache, client, window = self.env, self.server, self.cache, self.client, self.window
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
            **processor_columns(self.machine, self.kernel, requests, elapsed),
            "hit_rate": (cache.hits - window["hits"]) / gets if gets else float("nan"),
            "lock_contention": cont / acq if acq else 0.0,
            "futex_calls_per_request": futex / requests if requests else 0.0,
            # share of the request-handling threads' time spent spinning, asleep or being woken
            # on the cache_lock (one thread -- FlexSC's, or one epoll worker -- never waits)
            "lock_wait_fraction": wait / (threads * elapsed) if elapsed else 0.0,
            **client_columns(out),
            "sim_events": sim_events(env),
        }


def build(system: str, cores: int, connections: int, seed: int, warmup: int | None = None,
          measure: int | None = None, interface: str = "pages", params: ModelParams | None = None,
          mc: MemcachedParams | None = None, spec: PlatformSpec | None = None,
          link: LinkParams | None = None, client: ClientParams | None = None, policy: str | None = None,
          pages_per_core: int | None = None, irq: str | None = None) -> MemcachedBench:
    """`connections`: memslap's concurrency (closed loop, one outstanding request each).
    `spec`, `link` and `client` replace the platform, the wire and the client machine of the
    data files (what-if ablations: costlier traps, a faster testbed); `policy` and
    `pages_per_core` replace FlexSC's scheduler policy and syscall pages (Section 7 ablations);
    `irq` the NIC interrupt's core ("one" or "rss", data/kernel/netstack.toml)."""
    choose("system", system, SYSTEMS)
    choose("interface", interface, INTERFACES)
    spec = spec or load_platform()
    params = params or load_params()
    mc = mc or load_memcached(params=params)
    w0, m0 = default_window(connections)
    warmup, measure = (w0 if warmup is None else warmup), (m0 if measure is None else measure)

    r = rig(spec, params, cores, NET_CALLS, KERNEL_PROFILE, irq, "memcached")
    draws = rng(seed)
    testbed = Testbed.build(r.env, "memslap", spec.clock_ghz, link, client)
    memslap = Memslap(testbed, r.listener, connections, draws, warmup, measure)
    cache = Cache(mc.cache_items)
    cache.prefill(memslap.key_population, draws)
    if system == "epoll":
        server = EpollMemcached(r.kernel, mc, cache, r.listener, cores)
    else:
        server = FlexscMemcached(r.kernel, mc, cache, r.listener, cores, interface,
                                 pages_per_core or pages_for(connections, cores), policy)
    return MemcachedBench(r, server, memslap, cache)


@shared
def simulate(system: str, cores: int, connections: int, seed: int, **kw) -> dict:
    """One measured run (see `build` for the keyword arguments); returns its row."""
    return build(system, cores, connections, seed, **kw).run()


def _lock_counts(server) -> tuple[int, int, int, float]:
    """(acquisitions, contended, futex calls, wait cycles) of the cache_lock so far."""
    lk = server.lock
    return (lk.acquisitions, lk.contended, lk.futex_calls, lk.wait_cycles) if lk else (0, 0, 0, 0.0)
