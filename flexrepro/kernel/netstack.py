"""The kernel's TCP/IP work outside system calls: per connection and per packet, on the
core that takes the NIC's interrupt.

Per connection: the SYN (request sock, SYN-ACK), the final ACK (child socket, accept queue),
the peer's FIN, our close (FIN, last ACK, destroying the socket) and -- for the side that
closes first -- the TIME_WAIT bucket. Per packet: the receive softirq of every data segment,
the pure ACKs the client sends for multi-segment replies, and the transmit-completion
interrupt of every segment we send. Under epoll and under FlexSC alike this is interrupt-driven
work, not a system call: it runs on the interrupt core (one core, or spread by RSS), is counted
as kernel work there (instructions, cycles, misses, busy time) and delays whatever that core
runs next (`Kernel.interrupt`). The NIC moderates its interrupts (at most `max_rate` per second
per core), so under load one softirq pass handles the packets of several requests.

Which code profile it runs on: the server's kernel profile (the one its socket calls run on).
The softirq's TCP code and data (tcp_v4_rcv and tcp_recvmsg, the same sockets and skbs) are
largely the socket calls' own; a separate profile with a working set of its own doubled the
kernel footprint in the occupancy model -- measured: memcached's user L2 misses per request
went from 3 to 565 and the Table 1 fit drove the user base CPI to 0.21 (user IPC 4.6 under
FlexSC), which no Core i7 does. The `netstack` profile carries only the fitted per-connection
total (its `instructions`).

Hooks: the sockets call `on_connect / on_receive / on_fin / on_close / on_transmit` when a
`Listener` has a stack attached (`NetStack.attach`); pipes and log files have none. Sizes and
the split of the per-connection total come from data/kernel/netstack.toml; the total itself is
the calibrated `netstack` profile's `instructions` (fitted to Table 1's nginx row).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..datafiles import read_toml
from ..errors import ConfigError
from .clock import call_at

DATA = paths.DATA / "kernel" / "netstack.toml"
PROFILE = "netstack"
PHASES = ("syn", "established", "fin", "close", "time_wait")
IRQ_MODES = ("one", "rss")


@dataclass(frozen=True)
class NetStackParams:
    rx: float
    ack_rx: float
    tx_completion: float
    mss: int
    split: dict[str, float]
    irq: str
    shape: tuple[str, ...]
    max_rate: float = 20000.0

    def __post_init__(self):
        for name in ("rx", "ack_rx", "tx_completion"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"netstack '{name}': got {getattr(self, name)!r}; allowed: >= 0 instructions")
        if not (isinstance(self.mss, int) and self.mss > 0):
            raise ConfigError(f"netstack 'mss': got {self.mss!r}; allowed: an integer > 0")
        if set(self.split) != set(PHASES) or abs(sum(self.split.values()) - 1) > 1e-9 or min(self.split.values()) < 0:
            raise ConfigError(f"netstack 'connection': need fractions >= 0 for {', '.join(PHASES)} summing to 1")
        if not self.max_rate > 0:
            raise ConfigError(f"netstack 'max_rate': got {self.max_rate!r}; allowed: > 0 interrupts/s")
        if self.irq not in IRQ_MODES:
            raise ConfigError(f"parameter 'irq': got {self.irq!r}; allowed: one of {', '.join(IRQ_MODES)}")

    def segments(self, size: int) -> int:
        return max(1, -(-size // self.mss))


def load_netstack(path: str | Path = DATA, irq: str | None = None) -> NetStackParams:
    t = read_toml(path)
    p = t["packet"]
    return NetStackParams(rx=float(p["rx"]), ack_rx=float(p["ack_rx"]), tx_completion=float(p["tx_completion"]),
                          mss=p["mss"], split={k: float(v) for k, v in t["connection"].items()},
                          irq=irq or t["irq"]["mode"], shape=tuple(t["profile"]["shape"]),
                          max_rate=float(t["irq"]["max_rate"]))


def listen_backlog(server: str, path: str | Path = DATA) -> int:
    """The accept queue's bound for `server`'s listening socket: its listen() backlog capped by
    net.core.somaxconn (data/kernel/netstack.toml [listen])."""
    t = read_toml(path)["listen"]
    if server not in t["backlog"]:
        raise ConfigError(f"parameter 'server': got {server!r}; allowed: one of {', '.join(t['backlog'])}")
    return min(int(t["backlog"][server]), int(t["somaxconn"]))


class NetStack:
    """The interrupt-side TCP work of one machine's kernel."""

    def __init__(self, kernel, params: NetStackParams | None = None, cores: int | None = None,
                 profile: str = PROFILE):
        self.k, self.p, self.profile = kernel, params or load_netstack(), profile
        self.cores = cores or len(kernel.cores)
        self.per_connection = kernel.profile(PROFILE).instructions or 0.0
        self.phase = {ph: self.per_connection * f for ph, f in self.p.split.items()}
        self.connections = self.packets = self.interrupts = 0
        hz = kernel.machine.spec.clock_ghz * 1e9
        self._gap = hz / self.p.max_rate                  # interrupt moderation: cycles between interrupts
        self._pending = [0.0] * self.cores                 # work waiting for the core's next interrupt
        self._last = [-self._gap] * self.cores
        self._armed = [False] * self.cores
        self._one = self.p.irq == "one"
        self._mss = self.p.mss

    def attach(self, listener) -> "NetStack":
        listener.stack = self
        return self

    def core_of(self, sock) -> int:
        return self._core(sock.index)

    def _core(self, index: int) -> int:
        # RSS: by the connection, deterministically (not by the process-wide object id)
        return 0 if self.p.irq == "one" else index % self.cores

    def _run(self, sock, instructions: float, label: str) -> None:
        """Queue TCP work for the interrupt core: it runs at once if the core's last interrupt
        is at least 1/max_rate ago, else in the next (moderated) interrupt with whatever else
        arrived meanwhile -- one softirq pass, one pollution of the core's caches."""
        if instructions <= 0:
            return
        # core_of(sock), inlined: two calls per packet
        self._queue(0 if self._one else sock.index % self.cores, instructions)

    def _queue(self, core: int, instructions: float) -> None:
        self._pending[core] += instructions
        if self._armed[core]:
            return
        wait = self._last[core] + self._gap - self.k.env._now
        if wait <= 0:
            self._fire(core)
        else:
            self._armed[core] = True
            call_at(self.k.env, wait, self._fire, core)

    def _fire(self, core: int) -> None:
        self._armed[core] = False
        self._last[core] = self.k.env._now
        self.interrupts += 1
        work, self._pending[core] = self._pending[core], 0.0
        self.k.interrupt(core, self.profile, work, "nic interrupt")

    # ---- hooks called by the sockets ----
    def on_connect(self, sock) -> None:
        """SYN, SYN-ACK, final ACK: the connection reaches the accept queue."""
        self.connections += 1
        self.k.counters.events["tcp_connection"] += 1
        self._run(sock, self.phase["syn"] + self.phase["established"], "tcp handshake")

    def on_overflow(self, index: int) -> None:
        """A SYN or final ACK dropped on a full accept queue: its receive softirq, nothing else
        (no request sock or child socket). `index` stands for the connection RSS would hash."""
        self.packets += 1
        self.k.counters.events["listen_overflow"] += 1
        self._queue(self._core(index), self.p.rx)

    def on_receive(self, sock, size: int) -> None:
        n = max(1, -(-size // self._mss))                  # self.p.segments(size), inlined
        self.packets += n
        self._run(sock, n * self.p.rx, "tcp receive")

    def on_transmit(self, sock, size: int) -> None:
        """Segments we sent: their transmit completions, and the client's pure ACKs."""
        n = max(1, -(-size // self._mss))
        self.packets += n
        self._run(sock, n * self.p.tx_completion + (n // 2) * self.p.ack_rx, "tcp transmit")

    def on_fin(self, sock) -> None:
        self._run(sock, self.phase["fin"], "tcp fin")

    def on_close(self, sock, active: bool) -> None:
        """Our close: FIN and the last ACK; the first to close also keeps TIME_WAIT (and will
        still receive the peer's FIN)."""
        extra = self.phase["time_wait"] + self.phase["fin"] if active else 0.0
        self._run(sock, self.phase["close"] + extra, "tcp close")
