"""`strace -c` summary table -> calls and errors per system call.

The table (strace 4.x-6.x): a header line "% time seconds usecs/call calls errors syscall",
a dashed rule, one line per call (the errors column is blank when there were none), a second
rule and a "total" line."""
from __future__ import annotations

import re

_ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+(?:\d+\s+)?(\d+)\s+(\d+\s+)?([a-z_0-9]+)\s*$")


def parse_summary(text: str) -> dict[str, tuple[int, int]]:
    """{syscall: (calls, errors)} without the total line; raises ValueError if no table."""
    lines = text.splitlines()
    try:
        start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("% time"))
    except StopIteration:
        raise ValueError("no strace -c summary table found") from None
    out: dict[str, tuple[int, int]] = {}
    for ln in lines[start + 1:]:
        if ln.startswith("---"):
            continue
        m = _ROW.match(ln)
        if not m:
            continue
        calls, errors, name = int(m.group(1)), int(m.group(2) or 0), m.group(3)
        if name != "total":
            out[name] = (calls, errors)
    return out
