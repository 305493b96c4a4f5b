"""The calibration is deterministic and reproduces the committed parameter file."""
import json
import math

import pytest

from flexrepro import paths
from flexrepro.calibration import fit_all, to_json
from flexrepro.platform import load_params


@pytest.fixture(scope="module")
def refit():
    """Every fit (platform, memcached, nginx), as reproduce.sh's calibration runs it."""
    return fit_all()


def _close(a, b, path=""):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9), (path, a, b)
    else:
        assert a == b, (path, a, b)


def test_refit_reproduces_committed_file(refit):
    params, reports = refit
    committed = json.loads((paths.CALIBRATION / "params.json").read_text())
    text = to_json(params, reports)
    fresh = json.loads(text)
    _close(fresh, committed)
    # byte for byte too: the file is stable across runs and hash seeds
    assert text == (paths.CALIBRATION / "params.json").read_text()


def test_committed_file_loads_with_provenance():
    params = load_params()
    assert "least squares" in params.provenance["platform"]
    assert all(p.provenance for p in params.profiles.values())


def test_fit_quality_is_reported(refit):
    _, reports = refit
    rows = reports["platform"]["residuals"]
    fig1 = [r for r in rows if r["target"].startswith("fig1")]
    assert len(fig1) == 14 and all(abs(r["model"] - r["paper"]) <= 5 for r in fig1)
    assert len([r for r in rows if r["target"] == "recovery_ipc"]) == 15
