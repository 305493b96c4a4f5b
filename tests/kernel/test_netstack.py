"""The kernel's TCP work outside system calls (kernel/netstack.py) and one price per call."""
import pytest

from flexrepro.errors import ConfigError
from flexrepro.kernel import load_catalogue
from flexrepro.kernel.netstack import load_netstack
from flexrepro.platform import load_params
from flexrepro.testbed import memcached as memcached_testbed, nginx as nginx_testbed
from flexrepro.servers.memcached import KERNEL_PROFILE as MC_KERNEL
from flexrepro.servers.nginx import KERNEL_PROFILE as NG_KERNEL

AB = {"warmup": 200, "measure": 600}


def test_per_connection_work_is_counted_under_apachebench_and_disappears_under_keepalive():
    ab = nginx_testbed.simulate("epoll", 1, "apachebench", 64, 1, **AB)
    hp = nginx_testbed.simulate("epoll", 1, "httperf", 10000, 1)
    mc = memcached_testbed.simulate("epoll", 1, 64, 1, warmup=300, measure=800)
    assert ab["tcp_connections_per_request"] == pytest.approx(1.0, abs=0.02)   # a connection per request
    assert hp["tcp_connections_per_request"] == pytest.approx(1 / 20, abs=0.02)  # 20 requests share one
    assert mc["tcp_connections_per_request"] == 0.0                            # opened before the window
    # and the kernel work per request follows: keep-alive saves the handshake and teardown
    assert hp["kernel_instructions_per_request"] < ab["kernel_instructions_per_request"]


def test_interrupt_work_runs_on_the_interrupt_core():
    one = memcached_testbed.simulate("flexsc", 2, 64, 1, warmup=300, measure=800, irq="one")
    rss = memcached_testbed.simulate("flexsc", 2, 64, 1, warmup=300, measure=800, irq="rss")
    # FlexSC's user thread is on core 0: with every interrupt there, core 0 carries more
    assert one["util_core0"] - one["util_core1"] > rss["util_core0"] - rss["util_core1"]
    with pytest.raises(ConfigError, match="irq"):
        load_netstack(irq="every")


def test_one_kernel_one_price_per_call():
    params = load_params()
    mc, ng = memcached_testbed.memcached_catalogue(params), nginx_testbed.nginx_catalogue(params)
    for call in ("read", "recv", "sendmsg", "writev", "accept", "close", "epoll_wait", "epoll_ctl", "eagain"):
        if call in nginx_testbed.CALLS + ("eagain",) and call in memcached_testbed.NET_CALLS + ("eagain",):
            assert mc[call].instructions == pytest.approx(ng[call].instructions)
    # each call on its server's variant of its own catalogue profile (kernel/pricing.py)
    assert mc["read"].profile == f"{MC_KERNEL}.pread" and ng["recv"].profile == f"{NG_KERNEL}.pread"
    assert mc["sendmsg"].profile == f"{MC_KERNEL}.pwrite" and ng["writev"].profile == f"{NG_KERNEL}.pwrite"
    assert params.profile("netstack").instructions > 0          # what Table 1 leaves over for nginx


def test_eagain_takes_the_early_exit():
    cat = load_catalogue()
    assert cat["eagain"].instructions < cat["recv"].instructions / 2
    assert "assumption" in cat["eagain"].provenance
