"""Real servers as a check on the model's state machines (loopback only).

`flexrepro live nginx|memcached` starts Debian's nginx or memcached on 127.0.0.1 with a
configuration that mirrors the model's (one worker / one thread), drives it with ApacheBench
or memaslap for a bounded number of requests, counts the server's system calls with
`strace -c`, stops everything it started, and puts the live per-request mix beside the
model's for the same workload (`compare`). Modules: `deps` (which Debian packages),
`procs` (process groups and clean-up), `strace` (its summary table), `servers` (config
writers, server-side counters), `drivers` (ab, memaslap), `model` (the model's mix),
`compare` (tolerances and documented differences, data/live/), `run` (one check).
"""
from .run import CHECKS, WORKLOADS, run_all, run_live

__all__ = ["CHECKS", "WORKLOADS", "run_all", "run_live"]
