"""memcached's code profiles, fitted to the memcached row of Table 1 (see `server_fit`).

Condition: memcached with epoll on 1 core, 768 memslap connections (data/paper/atc11_claims.csv).
The fitted kernel call is a socket read(); the shapes follow server_fit's one principle (user:
Xalan's response scaled by base IPC; kernel: each call's calibrated OSDI'10 profile through the
shared core).
"""
from __future__ import annotations

from ..servers.memcached import KERNEL_PROFILE, USER_PROFILE, load_memcached
from ..testbed.memcached import simulate
from .server_fit import ServerFit

CONDITION = {"system": "epoll", "cores": 1, "connections": 768}

FIT = ServerFit(
    server="memcached", condition=CONDITION, condition_text="epoll, 1 core, 768 memslap connections",
    user_profile=USER_PROFILE, kernel_profile=KERNEL_PROFILE, kernel_call="read",
    per_request="server user instructions per request (get miss)",
    run=lambda params, user_instructions, seed: simulate(
        **CONDITION, seed=seed, params=params, mc=load_memcached(user_instructions=user_instructions)),
)
targets, build, fit, calibrate_memcached = FIT.targets, FIT.build, FIT.fit, FIT.calibrate
