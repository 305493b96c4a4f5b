"""Every notebook: committed without outputs, one `parameters` cell, public names only, no
library logic, runs with quick parameters."""
import ast
import json
from pathlib import Path

import papermill as pm
import pytest

from flexrepro import paths
from flexrepro.pipeline.kernels import private_channels

NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(nb):
    cells = json.loads(nb.read_text())["cells"]
    dirty = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{nb.name}: cells {dirty} carry outputs"


def _code(nb: Path) -> list[ast.Module]:
    cells = json.loads(nb.read_text())["cells"]
    return [ast.parse("".join(c["source"])) for c in cells if c["cell_type"] == "code"]


def private_uses(tree: ast.AST) -> list[str]:
    """flexrepro modules or names a cell imports or reaches whose name starts with `_`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flexrepro"):
            parts = node.module.split(".") + [a.name for a in node.names]
            found += [f"from {node.module} import {a.name}" for a in node.names
                      if any(p.startswith("_") for p in parts)]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("flexrepro")
                      and any(p.startswith("_") for p in a.name.split("."))]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id == "flexrepro":
                found.append(f"flexrepro...{node.attr}")
    return found


# Library logic a notebook must call, not define: running claim checks and tabulating verdicts.
LIBRARY_DEFS = {"verdicts", "claims_table", "checks", "evaluate", "score"}


def library_defs(tree: ast.AST) -> list[str]:
    """Functions a cell defines that are library logic: by name, or running a claim check."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            calls = {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
                     for n in ast.walk(node) if isinstance(n, ast.Call)}
            if node.name in LIBRARY_DEFS or calls & {"checks", "fn", "claim"}:
                out.append(node.name)
    return out


@pytest.mark.parametrize("src, bad", [
    ("from flexrepro.experiments._nginx import claims_table", 1),
    ("from flexrepro.experiments import _nginx", 1),
    ("import flexrepro.experiments._compare", 1),
    ("import flexrepro\nflexrepro.reference._load('claims')", 1),
    ("from flexrepro.scorecard import claims_table\nfrom flexrepro import reference", 0),
])
def test_private_use_detector(src, bad):
    assert len(private_uses(ast.parse(src))) == bad


def test_library_def_detector():
    tree = ast.parse("def verdicts(ids, frames):\n    return [checks()[i].fn(frames) for i in ids]\n"
                     "def run_claims(f):\n    return ck.fn(f)\n"
                     "def claim_of(metric, cores):\n    return {1: 'F6-user-cpi-1core'}.get(cores)\n")
    assert library_defs(tree) == ["verdicts", "run_claims"]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_imports_public_names_only(nb):
    used = [u for tree in _code(nb) for u in private_uses(tree)]
    assert not used, f"{nb.name} reaches private names: {used}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_defines_no_library_logic(nb):
    defs = [d for tree in _code(nb) for d in library_defs(tree)]
    assert not defs, f"{nb.name} defines library logic: {defs} (move it into flexrepro)"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_exactly_one_parameters_cell(nb):
    cells = json.loads(nb.read_text())["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    names = set(pm.inspect_notebook(str(nb)))
    assert {"quick", "seeds", "executor", "out_dir"} <= names


# A cell of a quick notebook takes seconds to ~1.5 min under the suite's load. Session 6 saw a
# kernel finish a cell (idle, main thread in its event loop) while papermill waited 10 min for
# a reply that never came: a lost message hangs without a limit, so a cell gets one, and a
# timed-out notebook is run once more (an error in a cell is not retried).
CELL_TIMEOUT_S = 600
# The explorer's widget cell is the one seen to hang (sessions 6 and 7: kernel idle, the client
# waiting; nbclient issue #312, a cell that creates ipywidgets sometimes blocks). Its cells take
# seconds, so a hang there costs two minutes, not ten, before the one retry.
CELL_TIMEOUT_S_OF = {"explore": 120}


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_quick(nb, tmp_path):
    from nbclient.exceptions import CellTimeoutError

    out = tmp_path / nb.name
    for attempt in (1, 2):
        try:
            with private_channels() as channels:
                pm.execute_notebook(str(nb), str(out), parameters={"quick": True, "out_dir": str(tmp_path / "results")},
                                    kernel_name="python3", progress_bar=False, cwd=str(paths.NOTEBOOKS),
                                    execution_timeout=CELL_TIMEOUT_S_OF.get(nb.stem, CELL_TIMEOUT_S), **channels)
            break
        except CellTimeoutError:
            if attempt == 2:
                raise
    assert any((tmp_path / "results").iterdir())


def _assigned(nb):
    """Names the parameters cell assigns, read with Python's own parser (not papermill's)."""
    import ast

    cell = next(c for c in json.loads(nb.read_text())["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    tree = ast.parse("".join(cell["source"]))
    return {t.id: n.value for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])}


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_parameter_can_be_set_in_a_variant(nb):
    """`./reproduce.sh variant NB -p NAME VALUE` accepts every parameter with its type: papermill's
    inspection finds it (a second "=" on its line, even in a comment, would hide it) and the
    variant check knows what it allows."""
    import ast

    from flexrepro.pipeline.nbparams import _allowed_types, check_parameters

    assigned = _assigned(nb)
    declared = pm.inspect_notebook(str(nb))
    assert set(assigned) == set(declared), f"{nb.name}: papermill does not see {set(assigned) - set(declared)}"
    for name, node in assigned.items():
        types = _allowed_types(name, declared[name]["default"], declared[name]["inferred_type_name"])
        assert types, f"{nb.name}: parameter '{name}' has no type (a None default needs '# type: Optional[X]')"
        default = ast.literal_eval(node)
        if default is not None:
            assert check_parameters(nb, [(name, repr(default))]) == {name: default}


def test_a_parameter_hidden_from_papermill_is_caught(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = new_code_cell('quick = False\nscale = 16   # cores = scale x 2\nflag = None  # no type')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "x.ipynb")
    with pytest.raises(AssertionError, match="papermill does not see {'scale'}"):
        test_every_parameter_can_be_set_in_a_variant(tmp_path / "x.ipynb")


FIGURES = [paths.NOTEBOOKS / f"fig{n:02d}.ipynb" for n in range(5, 11)]


@pytest.mark.parametrize("nb", FIGURES, ids=lambda p: p.stem)
def test_figures_draw_the_papers_values_from_the_claims_table(nb):
    """Figures 5-10 overlay the paper's stated values (flexrepro.pipeline.notebook.paper_*), naming the
    claims whose numbers they draw: the numbers come from data/paper/, not the notebook."""
    import re

    from flexrepro import reference

    code = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
    assert re.search(r"\bpaper_(at|level|x)\(", code)
    named = set(re.findall(r'"((?:F\d+|A)-[\w-]+)"', code))
    known = set(reference.claims().claim_id)
    assert named and named <= known, named - known
    item = f"Figure {int(nb.stem[3:])}"
    drawn = {c for c in named if reference.claim(c).paper_item == item}
    assert len(drawn) >= 2, f"{nb.stem} draws the paper's values of {drawn}"


def test_paper_overlay_has_one_legend_entry_in_a_second_colour():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from flexrepro.pipeline.notebook import PAPER_COLOR, PAPER_LABEL, paper_at, paper_level, paper_value, paper_x

    fig, ax = plt.subplots()
    ax.plot([1, 2], [0.7, 0.9], color="tab:blue", label="model")
    assert paper_at(ax, 1, "F6-user-cpi-1core").band == pytest.approx((0.72, 0.84))
    assert paper_at(ax, 2, "F6-kernel-cpi").bound == 1.0
    assert paper_level(ax, "F5-max-gain").band == (25.0, 35.0)
    assert paper_x(ax, "F9-1core-epoll-knee", "epoll knee").band == (15000.0, 25000.0)
    handles, labels = ax.get_legend_handles_labels()
    assert labels == ["model", PAPER_LABEL]
    assert matplotlib.colors.same_color(handles[1].lines[0].get_color(), PAPER_COLOR)
    assert not matplotlib.colors.same_color(handles[0].get_color(), PAPER_COLOR)
    # a stated change (%) drawn onto a model baseline of 10
    fig, ax = plt.subplots()
    paper_at(ax, 0, "F8-1core", y=lambda pct: 10 * (1 + pct / 100))
    stated = paper_value("F8-1core").value
    assert ax.containers[0].lines[0].get_ydata()[0] == pytest.approx(10 * (1 + stated / 100))
    plt.close("all")
