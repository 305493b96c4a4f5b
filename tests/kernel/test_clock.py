"""kernel.clock's light timeouts are SimPy's timeouts: same times, same order, same event serials."""
import pytest
import simpy
from hypothesis import given, settings, strategies as st

from flexrepro.kernel.clock import TimerList, call_at, sleep
from flexrepro.testbed.common import sim_events


def _run(light: bool):
    """Two processes and timed callbacks interleaved at equal and different times (ties
    broken by the event serial); returns what ran when, and the events scheduled."""
    env = simpy.Environment()
    log = []

    def wait(d):
        return sleep(env, d) if light else env.timeout(d)

    def later(d, *what):
        if light:
            call_at(env, d, log.append, what)
        else:
            env.timeout(d).callbacks.append(lambda _ev: log.append(what))

    def proc(name, delays):
        for d in delays:
            later(d, name, "timer", d)
            got = yield wait(d)
            log.append((name, env.now, got))
        ev = env.event()                      # a real event still works beside them
        later(0.5, "succeed", name)
        env.timeout(0.5).callbacks.append(lambda _ev: ev.succeed(name))
        log.append((name, "woken by", (yield ev)))

    env.process(proc("a", [1.0, 0.0, 2.5, 0.1 + 0.2]))
    env.process(proc("b", [0.0, 1.0, 2.5, 0.3]))
    env.run()
    return log, sim_events(env), env.now


def test_light_timeouts_run_in_simpys_order_with_the_same_serials():
    light, simpys = _run(True), _run(False)
    assert light == simpys
    assert light[1] > 20                      # the comparison covered every kind of event


@pytest.mark.parametrize("fn", [lambda env: sleep(env, -1.0), lambda env: call_at(env, -1e-9, print)])
def test_a_negative_delay_is_refused_like_simpys(fn):
    with pytest.raises(ValueError, match="Negative delay"):
        fn(simpy.Environment())


def _timers(plan, listed: bool):
    """A driver sets timers at the planned times (delays drawn so that most expire in the
    order they are set, some not, some at the same instant), beside an unrelated ticking
    process; each timer that fires may set another. Returns what ran when, and the serials."""
    env = simpy.Environment()
    log, lists = [], [TimerList(env), TimerList(env)]

    def set_timer(which, delay, tag):
        if listed:
            lists[which].call_at(delay, fired, which, tag)
        else:
            call_at(env, delay, fired, which, tag)

    def fired(which, tag):
        log.append((env.now, which, tag))
        if tag % 3 == 0:                       # a timer that sets the next one (a retransmission)
            set_timer(which, 2.0, tag + 1000)

    def driver():
        for i, (gap, which, delay) in enumerate(plan):
            yield sleep(env, gap)
            set_timer(which, delay, i)

    def ticker():
        for _ in range(40):
            yield sleep(env, 0.25)
            log.append((env.now, "tick"))

    env.process(driver())
    env.process(ticker())
    env.run()
    return log, sim_events(env)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 0.1, 0.25, 0.5]), st.integers(0, 1),
                          st.sampled_from([0.0, 0.25, 1.0, 2.0, 2.0, 2.0, 0.5])), max_size=40))
def test_a_timer_list_fires_as_the_heap_would(plan):
    assert _timers(plan, True) == _timers(plan, False)


def test_a_timer_list_keeps_one_heap_entry_for_timers_in_order():
    env = simpy.Environment()
    timers, fired = TimerList(env), []
    for i in range(1000):
        timers.call_at(3.0 + i * 1e-3, fired.append, i)
    assert len(env._queue) == 1 and len(timers) == 1000
    env.run()
    assert fired == list(range(1000)) and env.now == pytest.approx(3.999)
    with pytest.raises(ValueError, match="Negative delay"):
        timers.call_at(-1.0, print)
