"""The testbed between load generator and server: a 1 Gbps full-duplex link and the client machine.

Both are FIFO servers whose completion time is known the moment work arrives, so each
message (all its TCP segments) and each client job costs ONE SimPy event, not a process:
- `Link`: one direction of the wire. A message of `size` bytes is cut into MSS-sized TCP
  segments; each segment carries TCP/IP + Ethernet overhead (and is padded to the minimum
  frame); segments serialise back to back at line rate, then propagate.
- `ClientMachine`: c identical cores, FCFS; a job starts on the earliest free core.
Time is in cycles of the server clock (the kernel's unit); parameters are in seconds and
bits in `data/workloads/network.toml` / `client.toml`, converted with the platform clock.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import simpy

from .. import paths
from ..datafiles import read_toml
from ..errors import ConfigError
from ..kernel.clock import call_at

DATA = paths.DATA / "workloads"


# at(env, delay, fn, *args): call fn(*args) `delay` cycles from now (one SimPy event, no
# process; kernel.clock: the heap entry of env.timeout without its Event object)
at = call_at


def _need(cond: bool, name: str, allowed: str, value) -> None:
    if not cond:
        raise ConfigError(f"parameter '{name}': got {value!r}; allowed: {allowed}")


@dataclass(frozen=True)
class LinkParams:
    rate_bps: float
    mtu_bytes: int
    tcp_ip_header_bytes: int
    ethernet_overhead_bytes: int
    min_frame_bytes: int
    propagation_s: float

    def __post_init__(self):
        _need(self.rate_bps > 0, "rate_bps", "a number > 0", self.rate_bps)
        _need(self.mtu_bytes > self.tcp_ip_header_bytes >= 0, "mtu_bytes",
              "an integer > tcp_ip_header_bytes", self.mtu_bytes)
        _need(self.ethernet_overhead_bytes >= 0, "ethernet_overhead_bytes", "an integer >= 0",
              self.ethernet_overhead_bytes)
        _need(self.propagation_s >= 0, "propagation_s", "a number >= 0", self.propagation_s)

    @property
    def mss(self) -> int:
        return self.mtu_bytes - self.tcp_ip_header_bytes

    def segments(self, size: int) -> int:
        """TCP segments of a message (a zero-byte message is one control segment, e.g. a FIN)."""
        return max(1, math.ceil(size / self.mss))

    def wire_bytes(self, size: int) -> int:
        """Bytes on the wire: payload + per-segment headers, padded to the minimum frame."""
        n = self.segments(size)
        full, last = divmod(size, self.mss) if size else (0, 0)
        # Ethernet's frame = header 14 + payload + FCS 4; overhead_bytes also holds preamble+IFG (20).
        frame_extra = self.ethernet_overhead_bytes - 20

        def one(payload: int) -> int:
            return max(self.min_frame_bytes, payload + self.tcp_ip_header_bytes + frame_extra) + 20

        if n == full:
            return full * one(self.mss)
        return full * one(self.mss) + one(last)


@dataclass(frozen=True)
class ClientParams:
    cores: int
    per_request_s: float
    per_connection_s: float

    def __post_init__(self):
        _need(isinstance(self.cores, int) and self.cores >= 1, "cores", "an integer >= 1", self.cores)
        _need(self.per_request_s >= 0, "per_request_s", "a number >= 0", self.per_request_s)
        _need(self.per_connection_s >= 0, "per_connection_s", "a number >= 0", self.per_connection_s)


def load_link(path: str | Path = DATA / "network.toml") -> LinkParams:
    return LinkParams(**read_toml(path)["link"])


def load_client(tool: str, path: str | Path = DATA / "client.toml") -> ClientParams:
    d = read_toml(path)
    d.pop("bounds", None)                  # the text's inequalities: see client_bounds()
    if tool not in d:
        raise ConfigError(f"parameter 'tool': got {tool!r}; allowed: one of {', '.join(d)}")
    return ClientParams(**d[tool])


def client_bounds(path: str | Path = DATA / "client.toml") -> dict[str, dict]:
    """Per tool, what the paper's text says its client keeps up with (`keeps_up_with`) and
    what it could not (`bound_by`): [server, cores] pairs, with their source."""
    return read_toml(path)["bounds"]


class Link:
    """One direction of the full-duplex wire: FIFO serialisation at line rate, then propagation."""

    def __init__(self, env: simpy.Environment, params: LinkParams, cycles_per_second: float):
        self.env, self.p = env, params
        self._cycles_per_byte = 8 * cycles_per_second / params.rate_bps
        self._prop = params.propagation_s * cycles_per_second
        self._free_at = 0.0
        self.messages = self.payload_bytes = self.wire_bytes = 0
        self.busy_cycles = 0.0
        self._wire: dict[int, int] = {}   # payload size -> wire bytes (a run sends few distinct sizes)

    def send(self, size: int, fn: Callable, *args) -> None:
        """Transmit `size` payload bytes; fn(*args) runs when the last segment arrives."""
        wire = self._wire.get(size)
        if wire is None:
            wire = self._wire[size] = self.p.wire_bytes(size)
        tx = wire * self._cycles_per_byte
        now = self.env._now
        start = max(now, self._free_at)
        self._free_at = start + tx
        self.messages += 1
        self.payload_bytes += size
        self.wire_bytes += wire
        self.busy_cycles += tx
        call_at(self.env, self._free_at + self._prop - now, fn, *args)

    def busy_until_now(self) -> float:
        """Busy cycles up to now (work already queued for the future is not counted)."""
        return self.busy_cycles - max(0.0, self._free_at - self.env.now)


class ClientMachine:
    """The load generator's CPU: `cores` FCFS servers; jobs cost client CPU time."""

    def __init__(self, env: simpy.Environment, params: ClientParams, cycles_per_second: float):
        self.env, self.p = env, params
        self.request_cycles = params.per_request_s * cycles_per_second
        self.connection_cycles = params.per_connection_s * cycles_per_second
        self._free = [0.0] * params.cores      # heap of the times each core becomes free
        self.jobs = 0
        self.busy_cycles = 0.0

    def run(self, cycles: float, fn: Callable, *args) -> None:
        """Queue a job of `cycles`; fn(*args) runs when it completes."""
        now = self.env._now
        start = max(now, self._free[0])
        done = start + cycles
        heapq.heapreplace(self._free, done)
        self.jobs += 1
        self.busy_cycles += cycles
        call_at(self.env, done - now, fn, *args)

    def busy_until_now(self) -> float:
        """Busy cycles up to now (jobs queued for the future are not counted)."""
        return self.busy_cycles - sum(max(0.0, t - self.env.now) for t in self._free)


@dataclass(frozen=True)
class Testbed:
    """What a workload needs from the world: the clock, the two link directions, the client."""
    env: simpy.Environment
    cycles_per_second: float
    to_server: Link
    to_client: Link
    client: ClientMachine

    @classmethod
    def build(cls, env: simpy.Environment, tool: str, clock_ghz: float,
              link: LinkParams | None = None, client: ClientParams | None = None) -> "Testbed":
        _need(clock_ghz > 0, "clock_ghz", "a number > 0", clock_ghz)
        hz = clock_ghz * 1e9
        link = link or load_link()
        client = client or load_client(tool)
        return cls(env, hz, Link(env, link, hz), Link(env, link, hz), ClientMachine(env, client, hz))
