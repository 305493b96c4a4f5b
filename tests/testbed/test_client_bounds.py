"""The client capacities obey the paper's text (data/workloads/client.toml [bounds]):
memslap keeps up with 4-core memcached; ApacheBench keeps up with 2-core nginx, not 4-core."""
from dataclasses import replace

import pytest

from flexrepro.testbed import memcached as memcached_testbed, nginx as nginx_testbed
from flexrepro.workloads.network import client_bounds, load_client

KEEPS_UP = 0.97      # throughput with the paper's client / with a client that never binds


def _unbound(tool):
    return replace(load_client(tool), cores=64)


def _run(server, tool, cores, client=None):
    if server == "memcached":
        return memcached_testbed.simulate("flexsc", cores, 768, 1, warmup=3000, measure=4000, client=client)
    return nginx_testbed.simulate("flexsc", cores, tool, 256, 1, warmup=600, measure=2000, client=client)


def test_the_bounds_name_the_papers_conditions():
    b = client_bounds()
    assert b["memslap"]["keeps_up_with"] == ["memcached", 4]
    assert b["apachebench"]["keeps_up_with"] == ["nginx", 2] and b["apachebench"]["bound_by"] == ["nginx", 4]
    assert all("Section 6" in v["source"] for v in b.values())


@pytest.mark.parametrize("tool", ["memslap", "apachebench"])
def test_client_keeps_up_where_the_text_says_it_did(tool):
    server, cores = client_bounds()[tool]["keeps_up_with"]
    paper = _run(server, tool, cores)
    free = _run(server, tool, cores, client=_unbound(tool))
    assert paper["throughput_rps"] >= KEEPS_UP * free["throughput_rps"]


@pytest.mark.xfail(strict=True, reason=(
    "the model violates this bound: its 4-core nginx (FlexSC ~22.5k req/s, ApacheBench 256) is "
    "bound by the interrupt core (irq='one': core 0, also the FlexSC thread's) and is only ~7% "
    "above 2 cores (~21k), so no ApacheBench cost inside its +-50% band (cap 33k-100k req/s) both "
    "keeps up with 2 cores and saturates on 4; strict: it fails loudly once the model meets it"))
def test_apachebench_cannot_keep_up_with_four_core_nginx():
    server, cores = client_bounds()["apachebench"]["bound_by"]
    paper = _run(server, "apachebench", cores)
    free = _run(server, "apachebench", cores, client=_unbound("apachebench"))
    assert paper["throughput_rps"] < KEEPS_UP * free["throughput_rps"]
    assert paper["client_utilisation"] > 0.9
