"""Figures 2-4 experiments: layout, timelines and the example server, from real simulations."""
import flexrepro
from flexrepro.servers.example import STAGES


def run(exp, **kw):
    return flexrepro.run(exp, quick=True, executor="serial", progress=False, **kw)


def test_fig02_layout_and_every_transition_observed():
    df = run("fig02")
    layout = df[df.kind == "layout"]
    assert layout.bytes.sum() == 64 and (layout.offset + layout.bytes).max() == 64
    assert list(layout.field[:7]) == [f"arg {i}" for i in range(6)] + ["return value"]
    trans = df[df.kind == "transition"]
    assert (trans["count"] > 0).all(), trans


def test_fig03_timelines():
    df = run("fig03")
    for mode, t in df.groupby("mode"):
        for core, c in t.groupby("core"):
            c = c.sort_values("start")
            assert (c.start.values[1:] >= c.end.values[:-1] - 1e-9).all()    # one thing at a time per core
    sync, batch, spec = (df[df["mode"] == m] for m in ("sync", "batching", "specialization"))
    assert (sync.label == "pwrite").sum() == 4 and set(sync.core) == {0}
    assert set(batch.core) == {0} and (batch.label == "flexsc_wait").sum() >= 1
    # dynamic specialization: calls run on the other core, and on the user's own core only
    # while the user thread sleeps in flexsc_wait
    remote = spec[spec.label == "pwrite"].core == 1
    assert remote.any()
    waits = spec[(spec.core == 0) & (spec.label == "flexsc_wait")]
    for call in spec[(spec.label == "pwrite") & (spec.core == 0)].itertuples():
        assert (waits.start <= call.start).any()
    assert set(spec[spec.domain == "user"].core) == {0}


def test_fig04_server_serves_and_follows_the_stage_order():
    df = run("fig04")
    summary = df[df.kind == "summary"]
    assert set(summary.server) == {"flexsc_pages", "flexsc_queues", "epoll"}
    assert (summary.measured_requests == 300).all() and (summary.throughput_rps > 0).all()
    assert (summary.served_in_window >= 295).all()
    stages = df[(df.kind == "stage") & (df.server == "flexsc_pages")].sort_values("order").stage.tolist()
    assert stages[0] == "main" and stages[1] == "conn_accepted" and set(stages) <= set(STAGES)
    # an interleaving of per-connection sequences: no stage runs more often than the one before it
    seen = dict.fromkeys(STAGES, 0)
    for s in stages:
        seen[s] += 1
        counts = [seen[x] for x in STAGES[1:]]
        assert counts == sorted(counts, reverse=True), stages
