"""The command of the warm kernel spec: ask the zygote (flexrepro.pipeline.kernels) for a kernel.

Run by path with `python -S` (no package import, no site: it starts in ~20 ms). It hands the
zygote its connection-file arguments, working directory, environment and standard streams,
then stands in for the forked kernel towards the kernel manager: signals it receives are
passed on to the kernel, and it exits with the kernel's exit status. If the zygote cannot be
reached it becomes an ordinary kernel (exec of ipykernel_launcher), so a notebook never fails
for want of the zygote.

Stdlib only, and it must stay so.
"""
import json
import os
import signal
import socket
import sys

ENV = "FLEXREPRO_KERNEL_ZYGOTE"
FORWARD = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def plain_kernel(argv):
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv])


def read_message(conn, buf=b""):
    while b"\n" not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            return None, buf
        buf += chunk
    line, _, rest = buf.partition(b"\n")
    return json.loads(line), rest


def main(argv):
    path = os.environ.get(ENV)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except (OSError, TypeError):
        conn.close()
        plain_kernel(argv)
    env = {k: v for k, v in os.environ.items() if k != ENV}
    request = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": env}).encode() + b"\n"
    socket.send_fds(conn, [request], [0, 1, 2])
    reply, buf = read_message(conn)
    if reply is None or "pid" not in reply:
        plain_kernel(argv)
    pid = reply["pid"]

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for s in FORWARD:
        signal.signal(s, forward)
    done, _ = read_message(conn, buf)      # a forwarded signal does not interrupt it (PEP 475)
    # the zygote gone before the kernel ended: the kernel died with it (PR_SET_PDEATHSIG)
    sys.exit(1 if done is None else int(done.get("exit", 1)))


if __name__ == "__main__":
    main(sys.argv[1:])
