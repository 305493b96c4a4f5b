"""The scorecard report: results/REPORT.md and a self-contained results/report.html.

Everything in the report is read from files: the scorecard the scorecard notebook wrote
(results/scorecard/scorecard.csv), the figures and tables the notebooks wrote
(results/<name>/), the paper's wording of each claim (data/paper/), the platform
(results/table3/table3.csv, else data/platform/), the fitted parameters
(data/calibration/params.json) and the run's provenance (package version, git commit,
seeds, notebook timings, installed distributions). No number is typed in here.
"""
from __future__ import annotations

import base64
import html
import json
import platform as host
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pandas as pd

from .. import __version__, paths, reference, scorecard
from ..harness import registry
from ..atomic import write_text
from ..errors import FlexreproError
from ..platform import load_platform
from ..harness.seeds import ROOT_SEED, replicate_seeds

SKIP_DIRS = {"notebooks", "variants", "scorecard"}  # the scorecard is the claims table
TITLE = "# Reproduction report: Exception-Less System Calls for Event-Driven Servers (ATC'11)"


@dataclass
class Item:
    """One results/<name>/ directory: its paper item, the paper's statements, its outputs."""
    name: str
    paper_item: str
    title: str
    statements: pd.DataFrame          # claim_id, paper_wording, verdict
    figures: list[Path] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)


@dataclass
class ReportData:
    results: Path
    claims: pd.DataFrame
    items: list[Item]
    platform: pd.DataFrame
    params: pd.DataFrame | None
    provenance: dict[str, str]
    seeds: pd.DataFrame
    timings: pd.DataFrame | None
    packages: list[str]


def _fmt(v) -> str:
    """A number as a reader writes it: 20,000 not 2e+04, 0.898 not 0.89800001."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if float(v).is_integer() and abs(v) >= 1:
        return f"{int(v):,}" if abs(v) >= 10000 else str(int(v))
    if abs(v) >= 1000:
        return f"{v:,.0f}" if abs(v) >= 10000 else f"{v:.0f}"
    if abs(v) >= 100:
        return f"{v:.1f}"
    return f"{v:.4g}" if abs(v) >= 0.001 or v == 0 else f"{v:.2e}"


def load_claims(results: Path) -> pd.DataFrame:
    path = results / "scorecard" / "scorecard.csv"
    if not path.is_file():
        raise FlexreproError(f"{path} not found; run the scorecard notebook first "
                             "(./reproduce.sh, or flexrepro score --out results/scorecard)")
    card = pd.read_csv(path, dtype={"measured_value": object, "note": object})
    for col in ("seeds", "seeds_to_resolve"):          # absent from scorecards written before them
        if col not in card:
            card[col] = pd.NA
    ref = reference.claims()[["claim_id", "condition", "metric", "paper_wording"]]
    return card.merge(ref, on="claim_id", how="left")


def _item_names() -> dict[str, tuple[str, str]]:
    """results/<name>/ -> (paper item, title), from the experiment registry."""
    out: dict[str, tuple[str, str]] = {}
    for exp in registry.all_experiments():
        for name in {exp.id, exp.notebook} - {None}:
            out.setdefault(name, (exp.paper_item, exp.title))
    return out


def collect_items(results: Path, claims: pd.DataFrame) -> list[Item]:
    names = _item_names()
    items = []
    for d in sorted(p for p in results.iterdir() if p.is_dir() and p.name not in SKIP_DIRS):
        figures = sorted(d.glob("*.png"))
        tables = sorted(d.glob("*.csv"))
        if not figures and not tables:
            continue
        paper_item, title = names.get(d.name, (d.name, ""))
        said = claims[claims.paper_item == paper_item][["claim_id", "paper_wording", "verdict"]]
        items.append(Item(d.name, paper_item, title, said.reset_index(drop=True), figures, tables))
    return items


def load_platform_table(results: Path) -> pd.DataFrame:
    generated = results / "table3" / "table3.csv"
    table = pd.read_csv(generated) if generated.is_file() else pd.DataFrame(load_platform().rows())
    return table.drop(columns=["replicate", "seed"], errors="ignore")


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        out += _flatten(v, key + ".") if isinstance(v, dict) else [(key, v)]
    return out


def load_params() -> pd.DataFrame | None:
    path = paths.CALIBRATION / "params.json"
    if not path.is_file():
        return None
    rows = _flatten(json.loads(path.read_text()))
    return pd.DataFrame([{"parameter": k, "value": json.dumps(v) if isinstance(v, (list, dict)) else v}
                         for k, v in rows])


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=paths.ROOT, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def load_provenance(results: Path) -> tuple[dict[str, str], pd.DataFrame, pd.DataFrame | None, list[str]]:
    from ..harness.cache import model_version

    timings_path = results / "notebooks" / "timings.csv"
    timings = pd.read_csv(timings_path) if timings_path.is_file() else None
    commit = _git("rev-parse", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    prov = {
        "flexrepro version": __version__,
        "git commit": (commit + (" (with uncommitted changes)" if dirty else "")) or "(not a git checkout)",
        "model version (cache key)": model_version()[:16],
        "run mode": ", ".join(sorted(timings["mode"].unique())) if timings is not None else "(unknown)",
        "root seed": str(ROOT_SEED),
        "python": sys.version.split()[0],
        "host": f"{host.platform()} ({host.machine()})",
        "report written": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    seeds = pd.DataFrame([{"experiment": e.id, "paper_item": e.paper_item,
                           "seeds": e.n_seeds(False), "quick_seeds": e.n_seeds(True)}
                          for e in registry.all_experiments()])
    most = int(seeds.seeds.max()) if len(seeds) else 1
    prov["replicate seeds"] = ", ".join(map(str, replicate_seeds(most)))
    packages = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()
                      if d.metadata["Name"])
    return prov, seeds, timings, packages


def collect(results: Path = paths.RESULTS) -> ReportData:
    results = Path(results)
    claims = load_claims(results)
    prov, seeds, timings, packages = load_provenance(results)
    return ReportData(results, claims, collect_items(results, claims), load_platform_table(results),
                      load_params(), prov, seeds, timings, packages)


# --- Markdown ---------------------------------------------------------------------------

def _cell(v) -> str:
    return _fmt(v).replace("|", "\\|").replace("\n", " ")


def _md_table(df: pd.DataFrame) -> str:
    """A Markdown table without padding: its size is its content."""
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def _number(v):
    """A measured value read back as text: formatted like any number when it is one."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def _is_pct(c) -> bool:
    """Does the claim speak in percent (a gain, a change)? Then its numbers carry a % sign."""
    return "%" in str(c.paper_value) or "points" in str(c.tolerance) or "(%)" in str(c.metric)


def _with_unit(v, pct: bool) -> str:
    text = _fmt(_number(v))
    return text + "%" if pct and isinstance(_number(v), float) else text


def _why(c) -> str:
    """One line of why: the experiment's own verdict note, then what decided the verdict."""
    if c.verdict == "not yet run":
        return "its experiment is not built yet"
    parts = [str(c.note)] if isinstance(c.note, str) and c.note.strip() else []
    if c.verdict == "borderline":
        parts.append(scorecard.borderline_line(c))
    else:
        m = _number(c.measured_value)
        test = scorecard.threshold(c.paper_value, c.tolerance)
        if isinstance(m, float) and test is not None and test[0](m) == (c.verdict == "reproduced"):
            bounds = test[1]
            where = (f"{_fmt(bounds[0])}..{_fmt(bounds[1])}" if len(bounds) == 2 else f"{c.paper_value}")
            parts.append(("meets " if c.verdict == "reproduced" else "misses ") + where)
        elif not parts:
            parts.append(f"criterion: {c.paper_value}" + (f" ({c.tolerance})" if c.tolerance != "bool" else ""))
    return "; ".join(parts)


def claims_view(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims table people read: claim, paper, model, 95% CI, verdict, why."""
    rows = []
    for c in claims.itertuples(index=False):
        pct = _is_pct(c)
        ci = (f"[{_with_unit(c.ci_low, pct)}, {_with_unit(c.ci_high, pct)}]"
              if _fmt(c.ci_low) and _fmt(c.ci_high) else "")
        paper = str(c.paper_value)
        paper = _with_unit(paper, pct) if isinstance(_number(paper), float) else paper
        rows.append({"claim": c.claim_id, "kind": c.kind, "paper": paper,
                     "model": _with_unit(c.measured_value, pct), "95% CI": ci, "verdict": c.verdict,
                     "why": _why(c)})
    return pd.DataFrame(rows, columns=["claim", "kind", "paper", "model", "95% CI", "verdict", "why"])


def headline(claims: pd.DataFrame) -> str:
    return scorecard.headline(claims)


def _rel(path: Path, results: Path) -> str:
    return path.relative_to(results).as_posix()


def render_markdown(data: ReportData) -> str:
    prov = data.provenance
    out = [TITLE, "",
           f"**{headline(data.claims)}.** Calibration targets are fitted (met by construction when the "
           "fit works); predictions are Figures 5-10 and the abstract, from the one calibrated parameter "
           "set. *borderline*: the 95% CI straddles the claim's threshold, so the seeds do not decide it.",
           "",
           f"Figures embedded: [report.html](report.html). Parameters, platform, provenance and "
           f"environment: [appendix.md](appendix.md). Commit {prov.get('git commit', '')}, model "
           f"{prov.get('model version (cache key)', '')}, run mode {prov.get('run mode', '')}.",
           "", "## Claims", "", _md_table(claims_view(data.claims)), "", "## Figures and tables", ""]
    for it in data.items:
        out += [f"### {it.paper_item}" + (f": {it.title}" if it.title else ""), ""]
        if len(it.statements):
            out += [f"- {s.paper_wording} (`{s.claim_id}`: {s.verdict})" for s in it.statements.itertuples()]
            out.append("")
        if it.figures:
            out.append("Figures: " + ", ".join(f"[{f.name}]({_rel(f, data.results)})" for f in it.figures))
        if it.tables:
            out.append("Tables: " + ", ".join(f"[{t.name}]({_rel(t, data.results)})" for t in it.tables))
        out.append("")
    return "\n".join(out)


def render_appendix(data: ReportData) -> str:
    """Everything behind the numbers: platform, fitted parameters, provenance, environment."""
    out = [f"# Appendix to [REPORT.md](REPORT.md)", "", "## Platform (Table 3)", "", _md_table(data.platform), "",
           "## Fitted parameters (data/calibration/params.json)", ""]
    out += [_md_table(data.params) if data.params is not None else
            "No calibration has been run (data/calibration/params.json does not exist).", ""]
    out += ["## Provenance", "", _md_table(pd.DataFrame(list(data.provenance.items()),
                                                          columns=["what", "value"])), "",
            "Seeds per experiment:", "", _md_table(data.seeds), ""]
    if data.timings is not None:
        out += ["Run time per notebook (seconds):", "", _md_table(data.timings), ""]
    out += ["Environment (installed distributions, as `pip freeze`):", "", "```",
            *data.packages, "```", ""]
    return "\n".join(out)


# --- HTML -------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,sans-serif;max-width:1300px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0;max-width:100%}
td,th{border:1px solid #ccc;padding:.2em .45em;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f0f0f0}
td:first-child,td.verdict,td.nowrap{white-space:nowrap}
td.note{min-width:22em}
.scroll{overflow-x:auto}
tr.reproduced td.verdict{background:#d8f3d8}
tr.not-reproduced td.verdict{background:#f8d4d4}
tr.borderline td.verdict{background:#fbeec2}
tr.not-yet-run td.verdict{background:#eee;color:#666}
figure{display:inline-block;margin:.5em;vertical-align:top;max-width:100%}
figure img{max-width:100%;max-height:560px;border:1px solid #ddd}
pre{background:#f6f6f6;padding:.6em;font-size:.8em;max-height:20em;overflow:auto}
"""


def _h(x) -> str:
    return html.escape(_fmt(x))


def _html_table(df: pd.DataFrame, row_class: list[str] | None = None, cell_class: dict[str, str] | None = None) -> str:
    cell_class = cell_class or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for i, r in enumerate(df.itertuples(index=False)):
        cls = f' class="{row_class[i]}"' if row_class else ""
        cells = "".join(f'<td class="{cell_class[c]}">{_h(v)}</td>' if c in cell_class else f"<td>{_h(v)}</td>"
                        for c, v in zip(df.columns, r))
        rows.append(f"<tr{cls}>{cells}</tr>")
    return f"<div class=\"scroll\"><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return (f'<figure><img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(path.name)}</figcaption></figure>")


def render_html(data: ReportData) -> str:
    view = claims_view(data.claims)
    parts = [f"<h1>{html.escape(TITLE.lstrip('# '))}</h1>",
             f"<p><b>{html.escape(headline(data.claims))}.</b> Calibration targets are fitted; predictions "
             "(Figures 5-10, the abstract) come from the one calibrated parameter set. <i>borderline</i>: "
             "the 95% CI straddles the claim's threshold, so the seeds do not decide it.</p>",
             '<h2 id="claims">Claims</h2>',
             _html_table(view, [v.replace(" ", "-") for v in view.verdict],
                         {"verdict": "verdict", "kind": "nowrap", "paper": "nowrap", "why": "note"}),
             '<h2 id="figures">Figures and tables</h2>']
    for it in data.items:
        parts.append(f"<h3>{html.escape(it.paper_item)}" + (f": {html.escape(it.title)}" if it.title else "") + "</h3>")
        if len(it.statements):
            parts.append("<p>The paper says:</p><ul>" + "".join(
                f"<li>{html.escape(str(s.paper_wording))} (<code>{html.escape(s.claim_id)}</code>: "
                f"{html.escape(s.verdict)})</li>" for s in it.statements.itertuples()) + "</ul>")
        parts += [_img(f) for f in it.figures]
        for t in it.tables:
            df = pd.read_csv(t)
            parts.append(f"<p><code>{html.escape(t.relative_to(data.results).as_posix())}</code>"
                         + (f" ({len(df)} rows; first 30 shown)" if len(df) > 30 else "") + "</p>")
            parts.append(_html_table(df.head(30)))
    parts += ['<h2 id="platform">Platform (Table 3)</h2>', _html_table(data.platform),
              '<h2 id="params">Fitted parameters</h2>',
              _html_table(data.params) if data.params is not None else
              "<p>No calibration has been run (data/calibration/params.json does not exist).</p>",
              '<h2 id="provenance">Provenance</h2>',
              _html_table(pd.DataFrame(list(data.provenance.items()), columns=["what", "value"])),
              "<p>Seeds per experiment:</p>", _html_table(data.seeds)]
    if data.timings is not None:
        parts += ["<p>Run time per notebook (seconds):</p>", _html_table(data.timings)]
    parts += ["<p>Environment (installed distributions, as <code>pip freeze</code>):</p>",
              f"<pre>{html.escape(chr(10).join(data.packages))}</pre>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>flexrepro report</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


def write_report(results: Path = paths.RESULTS) -> tuple[Path, Path]:
    """Write results/REPORT.md, results/appendix.md and results/report.html; returns the
    report's two paths."""
    data = collect(results)
    md, page = Path(results) / "REPORT.md", Path(results) / "report.html"
    write_text(md, render_markdown(data))
    write_text(Path(results) / "appendix.md", render_appendix(data))
    write_text(page, render_html(data))
    return md, page
