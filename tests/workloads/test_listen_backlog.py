"""The accept queue is bounded as Linux bounds it: a SYN that finds it full is dropped, and the
client sends it again after TCP_TIMEOUT_INIT (3 s), doubling on each further try."""
import pytest
import simpy

from flexrepro.errors import ConfigError
from flexrepro.kernel.net import Listener
from flexrepro.kernel.netstack import listen_backlog
from flexrepro.workloads.client import SYN_RTO_S, LoadGenerator
from flexrepro.workloads.network import Testbed as Bed

GHZ = 2.3
HZ = GHZ * 1e9


def _opened(max_backlog, n):
    """`n` connections opened at t=0 against a listener nobody accepts from; returns the
    environment, listener, generator and the (connection id, time) of each establishment."""
    env = simpy.Environment()
    lst = Listener(env, max_backlog)
    gen = LoadGenerator(Bed.build(env, "apachebench", GHZ), lst)
    got = []
    for _ in range(n):
        gen.open(gen.new_conn(), lambda c: got.append((c.id, env.now)))
    return env, lst, gen, got


def test_the_queue_is_full_once_it_holds_more_than_the_backlog():
    env, lst, gen, got = _opened(2, 5)
    env.run(until=0.01 * HZ)
    assert len(lst.backlog) == 3                       # sk_ack_backlog > sk_max_ack_backlog
    assert lst.overflows == 2 and gen.syn_retransmits == 2
    assert [c for c, _ in got] == [0, 1, 2]


def test_a_syn_that_finds_the_queue_full_is_sent_again_after_3_s():
    env, lst, gen, got = _opened(0, 1)                 # one connection fills a backlog of 0
    env.run(until=0.001 * HZ)
    handshake = got[0][1]
    assert len(lst.backlog) == 1 and lst.full and handshake < 0.001 * HZ
    gen.open(gen.new_conn(), lambda c: got.append((c.id, env.now)))     # its SYN leaves at 1 ms
    env.run(until=2.0 * HZ)
    assert [c for c, _ in got] == [0] and lst.overflows == 1
    lst.accept_one()
    env.run(until=10.0 * HZ)
    assert got[1][1] == pytest.approx(0.001 * HZ + SYN_RTO_S * HZ + handshake, rel=1e-6)


def test_an_ack_that_finds_the_queue_full_waits_for_the_retransmitted_syn_ack_3_s_then_6_s():
    env, lst, gen, got = _opened(0, 3)                 # all three SYNs arrive before any ACK
    env.run(until=1.0 * HZ)
    assert [c for c, _ in got] == [0] and lst.overflows == 2
    handshake = got[0][1]
    lst.accept_one()                                   # room for one: conn 1's next ACK gets in
    env.run(until=4.0 * HZ)
    assert [c for c, _ in got] == [0, 1]
    assert got[1][1] == pytest.approx(SYN_RTO_S * HZ + handshake, rel=1e-6)
    lst.accept_one()
    env.run(until=20.0 * HZ)
    # conn 2's ACK was dropped at ~0 s and again at ~3 s (conn 1 filled the queue first): the
    # server's third SYN-ACK leaves 3 + 6 s after its first
    assert [c for c, _ in got] == [0, 1, 2]
    assert got[2][1] == pytest.approx(3 * SYN_RTO_S * HZ + handshake, rel=1e-6)
    assert lst.overflows == 3 and gen.syn_retransmits == 3
    assert gen.ledger.sent == 0                        # no request rode on these handshakes


def test_an_unbounded_listener_never_drops():
    env, lst, gen, got = _opened(None, 300)
    env.run(until=0.1 * HZ)
    assert len(got) == 300 and lst.overflows == 0


def test_the_servers_backlogs_are_capped_by_somaxconn():
    assert SYN_RTO_S == 3.0                            # TCP_TIMEOUT_INIT = 3*HZ, Linux 2.6.33
    assert listen_backlog("nginx") == 128              # NGX_LISTEN_BACKLOG 511, somaxconn 128
    assert listen_backlog("memcached") == 128          # settings.backlog 1024, somaxconn 128
    with pytest.raises(ConfigError, match="'server'"):
        listen_backlog("apache")
    with pytest.raises(ValueError, match="max_backlog"):
        Listener(simpy.Environment(), -1)
