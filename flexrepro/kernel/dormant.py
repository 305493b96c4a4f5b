"""A server with many dormant connections and a few active ones, on FlexSC (Section 7).

`dormant_cost(interface, outstanding_calls, ...)`: `outstanding_calls - active_calls` reads
are parked on connections that never send (posted before the measurement, in bulk), and
`active_calls` connections each send one request per round: the server posts a read on
each, runs a handler of `user_instructions` per completed read, posts the reply (a write)
and waits for the writes. Measured after warm-up, per completed call: the entries read by
linear scans (user polls + kernel claims) or the ring operations, their instructions and
cycles, and all busy cycles. Deterministic: no randomness is involved.

`early_reads=True`: the reads are posted before the requests arrive (`data_delay` cycles
later), as libflexsc servers keep a read outstanding on every connection, so each read
blocks and its syscall thread parks. `kernel="nonblocking"` runs the same server on Section
7's non-blocking kernel (`flexrepro.kernel.nonblocking`).
"""
from __future__ import annotations

import simpy

from ..errors import ConfigError
from . import FlexSC, Kernel, Message, Socket
from .pages import ENTRIES_PER_PAGE, ENTRY_DTYPE
from .nonblocking import NonBlockingFlexSC
from .scale import ScanMeter, park_dormant

POLICIES = ("batching", "dynamic")
KERNELS = {"flexsc": FlexSC, "nonblocking": NonBlockingFlexSC}


def _int(name: str, v, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise ConfigError(f"parameter '{name}': got {v!r}; allowed: an integer >= {low}")
    return v


def dormant_cost(interface: str, outstanding_calls: int, params, active_calls: int = 16, rounds: int = 100,
                 warmup: int = 10, policy: str = "batching", cores: int = 1, user_instructions: float = 2000.0,
                 request_bytes: int = 100, reply_bytes: int = 1000, user_profile: str = "xalan",
                 bulk: bool = True, kernel: str = "flexsc", early_reads: bool = False,
                 data_delay: float = 20_000.0) -> dict:
    """One run; `bulk=False` posts the dormant reads one by one (slow; to check the bulk path)."""
    from ..platform import Machine, load_platform
    _int("outstanding_calls", outstanding_calls, 1)
    _int("active_calls", active_calls, 1)
    _int("rounds", rounds, 1)
    _int("warmup", warmup, 0)
    if active_calls > outstanding_calls:
        raise ConfigError(f"parameter 'active_calls': got {active_calls}; allowed: at most outstanding_calls ({outstanding_calls})")
    if policy not in POLICIES:
        raise ConfigError(f"parameter 'policy': got {policy!r}; allowed: {', '.join(POLICIES)}")
    if policy == "batching" and cores != 1:
        raise ConfigError(f"parameter 'cores': got {cores!r}; allowed: 1 under the batching policy")
    if kernel not in KERNELS:
        raise ConfigError(f"parameter 'kernel': got {kernel!r}; allowed: {', '.join(KERNELS)}")
    env = simpy.Environment()
    k = Kernel(env, Machine(load_platform(), params, cores=cores), params)
    th = k.thread(0, user_profile)
    pages_per_core = -(-outstanding_calls // (ENTRIES_PER_PAGE * cores))
    fsc = KERNELS[kernel](k, th, policy=policy, interface=interface, pages_per_core=pages_per_core)
    meter = ScanMeter(fsc)
    dormant = outstanding_calls - active_calls
    if bulk:
        park_dormant(fsc, dormant)
    else:
        for _ in range(dormant):
            fsc.post("read", Socket(env))
    socks = [Socket(env) for _ in range(active_calls)]
    marks: dict = {}

    def program():
        for r in range(warmup + rounds):   # (unbulked dormant reads park during the first round)
            if r == warmup:
                marks["t0"] = env.now
                k.counters.reset()
                k.machine.reset_counters()
                meter.reset()
            pending = {}                   # entry -> (socket, is a read)
            for s in socks:
                if not early_reads:
                    s.deliver(Message(request_bytes))
                pending[fsc.post("read", s)] = (s, True)
            if early_reads:                # the requests arrive while the reads wait for them
                env.timeout(data_delay).callbacks.append(
                    lambda _: [s.deliver(Message(request_bytes)) for s in socks])
            while pending:                 # completed reads get a handler and a reply write
                for idx in fsc.poll():
                    sock, is_read = pending.pop(idx)
                    fsc.free(idx)
                    if is_read:
                        yield from th.run_user(user_instructions, label="handler")
                        pending[fsc.post("write", sock, Message(reply_bytes))] = (sock, False)
                if pending:
                    yield from fsc.wait()
        marks["t1"] = env.now

    env.process(program())
    env.run()
    calls = 2 * active_calls * rounds
    mc = {d: [0.0, 0.0] for d in ("user", "kernel")}
    for row in k.machine.counters():
        mc[row["domain"]][0] += row["instructions"]
        mc[row["domain"]][1] += row["cycles"]
    cpi = {d: (c / i if i else 0.0) for d, (i, c) in mc.items()}
    c = k.costs
    if interface == "pages":
        user_instr, kernel_instr = meter.user * c.user_scan_per_entry, meter.kernel * c.kernel_scan_per_entry
        scanned, ring_ops = meter.user + meter.kernel, 0
    else:                                 # ring ops: the pushes at post, the pops at claim and poll
        ring_ops = meter.user + meter.kernel + calls
        user_instr = (meter.user + calls) * c.queue_op_instructions
        kernel_instr = meter.kernel * c.queue_op_instructions
        scanned = 0
    scan_cycles = user_instr * cpi["user"] + kernel_instr * cpi["kernel"]
    busy = sum(v for (_, d), v in k.counters.busy.items() if d in ("user", "kernel"))
    st = fsc.stats()
    return {
        "completed_calls": calls,
        "dormant_calls": dormant,
        "entries_scanned_per_call": scanned / calls,
        "ring_ops_per_call": ring_ops / calls,
        "scan_instructions_per_call": (user_instr + kernel_instr) / calls,
        "user_scan_cycles_per_call": user_instr * cpi["user"] / calls,
        "kernel_scan_cycles_per_call": kernel_instr * cpi["kernel"] / calls,
        "scan_cycles_per_call": scan_cycles / calls,
        "scan_bytes_per_call": scanned * ENTRY_DTYPE.itemsize / calls,
        "busy_cycles_per_call": busy / calls,
        "scan_share": scan_cycles / busy if busy else 0.0,
        "elapsed_cycles_per_call": (marks["t1"] - marks["t0"]) / calls,
        "syscall_entries": fsc.table.n,
        "syscall_threads": st["syscall_threads"],
        "parked_threads": st["max_parked_threads"],
        "thread_memory_kib": st["syscall_thread_memory_kib"],
        "entry_memory_kib": fsc.table.n * ENTRY_DTYPE.itemsize / 1024,
        "kernel_cores": len(fsc.workers),
        "thread_switches_per_call": k.counters.events.get("thread_switch", 0) / calls,
        "continuations_per_call": k.counters.events.get("continuation_resumed", 0) / calls,
        "blocked_per_call": k.counters.events.get("block", 0) / calls,
    }
