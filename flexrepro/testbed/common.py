"""What every testbed shares: the systems and interfaces it runs, the rig, the window, the columns.

A testbed is one measured run of a server: `build(...)` wires the machine, the kernel (with
the network stack), the server and its benchmark client into a `Bench`; `Bench.run()` runs
it and returns one plain row. (`workloads.network.Testbed` is only the client side: the
client machine and the wire.)
"""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil

import simpy

from ..errors import ConfigError
from ..kernel import Kernel, Listener
from ..kernel.kernel import Counters
from ..kernel.pages import ENTRIES_PER_PAGE
from ..kernel.netstack import listen_backlog
from ..kernel.pricing import network_stack, server_catalogue
from ..platform import Machine, ModelParams, PlatformSpec
from ..steady import COLUMNS as STEADY

SYSTEMS = ("epoll", "flexsc")
INTERFACES = ("pages", "queues")
DEFAULT_PAGES = 8          # FlexSC's default: 8 syscall pages (512 entries) per core (OSDI'10)


def choose(name: str, value, allowed: tuple[str, ...]) -> str:
    """`value` if it is one of `allowed`; otherwise the one-line error naming the parameter."""
    if value not in allowed:
        raise ConfigError(f"parameter '{name}': got {value!r}; allowed: one of {', '.join(allowed)}")
    return value


def pages_for(connections: int, cores: int) -> int:
    """Syscall pages per core: FlexSC's default 8, or room for two outstanding calls (a read and
    a reply) per connection (libflexsc servers keep a read outstanding on every connection;
    our choice, the paper does not say how many pages its servers mapped)."""
    return max(DEFAULT_PAGES, ceil(2 * connections / (ENTRIES_PER_PAGE * cores)))


@dataclass
class Rig:
    """The server machine: processor, kernel priced on the common scale, listening socket."""
    env: simpy.Environment
    machine: Machine
    kernel: Kernel
    listener: Listener


def rig(spec: PlatformSpec, params: ModelParams, cores: int, calls, kernel_profile: str,
        irq: str | None, server: str) -> Rig:
    """The machine with `cores`, a kernel whose `calls` cost what they cost in every server
    (kernel.pricing), run on the server's `kernel_profile`, and the network stack on its
    listener (`irq`: the NIC interrupt's core, "one" or "rss", data/kernel/netstack.toml). The
    listener's accept queue is bounded as `server`'s listen() backlog is under Linux
    (`netstack.listen_backlog`)."""
    env = simpy.Environment()
    machine = Machine(spec, params, cores)
    kernel = Kernel(env, machine, params, catalogue=server_catalogue(params, calls, kernel_profile))
    listener = Listener(env, listen_backlog(server))
    network_stack(kernel, listener, cores, kernel_profile, irq)
    return Rig(env, machine, kernel, listener)


def open_window(r: Rig) -> None:
    """The measured window opens: the hardware and kernel counters start from zero."""
    r.machine.reset_counters()
    r.kernel.counters = Counters()


def client_columns(out: dict) -> dict:
    """The client's side of a row (from its `summary()`): its machine, the steady-state check,
    the wire, and what it sent and got back."""
    return {
        "client_utilisation": out["client_utilisation"],
        **{k: out[k] for k in STEADY},
        "link_to_server_utilisation": out["link_to_server_utilisation"],
        "link_to_client_utilisation": out["link_to_client_utilisation"],
        "sent": out["sent"], "answered": out["answered"], "duplicates": out["duplicates"],
        "unexpected_replies": out["unexpected_replies"], "syn_retransmits": out["syn_retransmits"],
    }


def sim_events(env: simpy.Environment) -> int:
    """SimPy's event serial: events scheduled so far."""
    return next(env._eid)


class Bench:
    """One run wired together (tests inspect it): `run()` starts the server and the client,
    runs to the end of the client's measured window and returns the row."""

    def __init__(self, r: Rig, server, client):
        self.env, self.machine, self.kernel, self.listener = r.env, r.machine, r.kernel, r.listener
        self.rig, self.server, self.client = r, server, client

    def run(self) -> dict:
        self.start()
        self.env.run(until=self.client.done)
        return self.row()

    def start(self) -> None:  # pragma: no cover - per server
        raise NotImplementedError

    def row(self) -> dict:  # pragma: no cover - per server
        raise NotImplementedError
