"""One measured run of nginx under ApacheBench or httperf: machine + kernel + server + testbed + client.

`simulate(system, cores, workload, load, seed, ...)` returns one plain row: client-side
throughput (req/s and Mbps of reply bytes), latency, timeouts and errors, and what the
paper's hardware counters would show over the measured window: syscalls per request (by
call), instructions and IPC per mode, misses per structure and mode, per-core utilisation,
batch sizes, simulated events. `load` is the ApacheBench concurrency or the httperf offered
request rate. Shared by the calibration (Table 1 condition) and the experiments.
"""
from __future__ import annotations

from math import ceil

import simpy

from ..errors import ConfigError
from ..kernel import Kernel, Listener
from ..kernel.kernel import Counters
from ..kernel.pages import ENTRIES_PER_PAGE
from ..platform import Machine, ModelParams, PlatformSpec, load_params, load_platform
from ..harness.seeds import rng
from ..steady import COLUMNS as STEADY
from ..workloads.apachebench import ApacheBench, load_apachebench
from ..workloads.httperf import Httperf, load_httperf
from ..workloads.network import ClientParams, LinkParams, Testbed
from .measure import processor_columns
from .one_kernel import network_stack, server_catalogue
from .nginx import KERNEL_PROFILE, USER_PROFILE, EpollNginx, FlexscNginx, NginxParams, load_nginx

SYSTEMS = ("epoll", "flexsc")
WORKLOADS = ("apachebench", "httperf")
INTERFACES = ("pages", "queues")
CALLS = ("accept", "recv", "open", "fstat", "setsockopt", "writev", "sendfile", "write", "close",
         "epoll_wait", "epoll_ctl")
DEFAULT_PAGES = 8          # FlexSC's default: 8 syscall pages (512 entries) per core (OSDI'10)
HTTPERF_WINDOW_S = (0.015, 0.03)


def nginx_catalogue(params: ModelParams):
    """The catalogue with nginx's calls on the common scale (one_kernel: the same call costs
    what it costs in memcached), run on the fitted nginx kernel profile."""
    return server_catalogue(params, CALLS, KERNEL_PROFILE)


def pages_for(connections: int, cores: int) -> int:
    """Syscall pages per core: FlexSC's default 8, or room for two outstanding calls per
    connection (our choice; the paper does not say how many pages its nginx mapped)."""
    return max(DEFAULT_PAGES, ceil(2 * connections / (ENTRIES_PER_PAGE * cores)))


def ab_window(concurrency: int) -> tuple[int, int]:
    """(warm-up, measured) requests: every client completes a couple of requests first."""
    return 2 * concurrency + 500, max(1500, concurrency)


def simulate(system: str, cores: int, workload: str, load: float, seed: int, warmup=None, measure=None,
             interface: str = "pages", params: ModelParams | None = None, ng: NginxParams | None = None,
             link: LinkParams | None = None, client: ClientParams | None = None, spec: PlatformSpec | None = None,
             policy: str | None = None, pages_per_core: int | None = None, prepare=None,
             irq: str | None = None) -> dict:
    """`spec`, `link` and `client` replace the platform, the wire and the client machine of the
    data files (what-if ablations: costlier traps, a faster testbed); `policy` and
    `pages_per_core` replace FlexSC's scheduler policy and syscall pages, `prepare(server)`
    runs before the server starts (Section 7 ablations: dormant connections); `irq` the NIC
    interrupt's core ("one" or "rss")."""
    if system not in SYSTEMS:
        raise ConfigError(f"parameter 'system': got {system!r}; allowed: one of {', '.join(SYSTEMS)}")
    if workload not in WORKLOADS:
        raise ConfigError(f"parameter 'workload': got {workload!r}; allowed: one of {', '.join(WORKLOADS)}")
    if interface not in INTERFACES:
        raise ConfigError(f"parameter 'interface': got {interface!r}; allowed: one of {', '.join(INTERFACES)}")
    if isinstance(cores, bool) or not isinstance(cores, int) or cores < 1:
        raise ConfigError(f"parameter 'cores': got {cores!r}; allowed: an integer >= 1")
    spec = spec or load_platform()
    params = params or load_params()
    ng = ng or load_nginx(user_instructions=params.profile(USER_PROFILE).instructions)

    env = simpy.Environment()
    machine = Machine(spec, params, cores)
    kernel = Kernel(env, machine, params, catalogue=nginx_catalogue(params))
    r = rng(seed)
    listener = Listener(env)
    network_stack(kernel, listener, cores, KERNEL_PROFILE, irq)
    if workload == "apachebench":
        if isinstance(load, bool) or int(load) != load or load < 1:
            raise ConfigError(f"parameter 'concurrency': got {load!r}; allowed: an integer >= 1")
        w0, m0 = ab_window(int(load))
        ab = load_apachebench()
        client = ApacheBench(Testbed.build(env, "apachebench", spec.clock_ghz, link, client), listener, int(load),
                             w0 if warmup is None else warmup, m0 if measure is None else measure, ab)
        keepalive, line, agent, conns = False, f"GET {ab.request_path} HTTP/1.0", "ApacheBench/2.3", int(load)
    else:
        if not load > 0:
            raise ConfigError(f"parameter 'rate': got {load!r}; allowed: a number > 0 (requests/s)")
        hp = load_httperf()
        w0, m0 = HTTPERF_WINDOW_S
        client = Httperf(Testbed.build(env, "httperf", spec.clock_ghz, link, client), listener, float(load), r,
                         w0 if warmup is None else warmup, m0 if measure is None else measure, hp)
        keepalive, line, agent = True, f"GET {hp.request_path} HTTP/1.1", "httperf/0.9.0"
        # at most every session of the run open at once
        conns = ceil(load / hp.requests_per_connection * (client._warmup + client._measure) / spec.clock_ghz / 1e9)
    kw = dict(request_line=line, user_agent=agent)
    if system == "epoll":
        server = EpollNginx(kernel, ng, listener, cores, keepalive, **kw)
    else:
        server = FlexscNginx(kernel, ng, listener, cores, keepalive, interface,
                             pages_per_core or pages_for(conns, cores), policy, **kw)
    if prepare is not None:
        prepare(server)

    window = {}

    def open_window():
        machine.reset_counters()
        kernel.counters = Counters()
        window.update(t0=env.now, requests=server.requests, connections=server.connections,
                      mutex=(server.mutex.acquisitions, server.mutex.failures) if getattr(server, "mutex", None) else (0, 0))

    client.on_warm.append(open_window)
    server.start()
    if system == "epoll" and cores > 1:
        # nginx runs before the benchmark: its idle holder keeps the accept mutex, the other
        # workers' epoll_wait times out every accept_mutex_delay. The benchmark starts at a phase
        # of that timer it does not control (drawn per seed), and the window opens only once
        # every worker has joined -- or after two delays (then one worker is the steady state).
        delay = ng.accept_mutex_delay_s * spec.clock_ghz * 1e9
        start, cap = float(r.uniform(0.0, delay)), 2 * delay
        client.gate = lambda: server.started_up() or env.now >= start + cap
        env.timeout(start).callbacks.append(lambda _ev: client.start())
    else:
        client.start()
    env.run(until=client.done)
    return _row(env, machine, kernel, server, client, window, cores)


def _row(env, machine, kernel, server, client, window, cores) -> dict:
    requests = server.requests - window["requests"]
    per = (lambda v: v / requests) if requests else (lambda v: float("nan"))
    cnt = kernel.counters
    out = client.summary()
    acq = fail = 0
    if getattr(server, "mutex", None):
        acq = server.mutex.acquisitions - window["mutex"][0]
        fail = server.mutex.failures - window["mutex"][1]
    row = {
        "throughput_rps": out["throughput_rps"], "reply_mbps": out["reply_mbps"],
        "mean_latency_s": out["mean_latency_s"], "requests": requests, "client_requests": out["requests"],
        "connections": server.connections - window["connections"],
        **processor_columns(machine, kernel, requests, env.now - window["t0"]),
        "eagain_per_request": per(cnt.events.get("eagain", 0)),
        "accept_mutex_acquisitions": acq, "accept_mutex_failures": fail,
        "client_utilisation": out["client_utilisation"],
        **{k: out[k] for k in STEADY},
        "link_to_server_utilisation": out["link_to_server_utilisation"],
        "link_to_client_utilisation": out["link_to_client_utilisation"],
        "sent": out["sent"], "answered": out["answered"], "duplicates": out["duplicates"],
        "unexpected_replies": out["unexpected_replies"], "timeouts": out["timeouts"], "errors": out["errors"],
        "outstanding": out.get("outstanding", 0),
        "sim_events": next(env._eid),     # SimPy's event serial: events scheduled so far
    }
    for name in CALLS:
        row[f"calls_{name}_per_request"] = per(cnt.syscalls.get((name, "sync"), 0) +
                                               cnt.syscalls.get((name, "exceptionless"), 0))
    return row
