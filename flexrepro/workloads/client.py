"""Client-side plumbing shared by memslap, ApacheBench and httperf.

A load generator talks to the server only through the socket contract (`Listener.connect`,
`Socket.deliver`, `Socket.on_send`, `Socket.close_by_peer`); everything it sends or
receives crosses the `Link`s, and every request costs time on the `ClientMachine`.

A TCP connection is opened with the three-way handshake: SYN to the server, SYN-ACK back,
then the final ACK — the server's accept queue sees the connection when that ACK arrives
(as in Linux), together with any request the client sent right behind it. A SYN that finds
the accept queue full is dropped (`Listener.admit`); the client's kernel sends it again after
its initial retransmission timeout, doubled on each further try. A final ACK that finds the
queue full is dropped too; the server's kernel then sends its SYN-ACK again after the same
timeout (its request sock's timer), and the client answers it with the ACK (and request) again.

Every request is a `Request` record carried as the `Message` payload; the server answers
with a `Message` whose payload is the same record, so the client can check that every
request is answered exactly once (`Ledger`). Per-request rows are kept as columns and
returned as plain dicts (`Ledger.rows()`), ready for a DataFrame.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import Callable

from ..errors import ConfigError
from ..kernel.clock import TimerList
from ..kernel.net import Listener, Message, Socket
from ..steady import window_stats
from .network import Testbed

SYN_BYTES = 0       # control segments carry no payload; the Link adds the headers
# The client machine runs "the same Linux installation" as the server (ATC'11 Section 6):
# Linux 2.6.33 retransmits an unanswered SYN after TCP_TIMEOUT_INIT = 3*HZ ("RFC 1122 initial
# RTO value", include/net/tcp.h) and doubles the timeout on each further retransmission
# (tcp_retransmit_timer). Its tcp_syn_retries = 5 limit (~189 s) is far beyond any run here.
SYN_RTO_S = 3.0


@dataclass(slots=True, eq=False)
class Request:
    """One request as the client sent it (the server reads op/key/value_bytes/file_bytes)."""
    rid: int
    conn: int
    op: str
    size: int                  # request bytes on the wire (TCP payload)
    key: int = 0
    key_bytes: int = 0         # memcached: bytes of the key
    value_bytes: int = 0       # memcached: bytes of the value (set) / expected value (get)
    file_bytes: int = 0        # HTTP: size of the requested file
    started: float = 0.0       # client began working on it (closed loop: previous reply done)
    answers: int = 0


@dataclass(eq=False)
class ClientConn:
    id: int
    sock: Socket | None = None
    outstanding: Request | None = None
    state: object = None       # the workload's own per-connection state


class Ledger:
    """Every request sent, every reply received, and the measured window's rows."""

    COLUMNS = ("rid", "conn", "op", "latency", "request_bytes", "reply_bytes", "done")

    def __init__(self):
        self.sent = self.answered = self.duplicates = self.unexpected = 0
        self.timeouts = self.errors = 0
        self.completions: list[float] = []     # every answer's time, warm-up included (steady.py)
        self.measuring = False
        self.window_start = 0.0
        self.window_end: float | None = None   # time-based runs close the window explicitly
        self._rows: list[tuple] = []           # the window's answers, one tuple of COLUMNS each

    def start_window(self, now: float) -> None:
        self.measuring, self.window_start = True, now
        self._rows = []

    def record(self, req: Request, reply_bytes: int, now: float) -> None:
        self.completions.append(now)
        if self.measuring:
            self._rows.append((req.rid, req.conn, req.op, now - req.started, req.size, reply_bytes, now))

    @property
    def measured(self) -> int:
        return len(self._rows)

    def columns(self) -> dict[str, list]:
        cols = zip(*self._rows) if self._rows else ((),) * len(self.COLUMNS)
        return {k: list(v) for k, v in zip(self.COLUMNS, cols)}

    def rows(self) -> list[dict]:
        return [dict(zip(self.COLUMNS, r)) for r in self._rows]


class LoadGenerator:
    """Base of the three tools: connections, handshake, request/reply transport, ledger."""

    def __init__(self, testbed: Testbed, listener: Listener):
        self.tb, self.env, self.listener = testbed, testbed.env, listener
        self.ledger = Ledger()
        self._rids = count()
        self.conns: list[ClientConn] = []
        self.syn_retransmits = 0
        # retransmission timers by (segment, attempt): each list expires in the order it is set
        self._rto_timers: dict[tuple[str, int], TimerList] = {}

    # ---- connections ----
    def new_conn(self) -> ClientConn:
        c = ClientConn(len(self.conns))
        self.conns.append(c)
        return c

    def open(self, conn: ClientConn, then: Callable[[ClientConn], None],
             first: Request | None = None, attempt: int = 0) -> None:
        """Three-way handshake; `first` (if any) travels right behind the final ACK. `attempt`:
        SYNs of this connection already dropped by a full accept queue."""
        self.tb.to_server.send(SYN_BYTES, self._syn, conn, then, first, self.env.now, attempt)

    def _syn(self, conn, then, first, sent, attempt):
        if not self.listener.admit():
            # dropped: no SYN-ACK comes; the client's retransmission timer fires RTO after
            # the SYN left it, and the next try waits twice as long
            self.syn_retransmits += 1
            self._timers("syn", attempt).call_at(sent + self._rto(attempt) - self.env.now,
                                                 self.open, conn, then, first, attempt + 1)
            return
        self._syn_ack(conn, then, first, self.env.now, 0)

    def _rto(self, attempt: int) -> float:
        return SYN_RTO_S * self.tb.cycles_per_second * 2 ** attempt

    def _timers(self, segment: str, attempt: int) -> TimerList:
        key = (segment, attempt)
        if key not in self._rto_timers:
            self._rto_timers[key] = TimerList(self.env)
        return self._rto_timers[key]

    def _syn_ack(self, conn, then, first, sent, attempt):
        self.tb.to_client.send(SYN_BYTES, self._ack, conn, then, first, sent, attempt)

    def _ack(self, conn, then, first, synack_sent, attempt):
        size = SYN_BYTES if first is None else first.size
        if first is not None and conn.outstanding is not first:
            self._mark_sent(conn, first)
        self.tb.to_server.send(size, self._final_ack, conn, then, first, synack_sent, attempt)

    def _final_ack(self, conn, then, first, synack_sent, attempt):
        if not self.listener.admit():
            # dropped (and the request behind it): the server's request sock sends its SYN-ACK
            # again RTO after the last one, and the client acknowledges it again
            self.syn_retransmits += 1
            self._timers("syn-ack", attempt).call_at(synack_sent + self._rto(attempt) - self.env.now, self._syn_ack,
                                                     conn, then, first, synack_sent + self._rto(attempt), attempt + 1)
            return
        self._established(conn, then, first)

    def _established(self, conn, then, first):
        sock = self.listener.connect()
        sock.payload = conn
        sock.on_send = self._on_send
        sock.on_close = self._on_server_close
        conn.sock = sock
        if first is not None:
            sock.deliver(Message(first.size, first))
        then(conn)

    def close(self, conn: ClientConn) -> None:
        """The client closes its end: a FIN crosses the link, then the server sees EOF."""
        sock, conn.sock = conn.sock, None
        if sock is not None:
            self.tb.to_server.send(SYN_BYTES, sock.close_by_peer)

    # ---- requests ----
    def make_request(self, conn: ClientConn, op: str, size: int, **fields) -> Request:
        return Request(next(self._rids), conn.id, op, size, **fields)

    def _mark_sent(self, conn: ClientConn, req: Request) -> None:
        conn.outstanding = req
        self.ledger.sent += 1

    def send(self, conn: ClientConn, req: Request) -> None:
        self._mark_sent(conn, req)
        sock = conn.sock
        self.tb.to_server.send(req.size, sock.deliver, Message(req.size, req))

    def _on_send(self, sock: Socket, msg: Message) -> None:
        sock.transmitted(msg)
        self.tb.to_client.send(msg.size, self._received, sock.payload, msg)

    def _received(self, conn: ClientConn, msg: Message) -> None:
        req = msg.payload
        if not isinstance(req, Request):
            self.ledger.unexpected += 1
            return
        req.answers += 1
        if req.answers > 1:
            self.ledger.duplicates += 1
            return
        if conn.outstanding is not req:     # e.g. it timed out already: counted, not recorded
            self.ledger.unexpected += 1
            return
        conn.outstanding = None
        self.ledger.answered += 1
        self.ledger.record(req, msg.size, self.env._now)
        self.on_reply(conn, req, msg)

    def _on_server_close(self, sock: Socket) -> None:
        # The server's FIN travels behind any reply it sent before closing (the link is FIFO).
        self.tb.to_client.send(SYN_BYTES, self._fin, sock.payload, sock)

    def _fin(self, conn: ClientConn, sock: Socket) -> None:
        if conn.sock is sock and conn.outstanding is not None:   # closed with a request pending
            self.ledger.errors += 1
            conn.outstanding = None
            self.on_error(conn)

    # ---- hooks of the tools ----
    def on_reply(self, conn: ClientConn, req: Request, msg: Message) -> None:
        raise NotImplementedError

    def on_error(self, conn: ClientConn) -> None:
        pass

    # ---- results ----
    def start_measuring(self) -> None:
        """Open the measured window (after warm-up): rows and utilisations count from now."""
        self.ledger.start_window(self.env.now)
        self._busy0 = self._busy()

    def _busy(self) -> tuple[float, float, float]:
        tb = self.tb
        return tb.client.busy_until_now(), tb.to_server.busy_until_now(), tb.to_client.busy_until_now()

    def summary(self) -> dict:
        """Client-side results of the measured window, as plain numbers for a row."""
        led, hz = self.ledger, self.tb.cycles_per_second
        cols = led.columns()
        n = led.measured
        end = led.window_end if led.window_end is not None else (cols["done"][-1] if n else led.window_start)
        elapsed = end - led.window_start
        secs = elapsed / hz
        tb = self.tb
        busy = [a - b for a, b in zip(self._busy(), getattr(self, "_busy0", (0.0, 0.0, 0.0)))]
        return {
            "requests": n,
            "throughput_rps": n / secs if secs > 0 else 0.0,
            "mean_latency_s": sum(cols["latency"]) / n / hz if n else float("nan"),
            "reply_mbps": sum(cols["reply_bytes"]) * 8 / secs / 1e6 if secs > 0 else 0.0,
            "sent": led.sent, "answered": led.answered, "duplicates": led.duplicates,
            "unexpected_replies": led.unexpected, "timeouts": led.timeouts, "errors": led.errors,
            "syn_retransmits": self.syn_retransmits,
            "client_utilisation": busy[0] / (elapsed * tb.client.p.cores) if elapsed else 0.0,
            "link_to_server_utilisation": busy[1] / elapsed if elapsed else 0.0,
            "link_to_client_utilisation": busy[2] / elapsed if elapsed else 0.0,
            **window_stats(led.completions, led.window_start, end, hz),
        }


class ClosedLoop(LoadGenerator):
    """A closed-loop tool (memslap, ApacheBench): `warmup` replies, then a window of `measure`
    replies; each reply sends the connection's next request until the window is full."""

    def __init__(self, testbed: Testbed, listener: Listener, warmup: int, measure: int):
        if warmup < 0 or measure < 1:
            raise ConfigError(f"parameters 'warmup'/'measure': got {warmup!r}/{measure!r}; "
                              "allowed: warmup >= 0 and measure >= 1")
        super().__init__(testbed, listener)
        self.warmup, self.measure = warmup, measure
        self.completed = 0
        self.on_warm: list[Callable[[], None]] = []
        self.gate: Callable[[], bool] = lambda: True   # the server's own start-up is over (e.g. nginx's workers)
        self.done = self.env.event()

    def _next(self, conn: ClientConn) -> None:
        raise NotImplementedError

    def on_reply(self, conn: ClientConn, req: Request, msg: Message) -> None:
        self.completed += 1
        if not self.ledger.measuring and self.completed >= self.warmup and self.gate():
            self._open_window()
        elif self.ledger.measuring and self.ledger.measured >= self.measure:
            if not self.done.triggered:
                self.done.succeed()
            return
        self._next(conn)

    def _open_window(self) -> None:
        self.start_measuring()
        for fn in self.on_warm:
            fn()
