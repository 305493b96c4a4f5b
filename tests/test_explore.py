"""The explorer's library function runs a point; the widgets re-run it."""
import matplotlib
import pytest

from flexrepro import explore
from flexrepro.errors import ConfigError

matplotlib.use("Agg")


@pytest.mark.parametrize("server", explore.SERVERS)
def test_a_point_runs_and_its_cpi_adds_up(server):
    p = explore.simulate_point(server=server, system="epoll", load=4)
    assert p["throughput_rps"] > 0 and p["mean_latency_s"] > 0 and p["traps_per_request"] >= 1
    for d in ("user", "kernel"):
        parts = [r["cpi"] for r in p["cpi"] if r["domain"] == d]
        assert sum(parts) == pytest.approx(p[f"{d}_cpi"])
        assert all(v >= 0 for v in parts)                 # the rest (base CPI) is not negative


def test_dearer_traps_cost_epoll_and_show_in_its_breakdown():
    cheap, dear = (explore.simulate_point(server="memcached", system="epoll", load=4, extra_trap_cycles=x)
                   for x in (0.0, 5000.0))
    assert dear["throughput_rps"] < cheap["throughput_rps"]
    switch = {p["extra_trap_cycles"]: sum(r["cpi"] for r in p["cpi"] if r["component"] == "mode switch (direct)")
              for p in (cheap, dear)}
    assert switch[5000.0] > switch[0.0]


def test_bad_input_names_the_parameter():
    with pytest.raises(ConfigError, match="'server'"):
        explore.simulate_point(server="apache")
    with pytest.raises(ConfigError, match="'extra_trap_cycles'"):
        explore.simulate_point(extra_trap_cycles=-1)


def test_the_widgets_simulate_and_keep_a_history():
    ui = explore.explorer(server="nginx", system="flexsc", load=4)
    ui.run()
    assert len(ui.history) == 1 and ui.history[0]["server"] == "nginx" and ui.history[0]["system"] == "flexsc"


def test_under_papermill_the_figure_is_in_the_output_widgets_state(tmp_path):
    """The executed notebook keeps the explorer's first figure in the Output widget's state
    (put there directly: a `with out:` capture under nbclient can hang the run, nbclient #312)."""
    import json

    import nbformat
    import papermill as pm
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [new_code_cell("from flexrepro import explore\n"
                              "point = explore.simulate_point(server='memcached', system='epoll', load=4)\n"
                              "explore.explorer(history=[point], server='memcached', system='epoll', load=4)")]
    nbformat.write(nb, tmp_path / "in.ipynb")
    from flexrepro.pipeline.kernels import private_channels

    with private_channels() as channels:
        pm.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"), kernel_name="python3",
                            progress_bar=False, cwd=str(tmp_path), execution_timeout=120, **channels)
    done = json.loads((tmp_path / "out.ipynb").read_text())
    state = done["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    outputs = [m["state"]["outputs"] for m in state.values() if m["model_name"] == "OutputModel"]
    assert len(outputs) == 1 and len(outputs[0]) == 1 and "image/png" in outputs[0][0]["data"]
