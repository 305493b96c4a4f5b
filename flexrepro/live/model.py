"""The model's per-request system-call mix for the workload a live check drives.

ab -> nginx epoll, 1 core, ApacheBench (the Figure 7 condition) at the same concurrency;
ab-keepalive -> nginx epoll, 1 core, httperf (the model's keep-alive client, Figures 9-10)
at a rate above the 1-core knee (ab -k is a closed loop: the server is saturated);
memaslap -> memcached epoll, 1 core, memslap (Figure 5) at the same number of connections.
The model's call names are mapped to the names strace prints for the same call on Linux 6.x
(glibc's accept is accept4, recv is recvfrom, open is openat, fstat is newfstatat)."""
from __future__ import annotations

from ..testbed import memcached as memcached_testbed, nginx as nginx_testbed

LINUX_NAME = {"accept": "accept4", "recv": "recvfrom", "open": "openat", "fstat": "newfstatat"}
HTTPERF_RATE = 45000.0      # requests/s: twice the model's 1-core knee (22.5k) -- saturated, as ab keeps a server
SEED = 0


def model_mix(workload: str, concurrency: int) -> dict:
    """{"calls": {linux name: calls/request}, "eagain_per_request", "hit_ratio"}."""
    if workload in ("ab", "ab-keepalive"):
        if workload == "ab":
            row = nginx_testbed.simulate("epoll", 1, "apachebench", concurrency, SEED)
        else:
            row = nginx_testbed.simulate("epoll", 1, "httperf", HTTPERF_RATE, SEED)
        calls = {LINUX_NAME.get(c, c): row[f"calls_{c}_per_request"] for c in nginx_testbed.CALLS}
        return {"calls": calls, "eagain_per_request": row["eagain_per_request"], "hit_ratio": float("nan")}
    bench = memcached_testbed.build("epoll", 1, concurrency, SEED)
    row = bench.run()
    n = row["requests"]
    calls = {name: 0.0 for name in memcached_testbed.NET_CALLS}
    for (name, _mode), c in bench.kernel.counters.syscalls.items():
        calls[name] = calls.get(name, 0.0) + c / n
    calls = {LINUX_NAME.get(c, c): v for c, v in calls.items()}
    return {"calls": calls, "eagain_per_request": bench.kernel.counters.events.get("eagain", 0) / n,
            "hit_ratio": row["hit_rate"]}
