"""Helpers that keep notebooks thin: where outputs go and how figures/tables are saved."""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from .. import paths
from ..atomic import atomic_path, write_csv, write_text


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


DPI = 120


def save_figure(fig, directory: Path, stem: str) -> None:
    """PNG + PDF, each written atomically, both cropped to the figure's tight box.

    The figure is laid out once for both files (savefig with bbox_inches="tight" lays it out
    again for each). In a notebook (the inline backend) it is then shown from the PNG just
    written and closed, rather than drawn a third time at the end of the cell; call this last
    in a cell, as every notebook here does."""
    import matplotlib
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    shown_dpi = fig.dpi
    fig.dpi = DPI                  # laid out as the PNG will be drawn: the same box, to the pixel
    try:
        fig.draw_without_rendering()
        box = fig.get_tightbbox().padded(matplotlib.rcParams["savefig.pad_inches"])
    finally:
        fig.dpi = shown_dpi
    engine = fig.get_layout_engine()
    idle = isinstance(engine, PlaceHolderLayoutEngine)   # what fig.tight_layout() leaves behind
    if idle:        # it does nothing at a draw, but makes savefig lay the figure out once more
        fig.set_layout_engine(None)
    try:
        png = io.BytesIO()
        fig.savefig(png, format="png", bbox_inches=box, dpi=DPI)
        with atomic_path(directory / f"{stem}.png") as tmp:
            tmp.write_bytes(png.getvalue())
        with atomic_path(directory / f"{stem}.pdf") as tmp:
            fig.savefig(tmp, format="pdf", bbox_inches=box, dpi=DPI)
    finally:
        if idle:
            fig.set_layout_engine(engine)
    if "inline" in matplotlib.get_backend():
        import matplotlib.pyplot as plt
        from IPython.display import Image, display

        display(Image(data=png.getvalue(), format="png", width=round(box.width * shown_dpi)))
        plt.close(fig)



# --- the paper's stated values on a figure ----------------------------------------------
# Drawn in one second colour with the legend entry "paper (text)": the values are read from
# data/paper/atc11_claims.csv (the paper's text), never typed into a notebook.

PAPER_COLOR = "crimson"
PAPER_LABEL = "paper (text)"


@dataclass(frozen=True)
class PaperValue:
    """What the paper states for one claim, as a figure can draw it."""
    claim_id: str
    value: float | None                      # the stated number, when there is one
    band: tuple[float, float] | None         # the accepted range (the claim's tolerance), or the stated span
    bound: float | None = None               # a one-sided statement ("< 1", ">= 0.9")
    below: bool = False                      # the bound is an upper bound
    span: bool = False                       # the paper states a span ("25..35"), not one number


def paper_value(claim_id: str) -> PaperValue:
    from .. import reference

    t = reference.target(claim_id)
    if t.kind == "span":                                                  # a stated span: "25..35"
        lo, hi = t.stated
        return PaperValue(claim_id, (lo + hi) / 2, (lo, hi), span=True)
    value = t.paper if t.paper is not None else reference.leading_number(claim_id)
    if t.decides and t.kind != "bound":
        lo, hi = t.edges
        return PaperValue(claim_id, value, (lo, hi))
    if t.kind == "bound":
        return PaperValue(claim_id, None, None, t.bound, below=t.op in ("<", "<="))
    return PaperValue(claim_id, value, None)


def _label(ax) -> str:
    """The legend entry once per axes."""
    return "_nolegend_" if PAPER_LABEL in ax.get_legend_handles_labels()[1] else PAPER_LABEL


def _same(v: float) -> float:
    return v


def paper_at(ax, x: float, claim_id: str, width: float = 0.3, y: Callable[[float], float] = _same) -> PaperValue:
    """The paper's value at one x (a bar, a point): a diamond with the accepted range as its
    error bar, or for a bound a dashed tick with a triangle pointing to the side that passes.
    `y` maps the paper's number to the axis (e.g. a stated % change onto the model's baseline)."""
    p = paper_value(claim_id)
    if p.band is not None and p.value is not None:
        lo, hi = sorted((y(p.band[0]), y(p.band[1])))
        v = y(p.value)
        ax.errorbar([x], [v], yerr=[[v - lo], [hi - v]], fmt="D", ms=6, color=PAPER_COLOR, capsize=4,
                    zorder=5, label=_label(ax))
    elif p.bound is not None:
        b = y(p.bound)
        ax.hlines(b, x - width, x + width, colors=PAPER_COLOR, linestyles="--", zorder=5, label=_label(ax))
        ax.plot([x], [b], marker="v" if p.below else "^", color=PAPER_COLOR, ms=7, zorder=5)
    elif p.value is not None:
        ax.plot([x], [y(p.value)], "D", color=PAPER_COLOR, ms=6, zorder=5, label=_label(ax))
    return p


def paper_level(ax, claim_id: str, text: str = "") -> PaperValue:
    """The paper's value across the whole x range: a line with its accepted range shaded (a
    stated span: the span alone), and an optional caption."""
    p = paper_value(claim_id)
    if p.span:
        ax.axhspan(p.band[0], p.band[1], color=PAPER_COLOR, alpha=0.2, lw=0, label=_label(ax))
        level = p.band[1]
    else:
        if p.band is not None:
            ax.axhspan(p.band[0], p.band[1], color=PAPER_COLOR, alpha=0.12, lw=0)
        level = p.value if p.value is not None else p.bound
        if level is not None:
            ax.axhline(level, color=PAPER_COLOR, ls="--", lw=1.2, label=_label(ax))
    if text and level is not None:
        ax.annotate(text, (0, level), xycoords=("axes fraction", "data"), xytext=(3, 3),
                    textcoords="offset points", color=PAPER_COLOR, fontsize=7)
    return p


def paper_x(ax, claim_id: str, text: str = "") -> PaperValue:
    """The paper's value on the x axis (a knee, a starting point): a vertical line, its
    accepted range shaded, and an optional caption."""
    p = paper_value(claim_id)
    if p.band is not None:
        ax.axvspan(p.band[0], p.band[1], color=PAPER_COLOR, alpha=0.10, lw=0)
    x = p.value if p.value is not None else p.bound
    if x is not None:
        ax.axvline(x, color=PAPER_COLOR, ls="--", lw=1.2, label=_label(ax))
        if text:
            ax.annotate(text, (x, 1), xycoords=("data", "axes fraction"), xytext=(2, -10),
                        textcoords="offset points", color=PAPER_COLOR, fontsize=7, rotation=90, va="top")
    return p
