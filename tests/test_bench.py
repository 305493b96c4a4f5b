"""`flexrepro bench` works and reports what it says (functional checks: no timing asserted)."""
import pandas as pd
import pytest

from flexrepro import bench
from flexrepro.cli import main
from flexrepro.errors import ConfigError

TINY = bench.Sizes(mm1_customers=200, call_requests=(("memcached", 24), ("nginx", 16)), clients=4,
                   scaling=(4, 16), scaling_requests=16, memory_clients=64)


@pytest.mark.parametrize("server", bench.SERVERS)
@pytest.mark.parametrize("system,interface", bench.RUNTIMES)
def test_a_case_counts_its_calls_and_requests(server, system, interface):
    r = bench.run_case(server, system, interface, clients=4, requests=20)
    assert r["requests"] >= 20 and r["cpu_s"] > 0
    # every request needs at least a read and a reply; the run's events outnumber its calls
    assert 2 <= r["calls"] / r["requests"] < 50
    assert r["sim_events"] > r["calls"]


def test_unknown_server_is_one_config_error():
    with pytest.raises(ConfigError, match="'server'"):
        bench.run_case("apache", "epoll", "pages", 4, 10)


def test_a_case_too_short_to_measure_is_a_config_error_not_a_nan():
    """nginx on libflexsc asked for one request: the client saw it, the server's window held
    none (was: ValueError converting NaN to an integer)."""
    with pytest.raises(ConfigError, match="parameter 'requests': got 1.*allowed: more requests"):
        bench.run_case("nginx", "flexsc", "pages", 64, 1)


def test_a_marginal_cost_is_the_difference_of_a_long_and_a_short_run(monkeypatch):
    """Set-up is paid once per run: two runs that share it give the cost of the calls alone."""
    setup, per_call, calls_per_request = 0.02, 3e-5, 2.0
    asked = []

    def fake(server, system, interface, clients, requests, seed=1):
        asked.append(requests)
        calls = round(calls_per_request * requests)
        return {"cpu_s": setup + per_call * calls, "calls": calls, "requests": requests, "sim_events": 3 * calls,
                "throughput_rps": 1.0}

    monkeypatch.setattr(bench, "run_case", fake)
    r = bench.marginal_case("memcached", "epoll", "pages", 64, 4000)
    assert asked == [4000 // bench.SHORT, 4000]
    assert r["cpu_s_marginal"] / r["calls_marginal"] == pytest.approx(per_call)
    assert r["setup_s"] == pytest.approx(setup)
    assert r["calls"] == 8000 and r["cpu_s"] == pytest.approx(setup + per_call * 8000)   # the long run's own


def test_a_marginal_cost_needs_two_different_lengths():
    with pytest.raises(ConfigError, match="parameter 'requests': got 7.*allowed: an integer >= 8"):
        bench.marginal_case("memcached", "epoll", "pages", 4, 7)
    with pytest.raises(ConfigError, match="parameter 'mm1_customers': got 4"):
        bench.mm1_cost(4)


def test_bench_rows_cover_every_case():
    df = bench.bench(TINY, progress=lambda line: None)
    per_call = df[df.case == "per_call"]
    assert len(per_call) == len(bench.SERVERS) * len(bench.RUNTIMES)
    assert set(per_call.runtime) == {"epoll", "libflexsc/pages", "libflexsc/queues"}
    assert (per_call.value > 0).all() and (per_call.mm1_us_per_customer > 0).all()
    # the ratio is what the raw columns say it is
    assert per_call.value.values == pytest.approx((per_call.us_per_call / per_call.mm1_us_per_customer).values)
    assert per_call.us_per_call.values == pytest.approx((per_call.cpu_s_marginal / per_call.calls_marginal).values * 1e6)
    # the whole run's figure stays beside it, and the set-up the marginal cost leaves out
    assert (per_call.value_whole_run > 0).all() and per_call.setup_ms.notna().all()
    # each case timed call_repeats times; the row is the median run, inside the reported spread
    assert (per_call.repeats == TINY.call_repeats).all() and TINY.call_repeats == 3
    assert ((per_call.value_min <= per_call.value) & (per_call.value <= per_call.value_max)).all()
    assert (per_call.value_min < per_call.value_max).all()     # three separate timings, not one copied
    # scaling: the median of the back-to-back pairs' ratios, each pair's runs against their own floors
    scaling = df[df.case == "scaling"].iloc[0]
    pr = df[df.case == "per_request"].pivot(index="repeat", columns="clients", values="value")
    ratios = sorted(pr[16] / pr[4])
    assert len(ratios) == scaling.repeats == TINY.scaling_repeats == 3
    assert scaling.value == pytest.approx(ratios[1])
    assert (scaling.value_min, scaling.value_max) == pytest.approx((ratios[0], ratios[-1]))
    assert scaling.events_ratio > 0 and scaling.raw_ratio > 0
    mem = df[df.case == "peak_memory"].iloc[0]
    assert mem.value >= mem.baseline_rss_mib > 0 and mem.requests >= 64 // 8


def test_cli_writes_the_csv(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "QUICK", TINY)
    out = tmp_path / "b" / "bench.csv"
    assert main(["bench", "--quick", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert {"case", "server", "runtime", "clients", "value", "unit", "target"} <= set(df.columns)
    assert "per_call" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["dir", "under_file"])
def test_cli_rejects_an_unusable_out_before_running(tmp_path, capsys, bad):
    (tmp_path / "f").write_text("x")
    out = tmp_path if bad == "dir" else tmp_path / "f" / "bench.csv"
    assert main(["bench", "--quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--out" in err[0]
