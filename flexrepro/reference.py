"""The paper's numbers (data/paper/, copied from shared/reference with provenance).

These are only ever compared against; no model code reads them.
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from . import paths

FILES = {
    "claims": "atc11_claims.csv",
    "table1": "atc11_table1_syscall_profile.csv",
    "table2": "atc11_table2_porting_effort.csv",
    "table3": "atc11_table3_corei7.csv",
    "fig1": "atc11_fig1_xalan_ipc_degradation.csv",
    "syscall_footprint": "osdi10_table1_syscall_footprint.csv",
    "xalan_recovery": "osdi10_xalan_pwrite_recovery.csv",
    "kernel_ipc_loss": "osdi10_fig4_kernel_ipc_loss.csv",
    "platform_facts": "platform_facts.csv",
}


@lru_cache(maxsize=None)
def _load(name: str) -> pd.DataFrame:
    if name not in FILES:
        raise KeyError(f"unknown reference table '{name}'; allowed: {', '.join(FILES)}")
    return pd.read_csv(paths.PAPER / FILES[name])


def load(name: str) -> pd.DataFrame:
    """A copy of one reference table (callers may modify it)."""
    return _load(name).copy()


def claims() -> pd.DataFrame:
    return load("claims")


def claim(claim_id: str) -> pd.Series:
    c = _load("claims")
    hit = c[c.claim_id == claim_id]
    if hit.empty:
        raise KeyError(f"unknown claim '{claim_id}'")
    return hit.iloc[0]
