"""The client capacities obey the paper's text (data/workloads/client.toml [bounds]):
memslap keeps up with 4-core memcached; ApacheBench keeps up with 2-core nginx, not 4-core
(which, with the client's cost inside its band, holds only with the NIC's interrupts spread by
RSS: data/kernel/netstack.toml [irq]). httperf's half is a documented miss (the link binds)."""
from dataclasses import replace
from functools import lru_cache

import pytest

from flexrepro.testbed import memcached as memcached_testbed, nginx as nginx_testbed
from flexrepro.workloads.network import client_bounds, load_client

KEEPS_UP = 0.97      # throughput with the paper's client / with a client that never binds


def _unbound(tool):
    return replace(load_client(tool), cores=64)


def _run(server, tool, cores, client=None, system="flexsc"):
    if server == "memcached":
        return memcached_testbed.simulate(system, cores, 768, 1, warmup=3000, measure=4000, client=client)
    if tool == "httperf":
        return nginx_testbed.simulate(system, cores, tool, 35000 * cores, 1, client=client)
    return nginx_testbed.simulate(system, cores, tool, 256, 1, warmup=600, measure=2000, client=client)


@lru_cache(maxsize=None)
def _free(server, tool, cores, system="flexsc"):
    return _run(server, tool, cores, client=_unbound(tool), system=system)


def test_the_bounds_name_the_papers_conditions():
    b = client_bounds()
    assert b["memslap"]["keeps_up_with"] == ["memcached", 4]
    assert b["apachebench"]["keeps_up_with"] == ["nginx", 2] and b["apachebench"]["bound_by"] == ["nginx", 4]
    assert all("Section 6" in v["source"] for v in b.values())


def test_the_range_holds_the_value_and_the_ledger_states_it():
    import pandas as pd
    from flexrepro import paths
    led = pd.read_csv(paths.DATA / "ledger.csv", keep_default_na=False).set_index("parameter")
    for tool, b in client_bounds().items():
        lo, hi = b["per_request_s"]
        assert lo < load_client(tool).per_request_s < hi
        row = led.loc[f"client.{tool}.per_request_s"]
        assert (float(row.low), float(row.high)) == (lo, hi)


@pytest.mark.parametrize("tool", ["memslap", "apachebench"])
@pytest.mark.parametrize("end, system", [("value", "flexsc"), ("high", "flexsc"), ("high", "epoll")])
def test_client_keeps_up_where_the_text_says_it_did(tool, end, system):
    """At its value, and at the high end of its range (the slowest client the text allows)
    against either server version."""
    server, cores = client_bounds()[tool]["keeps_up_with"]
    client = load_client(tool)
    if end == "high":
        client = replace(client, per_request_s=client_bounds()[tool]["per_request_s"][1])
    paper = _run(server, tool, cores, client=client, system=system)
    assert paper["throughput_rps"] >= KEEPS_UP * _free(server, tool, cores, system)["throughput_rps"]


LINK_BOUND = pytest.mark.xfail(strict=True, reason=(
    "httperf cannot meet it at any cost: the 1 Gbps link binds. FlexSC nginx, seed 1, client that "
    "never binds: 2 cores at 70k offered serve 47.8k req/s (link 98% busy), 4 cores at 140k serve "
    "47.8k (link 100%: ~2.4 KB on the wire per reply, 1e9 / (8 x 2.4 KB) ~ 52k at most), so keeping "
    "up with 2 cores (>= 0.97 x 47.8k) excludes being bound by 4 (< 0.97 x 47.8k). The paper chose "
    "its files so that the network would not bind (Section 6.2.2); the session log's sizes "
    "(data/workloads/httperf.toml, only the 64 B-8 KB range is given) make it bind here. Strict: "
    "fails loudly once it holds"))


@pytest.mark.parametrize("end", ["value", "low"])
@pytest.mark.parametrize("tool", ["apachebench", pytest.param("httperf", marks=LINK_BOUND)])
def test_client_cannot_keep_up_with_four_core_nginx(tool, end):
    """At its value, and at the low end of its range (the fastest client the text allows)."""
    server, cores = client_bounds()[tool]["bound_by"]
    client = load_client(tool)
    if end == "low":
        client = replace(client, per_request_s=client_bounds()[tool]["per_request_s"][0])
    paper = _run(server, tool, cores, client=client)
    assert paper["throughput_rps"] < KEEPS_UP * _free(server, tool, cores)["throughput_rps"]
    assert paper["client_utilisation"] > 0.9
