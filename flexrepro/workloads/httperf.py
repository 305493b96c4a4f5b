"""httperf: a partially open load — connections (sessions) arrive at a rate, each sends
`requests_per_connection` HTTP/1.1 requests one after another on one keep-alive connection.

The offered request rate is `rate`; connections start every requests_per_connection / rate
seconds (httperf's fixed interval) or as a Poisson stream. Each request names a file from the
session log (sizes 64 B .. 8 KiB) and must be answered within `timeout_s`, otherwise it is a
client timeout: counted, and the session is aborted (httperf closes the connection). A server
close with a request pending is an error, also counted. Nothing is dropped silently: every
request sent is either answered, timed out, errored, or still outstanding at the end, and
`summary()` reports all four. Throughput is reported in Mbps of reply bytes, as in the paper.

The run is time-based (an open system has no natural request count): `warmup_s` of load,
then a measured window of `measure_s`; `done` fires at its end.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..datafiles import read_toml
from ..errors import ConfigError
from ..kernel.clock import TimerList
from ..kernel.net import Listener, Message
from .client import ClientConn, LoadGenerator, Request
from .network import DATA, Testbed, at

GET = "get"
_BLOCK = 4096


@dataclass(frozen=True)
class HttperfParams:
    requests_per_connection: int
    file_sizes_bytes: tuple[int, ...]
    request_path: str
    host: str
    arrivals: str
    timeout_s: float

    def __post_init__(self):
        object.__setattr__(self, "file_sizes_bytes", tuple(self.file_sizes_bytes))
        if not isinstance(self.requests_per_connection, int) or self.requests_per_connection < 1:
            raise ConfigError(f"parameter 'requests_per_connection': got {self.requests_per_connection!r}; "
                              "allowed: an integer >= 1")
        if not self.file_sizes_bytes or min(self.file_sizes_bytes) < 0:
            raise ConfigError(f"parameter 'file_sizes_bytes': got {self.file_sizes_bytes!r}; "
                              "allowed: a non-empty list of sizes >= 0")
        if self.arrivals not in ("fixed", "poisson"):
            raise ConfigError(f"parameter 'arrivals': got {self.arrivals!r}; allowed: one of fixed, poisson")
        if not self.timeout_s > 0:
            raise ConfigError(f"parameter 'timeout_s': got {self.timeout_s!r}; allowed: a number > 0")

    def request_bytes(self) -> int:
        return len(f"GET {self.request_path} HTTP/1.1\r\nUser-Agent: httperf/0.9.0\r\nHost: {self.host}\r\n\r\n")


def load_httperf(path: str | Path = DATA / "httperf.toml") -> HttperfParams:
    return HttperfParams(**read_toml(path))


GATE_POLL = 0.1        # fraction of the warm-up between looks at the gate


class Httperf(LoadGenerator):
    def __init__(self, testbed: Testbed, listener: Listener, rate: float, rng: np.random.Generator,
                 warmup_s: float, measure_s: float, params: HttperfParams | None = None):
        if not rate > 0:
            raise ConfigError(f"parameter 'rate': got {rate!r}; allowed: a number > 0 (requests/s)")
        if warmup_s < 0 or not measure_s > 0:
            raise ConfigError(f"parameters 'warmup_s'/'measure_s': got {warmup_s!r}/{measure_s!r}; "
                              "allowed: warmup_s >= 0 and measure_s > 0")
        super().__init__(testbed, listener)
        self.p = params or load_httperf()
        self.rate, self.rng = rate, rng
        hz = testbed.cycles_per_second
        self._gap = self.p.requests_per_connection / rate * hz    # cycles between sessions
        self._timeout = self.p.timeout_s * hz
        self._timeouts = TimerList(self.env)       # one delay for all: they expire in the order set
        self._warmup, self._measure = warmup_s * hz, measure_s * hz
        self.on_warm: list[Callable[[], None]] = []
        self.gate: Callable[[], bool] = lambda: True   # the server's own start-up is over
        self.done = self.env.event()
        self.sessions_started = self.sessions_completed = self.sessions_aborted = 0
        self._files = self._gaps = None
        self._fi = self._gi = _BLOCK

    @property
    def run_cycles(self) -> float:
        """Warm-up plus measured window, in cycles."""
        return self._warmup + self._measure

    def start(self) -> None:
        at(self.env, self._warmup, self._try_window)
        self._arrival()

    # ---- sessions ----
    def _arrival(self) -> None:
        if self.done.triggered:
            return
        self.sessions_started += 1
        conn = self.new_conn()
        conn.state = 0                                 # requests sent on this connection
        req = self._request(conn)
        cpu = self.tb.client
        cpu.run(cpu.connection_cycles + cpu.request_cycles, self.open, conn, self._armed, req)
        at(self.env, self._next_gap(), self._arrival)

    def _next_gap(self) -> float:
        if self.p.arrivals == "fixed":
            return self._gap
        if self._gi == _BLOCK:
            self._gaps, self._gi = self.rng.exponential(self._gap, _BLOCK), 0
        self._gi += 1
        return float(self._gaps[self._gi - 1])

    def _request(self, conn: ClientConn) -> Request:
        if self._fi == _BLOCK:
            self._files, self._fi = self.rng.integers(0, len(self.p.file_sizes_bytes), _BLOCK), 0
        size = self.p.file_sizes_bytes[int(self._files[self._fi])]
        self._fi += 1
        conn.state += 1
        req = self.make_request(conn, GET, self.p.request_bytes(), file_bytes=size)
        req.started = self.env._now
        return req

    def _armed(self, conn: ClientConn) -> None:
        """The request is on its way: start its timeout clock."""
        self._timeouts.call_at(self._timeout, self._expire, conn, conn.outstanding)

    def on_reply(self, conn: ClientConn, req: Request, msg: Message) -> None:
        if conn.state >= self.p.requests_per_connection:
            self.sessions_completed += 1
            self.close(conn)
            return
        nxt = self._request(conn)
        self.tb.client.run(self.tb.client.request_cycles, self._send_armed, conn, nxt)

    def _send_armed(self, conn: ClientConn, req: Request) -> None:
        if conn.sock is None:                          # aborted meanwhile
            return
        self.send(conn, req)
        self._armed(conn)

    def _expire(self, conn: ClientConn, req: Request | None) -> None:
        if req is not None and conn.outstanding is req:
            self.ledger.timeouts += 1
            conn.outstanding = None
            self.sessions_aborted += 1
            self.close(conn)

    def on_error(self, conn: ClientConn) -> None:
        self.sessions_aborted += 1
        conn.sock = None

    # ---- window ----
    def _try_window(self) -> None:
        """Open the window after the warm-up once the server's start-up is over (`gate`),
        looking again every `GATE_POLL` of the warm-up while it is not."""
        if not self.gate():
            at(self.env, GATE_POLL * self._warmup, self._try_window)
            return
        self.start_measuring()
        for fn in self.on_warm:
            fn()
        at(self.env, self._measure, self._finish)

    def _finish(self) -> None:
        self.ledger.window_end = self.env.now
        if not self.done.triggered:
            self.done.succeed()

    def summary(self) -> dict:
        out = super().summary()
        out.update(offered_rps=self.rate, outstanding=sum(c.outstanding is not None for c in self.conns),
                   sessions_started=self.sessions_started, sessions_completed=self.sessions_completed,
                   sessions_aborted=self.sessions_aborted)
        return out
