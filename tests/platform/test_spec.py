"""Table 3 as a validated platform spec."""
import dataclasses

import pytest

from flexrepro import reference
from flexrepro.errors import ConfigError
from flexrepro.platform import load_platform


def test_spec_matches_the_papers_table3():
    spec, t3 = load_platform(), reference.load("table3").set_index("component")
    assert spec.cores == int(t3.loc["cores", "value"])
    assert spec.clock_ghz == float(t3.loc["clock", "value"])
    assert spec.capacity("l1d") == 32 * 1024 // 64
    assert spec.capacity("dtlb") == int(t3.loc["tlb_l1_data", "value"])
    assert spec.structures["l3"].scope == "shared"


@pytest.mark.parametrize("change,fragment", [
    (dict(cores=0), "'cores'"), (dict(clock_ghz=-1.0), "'clock_ghz'"),
    (dict(cache_line_bytes=48), "'cache_line_bytes'"),
])
def test_bad_platform_values(change, fragment):
    with pytest.raises(ConfigError, match=fragment):
        dataclasses.replace(load_platform(), **change)


def test_unknown_structure():
    spec = load_platform()
    with pytest.raises(ConfigError, match="unknown structure 'l4'"):
        spec.capacity("l4")
