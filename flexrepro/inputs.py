"""Inputs from the command line and the environment, checked before any work starts.

Each check raises ConfigError with one line naming the parameter and what is allowed, and
leaves nothing behind: a directory is probed with a temporary directory that is removed
again, a scheduler with a plain TCP connection.
"""
from __future__ import annotations

import os
import socket
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError

CONNECT_TIMEOUT_S = 10.0
HANDSHAKE_TIMEOUT_S = 5.0    # a scheduler answers `identity` in milliseconds once connected


def writable_dir(path: str | os.PathLike, name: str) -> Path:
    """`path` as a directory that exists or can be created and written; nothing is created."""
    p = Path(path).expanduser().absolute()
    allowed = "allowed: a directory that exists or can be created, and is writable"
    if p.exists() and not p.is_dir():
        raise ConfigError(f"parameter '{name}': {p} is a file; {allowed}")
    existing = p
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"parameter '{name}': {p} is under the file {existing}; {allowed}")
    try:
        tempfile.TemporaryDirectory(dir=existing, prefix=".flexrepro-probe-").cleanup()
    except OSError as e:
        raise ConfigError(f"parameter '{name}': cannot write in {existing} ({e.strerror}); {allowed}") from None
    return p


def scheduler_address(address: str, executor: str, timeout: float = CONNECT_TIMEOUT_S) -> str:
    """A dask scheduler that answers within `timeout` seconds (and the executor that uses it)."""
    if executor != "dask":
        raise ConfigError(f"parameter '--scheduler': given with --executor {executor}; "
                          "allowed: only with --executor dask")
    url = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = url.hostname, url.port
    except ValueError:
        host, port = None, None
    if url.scheme not in ("tcp", "tls") or not host or not port:
        raise ConfigError(f"parameter '--scheduler': got {address!r}; allowed: tcp://HOST:PORT")
    deadline = time.monotonic() + timeout
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as e:
        why = "timed out" if isinstance(e, TimeoutError) else (e.strerror or str(e))
        raise ConfigError(f"parameter '--scheduler': cannot connect to {address} within {timeout:g} s "
                          f"({why}); allowed: the address of a running dask scheduler") from None
    _handshake(address, timeout, max(0.5, min(HANDSHAKE_TIMEOUT_S, deadline - time.monotonic())))
    return address


def _handshake(address: str, timeout: float, left: float) -> None:
    """Something accepted the connection: is it a dask scheduler? (Proxies accept anything.)"""
    import asyncio

    from distributed.core import rpc

    async def identity():
        async with rpc(address, timeout=timeout) as scheduler:
            return await scheduler.identity()

    try:
        kind = asyncio.run(asyncio.wait_for(identity(), left)).get("type")
    except Exception as e:  # a timeout, a refused handshake, a garbled reply from a non-dask server
        kind = type(e).__name__
    if kind != "Scheduler":
        raise ConfigError(f"parameter '--scheduler': {address} does not answer as a dask scheduler "
                          f"within {timeout:g} s (got {kind}); allowed: the address of a running "
                          "dask scheduler")


def unique_keys(pairs: list[tuple[str, object]], name: str, grid: bool = False) -> dict[str, object]:
    """key/value pairs as a dict; a key given twice is an error, not a silent override.
    `grid`: the option takes several values of one key as key=v1,v2 (say so)."""
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise ConfigError(f"parameter '{name}': '{key}' given twice; allowed: each key once"
                              + (f" (several values as {key}=v1,v2)" if grid else ""))
        out[key] = value
    return out
