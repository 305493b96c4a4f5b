"""TOML data files parsed once while unchanged (flexrepro.datafiles)."""
import os
import tomllib

import pytest

from flexrepro import datafiles


def test_a_file_is_parsed_once_and_every_caller_gets_its_own_copy(tmp_path, monkeypatch):
    f = tmp_path / "a.toml"
    f.write_text("[link]\nrate = 1\nsizes = [1, 2]\n")
    parses = []
    real_load = tomllib.load
    monkeypatch.setattr(tomllib, "load", lambda fh: parses.append(1) or real_load(fh))
    a = datafiles.read_toml(f)
    a["link"]["sizes"].append(3)                       # a caller changes what it read
    b = datafiles.read_toml(str(f))
    assert b == {"link": {"rate": 1, "sizes": [1, 2]}} and len(parses) == 1


def test_an_edited_file_is_read_again(tmp_path):
    f = tmp_path / "a.toml"
    f.write_text("x = 1\n")
    assert datafiles.read_toml(f) == {"x": 1}
    f.write_text("x = 22\n")
    st = os.stat(f)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))   # a later modification time
    assert datafiles.read_toml(f) == {"x": 22}


def test_errors_are_tomllibs(tmp_path):
    with pytest.raises(FileNotFoundError):
        datafiles.read_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("x = = 1\n")
    with pytest.raises(tomllib.TOMLDecodeError):
        datafiles.read_toml(bad)
