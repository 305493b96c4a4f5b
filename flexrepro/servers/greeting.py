"""A server-speaks-first protocol on libflexsc with a fixed number of syscall entries: the
configuration of Section 7's throttling that can stand still.

Protocols such as SMTP or a database handshake greet first: the client sends its first
command only after the server's greeting. `GreetingServer` starts the way an event loop
over already-accepted connections naturally does: it arms a read on every connection, then
greets each; every command read gets a reply (`user_instructions` of work), and a sent reply
re-arms the connection's read. Each client answers a greeting or a reply with its next
command after `rtt_cycles`.

With throttling (libflexsc delays a call while all entries are busy) and no more entries
than connections, the reads take every entry, every greeting waits for one, and no read can
finish before its greeting is sent: a standstill, which `runtime.standstill.watch` reports.
With more entries than connections, some greeting goes out, its client answers, entries
free up, and the server runs.

`run(connections, pages_per_core, ...)`: one run; returns a row (throughput, calls that
waited for an entry) or the standstill diagnostic. Deterministic.
"""
from __future__ import annotations

import simpy

from ..errors import ConfigError
from ..kernel import Kernel, Message, Socket
from ..runtime.libflexsc import LibFlexSC
from ..runtime.standstill import Standstill, watch

GREETING_BYTES, COMMAND_BYTES, REPLY_BYTES = 64, 64, 512


class GreetingServer:
    def __init__(self, kernel: Kernel, sockets: list[Socket], pages_per_core: int, user_instructions: float,
                 profile: str = "xalan"):
        self.rt = LibFlexSC(kernel, 0, profile, policy="batching", pages_per_core=pages_per_core)
        self.sockets, self.user_instructions = sockets, user_instructions
        self.replies = 0

    def start(self) -> None:
        for s in self.sockets:                      # arm every connection's read ...
            self.rt.read(s, s, self.on_read)
        for s in self.sockets:                      # ... then greet them
            self.rt.write(s, s, Message(GREETING_BYTES))
        self.rt.start()

    def on_read(self, sock: Socket, ev) -> None:
        if ev.ret <= 0:
            return
        self.rt.user(self.user_instructions)
        self.replies += 1
        self.rt.write(sock, sock, Message(REPLY_BYTES), self.on_sent)

    def on_sent(self, sock: Socket, ev) -> None:
        self.rt.read(sock, sock, self.on_read)


def run(connections: int, pages_per_core: int, replies: int = 2000, user_instructions: float = 5000.0,
        rtt_cycles: float = 23_000.0, standstill_cycles: float = 2_300_000.0, params=None) -> dict:
    from ..platform import Machine, load_params, load_platform
    for name, v in (("connections", connections), ("pages_per_core", pages_per_core), ("replies", replies)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"parameter '{name}': got {v!r}; allowed: an integer >= 1")
    params = params or load_params()
    spec = load_platform()
    env = simpy.Environment()
    k = Kernel(env, Machine(spec, params, cores=1), params)
    socks = [Socket(env) for _ in range(connections)]
    server = GreetingServer(k, socks, pages_per_core, user_instructions)
    done = env.event()

    def answer(sock: Socket, _msg: Message) -> None:   # the client: its next command after a round trip
        if server.replies >= replies:
            if not done.triggered:
                done.succeed()
            return
        env.timeout(rtt_cycles).callbacks.append(lambda _: sock.deliver(Message(COMMAND_BYTES)))

    for s in socks:
        s.on_send = answer
    server.start()
    watch(server.rt, standstill_cycles)
    hz = spec.clock_ghz * 1e9
    row = {"entries": server.rt.fsc.table.n, "entries_per_connection": server.rt.fsc.table.n / connections}
    try:
        env.run(until=done)
    except Standstill as s:
        return {**row, "throughput_rps": 0.0, "replies_served": server.replies, **s.diagnostic}
    return {**row, "throughput_rps": server.replies / env.now * hz, "replies_served": server.replies,
            "standstill": False, "standstill_at_s": float("nan"), "standstill_idle_s": float("nan"),
            "standstill_waiting_calls": 0, "standstill_entries_busy": 0, "standstill_diagnostic": ""}


