"""The synchronous trap path (kernel/kernel.py) on a small synthetic parameter set."""
import kernel_fixtures as kf
from flexrepro.kernel import Message, Socket


def test_sync_trap_path_blocks_and_nonblocking_returns_eagain():
    k = kf.kernel(trace=True)
    th = k.thread(0, "server_user")
    sock = Socket(k.env)
    out = {}

    def user():
        o = yield from th.syscall("read", sock, nonblock=True)
        out["eagain"] = o.ret
        o = yield from th.syscall("read", sock)
        out["read"] = (o.ret, k.env.now)
    k.env.process(user())
    k.env.timeout(40_000).callbacks.append(lambda _: sock.deliver(Message(200)))
    k.env.run()
    assert out["eagain"] == -11 and k.counters.events["eagain"] == 1
    assert out["read"][0] == 200 and out["read"][1] > 40_000
    assert k.counters.syscalls[("read", "sync")] == 2
