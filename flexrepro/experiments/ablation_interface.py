"""Beyond the paper (Section 7): syscall pages with linear scans vs the two-queue interface,
through memcached and nginx, with a growing share of idle (dormant) connections.

Each server has `connections` open connections of which `active` carry the load (memslap
connections / ApacheBench clients); the rest are dormant: each holds a read parked in a
syscall entry for data that never comes (libflexsc keeps a read outstanding on every
connection). Dormant reads are placed in bulk (`kernel.scale.park_dormant`), and a scan is
*charged*, never performed: the syscall tables report how many entries a linear scan would
read (pages) or how many ring operations were done (queues), and the kernel runs those as
instructions -- so a 10^5-connection point simulates only its active entries.

Per completed call over the whole run: entries scanned by the user's polls and the
kernel's claims (or ring operations), their cycles (at the measured window's user / kernel
CPI), the share of the user thread's instructions spent polling; and the servers'
throughput and latency over the measured window.
"""
from __future__ import annotations

from math import ceil

from ..harness.config import Param, ParamSet
from ..errors import ConfigError
from ..kernel.pages import ENTRIES_PER_PAGE
from ..kernel.scale import ScanMeter, park_dormant
from ..harness.registry import Experiment, register
from ..testbed import memcached as memcached_testbed, nginx as nginx_testbed

CONNECTIONS = [100, 1_000, 10_000, 100_000]
KEEP = ("throughput_rps", "mean_latency_s", "syscalls_per_request", "user_cpi", "kernel_cpi", "mean_batch",
        "util_min", "requests", "sim_events")


def _pages(dormant: int, active: int) -> int:
    """Room for every dormant read plus a read and a reply per active connection (1 core)."""
    return ceil((dormant + 2 * active) / ENTRIES_PER_PAGE) + 1


def _scan_columns(meter: ScanMeter, rt, row: dict) -> dict:
    from ..kernel import load_costs
    c = load_costs()
    calls = rt.stats["completions"]
    if meter.interface == "pages":
        user_instr, kernel_instr = meter.user * c.user_scan_per_entry, meter.kernel * c.kernel_scan_per_entry
    else:
        user_instr, kernel_instr = meter.user * c.queue_op_instructions, meter.kernel * c.queue_op_instructions
    user_cyc = user_instr * row["user_cpi"] / calls
    return {
        "entries_scanned_per_call": (meter.user + meter.kernel) / calls if meter.interface == "pages" else 0.0,
        "ring_ops_per_call": (meter.user + meter.kernel) / calls if meter.interface == "queues" else 0.0,
        "user_scan_cycles_per_call": user_cyc,
        "kernel_scan_cycles_per_call": kernel_instr * row["kernel_cpi"] / calls,
        "scan_cycles_per_call": user_cyc + kernel_instr * row["kernel_cpi"] / calls,
        # of the user thread's instructions (handlers + scans), the share spent polling
        "user_poll_share": user_instr / (user_instr + rt.stats["user_instructions"]),
        "polls_per_call": meter.polls / calls,
    }


def run_point(config: dict, seed: int) -> dict:
    active, dormant = config["active"], config["connections"] - config["active"]
    pages = _pages(dormant, active)
    held = {}

    def prepare(server):
        park_dormant(server.rt.fsc, dormant)
        held["meter"], held["rt"] = ScanMeter(server.rt.fsc), server.rt

    if config["server"] == "memcached":
        b = memcached_testbed.build("flexsc", 1, active, seed, interface=config["interface"], pages_per_core=pages)
        prepare(b.server)
        row = b.run()
    else:
        row = nginx_testbed.simulate("flexsc", 1, "apachebench", active, seed, interface=config["interface"],
                                     pages_per_core=pages, prepare=prepare)
    return {**{k: row[k] for k in KEEP}, "dormant": dormant, "dormant_share": dormant / config["connections"],
            **_scan_columns(held["meter"], held["rt"], row)}


def check(config: dict) -> None:
    if config["active"] > config["connections"]:
        raise ConfigError(f"parameter 'active': got {config['active']}; allowed: at most connections "
                          f"({config['connections']})")


register(Experiment(
    id="ablation_interface",
    title="Syscall pages (linear scans) vs submission/completion queues with idle connections (memcached, nginx)",
    paper_item="(beyond: Section 7)",
    params=ParamSet((
        Param("server", str, "memcached", choices=("memcached", "nginx")),
        Param("interface", str, "pages", choices=("pages", "queues")),
        Param("connections", int, 1_000, low=1, high=1_000_000, doc="open connections: active + dormant"),
        Param("active", int, 64, low=1, high=65536, doc="connections carrying the load (memslap / ApacheBench)"),
    )),
    run_point=run_point,
    grid={"server": ["memcached", "nginx"], "interface": ["pages", "queues"], "connections": CONNECTIONS},
    quick_grid={"server": ["memcached"], "interface": ["pages", "queues"], "connections": [100, 100_000]},
    seeds=2, quick_seeds=1,   # memslap's draws vary; nginx under ApacheBench does not
    notebook="ablation_interface", check=check,
))
