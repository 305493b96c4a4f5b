"""The direct cost of a mode switch, which depends on what the interrupted code had in flight.

A synchronous system call is a round trip: the `syscall` entry and `sysret` exit (79 + 71
cycles, measured with a null call; charged to the kernel) and the work the pipeline loses
around them. That loss is not a constant. An out-of-order core running code for a while
holds that code's in-flight work: a reorder buffer full of instructions, outstanding misses
in the line-fill buffers, warmed fetch, branch-history and prefetcher state. A mode switch
drains and discards it, and each side then runs at a reduced rate until it has rebuilt its
own. Code that has run only a few instructions since the previous switch (a `getppid`
tight loop) has little in flight, so there is little to lose.

Form (one for both sides): after `n` user instructions since the previous switch, the
interrupted code has built up a fraction `f(n) = 1 - exp(-n / w)` of its steady in-flight
work, where `w` (`inflight_window_instructions`) is the number of instructions over which
that state fills. The lost cycles are that fraction of the full loss:

- user side:   `user_direct_cycles   * f(n)`  (the pipeline refill after the return, as
  Figure 1's null-call curve measures it);
- kernel side: `kernel_direct_cycles * f(n) - entry_exit_overlap_cycles * (1 - f(n))`
  (the first term: the kernel entering a pipeline, fill buffers and predictors held by the
  interrupted user code; the kernel-mode IPC loss of OSDI'10 Figure 4 at 100-500 user
  instructions, where no cache footprint can have changed yet, measures it).

The second kernel-side term is the part of the measured entry and exit that overlaps when
nothing else is in flight. The 79 and 71 cycles were measured one instruction at a time,
each from a pipeline holding nothing but that switch. Back to back (a tight loop of null
calls), the exit of one call and the entry of the next have only each other and the loop's
few instructions to wait for, and part of each runs in the shadow of the other: OSDI'10
measured that loop at 56 ns = 129 cycles a call at 2.3 GHz, 21 cycles below 79 + 71 (the null
call's own kernel instructions are inside both measurements). Once the interrupted code has
work in flight the entry waits for it to drain (the lost work above) and nothing of the
previous exit is left to overlap, so the overlap fades as `f(n)` grows: gone after a few
hundred user instructions, i.e. for every point of Figure 1 and for the servers.
`entry_exit_overlap_cycles` is identified by exactly those two measurements
(`calibration.platform_fit.entry_exit_overlap`).

Back-to-back calls (n = 0) pay entry + exit - overlap. A kernel thread running calls one
after another (FlexSC's syscall threads) does not switch modes at all and pays none of it.
"""
from __future__ import annotations

import math


def inflight_fraction(n_user: float, window: float) -> float:
    """Fraction of its steady in-flight work that code holds after `n_user` instructions."""
    if n_user <= 0.0 or window <= 0.0:
        return 1.0 if window <= 0.0 and n_user > 0.0 else 0.0
    return 1.0 - math.exp(-n_user / window)


class TrapCost:
    """The direct cost of a round trip for one set of platform parameters, read once: a core
    traps ~10^5 times a simulated second (`Core.trap`), and the parameters do not change."""
    __slots__ = ("window", "user", "kernel", "overlap")

    def __init__(self, platform: dict):
        self.window = platform["inflight_window_instructions"]
        self.user, self.kernel = platform["user_direct_cycles"], platform["kernel_direct_cycles"]
        self.overlap = platform["entry_exit_overlap_cycles"]

    def cycles(self, n_user: float) -> tuple[float, float]:
        """(user-side, kernel-side) cycles of one round trip beyond the measured entry + exit,
        after `n_user` user instructions. The kernel side is negative in a tight loop: there
        the round trip is shorter than entry + exit measured apart (the overlap)."""
        f = inflight_fraction(n_user, self.window)
        return self.user * f, self.kernel * f - self.overlap * (1.0 - f)


def direct_cycles(platform: dict, n_user: float) -> tuple[float, float]:
    """`TrapCost(platform).cycles(n_user)`, for code that prices a trap once."""
    return TrapCost(platform).cycles(n_user)
