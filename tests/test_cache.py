"""The result cache: keys, model version, corruption recovery, exact round trip, CLI."""
import shutil
import warnings

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import flexrepro
from flexrepro import cli, paths, reference
from flexrepro.harness import cache, registry
from flexrepro.harness.cache import CacheCorruption, ResultCache, source_hash, task_key
from flexrepro.harness.sweep import plan
from flexrepro.scorecard import evaluate

SMALL = {"customers": 300}  # engine_mm1 points of a few milliseconds


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("FLEXREPRO_CACHE", str(d))
    return d


def parquet_files(d):
    return sorted(d.rglob("*.parquet"))


def test_key_changes_with_every_config_value():
    exp = registry.get("engine_mm1")
    base = exp.params.validate({})
    k0 = task_key("engine_mm1", base, 0, 1)
    for p in exp.params:
        changed = dict(base, **{p.name: p.default * 2 if p.type is not bool else not p.default})
        assert task_key("engine_mm1", changed, 0, 1) != k0, p.name
    assert task_key("engine_mm1", base, 0, 2) != k0           # seed
    assert task_key("engine_mm1", base, 1, 1) != k0           # replicate
    assert task_key("table3", base, 0, 1) != k0               # experiment
    assert task_key("engine_mm1", base, 0, 1, version="other") != k0  # model version
    assert task_key("engine_mm1", dict(base), 0, 1) == k0     # and it is deterministic


@settings(max_examples=50, deadline=None, derandomize=True)
@given(a=st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.text(max_size=8)),
       b=st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.text(max_size=8)))
def test_key_distinguishes_values_and_types(a, b):
    same = type(a) is type(b) and a == b
    assert (task_key("x", {"v": a}, 0, 0, "m") == task_key("x", {"v": b}, 0, 0, "m")) == same


def _model_copy(tmp_path):
    pkg, data = tmp_path / "pkg", tmp_path / "data"
    shutil.copytree(paths.ROOT / "flexrepro", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(paths.DATA, data)
    return pkg, data


def test_model_version_follows_source_and_model_data_only(tmp_path):
    pkg, data = _model_copy(tmp_path)
    v0 = source_hash(pkg, data)
    assert source_hash(pkg, data) == v0
    src = pkg / "harness" / "sweep.py"
    src.write_text(src.read_text() + "\n# a change\n")
    v1 = source_hash(pkg, data)
    assert v1 != v0
    (data / "platform" / "extra.toml").write_text("x = 1\n")       # a model input
    v2 = source_hash(pkg, data)
    assert v2 != v1
    (data / "paper" / "new.csv").write_text("a\n1\n")              # only compared against
    assert source_hash(pkg, data) == v2
    for tool in ("cli.py", "pipeline/__init__.py", "pipeline/report.py",  # never inside a point
                 "scorecard.py", "reference.py", "claims/fig05.py", "claims/base.py"):
        (pkg / tool).write_text((pkg / tool).read_text() + "\n# a change\n")
    assert source_hash(pkg, data) == v2
    (pkg / "experiments" / "report.py").write_text("x = 1\n")        # same name, model layer
    assert source_hash(pkg, data) != v2
    (pkg / "experiments" / "claims").mkdir()
    (pkg / "experiments" / "claims" / "x.py").write_text("x = 1\n")  # a package of that name below
    v3 = source_hash(pkg, data)
    assert v3 != v2
    (pkg / "__pycache__").mkdir(exist_ok=True)
    (pkg / "__pycache__" / "junk.py").write_text("x = 2\n")
    assert source_hash(pkg, data) == v3


def test_a_changed_tolerance_rescores_without_recomputing_a_point(cache_dir, tmp_path, monkeypatch):
    """The claims are not part of the model version: tightening F1-xalan-curve's tolerance in
    (a copy of) data/paper/atc11_claims.csv flips its verdict on the cached points, and not
    one point of fig01 is recomputed."""
    data = tmp_path / "data"
    shutil.copytree(paths.DATA, data)
    monkeypatch.setattr(paths, "DATA", data)
    monkeypatch.setattr(paths, "PAPER", data / "paper")
    cache.model_version.cache_clear()
    reference.reload()
    version = cache.model_version()
    first = flexrepro.run("fig01", quick=True, executor="serial", progress=False)
    assert first.attrs["computed"] == len(plan("fig01", quick=True)) > 0 and first.attrs["cached"] == 0
    before = evaluate("F1-xalan-curve", {"fig01": first})
    assert before["verdict"] == "reproduced" and before["measured_value"] > 1.0

    claims = data / "paper" / "atc11_claims.csv"
    text = claims.read_text()
    assert text.count(",abs 5 points each,") == 1
    claims.write_text(text.replace(",abs 5 points each,", ",abs 1 points each,"))
    cache.model_version.cache_clear()
    reference.reload()
    try:
        again = flexrepro.run("fig01", quick=True, executor="serial", progress=False)
        after = evaluate("F1-xalan-curve", {"fig01": again})
        assert cache.model_version() == version
    finally:
        monkeypatch.undo()
        cache.model_version.cache_clear()
        reference.reload()
    assert again.attrs["computed"] == 0 and again.attrs["cached"] == first.attrs["computed"]
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    assert after["tolerance"] == "abs 1 points each" and after["measured_value"] == before["measured_value"]
    assert after["verdict"] == "not reproduced"


def test_cached_rows_identical_to_computed(cache_dir):
    fresh = flexrepro.run("engine_mm1", quick=True, executor="serial", progress=False, cache=False, **SMALL)
    assert not cache_dir.exists()                                  # cache=False writes nothing
    first = flexrepro.run("engine_mm1", quick=True, executor="serial", progress=False, **SMALL)
    again = flexrepro.run("engine_mm1", quick=True, executor="serial", progress=False, **SMALL)
    assert first.attrs["computed"] == len(plan("engine_mm1", quick=True)) and first.attrs["cached"] == 0
    assert again.attrs["computed"] == 0 and again.attrs["cached"] == first.attrs["computed"]
    pd.testing.assert_frame_equal(fresh, first, check_exact=True)
    pd.testing.assert_frame_equal(fresh, again, check_exact=True)
    assert (fresh.dtypes == again.dtypes).all()
    # string columns too (table3 mixes str, int and float with NaN)
    t_fresh = flexrepro.run("table3", progress=False, cache=False)
    flexrepro.run("table3", progress=False)
    t_cached = flexrepro.run("table3", progress=False)
    assert t_cached.attrs["cached"] == 1
    pd.testing.assert_frame_equal(t_fresh, t_cached, check_exact=True)


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "swap"])
def test_corrupted_file_is_reported_once_and_recomputed(cache_dir, damage):
    ref = flexrepro.run("engine_mm1", quick=True, executor="serial", progress=False, **SMALL)
    files = parquet_files(cache_dir)
    victim = files[0]
    data = victim.read_bytes()
    if damage == "truncate":
        victim.write_bytes(data[: len(data) // 2])
    elif damage == "flip":  # flipped bits in the first column chunk: caught by checksum/digest
        i = 20
        victim.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])
    elif damage == "empty":
        victim.write_bytes(b"")
    else:  # a valid parquet file under the wrong name
        victim.write_bytes(files[1].read_bytes())
    with pytest.warns(CacheCorruption, match="corrupted cache file") as rec:
        df = flexrepro.run("engine_mm1", quick=True, executor="serial", progress=False, **SMALL)
    assert len([w for w in rec if issubclass(w.category, CacheCorruption)]) == 1
    assert df.attrs["computed"] == 1
    pd.testing.assert_frame_equal(df, ref, check_exact=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheCorruption)            # repaired: no second report
        again = flexrepro.run("engine_mm1", quick=True, executor="serial", progress=False, **SMALL)
    assert again.attrs["computed"] == 0


def test_rows_that_do_not_round_trip_are_not_cached(tmp_path):
    store = ResultCache(tmp_path)
    with pytest.warns(RuntimeWarning, match="round-trip"):
        assert not store.put("x", "k" * 64, pd.DataFrame([{"trace": [1, 2, 3]}]))
    assert store.get("x", "k" * 64) is None
    assert store.put("x", "j" * 64, pd.DataFrame([{"a": 1, "b": "s", "c": None}]))
    assert store.get("x", "j" * 64) is not None


def test_cli_cache_info_and_clear(cache_dir, capsys, monkeypatch):
    flexrepro.run("engine_mm1", quick=True, executor="serial", progress=False, **SMALL)
    stale = cache_dir / "0123456789abcdef" / "engine_mm1"
    stale.mkdir(parents=True)
    shutil.copy(parquet_files(cache_dir / cache.model_version()[:16])[0], stale / "old.parquet")
    n = len(plan("engine_mm1", quick=True))
    assert cli.main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert f"current model: {n} points; stale: 1" in out
    assert cli.main(["cache", "clear", "--stale"]) == 0
    assert "removed 1 " in capsys.readouterr().out
    assert len(parquet_files(cache_dir)) == n
    assert cli.main(["cache", "clear"]) == 0
    assert parquet_files(cache_dir) == []
    assert cli.main(["cache", "info"]) == 0 and "(empty)" in capsys.readouterr().out


def test_digest_tells_apart_what_assert_frame_equal_would_not():
    from flexrepro.harness.cache import _digest

    base = pd.DataFrame([{"x": 0.0, "n": 1, "s": "a"}])
    assert _digest(base) == _digest(base.copy())
    assert _digest(base) != _digest(base.assign(x=-0.0))                  # the sign of zero
    assert _digest(base) != _digest(base.assign(x=1e-300))
    assert _digest(base) != _digest(base.assign(n=1.0))                   # int vs float (dtype)
    assert _digest(base) != _digest(base.assign(s="b"))
    assert _digest(base) != _digest(base.rename(columns={"s": "t"}))


def test_a_frame_with_its_own_index_is_not_cached(tmp_path):
    store = ResultCache(tmp_path)
    with pytest.warns(RuntimeWarning, match="round-trip"):
        assert not store.put("x", "k" * 64, pd.DataFrame([{"a": 1.0}], index=[7]))
    assert store.get("x", "k" * 64) is None
