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


def _calls(use_now):
    """A read that returns EAGAIN, user work, a read, a write, a blocking read: through
    `syscall` only, or through `syscall_now` wherever it takes the call."""
    k = kf.kernel(trace=True)
    th = k.thread(0, "server_user")
    sock = Socket(k.env)
    sock.on_send = lambda _s, _m: None
    seen = []

    def call(name, *args, nonblock=False):
        ready = th.syscall_now(name, args, nonblock) if use_now else None
        if ready is None:
            o = yield from th.syscall(name, *args, nonblock=nonblock)
        else:
            ev, o = ready
            yield ev
            if o.after is not None:
                o.after()
        seen.append((name, ready is not None, o.ret, k.env.now))

    def user():
        yield from call("read", sock, nonblock=True)
        th.charge(instructions=500.0)                  # pending user work: syscall_now declines
        sock.deliver(Message(300))
        yield from call("read", sock, nonblock=True)
        yield from call("write", sock, Message(100))
        yield from call("read", sock)                  # may block: syscall_now declines
    k.env.process(user())
    k.env.timeout(40_000).callbacks.append(lambda _: sock.deliver(Message(200)))
    k.env.run()
    return seen, k.trace, dict(k.counters.syscalls), dict(k.counters.events), k.cores[0].counts.tolist()


def test_syscall_now_is_syscall_without_its_generator():
    slow, fast = _calls(False), _calls(True)
    assert [s[1] for s in fast[0]] == [True, False, True, False]
    assert [(n, r, t) for n, _, r, t in slow[0]] == [(n, r, t) for n, _, r, t in fast[0]]
    assert slow[1:] == fast[1:]                        # trace, counters, the core's counts: identical
