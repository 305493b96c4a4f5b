"""flexrepro.pipeline.notebook.save_figure: the files savefig(bbox_inches="tight") would write,
laid out once; in a kernel the figure is shown from the PNG and closed."""
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import papermill as pm  # noqa: E402
import pytest  # noqa: E402
from nbformat.v4 import new_code_cell, new_notebook  # noqa: E402
from PIL import Image  # noqa: E402

from flexrepro.pipeline.kernels import private_channels  # noqa: E402
from flexrepro.pipeline.notebook import DPI, save_figure  # noqa: E402


def _grid():
    fig, axes = plt.subplots(2, 3, figsize=(9, 5))
    for i, ax in enumerate(axes.flat):
        ax.barh(range(4), np.arange(4) + i)
        ax.set(title=f"claim {i} (paper 12%)", yticks=range(4), yticklabels=[f"assumption {j} low" for j in range(4)])
    fig.tight_layout()
    return fig


def _outside_legend():
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([1, 2, 3], [3, 1, 2], label="model")
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
    ax.set(title="a legend beyond the axes", xlabel="x")
    return fig


@pytest.mark.parametrize("make", [_grid, _outside_legend])
def test_the_png_is_savefigs_tight_png_pixel_for_pixel(tmp_path, make):
    ref = make()
    ref.savefig(tmp_path / "ref.png", format="png", bbox_inches="tight", dpi=DPI)
    fig = make()
    engine = fig.get_layout_engine()
    save_figure(fig, tmp_path, "fig")
    a, b = (np.asarray(Image.open(tmp_path / f)) for f in ("ref.png", "fig.png"))
    assert a.shape == b.shape and (a == b).all()
    assert (tmp_path / "fig.pdf").read_bytes().startswith(b"%PDF")
    assert fig.get_layout_engine() is engine and fig.dpi == ref.dpi, "the figure is left as it was"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.pdf", "fig.png", "ref.png"], "no temporary file left"
    plt.close("all")


def test_in_a_kernel_the_figure_is_shown_once_from_the_png_and_closed(tmp_path):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [new_code_cell("import matplotlib.pyplot as plt\n"
                              "from pathlib import Path\n"
                              "from flexrepro.pipeline.notebook import save_figure\n"
                              "fig, ax = plt.subplots(figsize=(4, 3))\n"
                              "ax.plot([0, 1])\n"
                              "save_figure(fig, Path('.'), 'shown')"),
                new_code_cell("print(plt.get_fignums())")]
    nbformat.write(nb, tmp_path / "in.ipynb")
    with private_channels() as channels:
        pm.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"), kernel_name="python3",
                            progress_bar=False, cwd=str(tmp_path), **channels)
    cells = json.loads((tmp_path / "out.ipynb").read_text())["cells"]
    images = [o for o in cells[0]["outputs"] if "image/png" in o.get("data", {})]
    assert len(images) == 1, "shown once: from the PNG, not drawn again at the end of the cell"
    width = Image.open(tmp_path / "shown.png").size[0]
    assert images[0]["metadata"]["image/png"]["width"] == pytest.approx(width * 100 / DPI, abs=1)
    assert "".join(cells[1]["outputs"][0]["text"]).strip() == "[]"
