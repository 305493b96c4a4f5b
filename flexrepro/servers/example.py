"""The paper's Figure-4 example server, written on the runtime API.

Same stages as the paper: `main` (listen, post an accept), `conn_accepted` (re-post the
accept, read the new connection), `data_read` (EOF -> close; else parse the request and
open the reply file), `file_opened` (sendfile), `file_sent` (close, no callback). The code
runs unchanged on `LibFlexSC` (the paper's version) and on `EpollRuntime`.

A request is a `Message` whose payload may carry `file_bytes` (the size of the file it
asks for); the reply is one message of that size carrying the request back to the client.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache

from .. import paths
from ..errors import ConfigError
from ..kernel import File, Listener, Message
from ..runtime.base import Completion, Runtime

STAGES = ("main", "conn_accepted", "data_read", "file_opened", "file_sent")


@dataclass(frozen=True)
class StageCosts:
    profile: str
    conn_accepted: float
    data_read: float
    file_opened: float
    file_sent: float

    def __post_init__(self):
        for s in STAGES[1:]:
            if not getattr(self, s) >= 0:
                raise ConfigError(f"example server: '{s}' instructions must be >= 0, got {getattr(self, s)!r}")


@lru_cache(maxsize=None)
def load_stage_costs() -> StageCosts:
    with open(paths.DATA / "servers" / "example.toml", "rb") as f:
        return StageCosts(**tomllib.load(f))


@dataclass(eq=False)
class Conn:
    sock: object = None
    request: object = None
    file: File | None = None


@dataclass
class ExampleServer:
    rt: Runtime
    listener: Listener
    costs: StageCosts = field(default_factory=load_stage_costs)
    default_file_bytes: int = 4096
    trace: list | None = None            # (time, stage) when given a list
    served: int = 0
    stage_counts: dict = field(default_factory=lambda: dict.fromkeys(STAGES, 0))

    def _stage(self, name: str) -> None:
        self.stage_counts[name] += 1
        if self.trace is not None:
            self.trace.append((self.rt.env.now, name))

    def main(self, accepts: int = 1) -> None:
        """Post the first accept(s) and start the event loop."""
        self._stage("main")
        master = Conn(self.listener)
        for _ in range(accepts):
            self.rt.accept(master, self.listener, self.conn_accepted)
        self.rt.start()

    def conn_accepted(self, c: Conn, ev: Completion) -> None:
        self._stage("conn_accepted")
        rt = self.rt
        rt.user(self.costs.conn_accepted, self.costs.profile)
        new = Conn(ev.value)
        rt.accept(c, self.listener, self.conn_accepted)        # pipeline the next accept
        if ev.ret >= 0:
            rt.read(new, new.sock, self.data_read)

    def data_read(self, c: Conn, ev: Completion) -> None:
        self._stage("data_read")
        rt = self.rt
        if ev.ret <= 0:                                         # 0: the peer closed; <0: error/EINTR
            rt.close(None, c.sock)
            return
        rt.user(self.costs.data_read, self.costs.profile)
        c.request = ev.value.payload
        size = getattr(c.request, "file_bytes", self.default_file_bytes)
        rt.open(c, File(f"/www/{size}.html", size), self.file_opened)

    def file_opened(self, c: Conn, ev: Completion) -> None:
        self._stage("file_opened")
        rt = self.rt
        rt.user(self.costs.file_opened, self.costs.profile)
        c.file = ev.value
        rt.sendfile(c, c.sock, Message(c.file.size, c.request), self.file_sent)

    def file_sent(self, c: Conn, ev: Completion) -> None:
        self._stage("file_sent")
        self.rt.user(self.costs.file_sent, self.costs.profile)
        self.served += 1
        self.rt.close(None, c.sock)                             # no callback necessary
