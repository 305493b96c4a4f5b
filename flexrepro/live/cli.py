"""`flexrepro live nginx|memcached [--workload W] [--concurrency N] [--requests N] [--out DIR]`."""
from __future__ import annotations

import sys

from .run import LiveUnavailable, WORKLOADS, run_live


def add_parser(sub) -> None:
    p = sub.add_parser("live", help="check the model's syscall mix against a real server on 127.0.0.1")
    p.add_argument("server", choices=tuple(WORKLOADS), help="the real server to run: nginx or memcached")
    p.add_argument("--workload", default=None, help="nginx: ab | ab-keepalive; memcached: memaslap")
    p.add_argument("--concurrency", type=int, default=None, help="client connections (default: the workload's)")
    p.add_argument("--requests", type=int, default=None, help="requests to send (default: the workload's, bounded)")
    p.add_argument("--out", default=None, help="output directory (default: results/live/)")
    p.set_defaults(fn=cmd_live)


def cmd_live(args) -> int:
    try:
        r = run_live(args.server, args.workload, args.concurrency, args.requests, args.out)
    except LiveUnavailable as e:
        print(f"flexrepro: {e}", file=sys.stderr)
        return 2
    cmp = r["compare"]
    print(cmp[["quantity", "live", "model", "tolerance", "verdict"]].to_string(index=False,
                                                                               float_format="%.4f"))
    counts = cmp.verdict.value_counts().to_dict()
    print(f"-> {r['mix_path']}\n-> {r['compare_path']}\n" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    return 1 if "unexpected" in counts else 0
