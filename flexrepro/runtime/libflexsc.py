"""libflexsc: the Figure-4 event loop on exception-less system calls (ATC'11 Section 4).

Every call the server makes is posted to a syscall entry with its handler; an event is the
*completion* of a call. The main loop runs pending handlers; only when none is pending does
it poll the syscall pages (or drain the completion ring), and when nothing completed it
falls back to `flexsc_wait`. A call without a handler is fire-and-forget; a timeout
cancels the call (the handler then sees EINTR — or the real result if the call won the
race). When all entries are in use, posts wait in the library (Section 7's throttling).
"""
from __future__ import annotations

from collections import deque
from itertools import count

from ..kernel import FlexSC, Kernel
from ..kernel.clock import call_at
from ..kernel.pages import DONE
from .base import Completion, Op, Runtime


class LibFlexSC(Runtime):
    mode = "flexsc"

    def __init__(self, kernel: Kernel, core: int, profile: str, policy: str = "batching",
                 interface: str = "pages", pages_per_core: int = 8, cores: list[int] | None = None,
                 kernel_cores: list[int] | None = None, name: str = "server"):
        super().__init__(kernel, core, profile, name)
        self.fsc = FlexSC(kernel, self.thread, policy=policy, interface=interface,
                          pages_per_core=pages_per_core, cores=cores, kernel_cores=kernel_cores)
        self.inflight: dict[int, tuple[Op, int]] = {}   # entry -> (the call, its serial)
        self.throttled: deque[Op] = deque()
        self._serial = count()

    # flexsc_accept / flexsc_read / ... : the Figure-4 names for the base API
    def flexsc_accept(self, conn, listener, handler): self.accept(conn, listener, handler)
    def flexsc_read(self, conn, sock, handler, timeout=None): self.read(conn, sock, handler, timeout)
    def flexsc_write(self, conn, sock, msg, handler=None): self.write(conn, sock, msg, handler)
    def flexsc_writev(self, conn, sock, msg, handler=None): self.writev(conn, sock, msg, handler)
    def flexsc_open(self, conn, file, handler): self.open(conn, file, handler)
    def flexsc_fstat(self, conn, file, handler): self.fstat(conn, file, handler)
    def flexsc_sendfile(self, conn, sock, msg, handler=None): self.sendfile(conn, sock, msg, handler)
    def flexsc_close(self, conn, obj, handler=None): self.close(conn, obj, handler)

    def _call(self, op: Op):
        self._post(op)
        return ()   # nothing to wait for: posting takes no simulated time of its own (its stores are charged to the user)

    def _post(self, op: Op) -> bool:
        idx = self.fsc.post(op.name, *op.args)
        if idx is None:
            self.throttled.append(op)
            return False
        serial = next(self._serial)
        self.inflight[idx] = (op, serial)
        self.stats["posted"] += 1
        if op.timeout is not None:
            call_at(self.env, op.timeout, self._expire, idx, serial)
        return True

    def _expire(self, idx: int, serial: int) -> None:
        rec = self.inflight.get(idx)
        if rec is not None and rec[1] == serial and self.fsc.table.status[idx] != DONE:
            self.stats["cancels"] += 1
            self.fsc.cancel(idx)

    def _idle(self):
        """Run the handlers of completed calls; when none completed, flexsc_wait (returned as
        the generator the loop waits on: the poll itself takes no simulated time)."""
        fsc = self.fsc
        done = fsc.poll()
        inflight = self.inflight
        for idx in done:
            op, _ = inflight.pop(idx)
            self._complete(op, Completion(op.name, *fsc.consume(idx)), now=False)
        if done:
            self.stats["completions"] += len(done)     # counted once a poll, not once a call
        while self.throttled and fsc.table.in_use < fsc.table.n:
            self._post(self.throttled.popleft())
        return () if done else fsc.wait()
