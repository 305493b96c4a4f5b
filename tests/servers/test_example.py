"""The two runtimes under the Figure-4 example server: conservation, timeouts, determinism."""
import pytest

import kernel_fixtures as kf
from flexrepro.kernel import EINTR, Epoll, Listener, Message, Socket
from flexrepro.kernel.epoll import ADD
from flexrepro.runtime import EpollRuntime, LibFlexSC
from flexrepro.runtime.base import ETIMEDOUT
from flexrepro.servers.example import STAGES, ExampleServer, StageCosts
from flexrepro.workloads.apachebench import ApacheBench
from flexrepro.workloads import network

COSTS = StageCosts("server_user", 800, 2500, 400, 300)
SETUPS = {
    "epoll_level": (1, lambda k: EpollRuntime(k, 0, "server_user")),
    "epoll_edge": (1, lambda k: EpollRuntime(k, 0, "server_user", edge=True)),
    "flexsc_pages": (1, lambda k: LibFlexSC(k, 0, "server_user")),
    "flexsc_queues": (1, lambda k: LibFlexSC(k, 0, "server_user", interface="queues")),
    "flexsc_dynamic_pages": (2, lambda k: LibFlexSC(k, 0, "server_user", policy="dynamic")),
    "flexsc_dynamic_queues": (2, lambda k: LibFlexSC(k, 0, "server_user", policy="dynamic", interface="queues")),
}


def serve(setup, requests=300, concurrency=8):
    cores, make = SETUPS[setup]
    k = kf.kernel(cores=cores)
    listener = Listener(k.env)
    rt = make(k)
    srv = ExampleServer(rt, listener, COSTS)
    ab = ApacheBench(network.Testbed.build(k.env, "apachebench", 2.3), listener, concurrency, warmup=0, measure=requests)
    srv.main()
    ab.start()
    k.env.run()                      # the client stops after `requests`; in-flight requests finish
    return k, rt, srv, ab


@pytest.mark.parametrize("setup", list(SETUPS))
def test_every_request_is_served_exactly_once(setup):
    k, rt, srv, ab = serve(setup)
    led = ab.ledger
    assert led.sent >= 300 and led.answered == led.sent
    assert led.duplicates == 0 and led.errors == 0 and led.unexpected == 0
    assert srv.served == led.sent
    counts = srv.stage_counts
    assert counts["main"] == 1
    assert counts["conn_accepted"] == counts["data_read"] == counts["file_opened"] == counts["file_sent"] == led.sent
    if rt.mode == "flexsc":
        # every posted call completed once; only the pipelined accept is still outstanding
        assert rt.stats["posted"] == rt.stats["completions"] + 1
        assert rt.fsc.table.in_use == 1
        assert k.counters.syscalls[("sendfile", "exceptionless")] == led.sent
    else:
        assert k.counters.syscalls[("sendfile", "sync")] == led.sent
        assert k.counters.syscalls[("epoll_wait", "sync")] > 0


def test_stage_order_follows_figure4():
    k = kf.kernel()
    listener = Listener(k.env)
    rt = LibFlexSC(k, 0, "server_user")
    trace = []
    srv = ExampleServer(rt, listener, COSTS, trace=trace)
    ab = ApacheBench(network.Testbed.build(k.env, "apachebench", 2.3), listener, 1, warmup=0, measure=3)
    srv.main()
    ab.start()
    k.env.run()
    stages = [s for _, s in trace]
    assert stages[:5] == list(STAGES)
    assert stages[5:9] == list(STAGES[1:])


def test_runs_are_deterministic():
    a = serve("flexsc_dynamic_pages", requests=100)
    b = serve("flexsc_dynamic_pages", requests=100)
    assert a[0].env.now == b[0].env.now
    assert a[0].counters.summary() == b[0].counters.summary()


def _timeout_server(rt, sock, results):
    def on_read(conn, ev):
        results.append((rt.env.now, ev.ret))
    rt.read("c", sock, on_read, timeout=50_000)
    rt.start()


def test_libflexsc_timeout_cancels_the_read():
    k = kf.kernel()
    rt = LibFlexSC(k, 0, "server_user")
    sock, res = Socket(k.env), []
    _timeout_server(rt, sock, res)
    k.env.run()
    assert res and res[0][1] == EINTR and res[0][0] >= 50_000
    assert k.counters.events["cancel_won"] == 1


def test_libflexsc_timeout_loses_the_race_when_data_came_first():
    k = kf.kernel()
    rt = LibFlexSC(k, 0, "server_user")
    sock, res = Socket(k.env), []
    _timeout_server(rt, sock, res)
    k.env.timeout(49_990).callbacks.append(lambda _: sock.deliver(Message(77)))
    k.env.run()
    assert res == [(res[0][0], 77)]


def test_epoll_timeout():
    k = kf.kernel()
    rt = EpollRuntime(k, 0, "server_user")
    sock, res = Socket(k.env), []
    _timeout_server(rt, sock, res)
    k.env.run()
    assert res and res[0][1] == ETIMEDOUT and res[0][0] >= 50_000


@pytest.mark.parametrize("edge", [False, True])
def test_epoll_level_and_edge(edge):
    k = kf.kernel()
    ep = Epoll(k.env, edge=edge)
    s = Socket(k.env)
    ep.ctl(ADD, s)
    s.deliver(Message(1))
    assert ep.collect(8) == [s]
    # still readable: level-triggered reports it again, edge-triggered only after new data
    assert ep.collect(8) == ([] if edge else [s])
    s.take()
    assert ep.collect(8) == []
    s.deliver(Message(1))
    assert ep.collect(8) == [s]
    s.close()
    assert ep.collect(8) == [] and s not in ep.interest


def test_unknown_call_fails_where_the_server_calls_it():
    from flexrepro.errors import ConfigError
    rt = LibFlexSC(kf.kernel(), 0, "server_user")
    with pytest.raises(ConfigError, match="'splice' is not in the catalogue"):
        rt.call("splice", None, None)


@pytest.mark.parametrize("setup", ["epoll_level", "flexsc_dynamic_pages"])
def test_utilisation_of_every_core_is_at_most_one(setup):
    k, rt, srv, ab = serve(setup, requests=200)
    per_core = {}
    for (core, domain), cycles in k.counters.busy.items():
        per_core[core] = per_core.get(core, 0.0) + cycles
    assert per_core and all(v <= k.env.now * (1 + 1e-9) for v in per_core.values())
    rows = k.counters.busy_rows(k.env.now)
    assert all(0.0 <= r["utilisation"] <= 1.0 + 1e-9 for r in rows)
