"""User-level event loops: `EpollRuntime` (epoll + non-blocking calls) and `LibFlexSC`
(the Figure-4 library on exception-less calls). One server logic runs on both.

A server is a set of handlers `handler(conn, ev)`; `ev` is a `Completion(name, ret, value)`
(`value`: the accepted Socket, the read Message, the opened File). Inside a handler the
server records user work and calls; the loop executes them in order::

    import simpy
    from flexrepro.platform import Machine, load_platform, load_params
    from flexrepro.kernel import Kernel, Listener, Message
    from flexrepro.runtime import EpollRuntime, LibFlexSC

    env = simpy.Environment()
    params = load_params()
    kernel = Kernel(env, Machine(load_platform(), params, cores=2), params,
                    catalogue=None)         # or load_catalogue().with_overrides({...})
    rt = LibFlexSC(kernel, core=0, profile="xalan", policy="dynamic")   # or EpollRuntime(kernel, 0, "xalan", edge=True)
    listener = Listener(env)

    def accepted(conn, ev):
        rt.user(800)                               # instructions of the user profile
        rt.accept(conn, listener, accepted)        # re-arm accept
        rt.read(ev.value, ev.value, got_request, timeout=2.3e9)   # timeout in cycles (cancellation)

    def got_request(sock, ev):
        if ev.ret <= 0:                            # EOF, EINTR (flexsc) or ETIMEDOUT (epoll)
            rt.close(None, sock)
            return
        rt.user(2500)
        rt.write(sock, sock, Message(1024, ev.value.payload), written)

    def written(sock, ev):
        rt.read(sock, sock, got_request)

    rt.accept(None, listener, accepted)            # like main() in Figure 4
    rt.start()

Calls: `accept, read, write, writev, sendmsg, sendfile, open, fstat, close` and
`call(name, conn, handler, *args, timeout=None)` for any call of the catalogue (e.g.
`setsockopt`, `pwrite`); `handler=None` means no callback. Counters: `kernel.counters`
(syscalls per name and mode, mechanism events, batch sizes, busy cycles per core/domain),
`rt.stats` (handlers, posts, completions, epoll events), `rt.fsc.stats()` (syscall threads).
"""
from .base import Completion, ETIMEDOUT, Runtime
from .epoll import EpollRuntime
from .libflexsc import LibFlexSC

__all__ = ["Completion", "ETIMEDOUT", "Runtime", "EpollRuntime", "LibFlexSC"]
