"""The clients: ApacheBench (ab) and memaslap (Debian ships it as `memcaslap`).

Both run closed loops with a bounded request count (`-n`, `-x`) and a per-request timeout;
the caller also bounds their wall time. memaslap runs with its defaults (64-B keys, 1-KiB
values, get:set 9:1, a 10k-key window per connection) and one thread (`-T 1`), so that the
only knobs are concurrency and the request count, as in the model's memslap."""
from __future__ import annotations

import re
from pathlib import Path

AB_TIMEOUT_S = 5        # ab -s: seconds to wait for each reply


def ab_argv(url: str, concurrency: int, requests: int, keepalive: bool) -> list[str]:
    return ["ab", "-q", "-r", "-s", str(AB_TIMEOUT_S), *(["-k"] if keepalive else []),
            "-n", str(requests), "-c", str(concurrency), url]


def _field(text: str, label: str) -> int:
    m = re.search(rf"^{re.escape(label)}:\s+(\d+)", text, re.M)
    return int(m.group(1)) if m else 0


def parse_ab(text: str) -> dict[str, int]:
    """ab's report: completed requests, and failed requests + non-2xx replies."""
    if "Complete requests" not in text:
        raise ValueError("ab printed no report")
    return {"client_requests": _field(text, "Complete requests"),
            "client_failures": _field(text, "Failed requests") + _field(text, "Non-2xx responses")}


# memaslap's built-in distributions (DEFAULT_CONGIF_STR), which it would otherwise write to
# ~/.memslap.cnf: keys 64 B, values 1024 B, set 0.1 / get 0.9. Given with -F from a private
# file so that a run leaves nothing in the user's home.
MEMASLAP_CONFIG = "key\n64 64 1\nvalue\n1024 1024 1\ncmd\n0 0.1\n1 0.9\n"


def memaslap_argv(server: str, concurrency: int, requests: int, config: Path,
                  window_k: int | None = None) -> list[str]:
    """`config`: where to write memaslap's distributions file; `window_k`: --win_size in units
    of 1k (memaslap rounds it up to whole 1024-key units), None keeps its default, 10k."""
    config.write_text(MEMASLAP_CONFIG)
    # -x is the total over all connections; each connection does x / c of them
    return ["memcaslap", "-s", server, "-F", str(config), "-T", "1", "-c", str(concurrency),
            "-x", str(requests), *(["-w", f"{window_k}k"] if window_k else [])]


def parse_memaslap(text: str) -> int:
    """Operations memaslap completed (its closing "Ops:"); hits and misses are read from the
    server's own counters instead."""
    m = re.search(r"Ops:\s+(\d+)", text)
    if not m:
        raise ValueError("memaslap printed no 'Ops:' summary")
    return int(m.group(1))
