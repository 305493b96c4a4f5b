"""Sockets as the server's kernel sees them: listeners, connections, messages.

The network/client side moves `Message`s (`Listener.connect`, `Socket.deliver`,
`Socket.close_by_peer`) and learns of the server's output through `on_send`/`on_close`.
Everything that costs server cycles (accept, recv, send ...) is done by the kernel's
syscall catalogue, which uses the kernel-side methods below (`take`, `accept_one`, `send`).

When the listener has a `NetStack` attached (kernel/netstack.py), each socket reports its TCP
events to it -- connection set-up, received and transmitted segments, FINs, close -- so the
interrupt-side work is charged on the interrupt core. Pipes and files have no stack.

Readiness is edge-free bookkeeping: a kernel waiter (a blocked read, a parked syscall
thread) asks `wait_readable()` for a one-shot SimPy event; an epoll instance registers a
persistent watcher. Both fire when data, a connection or EOF arrives — no polling.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from itertools import count
from typing import Any, Callable

import simpy

_ids = count()


@dataclass(slots=True, init=False)
class Message:
    """Bytes on the wire plus an opaque payload (e.g. a request record)."""
    size: int
    payload: Any = None

    def __init__(self, size: int, payload: Any = None):   # one frame, not __init__ + __post_init__
        if size < 0:
            raise ValueError(f"Message: 'size' must be >= 0 bytes, got {size!r}")
        self.size = size
        self.payload = payload


class _Readiness:
    """One-shot waiters (blocked calls) and persistent watchers (epoll) of a readable object."""

    def __init__(self, env: simpy.Environment):
        self.env = env
        self.id = next(_ids)
        self._waiters: list[simpy.Event] = []
        self._watchers: list[Callable[[Any], None]] = []

    @property
    def readable(self) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def wait_readable(self) -> simpy.Event:
        """An event that fires when this object is (or becomes) readable."""
        ev = self.env.event()
        if self.readable:
            ev.succeed()
        else:
            self._waiters.append(ev)
        return ev

    def watch(self, fn: Callable[[Any], None]) -> None:
        """Persistent readiness callback fn(obj) (epoll registration)."""
        if fn not in self._watchers:
            self._watchers.append(fn)

    def unwatch(self, fn: Callable[[Any], None]) -> None:
        if fn in self._watchers:
            self._watchers.remove(fn)

    exclusive = False    # wake one blocked waiter per notification (Linux's exclusive wait for accept)

    def _notify(self) -> None:
        if self.exclusive:
            while self._waiters:
                ev = self._waiters.pop(0)
                if not ev.triggered:
                    ev.succeed()
                    break
        else:
            waiters, self._waiters = self._waiters, []
            for ev in waiters:
                if not ev.triggered:
                    ev.succeed()
        for fn in list(self._watchers):
            fn(self)


class Socket(_Readiness):
    """A connected socket: receive queue (network -> server) and send hook (server -> network)."""

    def __init__(self, env: simpy.Environment, listener: "Listener | None" = None):
        super().__init__(env)
        self.listener = listener
        self.rx: deque[Message] = deque()
        self.peer_closed = False
        self.closed = False
        self.on_send: Callable[["Socket", Message], None] | None = None
        self.on_close: Callable[["Socket"], None] | None = None
        self.payload: Any = None          # free slot for the client/network (e.g. its connection state)
        self.stack = listener.stack if listener is not None else None
        self.index = 0

    # ---- network/client side ----
    def deliver(self, msg: Message) -> None:
        if self.closed:
            return                        # the server closed: the packet is dropped (RST)
        if self.stack is not None:
            self.stack.on_receive(self, msg.size)
        self.rx.append(msg)
        self._notify()

    def close_by_peer(self) -> None:
        if not self.peer_closed:
            self.peer_closed = True
            if self.stack is not None and not self.closed:
                self.stack.on_fin(self)
            self._notify()

    def transmitted(self, msg: Message) -> None:
        """The network side saw `msg` leave the server (after any corking)."""
        if self.stack is not None:
            self.stack.on_transmit(self, msg.size)

    # ---- kernel side ----
    @property
    def readable(self) -> bool:
        return bool(self.rx) or self.peer_closed or self.closed

    def take(self) -> Message | None:
        """Dequeue one message; None means EOF (peer closed, queue empty) or would-block."""
        return self.rx.popleft() if self.rx else None

    def send(self, msg: Message) -> None:
        if self.closed:
            raise ValueError(f"socket {self.id}: send on a closed socket")
        if self.on_send is not None:
            self.on_send(self, msg)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.stack is not None:
            self.stack.on_close(self, active=not self.peer_closed)
        self._notify()                    # a parked read returns; epoll sets drop the fd
        self._watchers.clear()
        if self.on_close is not None:
            self.on_close(self)


class Listener(_Readiness):
    """A listening socket: connections wait in the accept queue; each new connection wakes
    one blocked accept (exclusive wake-up, no thundering herd).

    `max_backlog` is listen()'s backlog as the kernel keeps it (the server's request capped by
    net.core.somaxconn); None leaves the queue unbounded. Like Linux 2.6.33's
    sk_acceptq_is_full (`sk_ack_backlog > sk_max_ack_backlog`), the queue is full once it
    holds MORE than max_backlog connections. Then a SYN is dropped (tcp_v4_conn_request), and
    so is the final ACK of a handshake begun before the queue filled (tcp_v4_syn_recv_sock):
    both count as listen overflows (LINUX_MIB_LISTENOVERFLOWS), and each costs the client an
    initial retransmission timeout (workloads/client.py)."""

    exclusive = True

    def __init__(self, env: simpy.Environment, max_backlog: int | None = None):
        super().__init__(env)
        if max_backlog is not None and (isinstance(max_backlog, bool) or not isinstance(max_backlog, int)
                                        or max_backlog < 0):
            raise ValueError(f"Listener: 'max_backlog' must be None or an integer >= 0, got {max_backlog!r}")
        self.backlog: deque[Socket] = deque()
        self.max_backlog = max_backlog
        self.connections = 0
        self.overflows = 0                # SYNs and final ACKs dropped on a full accept queue
        self.stack = None                 # a NetStack: the kernel's TCP work of its connections

    @property
    def full(self) -> bool:
        return self.max_backlog is not None and len(self.backlog) > self.max_backlog

    def admit(self) -> bool:
        """A SYN, or a handshake's final ACK, reaches the listener: False if the accept queue
        is full and the segment is dropped (its receive is still kernel work on the interrupt
        core). The SYN check leaves out Linux's `inet_csk_reqsk_queue_young(sk) > 1`
        condition: a SYN let through there would meet the same full queue with its ACK."""
        if not self.full:
            return True
        self.overflows += 1
        if self.stack is not None:
            self.stack.on_overflow(self.connections + self.overflows)
        return False

    def connect(self) -> Socket:
        sock = Socket(self.env, self)
        sock.index = self.connections     # this listener's connection number (RSS hashes it)
        self.connections += 1
        if self.stack is not None:
            self.stack.on_connect(sock)
        self.backlog.append(sock)
        self._notify()
        return sock

    @property
    def readable(self) -> bool:
        return bool(self.backlog)

    def accept_one(self) -> Socket | None:
        return self.backlog.popleft() if self.backlog else None
