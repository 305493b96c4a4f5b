"""The paper's microbenchmarks, run on the processor model.

- `interleaved`: user code issuing one system call every N user instructions (Figure 1);
  steady-state user and kernel IPC per round.
- `recovery`: user IPC in fixed cycle bins after one system call (OSDI'10 Figure 1).
- `cold_call`: one call after the user code ran alone for long (OSDI'10 Table 1).

A synchronous call is a trap (entry + exit, plus the lost work on each side, which depends
on the user instructions run since the previous call: `platform.trap`) and a kernel
segment on the same core. These are shared by the calibration and the fig01
experiment, so both run exactly the same model.
"""
from __future__ import annotations

from ..errors import ConfigError
from ..platform import CodeProfile, Machine, ModelParams, PlatformSpec, load_platform
from ..platform.trap import direct_cycles

WARM_INSTRUCTIONS = 1e12    # long enough to saturate every footprint


def _machine(params: ModelParams, spec: PlatformSpec | None) -> Machine:
    return Machine(spec or load_platform(), params, cores=1)


def _entry_exit(core) -> float:
    spec = core.machine.spec
    return spec.syscall_entry_cycles + spec.syscall_exit_cycles


def _kernel_instructions(kernel: CodeProfile, instructions: float | None) -> float:
    n = kernel.instructions if instructions is None else instructions
    if n is None:
        raise ConfigError(f"profile '{kernel.name}' has no 'instructions' per call; pass kernel_instructions")
    return n


def interleaved(params: ModelParams, user: CodeProfile, kernel: CodeProfile, n_user: float,
                kernel_instructions: float | None = None, spec: PlatformSpec | None = None,
                tol: float = 1e-10, max_rounds: int = 2000) -> dict:
    """Steady state of `n_user` user instructions, a trap and one kernel call, repeated."""
    if not n_user >= 0:
        raise ConfigError(f"parameter 'n_user': got {n_user!r}; allowed: a number >= 0")
    n_kernel = _kernel_instructions(kernel, kernel_instructions)
    core = _machine(params, spec).core(0)
    core.run(user, WARM_INSTRUCTIONS)
    direct_user, direct_kernel = direct_cycles(params.platform, n_user)
    trap_kernel = _entry_exit(core) + direct_kernel
    last = None
    for rounds in range(1, max_rounds + 1):
        u = core.run(user, n_user)
        k = core.run(kernel, n_kernel)
        now = (u.cycles, k.cycles)
        if last is not None and abs(now[0] - last[0]) <= tol * (1 + now[0]) and abs(now[1] - last[1]) <= tol * (1 + now[1]):
            break
        last = now
    user_cycles = u.cycles + direct_user
    kernel_cycles = k.cycles + trap_kernel
    return {
        "user_cycles": user_cycles, "user_refill_cycles": u.cycles - n_user * user.base_cpi,
        "user_direct_cycles": direct_user, "kernel_cycles": kernel_cycles,
        "user_ipc": n_user / user_cycles if n_user else float("nan"),
        "kernel_ipc": n_kernel / kernel_cycles if n_kernel else float("nan"),
        "rounds": rounds,
        **{f"user_{s}_misses": m for s, m in u.misses.items()},
        **{f"kernel_{s}_misses": m for s, m in k.misses.items()},
    }


def cold_call(params: ModelParams, user: CodeProfile, kernel: CodeProfile,
              kernel_instructions: float | None = None, spec: PlatformSpec | None = None) -> dict:
    """One call after the user code ran alone: kernel cycles (with entry/exit) and misses."""
    core = _machine(params, spec).core(0)
    core.run(user, WARM_INSTRUCTIONS)
    k = core.run(kernel, _kernel_instructions(kernel, kernel_instructions))
    return {"cycles": k.cycles + _entry_exit(core) + direct_cycles(params.platform, WARM_INSTRUCTIONS)[1],
            "instructions": k.instructions, "misses": dict(k.misses)}


def recovery(params: ModelParams, user: CodeProfile, kernel: CodeProfile, bin_cycles: float = 1000.0,
             bins: int = 15, step: float = 20.0, kernel_instructions: float | None = None,
             spec: PlatformSpec | None = None) -> list[float]:
    """User IPC in `bins` bins of `bin_cycles` after one call (time 0 = return to user)."""
    if not (bin_cycles > 0 and bins >= 1 and step > 0):
        raise ConfigError("recovery: 'bin_cycles' and 'step' must be > 0 and 'bins' >= 1")
    core = _machine(params, spec).core(0)
    core.run(user, WARM_INSTRUCTIONS)
    core.run(kernel, _kernel_instructions(kernel, kernel_instructions))
    done = [0.0] * bins
    t = direct_cycles(params.platform, WARM_INSTRUCTIONS)[0]     # the pipeline refill retires nothing
    end = bin_cycles * bins
    while t < end:
        seg = core.run(user, step)
        t0, t1 = t, t + seg.cycles
        rate = step / seg.cycles
        b = int(t0 // bin_cycles)
        while b < bins and b * bin_cycles < t1:        # spread the segment over the bins it spans
            lo, hi = max(t0, b * bin_cycles), min(t1, (b + 1) * bin_cycles)
            done[b] += rate * (hi - lo)
            b += 1
        t = t1
    return [d / bin_cycles for d in done]
