"""Process control for a live check: every child in its own process group, all of them
stopped on exit, on an error and on Ctrl-C (SIGINT) or SIGTERM.

`Processes` is a context manager. Inside it, `start` spawns a command in a new session (so
that the server's own children, e.g. nginx's worker, share its process group) and remembers
it; on leaving, every group still alive gets SIGTERM, then SIGKILL after a grace period, and
is reaped. `pids` lists every process id the check started or found (for the test that none
survives)."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

GRACE_S = 3.0


def alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


class Processes:
    def __init__(self):
        self.children: list[subprocess.Popen] = []
        self.pids: set[int] = set()
        self._old: dict[int, object] = {}

    # --- lifetime ---------------------------------------------------------------------------
    def __enter__(self) -> "Processes":
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._interrupt)
            except ValueError:      # not the main thread: the caller's handlers stay
                pass
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.stop_all()
        finally:
            for sig, old in self._old.items():
                signal.signal(sig, old)

    @staticmethod
    def _interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    # --- children ---------------------------------------------------------------------------
    def start(self, argv: list[str], **kw) -> subprocess.Popen:
        p = subprocess.Popen(argv, start_new_session=True, stdin=subprocess.DEVNULL, **kw)
        self.children.append(p)
        self.pids.add(p.pid)
        return p

    def note(self, pid: int) -> None:
        """Remember a process the check did not spawn itself (a server's worker)."""
        self.pids.add(pid)

    def signal_group(self, p: subprocess.Popen, sig: int) -> None:
        try:
            os.killpg(p.pid, sig)       # the group id is the leader's pid (new session)
        except ProcessLookupError:
            pass

    def stop(self, p: subprocess.Popen, sig: int = signal.SIGTERM, grace: float = GRACE_S) -> None:
        """Signal `p`'s group, wait up to `grace` s, then SIGKILL the group; reap `p`."""
        if p.poll() is None:
            self.signal_group(p, sig)
            try:
                p.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.signal_group(p, signal.SIGKILL)
                p.wait(timeout=grace)
        # members of the group that outlive the leader (an orphaned worker)
        self.signal_group(p, signal.SIGKILL)

    def stop_all(self) -> None:
        for p in reversed(self.children):   # clients and tracers before the servers
            self.stop(p)
        deadline = time.monotonic() + GRACE_S
        while any(alive(pid) for pid in self.pids) and time.monotonic() < deadline:
            time.sleep(0.05)
