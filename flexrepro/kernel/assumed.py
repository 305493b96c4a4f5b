"""Assumptions set to another value for one run: the hook of the prediction bands.

The kernel reads its mechanism costs (data/kernel/costs.toml), its network stack's sizes
(data/kernel/netstack.toml) and its call lengths (data/kernel/syscalls.csv) from the data
files. `assumed(costs=..., netstack=..., calls=...)` replaces some of those values for
whatever is built inside the `with` block (a context variable, so a run in another thread or
process never sees it); outside it every reader gets the files' values unchanged.
Used by experiments/bands.py and calibration/band_fits.py; nothing else sets it.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import Mapping

_OVERRIDES: ContextVar[dict] = ContextVar("assumed", default={})


@contextmanager
def assumed(costs: Mapping[str, float] | None = None, netstack: Mapping[str, object] | None = None,
            calls: Mapping[str, float] | None = None):
    """`costs`: KernelCosts fields; `netstack`: NetStackParams fields; `calls`: instructions of
    catalogue calls (before the servers' common scale)."""
    token = _OVERRIDES.set({"costs": dict(costs or {}), "netstack": dict(netstack or {}), "calls": dict(calls or {})})
    try:
        yield
    finally:
        _OVERRIDES.reset(token)


def costs(c):
    """The kernel costs `c` with the assumed values in place."""
    kw = _OVERRIDES.get().get("costs")
    return c.with_overrides(**kw) if kw else c


def netstack(p):
    """The network stack's parameters `p` with the assumed values in place."""
    kw = _OVERRIDES.get().get("netstack")
    return replace(p, **kw) if kw else p


def catalogue(cat):
    """The catalogue `cat` with the assumed call lengths."""
    kw = _OVERRIDES.get().get("calls")
    return cat.with_overrides({n: {"instructions": v} for n, v in kw.items()}) if kw else cat
