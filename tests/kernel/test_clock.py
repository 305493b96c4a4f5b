"""kernel.clock's light timeouts are SimPy's timeouts: same times, same order, same event serials."""
import pytest
import simpy

from flexrepro.kernel.clock import call_at, sleep
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
