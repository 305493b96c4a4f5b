"""Section 7 and beyond through the real servers: entries per core, scheduler policies, a testbed
that never binds. Small configurations; the notebooks run the full grids."""
import pytest

import flexrepro
from flexrepro.errors import ConfigError

RUN = dict(executor="serial", progress=False, cache=False)


def test_fewer_entries_than_connections_throttle_memcached_without_a_standstill():
    df = flexrepro.run("ablation_entries", server="memcached", entries_per_core=[64, 512], connections_per_core=256,
                       seeds=1, **RUN).sort_values("entries_per_core")
    few, many = df.itertuples()
    assert not df.standstill.any()
    assert few.throttled_per_request > 0 == many.throttled_per_request
    assert few.mean_batch <= 64 < many.mean_batch
    with pytest.raises(ConfigError, match="entries_per_core"):
        flexrepro.run("ablation_entries", entries_per_core=100, **RUN)


def test_batching_ignores_extra_cores_and_specialization_uses_them():
    df = flexrepro.run("ablation_policy_nginx", policy=["batching", "dynamic"], cores=[2, 4], connections=64, **RUN)
    t = df.set_index(["policy", "cores"]).throughput_rps
    # batching keeps every system call on the user's core: the extra cores take only the NIC's
    # softirq work (netstack.irq = rss) and stay mostly idle; specialization moves calls there
    assert t["dynamic", 4] > t["dynamic", 2] > t["batching", 2]
    assert t["dynamic", 4] - t["dynamic", 2] > 3 * (t["batching", 4] - t["batching", 2])
    m = df.set_index(["policy", "cores"]).util_min
    assert m["batching", 4] < 0.5 < m["dynamic", 4]
    with pytest.raises(ConfigError, match="cores"):
        flexrepro.run("ablation_policy_nginx", policy="static", cores=1, **RUN)


def test_network_rows_say_whether_the_testbed_bound():
    df = flexrepro.run("ablation_network", system="flexsc", cores=[1, 4], link_gbps=10.0, concurrency=64, **RUN)
    one, four = df.sort_values("cores").itertuples()
    # how far it scales is the model's answer (since the network stack, NIC interrupts on one core
    # cap it); the test asks only that more cores serve more and that the testbed never binds
    assert four.throughput_rps > one.throughput_rps
    assert (df.client_utilisation < 0.5).all() and (df.link_to_client_utilisation < 0.5).all()
    with pytest.raises(ConfigError, match="link_gbps"):
        flexrepro.run("ablation_network", link_gbps=0.0, **RUN)
