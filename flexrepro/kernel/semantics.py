"""What each kind of syscall does to kernel objects (sockets, listeners, files, epoll sets).

`perform(call, args)` returns an `Outcome` (return value, result object, items for the cost,
bytes moved each way, an effect to apply when the call finishes) or `Blocked(obj)` when the
call must wait for `obj` to become readable. Costs are not decided here: the caller charges
`call.kernel_instructions(outcome.items)` through the platform.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import Any, Callable

from .catalogue import Syscall
from .epoll import Epoll
from .net import Listener, Message, Socket

EAGAIN, EINTR, EBADF, EINVAL = -11, -4, -9, -22
_fds = count(3)


@dataclass(frozen=True, slots=True)
class File:
    """A file of the server's document tree (path and size in bytes)."""
    path: str
    size: int


@dataclass(slots=True)
class Outcome:
    ret: int
    value: Any = None
    items: float = 0.0
    bytes_in: int = 0           # user -> kernel (write buffers): moved if the call runs on another core
    bytes_out: int = 0          # kernel -> user (read buffers)
    after: Callable[[], None] | None = None


@dataclass(frozen=True, slots=True)
class Blocked:
    obj: Any                    # wait until obj.readable


def as_int(a: Any) -> int:
    """How an argument appears in the 64-bit slot of a syscall entry."""
    if isinstance(a, (bool, int)):
        return int(a)
    if isinstance(a, Message):
        return a.size
    return int(getattr(a, "id", 0))


def perform(call: Syscall, args: tuple, nonblock: bool = False) -> Outcome | Blocked:
    kind = call.kind
    if kind == "read":
        sock = args[0]
        if not isinstance(sock, Socket) or sock.closed:
            return Outcome(EBADF)
        msg = sock.take()
        if msg is not None:
            return Outcome(msg.size, msg, msg.size / 1024, 0, msg.size)   # bytes_out: the message
        if sock.peer_closed:
            return Outcome(0)
        return Outcome(EAGAIN) if nonblock else Blocked(sock)
    if kind == "send":
        sock, msg = args[0], args[1]
        if not isinstance(sock, Socket) or sock.closed:
            return Outcome(EBADF)
        zero_copy = call.name == "sendfile"
        return Outcome(msg.size, None, msg.size / 1024, 0 if zero_copy else msg.size, 0,   # bytes in, out
                       lambda: None if sock.closed else sock.send(msg))                    # after
    if kind == "accept":
        lst = args[0]
        if not isinstance(lst, Listener):
            return Outcome(EBADF)
        sock = lst.accept_one()
        if sock is not None:
            return Outcome(next(_fds), sock)
        return Outcome(EAGAIN) if nonblock else Blocked(lst)
    if kind == "open":
        f = args[0]
        return Outcome(next(_fds), f) if isinstance(f, File) else Outcome(-2)
    if kind == "close":
        obj = args[0]
        if isinstance(obj, Socket):
            if obj.closed:
                return Outcome(EBADF)
            return Outcome(0, after=obj.close)
        return Outcome(0)
    if kind == "epoll_wait":
        ep, maxevents = args[0], (args[1] if len(args) > 1 else 64)
        timed_out = ep.timed_out
        events = ep.collect(maxevents)
        if events or timed_out:
            return Outcome(len(events), events, len(events))
        return Outcome(0, []) if nonblock else Blocked(ep)
    if kind == "epoll_ctl":
        ep, op, obj = args
        if not isinstance(ep, Epoll):
            return Outcome(EBADF)
        return Outcome(ep.ctl(op, obj))
    return Outcome(0)
