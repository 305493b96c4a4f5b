"""nginx 0.9.2 serving static files: one HTTP state machine, two event runtimes.

Shared by both versions (as in the real port, where the HTTP code stayed and the event and
syscall calls changed): `Nginx`, the per-request state machine of ngx_http_request.c and the
static module, written once against the runtime's handler API:

    accept -> [read the request] -> open -> fstat -> setsockopt(TCP_CORK) + writev(header)
    -> sendfile(file) -> write(access log) + close(file) -> close(socket) | keep-alive: uncork,
    TCP_NODELAY once, read the next request (on epoll a greedy read that returns EAGAIN).

The stages are split at every call, as Section 5.2 describes for the libflexsc port (open
and fstat get their own stages; setsockopt, the log write and close need no callback); on
the epoll runtime a call completes synchronously and its stage runs at once, so the split
costs nothing there.

Runtime-specific (small):
- `EpollWorker`: the epoll runtime with nginx's own event module in its hooks (ngx_epoll_module.c,
  ngx_event.c, ngx_event_accept.c), one worker process per core: connections edge-triggered and read
  greedily (NGX_USE_GREEDY_EVENT: a read keeps the ready flag until EAGAIN), the listening
  socket level-triggered with ONE accept per reported event (multi_accept off), and with
  more than one worker the accept mutex: each loop iteration a worker trylocks it, adds the
  listening socket to its epoll set when it wins and removes it when it lost, sleeps in
  epoll_wait at most accept_mutex_delay when it does not hold it, and unlocks after the
  accept events (NGX_POST_EVENTS). Every epoll_wait, epoll_ctl, EAGAIN is a counted call.
- libflexsc: one worker with `posted_accepts` accepts kept posted (each re-posted by its
  completion, Figure 4; data/servers/nginx.toml [libflexsc]).

Syscalls per request, instructions per call, IPC and batch sizes are measured, never set.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..datafiles import read_toml
from ..errors import ConfigError
from ..kernel import EAGAIN, File, Listener, Message, Socket
from ..kernel.epoll import ADD, DEL
from ..platform import ModelParams, load_params
from ..runtime.base import Completion, Op, Runtime, step
from ..runtime.epoll import EpollRuntime
from ..runtime.libflexsc import LibFlexSC

DATA = paths.DATA / "servers" / "nginx.toml"
USER_PROFILE, KERNEL_PROFILE = "nginx_user", "nginx_kernel"
CONN_STAGES = ("accept", "close")
REQUEST_STAGES = ("request", "static", "header", "send", "finalize")
STAGES = CONN_STAGES + REQUEST_STAGES + ("keepalive",)
HEADER = "http-header"           # payload of the header writev: held by TCP_CORK (see `Cork`)


@dataclass(frozen=True)
class NginxParams:
    """The shape of nginx's work (data/servers/nginx.toml) and the fitted total."""
    stages: dict[str, float]
    tcp_nopush: bool
    tcp_nodelay: bool
    accept_mutex_delay_s: float
    epoll_events: int
    server_version: str
    content_type: str
    log_format: str
    user_instructions: float   # per ApacheBench request; fitted (calibration), read from params.json
    posted_accepts: int

    def __post_init__(self):
        if set(self.stages) != set(STAGES) or any(not v >= 0 for v in self.stages.values()):
            raise ConfigError(f"nginx 'stages': need fractions >= 0 for {', '.join(STAGES)}")
        if abs(sum(self.stages[s] for s in CONN_STAGES + REQUEST_STAGES) - 1) > 1e-9:
            raise ConfigError("nginx 'stages': the stages of a request on a fresh connection must sum to 1")
        if not self.user_instructions > 0:
            raise ConfigError(f"parameter 'user_instructions': got {self.user_instructions!r}; allowed: > 0")
        if not isinstance(self.epoll_events, int) or self.epoll_events < 1:
            raise ConfigError(f"nginx 'epoll_events': got {self.epoll_events!r}; allowed: an integer >= 1")
        if not isinstance(self.posted_accepts, int) or self.posted_accepts < 1:
            raise ConfigError(f"nginx 'posted_accepts': got {self.posted_accepts!r}; allowed: an integer >= 1")
        if not self.accept_mutex_delay_s > 0:
            raise ConfigError(f"nginx 'accept_mutex_delay_s': got {self.accept_mutex_delay_s!r}; allowed: > 0")

    def instructions(self, stage: str) -> float:
        return self.user_instructions * self.stages[stage]

    def header_bytes(self, file_bytes: int, keepalive: bool) -> int:
        """The response header ngx_http_header_filter builds for a static file."""
        date = "Thu, 01 Jan 2011 00:00:00 GMT"
        return len(f"HTTP/1.1 200 OK\r\nServer: {self.server_version}\r\nDate: {date}\r\n"
                   f"Content-Type: {self.content_type}\r\nContent-Length: {file_bytes}\r\n"
                   f"Last-Modified: {date}\r\nConnection: {'keep-alive' if keepalive else 'close'}\r\n"
                   "Accept-Ranges: bytes\r\n\r\n")

    def log_bytes(self, request_line: str, file_bytes: int, user_agent: str) -> int:
        """One access-log line in the configured format."""
        values = {"$remote_addr": "10.0.0.1", "$remote_user": "-", "$time_local": "01/Jan/2011:00:00:00 +0000",
                  "$request": request_line, "$status": "200", "$body_bytes_sent": str(file_bytes),
                  "$http_referer": "-", "$http_user_agent": user_agent}
        line = self.log_format
        for k in sorted(values, key=len, reverse=True):
            line = line.replace(k, values[k])
        return len(line) + 1


def load_nginx(path: str | Path = DATA, user_instructions: float | None = None,
               params: ModelParams | None = None) -> NginxParams:
    """The shape from `path`; the per-request total is `user_instructions` or else the fitted
    one of `params` (default: the calibrated data/calibration/params.json)."""
    t = read_toml(path)
    c = t["config"]
    if user_instructions is None:
        user_instructions = (params or load_params()).profile(USER_PROFILE).instructions
    return NginxParams(stages=dict(t["stages"]), tcp_nopush=c["tcp_nopush"], tcp_nodelay=c["tcp_nodelay"],
                       accept_mutex_delay_s=c["accept_mutex_delay_s"], epoll_events=c["epoll_events"],
                       server_version=c["server_version"], content_type=c["content_type"],
                       log_format=c["log_format"], posted_accepts=t["libflexsc"]["posted_accepts"],
                       user_instructions=user_instructions)


class Cork:
    """TCP_CORK on the wire: the header written by writev waits in the socket's send queue
    until sendfile queues the file, and both leave in the same segments (one message)."""
    __slots__ = ("deliver", "held")

    def __init__(self, sock: Socket):
        self.deliver, self.held = sock.on_send, 0
        sock.on_send = self

    def __call__(self, sock: Socket, msg: Message) -> None:
        if msg.payload is HEADER:
            self.held += msg.size
            return
        size, self.held = msg.size + self.held, 0
        if self.deliver is not None:
            self.deliver(sock, Message(size, msg.payload))


class Conn:
    """ngx_connection_t + the request in progress (ngx_http_request_t)."""
    __slots__ = ("sock", "rt", "request", "file", "stat", "corked", "nodelay", "requests")

    def __init__(self, sock: Socket, rt: Runtime):
        self.sock, self.rt = sock, rt
        self.request = self.file = self.stat = None
        self.corked = self.nodelay = False
        self.requests = 0


class Nginx:
    """The HTTP code both versions share (ngx_http_request.c, static, log modules)."""

    def __init__(self, params: NginxParams, listener: Listener, log: Socket, keepalive: bool,
                 request_line: str = "GET /index.html HTTP/1.0", user_agent: str = "ApacheBench/2.3"):
        self.p, self.listener, self.log, self.keepalive = params, listener, log, keepalive
        self.log_bytes = {}
        self.request_line, self.user_agent = request_line, user_agent
        self.requests = self.connections = self.closed = 0

    def rt_of_accept(self) -> Runtime:  # pragma: no cover - runtime-specific
        raise NotImplementedError

    def rearm_accept(self, rt: Runtime) -> None:  # pragma: no cover - runtime-specific
        raise NotImplementedError

    # ---- stages ------------------------------------------------------------------------
    def on_accept(self, _, ev: Completion) -> None:
        """ngx_event_accept + ngx_http_init_connection: wait for the request line."""
        rt = self.rt_of_accept()
        self.rearm_accept(rt)
        if ev.ret < 0:
            return
        rt.user(self.p.instructions("accept"))
        c = Conn(ev.value, rt)
        Cork(c.sock)
        self.connections += 1
        rt.call("recv", c, self.on_request, c.sock)          # ngx_unix_recv when epoll reports it

    def on_request(self, c: Conn, ev: Completion) -> None:
        """ngx_http_init_request .. ngx_http_static_handler: parse, map the URI, open the file."""
        rt = c.rt
        if ev.ret <= 0:                              # the client closed (keep-alive end) or an error
            rt.user(self.p.instructions("close"))
            self.closed += 1
            rt.close(c, c.sock)
            return
        c.request = ev.value.payload
        rt.user(self.p.instructions("request") + self.p.instructions("static"))
        size = c.request.file_bytes
        rt.open(c, File(f"/www/{size}.html", size), self.on_open)

    def on_open(self, c: Conn, ev: Completion) -> None:
        """ngx_open_and_stat_file, second half: fstat into a struct stat owned by the request."""
        c.file = ev.value
        c.stat = {"st_size": c.file.size}
        c.rt.fstat(c, c.file, self.on_fstat)

    def on_fstat(self, c: Conn, ev: Completion) -> None:
        """Header filter + ngx_linux_sendfile_chain: cork, writev the header."""
        rt = c.rt
        rt.user(self.p.instructions("header"))
        if self.p.tcp_nopush and not c.corked:
            rt.call("setsockopt", c, None, c.sock)   # TCP_CORK on, no callback
            c.corked = True
        rt.writev(c, c.sock, Message(self.p.header_bytes(c.stat["st_size"], self.keepalive), HEADER),
                  self.on_header_sent)

    def on_header_sent(self, c: Conn, ev: Completion) -> None:
        c.rt.user(self.p.instructions("send"))
        c.rt.sendfile(c, c.sock, Message(c.stat["st_size"], c.request), self.on_sent)

    def on_sent(self, c: Conn, ev: Completion) -> None:
        """ngx_http_finalize_request: access log, close the file; keep-alive or close."""
        rt, p = c.rt, self.p
        self.requests += 1
        c.requests += 1
        rt.user(p.instructions("finalize"))
        size = c.stat["st_size"]
        if size not in self.log_bytes:
            self.log_bytes[size] = p.log_bytes(self.request_line, size, self.user_agent)
        rt.write(c, self.log, Message(self.log_bytes[size]))
        rt.close(c, c.file)
        c.file = c.stat = None
        if not self.keepalive:
            rt.user(p.instructions("close"))
            rt.close(c, c.sock)
            return
        rt.user(p.instructions("keepalive"))                 # ngx_http_set_keepalive
        if c.corked:
            rt.call("setsockopt", c, None, c.sock)           # TCP_CORK off (ngx_tcp_push)
            c.corked = False
        if p.tcp_nodelay and not c.nodelay:
            rt.call("setsockopt", c, None, c.sock)           # TCP_NODELAY, once per connection
            c.nodelay = True
        rt.call("recv", c, self.on_request, c.sock)            # greedy: EAGAIN on epoll


# ---------------------------------------------------------------- the runtime-specific parts
class AcceptMutex:
    """ngx_accept_mutex: a lock in shared memory (ngx_shmtx_trylock, no syscall); its line
    moves to the core of a new holder."""

    def __init__(self, machine):
        self.machine, self.holder, self.last_core = machine, None, None
        self.acquisitions = self.failures = 0

    def trylock(self, w: "EpollWorker") -> bool:
        if self.holder is not None:
            self.failures += 1
            return False
        self.holder = w
        self.acquisitions += 1
        core = w.thread.core
        if self.last_core is not None and self.last_core != core:
            w.thread.charge(cycles=self.machine.transfer(1, src=self.last_core, dst=core, domain="user"))
        self.last_core = core
        return True

    def unlock(self, w: "EpollWorker") -> None:
        if self.holder is w:
            self.holder = None


class EpollWorker(EpollRuntime):
    """One nginx worker process on its core: ngx_process_events_and_timers with epoll.

    The epoll loop's hooks carry nginx's own parts: `before_wait` takes or gives up the accept
    mutex, `on_events` hands out the reported events (the listening socket's first, then the
    mutex is released, then the connections'). Reads follow ngx_handle_read_event rather than
    the generic loop: one read handler per connection (rev->handler), a ready flag (rev->ready)
    cleared by EAGAIN or end of data."""

    def __init__(self, kernel, core: int, listener: Listener, mutex: AcceptMutex | None, params: NginxParams):
        super().__init__(kernel, core, USER_PROFILE, edge=True, maxevents=params.epoll_events, name=f"worker{core}")
        self.listener, self.mutex, self.p = listener, mutex, params
        self.accept_op: Op | None = None
        self.handlers: dict[Socket, Op] = {}         # connection -> its read handler (rev->handler)
        self.ready: set[Socket] = set()              # rev->ready
        self.listening = False                       # the listening socket is in this epoll set
        self.held = False
        self._wait_serial = 0
        hz = kernel.machine.spec.clock_ghz * 1e9
        # ngx_process_events_and_timers: a worker that does not hold the accept mutex waits in
        # epoll_wait at most accept_mutex_delay, counted from that call -- the first one too
        # (a worker that lost the mutex at start sleeps a whole delay; the bench's warm-up covers it)
        self._delay = params.accept_mutex_delay_s * hz

    def _call(self, op: Op):
        th = self.thread
        name = op.name
        if name == "accept":                         # the listening event's handler (armed once)
            self.accept_op = op
            return
        if name in ("read", "recv"):
            sock = op.args[0]
            if sock not in self.ready:               # wait for epoll (ngx_handle_read_event)
                if sock not in self.ep.interest:
                    yield from th.syscall("epoll_ctl", self.ep, ADD, sock)
                self.handlers[sock] = op
                return
            yield from self._read_ready(op)
            return
        if name == "close":
            self.ready.discard(op.args[0])
            self.handlers.pop(op.args[0], None)
        out = yield from th.syscall(name, *op.args)
        self._complete(op, Completion(name, out.ret, out.value), now=True)

    def _read_ready(self, op: Op):
        """A read on a connection known to be ready (a non-blocking attempt)."""
        sock = op.args[0]
        out = yield from self.thread.syscall(op.name, *op.args, nonblock=True)
        if out.ret == EAGAIN:
            self.ready.discard(sock)
            self.handlers[sock] = op
            return
        if out.ret <= 0:
            self.ready.discard(sock)
        self._complete(op, Completion(op.name, out.ret, out.value), now=True)

    def _accept_reported(self):
        """The listening socket was reported: accept one connection (multi_accept off)."""
        out = yield from self.thread.syscall("accept", self.listener, nonblock=True)
        if out.ret != EAGAIN:                        # EAGAIN: another worker took the connection
            self._complete(self.accept_op, Completion("accept", out.ret, out.value), now=True)

    def _unlock(self):
        """ngx_shmtx_unlock once the events are handed out (shared memory: no call)."""
        self.mutex.unlock(self)
        self.held = False
        yield from ()

    def before_wait(self):
        th = self.thread
        if self.mutex is None or self.mutex.trylock(self):
            self.held = self.mutex is not None
            if not self.listening:
                yield from th.syscall("epoll_ctl", self.ep, ADD, self.listener)
                self.listening = True
        elif self.listening:
            yield from th.syscall("epoll_ctl", self.ep, DEL, self.listener)
            self.listening = False
        if self.listening and self.listener.readable:
            self.ep.report(self.listener)            # level-triggered: reported while the backlog is non-empty
        self._wait_serial += 1
        if self.mutex is not None and not self.held:
            serial = self._wait_serial
            self.env.timeout(self._delay).callbacks.append(lambda _: self._timer(serial))

    def on_events(self, events: list):
        self._wait_serial += 1
        first, rest = [], []
        for obj in events:
            self.stats["events"] += 1
            if obj is self.listener:
                if self.listening:
                    first.append(step(self._accept_reported))
            else:
                self.ready.add(obj)
                op = self.handlers.pop(obj, None)
                if op is not None:
                    rest.append(step(self._read_ready, op))
        if self.held:
            first.append(step(self._unlock))
        self._queue.extend(first + rest)
        yield from ()

    def _timer(self, serial: int) -> None:
        if serial == self._wait_serial:              # still in that epoll_wait: its timeout expires
            self.ep.expire()


class EpollNginx(Nginx):
    """nginx with worker_processes = cores: one EpollWorker per core (accept mutex if > 1)."""

    def __init__(self, kernel, params: NginxParams, listener: Listener, cores: int, keepalive: bool, **kw):
        super().__init__(params, listener, Socket(kernel.env), keepalive, **kw)
        mutex = AcceptMutex(kernel.machine) if cores > 1 else None
        self.mutex = mutex
        self.workers = [EpollWorker(kernel, c, listener, mutex, params) for c in range(cores)]
        self._accepting: EpollWorker | None = None
        self.joined: set[EpollWorker] = set()        # workers that have accepted a connection

    def start(self) -> None:
        for w in self.workers:
            w.accept(w, self.listener, self._on_accept_of(w))
            w.start()

    def _on_accept_of(self, w: EpollWorker):
        def handler(_, ev):
            self._accepting = w
            self.joined.add(w)
            self.on_accept(w, ev)
        return handler

    def started_up(self) -> bool:
        """nginx's start-up is over: every worker has won the accept mutex and accepted (with
        one worker: at once). A worker that lost the mutex at start sleeps until its
        accept_mutex_delay expires before it can join."""
        return len(self.joined) == len(self.workers)

    def rt_of_accept(self) -> Runtime:
        return self._accepting

    def rearm_accept(self, rt: Runtime) -> None:
        """The listening event stays armed (level-triggered): nothing to do."""

    def runtimes(self) -> list:
        return list(self.workers)


class FlexscNginx(Nginx):
    """nginx on libflexsc: ONE worker (core 0); syscall threads batch on its core or run on
    the other cores (dynamic core specialization)."""

    def __init__(self, kernel, params: NginxParams, listener: Listener, cores: int, keepalive: bool,
                 interface: str, pages_per_core: int, policy: str | None = None, **kw):
        super().__init__(params, listener, Socket(kernel.env), keepalive, **kw)
        policy = policy or ("batching" if cores == 1 else "dynamic")   # FlexSC's own choice unless asked
        self.rt = LibFlexSC(kernel, 0, USER_PROFILE, policy=policy,
                            interface=interface, pages_per_core=pages_per_core)

    def start(self) -> None:
        for _ in range(self.p.posted_accepts):
            self.rt.accept(None, self.listener, self.on_accept)
        self.rt.start()

    def rt_of_accept(self) -> Runtime:
        return self.rt

    def rearm_accept(self, rt: Runtime) -> None:
        rt.accept(None, self.listener, self.on_accept)   # flexsc_accept again (Figure 4)

    def runtimes(self) -> list:
        return [self.rt]
