"""Typed parameters: coercion, ranges, choices, unknown names — each error names the parameter."""
import pytest
from hypothesis import given, strategies as st

from flexrepro.harness.config import Param, ParamSet
from flexrepro.errors import ConfigError

CORES = Param("cores", int, 1, low=1, high=64)
RATE = Param("rate", float, 1.0, low=0.0)
MODE = Param("mode", str, "epoll", choices=("epoll", "flexsc"))
FLAG = Param("flag", bool, False)


@pytest.mark.parametrize("param,value,expected", [
    (CORES, "4", 4), (CORES, 4.0, 4), (RATE, "2.5", 2.5), (RATE, 3, 3.0),
    (MODE, "flexsc", "flexsc"), (FLAG, "true", True), (FLAG, "0", False),
])
def test_coerces_cli_strings_and_numbers(param, value, expected):
    assert param.validate(value) == expected
    assert type(param.validate(value)) is type(expected)


@pytest.mark.parametrize("param,value,fragment", [
    (CORES, 0, "an integer in [1, 64]"), (CORES, "two", "an integer"), (CORES, 2.5, "an integer"),
    (CORES, True, "an integer"), (RATE, -1, "a number >= 0.0"), (RATE, float("nan"), "a number"),
    (MODE, "io_uring", "one of epoll, flexsc"), (FLAG, "maybe", "a boolean"),
])
def test_bad_values_name_parameter_and_allowed(param, value, fragment):
    with pytest.raises(ConfigError) as e:
        param.validate(value)
    msg = str(e.value)
    assert msg.startswith(f"parameter '{param.name}'") and fragment in msg and "\n" not in msg


def test_paramset_fills_defaults_and_rejects_unknown():
    ps = ParamSet((CORES, MODE))
    assert ps.validate({"cores": "2"}) == {"cores": 2, "mode": "epoll"}
    with pytest.raises(ConfigError, match="unknown parameter 'core'; allowed: cores, mode"):
        ps.validate({"core": 2})


def test_duplicate_names_rejected():
    with pytest.raises(ValueError):
        ParamSet((CORES, CORES))


@given(st.integers(min_value=-1000, max_value=1000))
def test_int_range_is_exactly_the_declared_one(v):
    if 1 <= v <= 64:
        assert CORES.validate(v) == v
    else:
        with pytest.raises(ConfigError):
            CORES.validate(v)
