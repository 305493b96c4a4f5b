"""Every notebook: committed without outputs, one `parameters` cell, runs with quick parameters."""
import json
from pathlib import Path

import papermill as pm
import pytest

from flexrepro import paths

NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(nb):
    cells = json.loads(nb.read_text())["cells"]
    dirty = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{nb.name}: cells {dirty} carry outputs"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_exactly_one_parameters_cell(nb):
    cells = json.loads(nb.read_text())["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    names = set(pm.inspect_notebook(str(nb)))
    assert {"quick", "seeds", "executor", "out_dir"} <= names


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_quick(nb, tmp_path):
    out = tmp_path / nb.name
    pm.execute_notebook(str(nb), str(out), parameters={"quick": True, "out_dir": str(tmp_path / "results")},
                        kernel_name="python3", progress_bar=False, cwd=str(paths.NOTEBOOKS))
    assert any((tmp_path / "results").iterdir())


def _assigned(nb):
    """Names the parameters cell assigns, read with Python's own parser (not papermill's)."""
    import ast

    cell = next(c for c in json.loads(nb.read_text())["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    tree = ast.parse("".join(cell["source"]))
    return {t.id: n.value for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])}


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_parameter_is_sweepable(nb):
    """`./reproduce.sh sweep NB -p NAME VALUE` accepts every parameter with its type: papermill's
    inspection finds it (a second "=" on its line, even in a comment, would hide it) and the
    sweep's check knows what it allows."""
    import ast

    from flexrepro.nbparams import _allowed_types, check_parameters

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
        test_every_parameter_is_sweepable(tmp_path / "x.ipynb")
