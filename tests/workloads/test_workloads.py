"""The workload layer on its own: link arithmetic, client CPU, memslap/ab/httperf against a
toy FIFO server (exponential service), checked against exact MVA and for conservation."""
import heapq

import numpy as np
import pytest
import simpy

from flexrepro.errors import ConfigError
from flexrepro.kernel.net import Message
from flexrepro.kernel.net import Listener
from flexrepro.harness.seeds import rng
from flexrepro.workloads.apachebench import ApacheBench
from flexrepro.workloads.httperf import Httperf, load_httperf
from flexrepro.workloads.memslap import Memslap, load_memslap
from flexrepro.workloads.mva import mva
from flexrepro.workloads.network import ClientParams, LinkParams, at, load_client, load_link
from flexrepro.workloads.network import Testbed as Bed

GHZ = 2.3


class ToyServer:
    """Single FIFO server with exponential service; replies `reply_bytes`; closes if asked."""

    def __init__(self, env, listener, mean_cycles, seed, reply_bytes=100, close_after_reply=False):
        self.env, self.listener, self.mean = env, listener, mean_cycles
        self.r = np.random.default_rng(seed)
        self.reply_bytes, self.close_after = reply_bytes, close_after_reply
        self.free_at, self.busy, self.served = 0.0, 0.0, 0
        listener.watch(self._accept)

    def _accept(self, lst):
        while (s := lst.accept_one()) is not None:
            s.watch(self._readable)
            self._readable(s)

    def _readable(self, sock):
        while (m := sock.take()) is not None:
            svc = self.r.exponential(self.mean)
            start = max(self.env.now, self.free_at)
            self.free_at = start + svc
            self.busy += svc
            at(self.env, self.free_at - self.env.now, self._reply, sock, m)

    def _reply(self, sock, m):
        if sock.closed:
            return
        self.served += 1
        sock.send(Message(self.reply_bytes, m.payload))
        if self.close_after:
            sock.close()


def _testbed(env, tool, cores=None, per_request_s=None):
    c = load_client(tool)
    if cores is not None:
        c = ClientParams(cores, per_request_s if per_request_s is not None else c.per_request_s, c.per_connection_s)
    return Bed.build(env, tool, GHZ, client=c)


def test_wire_bytes_and_segmentation():
    p = load_link()
    assert p.mss == 1448
    assert p.segments(0) == 1 and p.segments(1448) == 1 and p.segments(1449) == 2
    assert p.wire_bytes(0) == 84 + 6          # 64-B minimum frame + preamble/IFG, padded
    assert p.wire_bytes(1448) == 1448 + 52 + 38
    assert p.wire_bytes(2000) == (1448 + 90) + (552 + 90)


def test_link_serialises_at_line_rate_fifo():
    env = simpy.Environment()
    tb = Bed.build(env, "memslap", GHZ)
    got = []
    for i in range(3):
        tb.to_client.send(1448, lambda i=i: got.append((i, env.now)))
    env.run()
    tx = 1538 * 8 / 1e9 * GHZ * 1e9
    prop = 25e-6 * GHZ * 1e9
    assert [g[0] for g in got] == [0, 1, 2]
    assert got[2][1] == pytest.approx(3 * tx + prop)


def test_client_machine_is_a_c_server_fcfs_queue():
    env = simpy.Environment()
    tb = _testbed(env, "memslap", cores=2)
    done = []
    for _ in range(4):
        tb.client.run(100.0, lambda: done.append(env.now))
    env.run()
    assert done == [100.0, 100.0, 200.0, 200.0]


def test_bad_parameters_raise_config_error():
    with pytest.raises(ConfigError, match="rate_bps"):
        LinkParams(0, 1500, 52, 38, 64, 1e-6)
    with pytest.raises(ConfigError, match="cores"):
        ClientParams(0, 1e-6, 1e-6)
    with pytest.raises(ConfigError, match="tool"):
        load_client("wrk")
    env = simpy.Environment()
    with pytest.raises(ConfigError, match="connections"):
        Memslap(_testbed(env, "memslap"), Listener(env), 0, rng(1), 10, 10)
    with pytest.raises(ConfigError, match="population"):
        mva([1.0], 0.0, 0)


def test_memslap_protocol_sizes():
    p = load_memslap()
    assert (p.key_bytes, p.value_bytes, p.set_fraction) == (64, 1024, 0.1)
    assert p.get_bytes() == 70
    assert p.hit_reply_bytes() == 1110 and p.miss_reply_bytes() == 5


def _run_memslap(conns, seed, mean_cycles=20000.0, measure=3000, client_cores=64):
    env = simpy.Environment()
    tb = _testbed(env, "memslap", cores=client_cores)
    lst = Listener(env)
    srv = ToyServer(env, lst, mean_cycles, seed + 1)
    m = Memslap(tb, lst, conns, rng(seed), warmup=300, measure=measure)
    m.start()
    env.run(until=m.done)
    return m, srv, tb


@pytest.mark.parametrize("conns", [1, 2, 4, 8])
def test_closed_loop_matches_exact_mva(conns):
    mean = 20000.0
    xs = []
    for seed in (1, 2, 3):
        m, _, tb = _run_memslap(conns, seed, mean, measure=4000)
        xs.append(m.summary()["throughput_rps"])
    # Delay station: client CPU (64 cores: never queues) + both link crossings at low load.
    p, hz = tb.to_server.p, GHZ * 1e9
    get, sset = load_memslap().get_bytes(), load_memslap().set_bytes()
    req_wire = 0.9 * p.wire_bytes(get) + 0.1 * p.wire_bytes(sset)
    z = tb.client.request_cycles + (req_wire + p.wire_bytes(100)) * 8 / 1e9 * hz + 2 * p.propagation_s * hz
    x_mva = mva([mean], z, conns)[-1]["throughput"] * hz
    assert np.mean(xs) == pytest.approx(x_mva, rel=0.05)


def test_memslap_conservation_and_determinism():
    m1, srv, _ = _run_memslap(16, 7)
    led = m1.ledger
    outstanding = sum(c.outstanding is not None for c in m1.conns)
    assert led.duplicates == 0 and led.unexpected == 0 and led.errors == 0
    assert led.sent == led.answered + outstanding
    assert led.answered <= srv.served <= led.answered + outstanding   # the rest are on the wire
    ops = np.array(led.columns()["op"])
    assert 0.07 < np.mean(ops == "set") < 0.13
    keys_ok = all(r["conn"] == m1.conns[r["conn"]].id for r in led.rows()[:50])
    assert keys_ok
    m2, _, _ = _run_memslap(16, 7)
    assert m1.ledger.rows() == m2.ledger.rows()
    m3, _, _ = _run_memslap(16, 8)
    assert m1.ledger.rows() != m3.ledger.rows()


def test_client_saturates():
    # One client core caps throughput near 1 / (memslap's per-request client time).
    m, _, _ = _run_memslap(64, 3, mean_cycles=100.0, client_cores=1)
    s = m.summary()
    assert s["client_utilisation"] > 0.95
    assert s["throughput_rps"] == pytest.approx(1 / load_client("memslap").per_request_s, rel=0.03)


def test_apachebench_littles_law_and_new_connection_per_request():
    env = simpy.Environment()
    tb = _testbed(env, "apachebench")
    lst = Listener(env)
    srv = ToyServer(env, lst, 30000.0, 5, reply_bytes=400, close_after_reply=True)
    ab = ApacheBench(tb, lst, 32, warmup=200, measure=2000)
    ab.start()
    env.run(until=ab.done)
    s = ab.summary()
    assert s["errors"] == 0 and s["duplicates"] == 0
    assert ab.ledger.answered <= lst.connections <= ab.ledger.sent   # one connection per request
    # Little's law for the closed loop: C = X * R (no think time).
    assert 32 == pytest.approx(s["throughput_rps"] * s["mean_latency_s"], rel=0.02)


def test_httperf_follows_offered_rate_below_capacity_and_counts_timeouts():
    def run(rate, mean_cycles, timeout=None):
        env = simpy.Environment()
        tb = _testbed(env, "httperf")
        lst = Listener(env)
        ToyServer(env, lst, mean_cycles, 9, reply_bytes=2000)
        p = load_httperf()
        if timeout is not None:
            from dataclasses import replace
            p = replace(p, timeout_s=timeout)
        h = Httperf(tb, lst, rate, rng(4), warmup_s=0.02, measure_s=0.1, params=p)
        h.start()
        env.run(until=h.done)
        return h.summary()

    s = run(20000, 23000.0)            # server capacity 100k req/s: follows the offered rate
    assert s["throughput_rps"] == pytest.approx(20000, rel=0.05)
    assert s["timeouts"] == 0
    assert s["reply_mbps"] == pytest.approx(20000 * 2000 * 8 / 1e6, rel=0.05)
    s = run(20000, 230000.0, timeout=0.005)   # capacity 10k req/s: overload, timeouts counted
    assert s["timeouts"] > 0 and s["sessions_aborted"] > 0
    assert s["throughput_rps"] < 11000
    assert s["sent"] == s["answered"] + s["timeouts"] + s["errors"] + s["outstanding"]
