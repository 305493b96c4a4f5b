"""The real servers, configured to mirror the model's: config writers, start-up, the process
or threads whose calls are counted, and the servers' own counters (requests, bytes, hits).

nginx: one worker, epoll, accept_mutex off, sendfile, tcp_nopush, tcp_nodelay, an access log
(the model's worker writes one log line per request), a document root holding the model's
files (data/workloads/apachebench.toml and httperf.toml). memcached: one worker thread
(`-t 1`), the default 64 MB cache (`-m 64`, as data/servers/memcached.toml assumes), TCP only.
Everything lives in a private temporary directory and listens on 127.0.0.1 only."""
from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import FlexreproError

HOST = "127.0.0.1"
START_TIMEOUT_S = 10.0

# $bytes_sent: every byte of the reply (header + body), what the model's reply size counts
LOG_FORMAT = '$status $bytes_sent $request_length'


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise FlexreproError(f"live: server exited at start-up (status {proc.returncode})")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise FlexreproError(f"live: server did not listen on {HOST}:{port} within {timeout:.0f} s")


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids = (task / "children").read_text().split()
        out.extend(int(k) for k in kids)
    return out


# --- nginx ----------------------------------------------------------------------------------
@dataclass
class NginxSite:
    root: Path          # private directory: config, logs, document root
    port: int

    @property
    def conf(self) -> Path:
        return self.root / "nginx.conf"

    @property
    def access_log(self) -> Path:
        return self.root / "access.log"


def write_nginx(root: Path, files: dict[str, int]) -> NginxSite:
    """Config + document root with `files` (URL path -> size in bytes)."""
    site = NginxSite(root, free_port())
    www = root / "www"
    for url, size in files.items():
        f = www / url.lstrip("/")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x" * size)
    for p in [root, www, *www.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)     # the worker runs as nobody under root
    site.conf.write_text(f"""\
# written by flexrepro.live: mirrors the model's nginx worker (flexrepro/servers/nginx.py)
worker_processes 1;
daemon off;
pid {root / 'nginx.pid'};
error_log {root / 'error.log'} error;
events {{
    worker_connections 4096;
    use epoll;
    accept_mutex off;
}}
http {{
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    log_format flexrepro '{LOG_FORMAT}';
    access_log {site.access_log} flexrepro;
    client_body_temp_path {root / 'client_body'};
    server {{
        listen {HOST}:{site.port};
        root {www};
    }}
}}
""")
    return site


def nginx_argv(site: NginxSite) -> list[str]:
    return ["nginx", "-e", str(site.root / "error.log"), "-p", str(site.root), "-c", str(site.conf)]


def nginx_worker(master: int, timeout: float = START_TIMEOUT_S) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = children(master)
        if kids:
            return kids[0]
        time.sleep(0.05)
    raise FlexreproError("live: nginx started no worker process")


def nginx_log(site: NginxSite) -> dict:
    """Requests, non-2xx replies and bytes sent, from the access log (one line per request)."""
    n = bad = sent = 0
    if site.access_log.exists():
        for line in site.access_log.read_text().splitlines():
            status, nbytes, _ = line.split()
            n += 1
            bad += not status.startswith("2")
            sent += int(nbytes)
    return {"requests": n, "bad_replies": bad, "bytes_sent": sent}


# --- memcached ------------------------------------------------------------------------------
def memcached_argv(port: int, memory_mib: int = 64) -> list[str]:
    argv = ["memcached", "-t", "1", "-m", str(memory_mib), "-l", HOST, "-p", str(port), "-U", "0"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]      # memcached refuses to run as root without -u
    return argv


def memcached_threads(pid: int, timeout: float = START_TIMEOUT_S) -> dict[str, int]:
    """{thread name: tid}: memcached 1.6 names its threads (mc-worker, mc-lrumaint, ...)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        names = {}
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                names[(task / "comm").read_text().strip()] = int(task.name)
            except FileNotFoundError:
                continue
        if "mc-worker" in names:
            return names
        time.sleep(0.05)
    raise FlexreproError("live: memcached started no thread named mc-worker")


def memcached_stats(port: int) -> dict[str, int]:
    """The server's `stats` counters (integers only)."""
    with socket.create_connection((HOST, port), timeout=5) as s:
        s.sendall(b"stats\r\n")
        buf = b""
        while not buf.endswith(b"END\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    out = {}
    for line in buf.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "STAT" and parts[2].isdigit():
            out[parts[1]] = int(parts[2])
    return out
