"""environment.yml (conda users) and pyproject.toml pin the same packages at the same versions."""
import re
import tomllib

from flexrepro import paths


def _pyproject_pins():
    meta = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"]) + [r for extra in meta["optional-dependencies"].values() for r in extra]
    return reqs


def _conda_pins():
    text = (paths.ROOT / "environment.yml").read_text()
    block = text.split("- pip:", 1)[1]
    return re.findall(r"^\s+-\s+(\S+==\S+)\s*$", block, flags=re.M)


def test_every_pin_is_exact():
    for req in _pyproject_pins():
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][0-9A-Za-z.]*", req), req


def test_pins_agree():
    norm = lambda reqs: sorted(r.lower().replace("_", "-") for r in reqs)
    assert norm(_pyproject_pins()) == norm(_conda_pins())


def test_python_version_agrees():
    meta = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]
    assert meta["requires-python"] == ">=3.11"
    assert re.search(r"^\s+-\s+python=3\.11", (paths.ROOT / "environment.yml").read_text(), flags=re.M)
