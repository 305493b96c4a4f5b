"""nginx under ApacheBench and httperf: conservation, Little's law, call sequence, determinism, bad input."""
from __future__ import annotations

import dataclasses

import pytest
import simpy

from flexrepro.errors import ConfigError
from flexrepro.kernel import Listener, Message, Socket
from flexrepro.servers.nginx import HEADER, Cork, load_nginx
from flexrepro.testbed.nginx import simulate
from flexrepro.workloads import httperf as httperf_mod

SMALL = dict(warmup=150, measure=400)


@pytest.fixture(scope="module")
def ab_runs():
    return {(s, c): simulate(s, c, "apachebench", 64, seed=3, **SMALL) for s in ("epoll", "flexsc") for c in (1, 2)}


@pytest.mark.parametrize("key", [("epoll", 1), ("flexsc", 1), ("epoll", 2), ("flexsc", 2)])
def test_littles_law_apachebench(ab_runs, key):
    """Closed loop without think time: concurrency = throughput x latency (client side), for
    the replies' own latencies (the reported mean is ab's concurrency / throughput). 2-core
    epoll's two workers answer at different latencies (~5 and ~8 ms), so a 400-reply window
    (29 ms) mis-weights its edges by ~10%: that key gets 4,000 replies (1% there)."""
    r = ab_runs[key]
    if key == ("epoll", 2):
        r = simulate("epoll", 2, "apachebench", 64, seed=3, warmup=SMALL["warmup"], measure=10 * SMALL["measure"])
    assert r["throughput_rps"] * r["reply_latency_s"] == pytest.approx(64, rel=0.02)
    assert r["mean_latency_s"] == pytest.approx(64 / r["throughput_rps"])


@pytest.mark.parametrize("key", [("epoll", 1), ("flexsc", 1), ("epoll", 2), ("flexsc", 2)])
def test_every_request_answered_once(ab_runs, key):
    r = ab_runs[key]
    assert r["duplicates"] == 0 and r["unexpected_replies"] == 0 and r["errors"] == 0 and r["timeouts"] == 0
    assert 0 <= r["sent"] - r["answered"] <= 64          # the rest is in flight when the window closes
    assert r["client_requests"] == SMALL["measure"]
    assert abs(r["requests"] - r["client_requests"]) <= 64


def test_call_sequence_is_an_output(ab_runs):
    """The epoll worker's calls per ApacheBench request follow from nginx's state machine."""
    e = ab_runs[("epoll", 1)]
    for call in ("accept", "recv", "open", "fstat", "setsockopt", "writev", "sendfile", "write", "epoll_ctl"):
        assert e[f"calls_{call}_per_request"] == pytest.approx(1.0, abs=0.02), call
    assert e["calls_close_per_request"] == pytest.approx(2.0, abs=0.02)        # file and socket
    assert 0.5 <= e["calls_epoll_wait_per_request"] <= 1.2                     # one accept per reported event
    assert e["syscalls_per_request"] == pytest.approx(12, abs=0.3)
    f = ab_runs[("flexsc", 1)]
    assert f["calls_epoll_wait_per_request"] == 0 and f["calls_epoll_ctl_per_request"] == 0
    assert f["sync_syscalls_per_request"] == 0 and f["flexsc_waits_per_request"] > 0


def test_accept_mutex_with_two_workers(ab_runs):
    e = ab_runs[("epoll", 2)]
    assert e["accept_mutex_acquisitions"] > 0
    assert e["connections"] == pytest.approx(e["requests"], abs=64)           # each connection accepted once


def test_keepalive_needs_fewer_calls():
    ka = simulate("epoll", 1, "httperf", 10000, seed=1, warmup=0.005, measure=0.01)
    # saves accept, epoll_ctl and the socket's close; adds the uncork and the EAGAIN read
    assert ka["syscalls_per_request"] < 12
    assert ka["calls_setsockopt_per_request"] == pytest.approx(2.0, abs=0.1)
    assert ka["eagain_per_request"] == pytest.approx(1.0, abs=0.1)            # nginx's greedy read after a reply
    assert ka["connections"] * 20 <= ka["requests"] + 20 * 10


def test_httperf_counts_timeouts(monkeypatch):
    """An overloaded server with a short client timeout: every request is accounted for."""
    p = httperf_mod.load_httperf()
    monkeypatch.setattr("flexrepro.testbed.nginx.load_httperf",
                        lambda: dataclasses.replace(p, timeout_s=0.002))
    r = simulate("epoll", 1, "httperf", 60000, seed=2, warmup=0.005, measure=0.02)
    assert r["timeouts"] > 0
    assert r["duplicates"] == 0
    assert r["unexpected_replies"] <= r["timeouts"]        # late replies to timed-out requests, counted
    assert r["sent"] >= r["answered"] + r["timeouts"] + r["errors"]


def test_deterministic():
    a = simulate("flexsc", 2, "httperf", 30000, seed=7, warmup=0.003, measure=0.008)
    b = simulate("flexsc", 2, "httperf", 30000, seed=7, warmup=0.003, measure=0.008)
    assert a == b


@pytest.mark.parametrize("kw, name", [
    (dict(system="kqueue"), "system"), (dict(workload="wrk"), "workload"), (dict(load=0), "concurrency"),
    (dict(workload="httperf", load=-5.0), "rate"), (dict(cores=0), "cores"), (dict(interface="rings"), "interface"),
])
def test_bad_input(kw, name):
    args = dict(system="epoll", cores=1, workload="apachebench", load=4, seed=0) | kw
    with pytest.raises(ConfigError, match=name):
        simulate(**args)


def test_bad_stage_split(tmp_path):
    text = (load_nginx.__globals__["DATA"]).read_text().replace("request = 0.30", "request = 0.50")
    bad = tmp_path / "nginx.toml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match="stages"):
        load_nginx(bad)


def test_cork_sends_header_with_the_file():
    env = simpy.Environment()
    got = []
    sock = Listener(env).connect()
    sock.on_send = lambda s, m: got.append(m)
    Cork(sock)
    sock.send(Message(200, HEADER))
    sock.send(Message(151, "req"))
    assert [(m.size, m.payload) for m in got] == [(351, "req")]


def test_header_and_log_sizes_come_from_formats():
    p = load_nginx()
    assert p.header_bytes(151, False) < p.header_bytes(15100, True)
    assert p.log_bytes("GET / HTTP/1.0", 151, "ab") > len("GET / HTTP/1.0")


def test_log_socket_is_a_sink():
    env = simpy.Environment()
    s = Socket(env)
    s.send(Message(10))          # the access log: bytes written, nothing delivered


def test_user_instructions_default_to_the_fitted_value():
    from flexrepro.platform import load_params
    from flexrepro.servers.nginx import USER_PROFILE
    assert load_nginx().user_instructions == load_params().profile(USER_PROFILE).instructions


def test_user_instructions_default_to_the_fitted_value():
    from flexrepro.platform import load_params
    from flexrepro.servers.nginx import USER_PROFILE
    assert load_nginx().user_instructions == load_params().profile(USER_PROFILE).instructions
