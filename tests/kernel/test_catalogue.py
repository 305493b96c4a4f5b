"""The syscall catalogue and the mechanism costs are data with provenance."""
import pytest

from flexrepro.errors import ConfigError
from flexrepro.kernel import load_catalogue, load_costs

NEEDED = ("accept", "read", "recv", "write", "sendmsg", "writev", "open", "fstat", "sendfile", "close",
          "setsockopt", "epoll_wait", "epoll_ctl", "getppid", "null", "pwrite", "flexsc_wait")


def test_catalogue_has_the_calls_and_provenance():
    cat = load_catalogue()
    for name in NEEDED:
        call = cat[name]
        # the null call's body is inside the measured 79 + 71-cycle round trip
        assert call.provenance and (call.instructions > 0 or name in ("null", "getppid"))
    assert cat["read"].blocks == "readable" and cat["accept"].blocks == "readable"
    assert cat["write"].blocks == "none"


def test_profiles_are_calibrated_kernel_profiles():
    from flexrepro.platform import load_params
    params = load_params()
    for row in load_catalogue().rows():
        assert params.profile(row["profile"]).domain == "kernel"


def test_server_overrides():
    cat = load_catalogue().with_overrides({"read": {"instructions": 4000, "profile": "pread"}})
    assert cat["read"].instructions == 4000.0 and load_catalogue()["read"].instructions != 4000.0
    assert cat["read"].kernel_instructions(items=2) == 4000 + 2 * cat["read"].per_item_instructions
    with pytest.raises(ConfigError, match="allowed fields"):
        load_catalogue().with_overrides({"read": {"blocks": "none"}})
    with pytest.raises(ConfigError, match=">= 0"):
        load_catalogue().with_overrides({"read": {"instructions": -1}})
    with pytest.raises(ConfigError, match="'vfork' is not in the catalogue"):
        load_catalogue().with_overrides({"vfork": {"instructions": 1}})


def test_costs_are_non_negative_and_overridable():
    c = load_costs()
    assert c.thread_memory_kib == 10 and c.pid_max == 2 ** 22
    assert c.with_overrides(ipi_latency_cycles=0.0).ipi_latency_cycles == 0.0
    with pytest.raises(ConfigError, match="unknown kernel cost"):
        c.with_overrides(ipi=1.0)
    with pytest.raises(ConfigError, match="must be >= 0"):
        c.with_overrides(spin_cycles=-1.0)
