"""memcached 1.4.5's cache_lock: waiting grows with worker threads; one FlexSC thread never waits."""
from dataclasses import replace

import pytest

from flexrepro.servers.memcached import load_memcached
from flexrepro.testbed.memcached import build, simulate
from flexrepro.workloads.network import load_client, load_link

RUN = {"warmup": 2000, "measure": 3000}


def _fast_testbed():
    """A client and link that never bind, so the server's own scaling shows."""
    return replace(load_link(), rate_bps=1e11), replace(load_client("memslap"), cores=64)


def test_lock_wait_grows_with_worker_threads_and_is_zero_for_one_flexsc_thread():
    link, client = _fast_testbed()
    waits = [simulate("epoll", c, 512, 1, link=link, client=client, **RUN)["lock_wait_fraction"]
             for c in (1, 4, 8)]
    assert waits[0] == 0.0 and 0.0 < waits[1] < waits[2]
    flexsc = simulate("flexsc", 4, 512, 1, link=link, client=client, **RUN)
    assert flexsc["lock_wait_fraction"] == 0.0 and flexsc["futex_calls_per_request"] == 0.0


def test_contended_mutex_counts_futex_calls_as_system_calls():
    link, client = _fast_testbed()
    b = build("epoll", 8, 512, 1, link=link, client=client, **RUN)
    row = b.run()
    lock = b.server.lock
    assert lock.contended > 0 and lock.futex_calls == 2 * lock.contended   # glibc: no spinning, wait + wake
    assert row["futex_calls_per_request"] > 0
    assert b.kernel.counters.syscalls[("futex", "sync")] > 0


def test_sections_follow_the_code_structure():
    p = load_memcached()
    assert [len(p.sections[op]) for op in ("get_miss", "get_hit", "set")] == [1, 2, 3]
    b = build("epoll", 2, 64, 1, warmup=100, measure=400)
    b.run()
    c = b.cache
    assert b.server.lock.acquisitions == c.misses + 2 * c.hits + 3 * c.sets
