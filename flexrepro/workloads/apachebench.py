"""ApacheBench (ab): closed loop of C concurrent clients, a new connection per request.

One cycle per client: client CPU (connection set-up + request) -> three-way handshake with
the request right behind the final ACK -> the server's reply -> the client closes (FIN) and
starts the next cycle. The mean latency is what ab reports as "Time per request (mean)":
concurrency x time taken / requests done (support/ab.c), i.e. C / X by construction. It
counts the clients waiting out a SYN retransmission (a full accept queue, workloads/client.py)
at their full weight, which a mean over the replies inside a window far shorter than the 3 s
timeout would not.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..datafiles import read_toml
from ..errors import ConfigError
from ..kernel.net import Listener, Message
from .client import ClientConn, ClosedLoop, Request
from .network import DATA, Testbed

GET = "get"


@dataclass(frozen=True)
class ApacheBenchParams:
    request_path: str
    host: str
    file_bytes: int

    def __post_init__(self):
        if not isinstance(self.file_bytes, int) or self.file_bytes < 0:
            raise ConfigError(f"parameter 'file_bytes': got {self.file_bytes!r}; allowed: an integer >= 0")

    def request_bytes(self) -> int:
        return len(f"GET {self.request_path} HTTP/1.0\r\nHost: {self.host}\r\n"
                   "User-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n")


def load_apachebench(path: str | Path = DATA / "apachebench.toml") -> ApacheBenchParams:
    return ApacheBenchParams(**read_toml(path))


class ApacheBench(ClosedLoop):
    def __init__(self, testbed: Testbed, listener: Listener, concurrency: int,
                 warmup: int, measure: int, params: ApacheBenchParams | None = None):
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigError(f"parameter 'concurrency': got {concurrency!r}; allowed: an integer >= 1")
        super().__init__(testbed, listener, warmup, measure)
        self.p = params or load_apachebench()
        self.concurrency = concurrency

    def start(self) -> None:
        if self.warmup == 0:
            self._open_window()
        for _ in range(self.concurrency):
            self._next(self.new_conn())

    def _next(self, conn: ClientConn) -> None:
        req = self.make_request(conn, GET, self.p.request_bytes(), file_bytes=self.p.file_bytes)
        req.started = self.env._now
        cpu = self.tb.client
        cpu.run(cpu.connection_cycles + cpu.request_cycles, self.open, conn, _noop, req)

    def on_reply(self, conn: ClientConn, req: Request, msg: Message) -> None:
        self.close(conn)              # a new connection per request
        super().on_reply(conn, req, msg)

    def summary(self) -> dict:
        out = super().summary()
        x = out["throughput_rps"]
        # ab's "Time per request (mean)"; the replies' own mean stays as `reply_latency_s`
        out["reply_latency_s"], out["mean_latency_s"] = out["mean_latency_s"], (
            self.concurrency / x if x > 0 else float("nan"))
        return out


def _noop(conn: ClientConn) -> None:
    """Nothing to do once the connection is up: the request travelled with the final ACK."""
