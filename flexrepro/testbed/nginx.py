"""One measured run of nginx under ApacheBench or httperf: machine + kernel + server + testbed + client.

`simulate(system, cores, workload, load, seed, ...)` returns one plain row: client-side
throughput (req/s and Mbps of reply bytes), latency, timeouts and errors, and what the
paper's hardware counters would show over the measured window: syscalls per request (by
call), instructions and IPC per mode, misses per structure and mode, per-core utilisation,
batch sizes, simulated events. `build(...)` names the workload's knob: `concurrency` (ApacheBench's
concurrent clients, a closed loop) or `rate` (httperf's offered requests/s, an open loop);
`simulate`'s `load` is that one knob of the chosen workload. Shared by the calibration (Table 1
condition) and the experiments. Common parts: `testbed.common`.
"""
from __future__ import annotations

from math import ceil

from ..errors import ConfigError
from ..kernel.pricing import server_catalogue
from ..platform import ModelParams, PlatformSpec, load_params, load_platform
from ..harness.seeds import rng
from ..servers.nginx import KERNEL_PROFILE, EpollNginx, FlexscNginx, NginxParams, load_nginx
from ..workloads.apachebench import ApacheBench, load_apachebench
from ..workloads.httperf import Httperf, load_httperf
from ..workloads.network import ClientParams, LinkParams, Testbed
from .common import INTERFACES, SYSTEMS, Bench, choose, client_columns, open_window, pages_for, rig, sim_events
from .measure import processor_columns
from .memo import shared

WORKLOADS = ("apachebench", "httperf")
KNOB = {"apachebench": "concurrency", "httperf": "rate"}     # what `simulate`'s `load` means
CALLS = ("accept", "recv", "open", "fstat", "setsockopt", "writev", "sendfile", "write", "close",
         "epoll_wait", "epoll_ctl")
HTTPERF_WINDOW_S = (0.015, 0.03)


def nginx_catalogue(params: ModelParams):
    """The catalogue with nginx's calls on the common scale (kernel.pricing: the same call costs
    what it costs in memcached), run on the fitted nginx kernel profile."""
    return server_catalogue(params, CALLS, KERNEL_PROFILE)


def ab_window(concurrency: int) -> tuple[int, int]:
    """(warm-up, measured) requests: every client completes a couple of requests first."""
    return 2 * concurrency + 500, max(1500, concurrency)


class NginxBench(Bench):
    """nginx + ApacheBench or httperf, wired (`window`: the counts at the start of the measured
    window)."""

    def __init__(self, r, server, client, system: str, cores: int, ng: NginxParams, draws, clock_ghz: float):
        super().__init__(r, server, client)
        self.system, self.cores, self.ng, self.draws, self.clock_ghz = system, cores, ng, draws, clock_ghz
        self.window: dict = {}
        client.on_warm.append(self._open_window)

    def _open_window(self) -> None:
        open_window(self.rig)
        mutex = self.server.mutex if getattr(self.server, "mutex", None) else None
        self.window.update(t0=self.env.now, requests=self.server.requests, connections=self.server.connections,
                           mutex=(mutex.acquisitions, mutex.failures) if mutex else (0, 0))

    def start(self) -> None:
        env, server, client = self.env, self.server, self.client
        server.start()
        if self.system == "epoll" and self.cores > 1:
            # nginx runs before the benchmark: its idle holder keeps the accept mutex, the other
            # workers' epoll_wait times out every accept_mutex_delay. The benchmark starts at a phase
            # of that timer it does not control (drawn per seed), and the window opens only once
            # every worker has joined -- or after two delays (then one worker is the steady state).
            delay = self.ng.accept_mutex_delay_s * self.clock_ghz * 1e9
            start, cap = float(self.draws.uniform(0.0, delay)), 2 * delay
            client.gate = lambda: server.started_up() or env.now >= start + cap
            env.timeout(start).callbacks.append(lambda _ev: client.start())
        else:
            client.start()

    def row(self) -> dict:
        server, window, cnt = self.server, self.window, self.kernel.counters
        requests = server.requests - window["requests"]
        per = (lambda v: v / requests) if requests else (lambda v: float("nan"))
        out = self.client.summary()
        acq = fail = 0
        if getattr(server, "mutex", None):
            acq = server.mutex.acquisitions - window["mutex"][0]
            fail = server.mutex.failures - window["mutex"][1]
        row = {
            "throughput_rps": out["throughput_rps"], "reply_mbps": out["reply_mbps"],
            # ApacheBench reports C / X (ab's "Time per request"); the replies' own mean beside it
            "mean_latency_s": out["mean_latency_s"], "reply_latency_s": out.get("reply_latency_s", out["mean_latency_s"]),
            "requests": requests, "client_requests": out["requests"],
            "connections": server.connections - window["connections"],
            **processor_columns(self.machine, self.kernel, requests, self.env.now - window["t0"]),
            "eagain_per_request": per(cnt.events.get("eagain", 0)),
            "accept_mutex_acquisitions": acq, "accept_mutex_failures": fail,
            **client_columns(out),
            "timeouts": out["timeouts"], "errors": out["errors"], "outstanding": out.get("outstanding", 0),
            "sim_events": sim_events(self.env),
        }
        for name in CALLS:
            row[f"calls_{name}_per_request"] = per(cnt.syscalls.get((name, "sync"), 0) +
                                                   cnt.syscalls.get((name, "exceptionless"), 0))
        return row


def build(system: str, cores: int, workload: str, seed: int, *, concurrency: int | None = None,
          rate: float | None = None, warmup=None, measure=None, interface: str = "pages",
          params: ModelParams | None = None, ng: NginxParams | None = None, link: LinkParams | None = None,
          client: ClientParams | None = None, spec: PlatformSpec | None = None, policy: str | None = None,
          pages_per_core: int | None = None, prepare=None, irq: str | None = None) -> NginxBench:
    """`concurrency` (ApacheBench: concurrent clients, each a request per connection) or `rate`
    (httperf: offered requests/s over keep-alive sessions), as the workload wants; `warmup` and
    `measure` are requests (ApacheBench) or seconds (httperf). `spec`, `link` and `client`
    replace the platform, the wire and the client machine of the data files (what-if ablations:
    costlier traps, a faster testbed); `policy` and `pages_per_core` replace FlexSC's scheduler
    policy and syscall pages, `prepare(server)` runs before the server starts (Section 7
    ablations: dormant connections); `irq` the NIC interrupt's core ("one" or "rss")."""
    choose("system", system, SYSTEMS)
    choose("workload", workload, WORKLOADS)
    choose("interface", interface, INTERFACES)
    if isinstance(cores, bool) or not isinstance(cores, int) or cores < 1:
        raise ConfigError(f"parameter 'cores': got {cores!r}; allowed: an integer >= 1")
    if workload == "apachebench":
        if concurrency is None or isinstance(concurrency, bool) or int(concurrency) != concurrency or concurrency < 1:
            raise ConfigError(f"parameter 'concurrency': got {concurrency!r}; allowed: an integer >= 1")
    elif rate is None or not rate > 0:
        raise ConfigError(f"parameter 'rate': got {rate!r}; allowed: a number > 0 (requests/s)")
    spec = spec or load_platform()
    params = params or load_params()
    ng = ng or load_nginx(params=params)

    r = rig(spec, params, cores, CALLS, KERNEL_PROFILE, irq, "nginx")
    draws = rng(seed)
    if workload == "apachebench":
        w0, m0 = ab_window(int(concurrency))
        ab = load_apachebench()
        tool = ApacheBench(Testbed.build(r.env, "apachebench", spec.clock_ghz, link, client), r.listener,
                           int(concurrency), w0 if warmup is None else warmup, m0 if measure is None else measure, ab)
        keepalive, line, agent, conns = False, f"GET {ab.request_path} HTTP/1.0", "ApacheBench/2.3", int(concurrency)
    else:
        hp = load_httperf()
        w0, m0 = HTTPERF_WINDOW_S
        tool = Httperf(Testbed.build(r.env, "httperf", spec.clock_ghz, link, client), r.listener, float(rate), draws,
                       w0 if warmup is None else warmup, m0 if measure is None else measure, hp)
        keepalive, line, agent = True, f"GET {hp.request_path} HTTP/1.1", "httperf/0.9.0"
        # at most every session of the run open at once
        conns = ceil(rate / hp.requests_per_connection * tool.run_cycles / spec.clock_ghz / 1e9)
    kw = dict(request_line=line, user_agent=agent)
    if system == "epoll":
        server = EpollNginx(r.kernel, ng, r.listener, cores, keepalive, **kw)
    else:
        server = FlexscNginx(r.kernel, ng, r.listener, cores, keepalive, interface,
                             pages_per_core or pages_for(conns, cores), policy, **kw)
    if prepare is not None:
        prepare(server)
    return NginxBench(r, server, tool, system, cores, ng, draws, spec.clock_ghz)


@shared
def simulate(system: str, cores: int, workload: str, load: float, seed: int, **kw) -> dict:
    """One measured run (see `build`); `load` is the workload's knob: ApacheBench's concurrency
    or httperf's offered rate (requests/s). Returns its row."""
    choose("workload", workload, WORKLOADS)
    return build(system, cores, workload, seed, **{KNOB[workload]: load}, **kw).run()
