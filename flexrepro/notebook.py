"""Helpers that keep notebooks thin: where outputs go and how figures/tables are saved."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import paths
from .atomic import atomic_path, write_csv, write_text


def output_dir(name: str, out_dir: str | None = None) -> Path:
    """results/<name>/ (or out_dir/<name>/ when a sweep passes one)."""
    base = Path(out_dir) if out_dir else paths.RESULTS
    d = base / name
    d.mkdir(parents=True, exist_ok=True)
    return d


def save_table(df: pd.DataFrame, directory: Path, stem: str) -> None:
    """CSV + Markdown, each written atomically."""
    write_csv(df, directory / f"{stem}.csv")
    write_text(directory / f"{stem}.md", df.to_markdown(index=False))


def save_figure(fig, directory: Path, stem: str) -> None:
    """PNG + PDF, each written atomically."""
    for ext in ("png", "pdf"):
        with atomic_path(directory / f"{stem}.{ext}") as tmp:
            fig.savefig(tmp, format=ext, bbox_inches="tight", dpi=120)

