"""The OS side: syscall catalogue, synchronous trap path, FlexSC (syscall pages or queue
rings, syscall threads, flexsc_wait, scheduler policies, cancellation), sockets and epoll.

Everything costs cycles through the platform: a segment of kernel or user code is
`Core.run(profile, instructions)` on the core it runs on, then one SimPy timeout. Servers
normally use a runtime (`flexrepro.runtime`), which drives this layer::

    import simpy
    from flexrepro.platform import Machine, load_platform, load_params
    from flexrepro.kernel import Kernel, FlexSC, load_catalogue

    env = simpy.Environment()
    params = load_params()                     # a server adds its fitted profiles: params.with_profiles(...)
    catalogue = load_catalogue().with_overrides({"read": {"instructions": 4000, "profile": "pread"}})
    kernel = Kernel(env, Machine(load_platform(), params, cores=4), params, catalogue=catalogue)

    th = kernel.thread(core=0, profile="xalan")        # a user thread pinned to core 0
    out = yield from th.syscall("read", sock, nonblock=True)   # sync trap path -> Outcome(ret, value, ...)
    fsc = FlexSC(kernel, th, policy="dynamic", interface="pages", pages_per_core=8)  # flexsc_register
    idx = fsc.post("read", sock)               # write an entry: no trap
    yield from fsc.wait()                      # flexsc_wait
    for idx in fsc.poll(): fsc.ret(idx), fsc.value(idx); fsc.free(idx)
    fsc.cancel(idx)                            # Section 4.2

Objects the calls act on: `Listener` / `Socket` / `Message` (net.py, the network side's
contract), `File(path, size)`, `Epoll`. Results: `kernel.counters` (`syscalls[(name, mode)]`,
`events` such as ipi / thread_switch / wakeup / block / eagain / flexsc_wait / cancel_won /
cancel_lost / syscall_threads_created, `batches` {calls per kernel pass: passes}, `busy`
{(core, domain): cycles}; `summary()`, `syscall_rows()`, `busy_rows(elapsed)`), `fsc.stats()`,
`kernel.trace` (with `trace=True`), and the platform's `machine.counters()`.
Beside the mechanisms: `pricing` (one price per call for every server, on the scale of a
fitted socket read), and programs that run on the kernel directly, without a server:
`programs` (null-call batching, Figure 3's timeline, Figure 2's status transitions) and
`dormant` (Section 7's server with many dormant connections).
Inputs: `data/kernel/syscalls.csv` (per call: profile, instructions, blocking; provenance)
and `data/kernel/costs.toml` (switch, wake-up, IPI, scan, entry, spin, signal costs).
"""
from .catalogue import Catalogue, Syscall, load_catalogue
from .costs import KernelCosts, load_costs
from .epoll import Epoll
from .flexsc import FlexSC, POLICIES, INTERFACES
from .kernel import Counters, Kernel, UserThread
from .net import Listener, Message, Socket
from .pages import ENTRY_DTYPE, EntryStateError, QueueRings, SyscallPages
from .semantics import EAGAIN, EBADF, EINTR, File

__all__ = ["Catalogue", "Syscall", "load_catalogue", "KernelCosts", "load_costs", "Epoll", "FlexSC",
           "POLICIES", "INTERFACES", "Counters", "Kernel", "UserThread", "Listener", "Message", "Socket",
           "ENTRY_DTYPE", "EntryStateError", "QueueRings", "SyscallPages", "EAGAIN", "EBADF", "EINTR", "File"]
