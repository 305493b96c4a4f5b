"""memslap: a closed-loop memcached load generator (C persistent connections, 90% get / 10% set).

Each connection has at most one request outstanding (memaslap's default: no multi-get, no
pipelining). One request cycle: the client CPU builds the command (after parsing the previous
reply) -> the command crosses the link -> the server answers -> the reply crosses back -> the
next cycle starts. Keys are drawn uniformly from the connection's own window of keys
(`window_keys_per_connection`), ops are sets with probability `set_fraction`; all draws come
from `rng(seed)` in blocks. Request and reply sizes follow memcached's ASCII protocol.

The run has a warm-up (`warmup` completed requests, for the server's and caches' steady state) and a measured window of `measure` requests; `done` fires at its end, and `on_warm`
callbacks run when the window opens (the experiment resets the machine's counters there).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..datafiles import read_toml
from ..errors import ConfigError
from ..kernel.net import Listener
from .client import ClientConn, ClosedLoop
from .network import DATA, Testbed

GET, SET = "get", "set"
_BLOCK = 4096


@dataclass(frozen=True)
class MemslapParams:
    key_bytes: int
    value_bytes: int
    set_fraction: float
    window_keys_per_connection: int

    def __post_init__(self):
        for name in ("key_bytes", "value_bytes", "window_keys_per_connection"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ConfigError(f"parameter '{name}': got {v!r}; allowed: an integer >= 1")
        if not 0.0 <= self.set_fraction <= 1.0:
            raise ConfigError(f"parameter 'set_fraction': got {self.set_fraction!r}; allowed: a number in [0, 1]")

    # memcached ASCII protocol (memcached 1.4 doc/protocol.txt), flags 0, no expiry
    def get_bytes(self) -> int:
        return len("get ") + self.key_bytes + len("\r\n")

    def set_bytes(self) -> int:
        return len(f"set  0 0 {self.value_bytes}\r\n") + self.key_bytes + self.value_bytes + len("\r\n")

    def hit_reply_bytes(self) -> int:
        return (len(f"VALUE  0 {self.value_bytes}\r\n") + self.key_bytes + self.value_bytes
                + len("\r\n") + len("END\r\n"))

    @staticmethod
    def miss_reply_bytes() -> int:
        return len("END\r\n")

    @staticmethod
    def stored_reply_bytes() -> int:
        return len("STORED\r\n")


def load_memslap(path: str | Path = DATA / "memslap.toml") -> MemslapParams:
    return MemslapParams(**read_toml(path))


class Memslap(ClosedLoop):
    def __init__(self, testbed: Testbed, listener: Listener, connections: int, rng: np.random.Generator,
                 warmup: int, measure: int, params: MemslapParams | None = None):
        if not isinstance(connections, int) or connections < 1:
            raise ConfigError(f"parameter 'connections': got {connections!r}; allowed: an integer >= 1")
        super().__init__(testbed, listener, warmup, measure)
        self.p = params or load_memslap()
        self._get_bytes, self._set_bytes = self.p.get_bytes(), self.p.set_bytes()   # once, not per request
        self.connections, self.rng = connections, rng
        self.running = False
        self._ready: list[ClientConn] = []
        self._ops = self._keys = None
        self._i = _BLOCK

    @property
    def key_population(self) -> int:
        return self.connections * self.p.window_keys_per_connection

    def start(self, go: bool = True) -> None:
        """Open every connection (memslap connects all of them up front). With go=False the
        request loops wait for `go()` (e.g. until the server has taken every connection over)."""
        for _ in range(self.connections):
            self.open(self.new_conn(), self._connected)
        if go:
            self.go()

    def go(self) -> None:
        """Start the closed loops of every connection (those not yet connected start when they are)."""
        if self.running:
            return
        self.running = True
        if self.warmup == 0:
            self._open_window()
        ready, self._ready = self._ready, []
        for conn in ready:
            self._next(conn)

    def _connected(self, conn: ClientConn) -> None:
        if self.running:
            self._next(conn)
        else:
            self._ready.append(conn)

    def _draw(self) -> tuple[bool, float]:
        if self._i == _BLOCK:
            self._ops = self.rng.random(_BLOCK) < self.p.set_fraction
            self._keys = self.rng.random(_BLOCK)
            self._i = 0
        i = self._i
        self._i += 1
        return bool(self._ops[i]), float(self._keys[i])

    def _next(self, conn: ClientConn) -> None:
        """Start a request cycle on `conn`: client CPU time, then the command goes out."""
        is_set, u = self._draw()
        p = self.p
        w = p.window_keys_per_connection
        key = conn.id * w + int(u * w)
        if is_set:
            req = self.make_request(conn, SET, self._set_bytes, key=key, key_bytes=p.key_bytes, value_bytes=p.value_bytes)
        else:
            req = self.make_request(conn, GET, self._get_bytes, key=key, key_bytes=p.key_bytes, value_bytes=p.value_bytes)
        req.started = self.env._now
        self.tb.client.run(self.tb.client.request_cycles, self.send, conn, req)

