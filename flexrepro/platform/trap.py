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
interrupted code has built up a fraction `1 - exp(-n / w)` of its steady in-flight work,
where `w` (`inflight_window_instructions`) is the number of instructions over which that
state fills. The lost cycles are that fraction of the full loss:

- user side:   `user_direct_cycles   * (1 - exp(-n / w))`  (the pipeline refill after the
  return, as Figure 1's null-call curve measures it);
- kernel side: `kernel_direct_cycles * (1 - exp(-n / w))`  (the kernel entering a pipeline,
  fill buffers and predictors held by the interrupted user code; the kernel-mode IPC loss
  of OSDI'10 Figure 4 at 100-500 user instructions, where no cache footprint can have
  changed yet, measures it).

Back-to-back calls (n = 0) pay only entry and exit. A kernel thread running calls one after
another (FlexSC's syscall threads) does not switch modes at all and pays neither.
"""
from __future__ import annotations

import math


def inflight_fraction(n_user: float, window: float) -> float:
    """Fraction of its steady in-flight work that code holds after `n_user` instructions."""
    if n_user <= 0.0 or window <= 0.0:
        return 1.0 if window <= 0.0 and n_user > 0.0 else 0.0
    return 1.0 - math.exp(-n_user / window)


def direct_cycles(platform: dict, n_user: float) -> tuple[float, float]:
    """(user-side, kernel-side) lost cycles of one round trip after `n_user` user instructions."""
    f = inflight_fraction(n_user, platform["inflight_window_instructions"])
    return platform["user_direct_cycles"] * f, platform["kernel_direct_cycles"] * f
