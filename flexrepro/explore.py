"""The interactive explorer behind notebooks/explore.ipynb: one point, re-simulated on demand.

`simulate_point(...)` runs one measured point of memcached (memslap connections) or nginx
(ApacheBench clients) on epoll or libflexsc, with the direct cost of a mode switch raised by
`extra_trap_cycles` (as in the mode-switch ablation), and returns throughput, latency and the
CPI of each mode split into what the processor model charges: refills per structure (misses
per instruction x the refill's penalty), the mode switch's direct cycles, and the rest (base
CPI and cross-core line transfers). `explorer()` wires ipywidgets to it and redraws.
The point uses the experiments' own warm-up and measured windows (those of Figures 5 and 7).
"""
from __future__ import annotations

import time

import pandas as pd

from .harness.config import Param, ParamSet
from .experiments.ablation_mode_switch import isolated_spec
from .platform import MODELLED, load_params, penalties

SERVERS = ("memcached", "nginx")
POINT = ParamSet((
    Param("server", str, "memcached", choices=SERVERS, doc="memcached under memslap, nginx under ApacheBench"),
    Param("system", str, "flexsc", choices=("epoll", "flexsc"), doc="epoll baseline or libflexsc"),
    Param("cores", int, 1, low=1, high=8, doc="cores of the server"),
    Param("load", int, 256, low=1, high=4096, doc="memslap connections or ApacheBench clients"),
    Param("interface", str, "pages", choices=("pages", "queues"), doc="FlexSC syscall pages or queue rings"),
    Param("extra_trap_cycles", float, 0.0, low=0.0, high=100_000.0, doc="cycles added to each trap round trip"),
    Param("seed", int, 1, low=0, doc="random input of memslap (ApacheBench has none)"),
))


def simulate_point(**config) -> dict:
    """One point (keyword arguments: the names of `POINT`); returns a flat dict and its CPI
    breakdown under `cpi` (rows: domain, component, cpi)."""
    c = POINT.validate(config)
    spec = isolated_spec(c["extra_trap_cycles"])
    t = time.process_time()
    if c["server"] == "memcached":
        from .testbed.memcached import simulate
        row = simulate(c["system"], c["cores"], c["load"], c["seed"], interface=c["interface"], spec=spec)
    else:
        from .testbed.nginx import simulate
        row = simulate(c["system"], c["cores"], "apachebench", c["load"], c["seed"], interface=c["interface"],
                       spec=spec)
    cpu = time.process_time() - t
    params = load_params()
    traps = row["sync_syscalls_per_request"] + row["flexsc_waits_per_request"]
    direct = {"user": params.platform["user_direct_cycles"],
              "kernel": spec.syscall_entry_cycles + spec.syscall_exit_cycles}
    return {**c, "throughput_rps": row["throughput_rps"], "mean_latency_s": row["mean_latency_s"],
            "syscalls_per_request": row["syscalls_per_request"], "traps_per_request": traps,
            "user_cpi": row["user_cpi"], "kernel_cpi": row["kernel_cpi"], "cpu_s": cpu,
            "cpi": cpi_breakdown(row, penalties(spec, params), traps, direct,
                                 {"user": params.profile(f"{c['server']}_user").stall_scale})}


def cpi_breakdown(row: dict, penalty: dict[str, float], traps: float, direct: dict[str, float],
                  stall_scale: dict[str, float] | None = None) -> list[dict]:
    """Each mode's CPI as refills per structure, the mode switch's direct cycles and the rest
    (`stall_scale`: the domain's profile prices its refills like Xalan's, per its base IPC)."""
    out = []
    for d in ("user", "kernel"):
        instr = row[f"{d}_instructions_per_request"]
        k = (stall_scale or {}).get(d, 1.0)
        parts = {f"{s} refills": row[f"{d}_{s}_mpki"] / 1000 * penalty[s] * k for s in MODELLED}
        parts["mode switch (direct)"] = traps * direct[d] / instr if instr else 0.0
        parts["base + transfers"] = row[f"{d}_cpi"] - sum(parts.values())
        out += [{"domain": d, "component": k, "cpi": v} for k, v in parts.items()]
    return out


def draw(history: list[dict], fig=None):
    """Throughput and latency of the points explored so far (latest last) and the CPI
    breakdown of the latest; returns the figure."""
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(12, 3.6))
    fig.clf()
    a, b, c = fig.subplots(1, 3)
    labels = [f"{p['server'][:2]} {p['system']} {p['cores']}c {p['load']} +{p['extra_trap_cycles']:g}" for p in history]
    x = range(len(history))
    a.bar(x, [p["throughput_rps"] / 1e3 for p in history], color="tab:blue")
    b.bar(x, [p["mean_latency_s"] * 1e6 for p in history], color="tab:orange")
    for ax, what in ((a, "throughput (k req/s)"), (b, "mean latency (us)")):
        ax.set_xticks(list(x), labels, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(what)
    cpi = pd.DataFrame(history[-1]["cpi"]).pivot(index="domain", columns="component", values="cpi")
    cpi.loc[["user", "kernel"]].plot.bar(stacked=True, ax=c, rot=0, legend=True)
    c.set(ylabel="cycles per instruction", title="CPI of the latest point")
    c.legend(fontsize=7)
    fig.tight_layout()
    return fig


def explorer(history: list[dict] | None = None, **initial):
    """ipywidgets controls (defaults from `initial`) and a Simulate button that re-runs the
    point and redraws next to the points in `history` (e.g. one the notebook already ran);
    returns the widget box."""
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython import get_ipython

    c = POINT.validate(initial)
    controls = {
        "server": w.Dropdown(options=SERVERS, value=c["server"], description="server"),
        "system": w.ToggleButtons(options=("epoll", "flexsc"), value=c["system"], description="runtime"),
        "cores": w.IntSlider(value=c["cores"], min=1, max=4, description="cores"),
        "load": w.SelectionSlider(options=sorted({1, 4, 16, 64, 256, 512, 768, 1024, c["load"]}), value=c["load"],
                                  description="load"),
        "interface": w.ToggleButtons(options=("pages", "queues"), value=c["interface"], description="interface"),
        "extra_trap_cycles": w.FloatLogSlider(value=max(c["extra_trap_cycles"], 1.0), base=10, min=0, max=4,
                                              description="+trap cycles"),
    }
    button, status, out = w.Button(description="Simulate"), w.Label(), w.Output()
    history = [] if history is None else history

    def show():
        # the figure is put into the Output widget's state, not captured with `with out:` --
        # under nbclient (papermill, the pipeline) a capture makes the client send on the shell
        # channel while it awaits the cell's reply there, and the reply can be missed for good
        # (nbclient #312: the notebook hangs with its kernel idle)
        fig = draw(history[-8:])
        if get_ipython() is not None:          # outside IPython nothing can show the widget
            out.outputs = ()
            out.append_display_data(fig)
        plt.close(fig)

    def run(_=None):
        cfg = {k: v.value for k, v in controls.items()}
        if cfg["extra_trap_cycles"] <= 1.0:
            cfg["extra_trap_cycles"] = 0.0      # the slider's left end stands for the paper's machine
        status.value = "simulating ..."
        history.append(simulate_point(**cfg))
        p = history[-1]
        status.value = (f"{p['throughput_rps']:,.0f} req/s, {p['mean_latency_s'] * 1e6:.0f} us, "
                        f"{p['syscalls_per_request']:.2f} calls/request ({p['cpu_s']:.1f} s to simulate)")
        show()

    button.on_click(run)
    box = w.VBox([w.HBox([controls["server"], controls["cores"], controls["load"]]),
                  w.HBox([controls["system"], controls["interface"]]),
                  w.HBox([controls["extra_trap_cycles"], button, status]), out])
    box.run, box.history = run, history        # for tests and scripted use
    if history:
        show()
    return box
