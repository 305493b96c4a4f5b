"""`flexrepro calibrate-host`: this machine's null system call round trip, as a platform preset.

What FlexSC would buy on the machine in front of you depends on what a mode switch costs
there (page-table isolation and other entry/exit mitigations made it dearer after 2018).
The measurement:
- `c`: a small C program, compiled at run time with the system's C compiler, times
  `syscall(SYS_getppid)` in a tight loop with `clock_gettime` and subtracts the same loop
  without the call (the loop's own cost). getppid does almost nothing in the kernel, so
  the round trip is the crossing itself -- the same shape as the OSDI'10 null-call loop.
- `python` (no compiler): `os.getppid()` timed with timeit, minus a no-op C call timed in
  the same run (the interpreter's call overhead); coarser, the method says so.
Each repetition gives ns per call; the preset keeps the median and the spread (min, max,
interquartile range) over repetitions. The host may be virtualised or sandboxed: the number
is what a call costs *here*, not a property of any CPU.

The preset (`results/platform/host.toml`, never a tracked file) expresses the round trip in
cycles of the model's clock and how far it exceeds the model's own crossing (entry + exit of
`data/platform/corei7.toml`): that excess is the `extra_trap_cycles` the mode-switch
ablation marks on its curve.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import timeit
import tomllib
from pathlib import Path

from . import paths
from .atomic import write_text
from .errors import ConfigError

C_SOURCE = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
    long n = atol(argv[1]), reps = atol(argv[2]);
    volatile long sink = 0;
    for (long r = 0; r < reps; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++) sink += syscall(SYS_getppid);
        double t1 = now_ns();
        for (long i = 0; i < n; i++) sink += i;      /* the same loop without the call */
        double t2 = now_ns();
        printf("%.4f %.4f\n", (t1 - t0) / n, (t2 - t1) / n);
    }
    return sink == 42;   /* keep the calls */
}
"""


def _compiler() -> str | None:
    return os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def _measure_c(cc: str, loops: int, repetitions: int) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="flexrepro-hostcal-") as d:
        src, exe = Path(d) / "nullcall.c", Path(d) / "nullcall"
        src.write_text(C_SOURCE)
        subprocess.run([cc, "-O2", "-o", str(exe), str(src)], check=True, capture_output=True, timeout=60)
        out = subprocess.run([str(exe), str(loops), str(repetitions)], check=True, capture_output=True,
                             text=True, timeout=600).stdout
    per_rep = [tuple(map(float, line.split())) for line in out.split("\n") if line.strip()]
    return [call - loop for call, loop in per_rep]


def _measure_python(loops: int, repetitions: int) -> list[float]:
    glb = {"getppid": os.getppid, "noop": int}       # int(): a C call without a system call
    out = []
    for _ in range(repetitions):
        call = timeit.timeit("getppid()", globals=glb, number=loops) / loops * 1e9
        noop = timeit.timeit("noop()", globals=glb, number=loops) / loops * 1e9
        out.append(call - noop)
    return out


def measure(loops: int = 200_000, repetitions: int = 9, method: str = "auto") -> dict:
    """Time the null call; `method` is auto (C when a compiler exists), c or python."""
    if isinstance(loops, bool) or not isinstance(loops, int) or loops < 1:
        raise ConfigError(f"parameter 'loops': got {loops!r}; allowed: an integer >= 1")
    if isinstance(repetitions, bool) or not isinstance(repetitions, int) or repetitions < 3:
        raise ConfigError(f"parameter 'repetitions': got {repetitions!r}; allowed: an integer >= 3")
    if method not in ("auto", "c", "python"):
        raise ConfigError(f"parameter 'method': got {method!r}; allowed: auto, c, python")
    cc = _compiler() if method in ("auto", "c") else None
    if method == "c" and cc is None:
        raise ConfigError("parameter 'method': got 'c' but no C compiler (cc, gcc, clang or $CC) was found")
    if cc is not None:
        reps, how = _measure_c(cc, loops, repetitions), f"c: syscall(SYS_getppid) loop compiled with {cc} -O2, empty loop subtracted"
    else:
        reps, how = _measure_python(loops, repetitions), "python: os.getppid() via timeit, a no-op C call subtracted"
    q = statistics.quantiles(reps, n=4)
    return {"method": "c" if cc is not None else "python", "how": how, "loops": loops, "repetitions": repetitions,
            "round_trip_ns": statistics.median(reps), "min_ns": min(reps), "max_ns": max(reps),
            "iqr_ns": q[2] - q[0], "per_repetition_ns": reps}


def preset(m: dict, spec=None) -> dict:
    """The measurement as a platform preset: the round trip in model cycles and its excess
    over the model's own tight-loop round trip (entry + exit, less their overlap when nothing
    is in flight: platform.trap), never below zero."""
    from .platform import load_params, load_platform
    from .platform.trap import direct_cycles
    spec = spec or load_platform()
    cycles = m["round_trip_ns"] * spec.clock_ghz
    model = spec.syscall_entry_cycles + spec.syscall_exit_cycles + sum(direct_cycles(load_params().platform, 0.0))
    return {**{k: v for k, v in m.items() if k != "per_repetition_ns"},
            "clock_ghz": spec.clock_ghz, "round_trip_cycles": cycles, "model_trap_cycles": model,
            "extra_trap_cycles": max(0.0, cycles - model)}


def preset_path(results: Path | None = None) -> Path:
    return (results or paths.RESULTS) / "platform" / "host.toml"


def _toml(d: dict) -> str:
    lines = ["# this machine's null system call, measured by `flexrepro calibrate-host` (not a tracked file)"]
    for k, v in d.items():
        lines.append(f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"')
    return "\n".join(lines) + "\n"


def save(p: dict, path: Path | None = None) -> Path:
    path = path or preset_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, _toml(p))
    return path


def load(path: Path | None = None) -> dict | None:
    """The stored preset, or None when this machine was not calibrated yet."""
    path = path or preset_path()
    if not path.is_file():
        return None
    with open(path, "rb") as f:
        return tomllib.load(f)


def calibrate(loops: int = 200_000, repetitions: int = 9, method: str = "auto", out: Path | None = None) -> tuple[dict, Path]:
    p = preset(measure(loops, repetitions, method))
    return p, save(p, out)


def summary(p: dict) -> str:
    return (f"null syscall round trip on this host: {p['round_trip_ns']:.1f} ns (median of {p['repetitions']}; "
            f"min {p['min_ns']:.1f}, max {p['max_ns']:.1f}, IQR {p['iqr_ns']:.1f} ns)\n"
            f"method: {p['how']}\n"
            f"= {p['round_trip_cycles']:.0f} cycles at the model's {p['clock_ghz']:g} GHz; the model's crossing is "
            f"{p['model_trap_cycles']:.0f}, so extra_trap_cycles = {p['extra_trap_cycles']:.0f}")


def cmd_calibrate_host(args) -> int:
    out = Path(args.out) / "platform" / "host.toml" if args.out else None
    p, path = calibrate(args.loops, args.repetitions, args.method, out)
    print(summary(p))
    print(f"preset written to {path}")
    return 0


def add_parser(sub) -> None:
    """Registration for flexrepro.cli: `flexrepro calibrate-host [--loops N] [--repetitions R] [--method M]`."""
    c = sub.add_parser("calibrate-host", help="measure this machine's null-syscall round trip, store a platform preset")
    c.add_argument("--loops", type=int, default=200_000, help="calls per repetition")
    c.add_argument("--repetitions", type=int, default=9, help="repetitions (median and spread over them)")
    c.add_argument("--method", choices=("auto", "c", "python"), default="auto",
                   help="auto: C when a compiler exists, else the Python loop")
    c.add_argument("--out", default=None, help="results directory (default: results/)")
    c.set_defaults(fn=cmd_calibrate_host)
