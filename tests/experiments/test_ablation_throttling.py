"""Section 7 throttling: a fixed number of syscall entries, and the standstill detector.

One configuration must stand still (every entry holds a read whose command only comes after a
greeting that cannot be posted) and is reported as such within its configured time; one with
more entries than connections must not."""
import math

import pytest
import simpy

import flexrepro
from flexrepro.errors import ConfigError
from flexrepro.kernel import Kernel, Socket
from flexrepro.platform import Machine, load_params, load_platform
from flexrepro.runtime.libflexsc import LibFlexSC
from flexrepro.runtime.standstill import Standstill, watch
from flexrepro.servers.greeting import run

TIMEOUT = 2_300_000.0            # 1 ms at 2.3 GHz


def test_reads_armed_before_greetings_stand_still_and_are_reported_within_the_configured_time():
    r = run(128, 2, standstill_cycles=TIMEOUT)             # 128 entries for 128 connections
    assert r["standstill"] is True and r["replies_served"] == 0 and r["throughput_rps"] == 0
    # nothing ever completed, so the detector must fire after TIMEOUT and before its next check
    assert 1e-3 <= r["standstill_at_s"] <= 1.25e-3 + 1e-12
    assert r["standstill_idle_s"] >= 1e-3
    assert r["standstill_entries_busy"] == 128 and r["standstill_waiting_calls"] == 128
    assert "read x128" in r["standstill_diagnostic"] and "standstill" in r["standstill_diagnostic"]


def test_more_entries_than_connections_never_stand_still():
    r = run(128, 3, replies=500, standstill_cycles=TIMEOUT)   # 192 entries
    assert r["standstill"] is False and r["replies_served"] >= 500 and r["throughput_rps"] > 0
    assert math.isnan(r["standstill_at_s"]) and r["standstill_diagnostic"] == ""


def test_no_standstill_is_reported_while_nothing_waits_for_an_entry():
    """A server idle for longer than the limit, with free entries, is not stalled."""
    p = load_params()
    env = simpy.Environment()
    k = Kernel(env, Machine(load_platform(), p, cores=1), p)
    rt = LibFlexSC(k, 0, "xalan", pages_per_core=1)
    sock = Socket(env)
    rt.read(None, sock, lambda c, ev: None)        # parks: no data for 10 limits
    rt.start()
    watch(rt, TIMEOUT)
    env.run(until=10 * TIMEOUT)                    # no Standstill raised
    assert rt.stats["completions"] == 0 and not rt.throttled


def test_detector_rejects_a_bad_limit_and_the_exception_carries_its_row():
    p = load_params()
    env = simpy.Environment()
    k = Kernel(env, Machine(load_platform(), p, cores=1), p)
    rt = LibFlexSC(k, 0, "xalan", pages_per_core=1)
    with pytest.raises(ConfigError, match="standstill_cycles"):
        watch(rt, 0)
    e = Standstill({"standstill": True, "standstill_diagnostic": "standstill: x"})
    assert str(e) == "standstill: x" and e.diagnostic["standstill"] is True


def test_experiments_rows_and_bad_input():
    df = flexrepro.run("ablation_throttling_standstill", quick=True, executor="serial", progress=False, cache=False)
    stalled = dict(zip(df.entries_per_core, df.standstill))
    assert stalled == {64: True, 128: True, 192: False, 256: False}
    with pytest.raises(ConfigError, match="entries_per_core"):
        flexrepro.run("ablation_throttling_standstill", executor="serial", progress=False, cache=False,
                      entries_per_core=100)
    with pytest.raises(ConfigError, match="connections"):
        run(0, 1)


def test_memcached_throttled_by_its_entries_delays_calls_but_keeps_running():
    df = flexrepro.run("ablation_throttling", executor="serial", progress=False, cache=False, seeds=1,
                       entries_per_core=[64, 512], connections=256)
    few, many = df.sort_values("entries_per_core").itertuples()
    assert not few.standstill and not many.standstill
    assert few.throttled_per_request > 0 == many.throttled_per_request
    assert few.mean_batch == 64 and many.mean_batch > 64 and few.throughput_rps > 0
