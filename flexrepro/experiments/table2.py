"""Table 2: porting effort. The paper's numbers, beside the same measure of our own ports.

Our server models hold both versions of each server in the same files: code both share,
and top-level classes/functions that only the epoll version or only the libflexsc version
uses. Measured from the source with `ast` and `difflib` (nothing typed in):
- a top-level definition is *epoll-specific* if it names the epoll runtime (or a definition
  that is epoll-specific) and nothing of libflexsc's, *flexsc-specific* likewise, and
  *shared* otherwise; definitions used only by epoll-specific ones are epoll-specific;
- a line of shared code that names a version-specific definition is a *switch* line (it
  exists in both versions, in a different form: e.g. which server class is built);
- porting the epoll version to libflexsc replaces the epoll-specific code by the
  flexsc-specific code: `difflib` counts the lines added (in the libflexsc version, not in
  the epoll version), to which the switch lines are added -> lines of code modified;
- files modified: files with a version-specific definition or a switch line;
- total lines of code: code lines (no blanks, comments or docstrings) of the server's files.
"""
from __future__ import annotations

import ast
import difflib
import io
import tokenize
from pathlib import Path

from .. import reference
from ..harness.config import ParamSet
from ..harness.registry import Experiment, register

PACKAGE_DIR = Path(__file__).resolve().parents[1]
# each port: the server and the testbed that picks its version
PORTS = {"memcached": ("servers/memcached.py", "testbed/memcached.py"), "nginx": ("servers/nginx.py", "testbed/nginx.py")}
MARKERS = {"epoll": {"EpollRuntime", "Epoll"}, "flexsc": {"LibFlexSC", "FlexSC"}}


def code_lines(source: str) -> set[int]:
    """Line numbers holding code: not blank, not a comment, not a docstring."""
    skip = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
    lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in skip:
            lines.update(range(tok.start[0], tok.end[0] + 1))
    for node in ast.walk(ast.parse(source)):     # a bare string statement is a docstring
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            lines.difference_update(range(node.lineno, node.end_lineno + 1))
    return lines


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | \
           {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def classify(defs: dict[str, ast.AST]) -> dict[str, str]:
    """Top-level definition -> 'epoll' | 'flexsc' | 'shared' (see the module docstring)."""
    uses = {name: _names(node) for name, node in defs.items()}
    kind = {}
    for name, used in uses.items():
        hits = [v for v, marks in MARKERS.items() if used & marks]
        kind[name] = hits[0] if len(hits) == 1 else "shared"
    changed = True
    while changed:
        changed = False
        for name in defs:
            if kind[name] != "shared":
                continue
            own = {kind[n] for n in uses[name] if n in defs and n != name} - {"shared"}
            users = {kind[u] for u in defs if u != name and name in uses[u]}
            if len(own) == 1:                                # builds on one version's code
                kind[name], changed = own.pop(), True
            elif users and len(users) == 1 and users != {"shared"}:   # used by one version only
                kind[name], changed = users.pop(), True
    return kind


def measure(files: tuple[str, ...], directory: Path = PACKAGE_DIR) -> dict:
    specific = {"epoll": [], "flexsc": []}
    switch = total = 0
    touched = set()
    sources = {f: (directory / f).read_text() for f in files}
    trees = {f: ast.parse(s) for f, s in sources.items()}
    defs = {}
    for f, tree in trees.items():
        for node in tree.body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                defs[node.name] = (f, node)
    kind = classify({n: node for n, (_, node) in defs.items()})
    for f, src in sources.items():
        lines = src.splitlines()
        code = code_lines(src)
        total += len(code)
        for name, (g, node) in defs.items():
            if g != f:
                continue
            span = [i for i in range(node.lineno, node.end_lineno + 1) if i in code]
            if kind[name] in specific:
                specific[kind[name]] += [lines[i - 1].strip() for i in span]
                touched.add(f)
            else:
                versioned = {n for n, k in kind.items() if k != "shared"}
                for i in span:
                    if versioned & set(lines[i - 1].replace("(", " ").replace(")", " ").replace(",", " ").split()):
                        switch += 1
                        touched.add(f)
    added = sum(1 for d in difflib.ndiff(specific["epoll"], specific["flexsc"]) if d.startswith("+ "))
    return {"total_lines_of_code": total, "lines_of_code_modified": added + switch, "files_modified": len(touched),
            "epoll_specific_lines": len(specific["epoll"]), "flexsc_specific_lines": len(specific["flexsc"]),
            "switch_lines": switch,
            "flexsc_specific": ", ".join(sorted(n for n, k in kind.items() if k == "flexsc")),
            "epoll_specific": ", ".join(sorted(n for n, k in kind.items() if k == "epoll"))}


def run_point(config: dict, seed: int) -> list[dict]:
    t = reference.load("table2")
    rows = [{"source": "paper", **r} for r in t.to_dict("records")]
    for server, files in PORTS.items():
        if all((PACKAGE_DIR / f).exists() for f in files):
            rows.append({"source": "this model", "server": server, **measure(files)})
    return rows


register(Experiment(
    id="table2", title="Porting effort (lines and files changed)", paper_item="Table 2",
    params=ParamSet(()), run_point=run_point, stochastic=False, notebook="table2",
))
