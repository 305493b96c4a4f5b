"""The parameter file's nginx profiles reproduce the nginx row of Table 1 at its condition."""
from __future__ import annotations

import json

import pytest

from flexrepro.calibration import nginx_fit
from flexrepro.calibration.server_fit import TARGETS
from flexrepro.platform import load_params
from flexrepro.platform.params import PARAMS_FILE
from flexrepro.testbed.nginx import simulate


def test_fitted_profiles_in_parameter_file():
    p = load_params()
    user, kernel = p.profile("nginx_user"), p.profile("nginx_kernel")
    assert user.domain == "user" and kernel.domain == "kernel"
    assert "Table 1" in user.provenance and user.instructions > 0 and kernel.instructions > 0


def test_table1_condition_is_met():
    """Fails when the platform fit changed and nginx_fit was not re-run (stale calibration).

    nginx's user code, priced like Xalan's per its base IPC, needs a base IPC above the 4-wide
    core's peak to reach Table 1's 0.46: the fit holds the base at the peak and reports it
    (`at_issue_width`); that target then only has to be within 2% (it misses by ~1.1%)."""
    row = simulate(**nginx_fit.CONDITION, seed=0)
    t = nginx_fit.targets()
    bounded = json.loads(PARAMS_FILE.read_text())["fit"]["nginx"]["at_issue_width"]
    for k in TARGETS:
        rel = 0.02 if k.endswith("_ipc") and f"{k.split('_')[0]}_base_cpi" in bounded else 0.01
        assert row[k] == pytest.approx(t[k], rel=rel), k
    assert row["syscalls_per_request"] == pytest.approx(t["syscalls_per_request"], rel=0.1)   # an output
