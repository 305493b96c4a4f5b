"""Content-addressed result cache: one parquet file per (experiment, config, seed, model).

The key hashes the experiment id, the full validated config, the replicate and seed, and
the *model version*: the package source and every `data/` file the model reads, plus the
versions of the numerical libraries. Changing any of them makes every old entry
unreachable, never wrong. Left out, because they never run inside a point: the command
line, the notebook pipeline and report (pipeline/), and the claims — their checks
(claims/), the scorecard, the paper's tables (reference.py, `data/paper/`). Changing a
claim's tolerance therefore re-scores the cached points; it does not re-simulate them.

Files are written atomically (temp file + rename) with parquet page checksums and a
digest of the frame's values; a file that fails to parse, fails a checksum or the digest,
or carries another key is reported once and recomputed. A frame that does not survive the parquet round trip exactly is not cached,
so a cached point is always identical (dtypes included) to a computed one.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import warnings
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import paths
from ..atomic import atomic_path

# Libraries whose version can change a row (random streams, solvers, the event engine, the
# compiler of the occupancy model).
_LIBRARIES = ("numpy", "scipy", "simpy", "pycachesim", "numba", "llvmlite")
# Package modules and subpackages that never run inside run_point (command line, input
# checks, notebook pipeline and report, claims and the paper's numbers they compare with):
# editing them must not throw the finished points away.
_NOT_MODEL = frozenset({"__main__.py", "cli.py", "inputs.py", "scorecard.py", "reference.py"})
_NOT_MODEL_PACKAGES = frozenset({"pipeline", "claims"})
SIMULATIONS = "_simulations"     # a model version's shared testbed runs (testbed.memo), beside its experiments
_KEY_META = b"flexrepro.cache_key"
_DIGEST_META = b"flexrepro.frame_digest"


class CacheCorruption(UserWarning):
    """A cache file could not be trusted; it is recomputed."""


def default_root() -> Path:
    """`$FLEXREPRO_CACHE`, else `.cache/flexrepro/` in the checkout (ConfigError if unusable)."""
    from ..inputs import writable_dir

    env = os.environ.get("FLEXREPRO_CACHE")
    return writable_dir(env, "FLEXREPRO_CACHE") if env else paths.ROOT / ".cache" / "flexrepro"


def _model_files(package_dir: Path, data_dir: Path, everything: bool) -> list[tuple[str, Path]]:
    def model(p: Path) -> bool:
        rel = p.relative_to(package_dir).parts
        return not (rel[0] in _NOT_MODEL_PACKAGES or (len(rel) == 1 and rel[0] in _NOT_MODEL))

    files = [(f"pkg/{p.relative_to(package_dir)}", p) for p in package_dir.rglob("*.py")
             if everything or model(p)]
    if data_dir.is_dir():
        paper = data_dir / "paper"
        files += [(f"data/{p.relative_to(data_dir)}", p) for p in data_dir.rglob("*")
                  if p.is_file() and (everything or paper not in p.parents)]
    return sorted((name, p) for name, p in files if "__pycache__" not in p.parts)


def source_hash(package_dir: Path, data_dir: Path, everything: bool = False) -> str:
    """Hash of the model: package source, model-input data files, library versions.

    `everything=True` hashes all package modules and all of data/ (the paper's numbers
    too): what an executed notebook depends on.
    """
    h = hashlib.sha256()
    for name, p in _model_files(package_dir, data_dir, everything):
        h.update(name.encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    for lib in _LIBRARIES:
        try:
            h.update(f"{lib}=={metadata.version(lib)}\0".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib}: absent\0".encode())
    return h.hexdigest()


@lru_cache(maxsize=None)
def model_version() -> str:
    """The running model's version (computed once per process: the code loaded is fixed)."""
    return source_hash(Path(__file__).resolve().parent.parent, paths.DATA)


def task_key(experiment_id: str, config: dict[str, Any], replicate: int, seed: int,
             version: str | None = None) -> str:
    """The content address of one point."""
    ident = {"experiment": experiment_id, "config": {k: [type(v).__name__, v] for k, v in sorted(config.items())},
             "replicate": replicate, "seed": seed, "model": version or model_version()}
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=repr).encode()).hexdigest()


def _digest(frame: pd.DataFrame) -> str:
    """Hash of a frame's columns, dtypes and values: what a reader must get back.

    Values as the repr of their Python objects: exact for floats (repr round-trips, -0.0 and
    nan included), ints, bools, strings and None, and it tells an int from an equal float and a
    list from an array. ~7x faster than hashing column by column (most frames are one wide
    row), which mattered: every point is digested three times on its way into the cache."""
    h = hashlib.sha256(json.dumps([list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode())
    h.update(repr(frame.to_numpy(dtype=object).tolist()).encode())
    return h.hexdigest()


def _to_bytes(frame: pd.DataFrame, key: str) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _KEY_META: key.encode(),
                                           _DIGEST_META: _digest(frame).encode()})
    buf = io.BytesIO()
    pq.write_table(table, buf, write_page_checksum=True)
    return buf.getvalue()


def _from_bytes(data: bytes | Path, key: str) -> pd.DataFrame:
    table = pq.read_table(data if isinstance(data, Path) else io.BytesIO(data),
                          page_checksum_verification=True)
    meta = table.schema.metadata or {}
    found = meta.get(_KEY_META, b"").decode()
    if found != key:
        raise ValueError(f"file carries key {found[:12] or '(none)'}, expected {key[:12]}")
    frame = table.to_pandas()
    if _digest(frame) != meta.get(_DIGEST_META, b"").decode():
        raise ValueError("content does not match its digest")
    return frame


@dataclass
class ResultCache:
    """Rows of finished points under `root/<model version>/<experiment>/<key>.parquet`."""

    root: Path | None = None

    def __post_init__(self):
        self.root = Path(self.root) if self.root is not None else default_root()
        self._warned: set[str] = set()

    def simulations(self) -> Path:
        """Where the running model version's testbed simulations are shared (testbed.memo)."""
        return self.root / model_version()[:16] / SIMULATIONS

    def path(self, experiment_id: str, key: str) -> Path:
        return self.root / model_version()[:16] / experiment_id / f"{key}.parquet"

    def get(self, experiment_id: str, key: str) -> pd.DataFrame | None:
        """The cached frame, or None (missing, or corrupted: warned once, then recomputed)."""
        p = self.path(experiment_id, key)
        if not p.exists():
            return None
        try:
            return _from_bytes(p, key)
        except Exception as e:  # any parse/checksum failure means: do not trust it
            if str(p) not in self._warned:
                self._warned.add(str(p))
                warnings.warn(f"corrupted cache file {p} ({type(e).__name__}: {e}); recomputing",
                              CacheCorruption, stacklevel=2)
            p.unlink(missing_ok=True)
            return None

    def put(self, experiment_id: str, key: str, frame: pd.DataFrame) -> bool:
        """Store a point's frame atomically; False if it would not read back identical."""
        # read back, the frame must give the digest it was written with (values, dtypes and
        # columns exactly); the index is not stored, so it must be the default one
        ok = isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 and frame.index.step == 1
        try:
            data = _to_bytes(frame, key)
            _from_bytes(data, key)
        except (TypeError, ValueError, pa.ArrowException):  # e.g. unhashable or mixed-type cells
            ok = False
        if not ok:
            if experiment_id not in self._warned:
                self._warned.add(experiment_id)
                warnings.warn(f"{experiment_id}: rows do not round-trip through parquet exactly; "
                              "not cached", RuntimeWarning, stacklevel=2)
            return False
        with atomic_path(self.path(experiment_id, key)) as tmp:
            tmp.write_bytes(data)
        return True

    def info(self) -> pd.DataFrame:
        """One row per (model version, experiment): entries, bytes, current or stale."""
        current = model_version()[:16]
        rows = []
        if self.root.is_dir():
            for vdir in sorted(d for d in self.root.iterdir() if d.is_dir()):
                for edir in sorted(d for d in vdir.iterdir() if d.is_dir()):
                    files = [f for f in edir.iterdir() if f.suffix in (".parquet", ".pkl")]
                    rows.append({"model_version": vdir.name, "current": vdir.name == current,
                                 "experiment": edir.name, "entries": len(files),
                                 "bytes": sum(f.stat().st_size for f in files)})
        return pd.DataFrame(rows, columns=["model_version", "current", "experiment", "entries", "bytes"])

    def clear(self, stale_only: bool = False) -> int:
        """Delete entries (only other model versions' when `stale_only`); returns files removed."""
        if not self.root.is_dir():
            return 0
        current = model_version()[:16]
        removed = 0
        for vdir in [d for d in self.root.iterdir() if d.is_dir()]:
            if stale_only and vdir.name == current:
                continue
            removed += sum(1 for f in vdir.rglob("*") if f.suffix in (".parquet", ".pkl"))
            shutil.rmtree(vdir)
        return removed
