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
