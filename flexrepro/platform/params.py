"""The calibrated model parameters (data/calibration/params.json) as typed objects.

The file is written by `flexrepro.calibration.calibrate()`; its layout is open for later
fits: a `platform` group (processor-wide values) and a `profiles` map, every group and
every profile carrying its own `provenance`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .. import paths
from ..errors import ConfigError
from .profile import CodeProfile

PARAMS_FILE = paths.CALIBRATION / "params.json"

# Processor-wide values the model needs, each >= its lower bound.
PLATFORM_KEYS = {
    "user_direct_cycles": 0.0,   # user-side lost work of a round trip from a full pipeline (platform.trap)
    "kernel_direct_cycles": 0.0,  # kernel-side lost work of a round trip from a full pipeline
    "inflight_window_instructions": 1.0,  # instructions over which in-flight work builds up
    "entry_exit_overlap_cycles": 0.0,  # part of entry + exit that overlaps back to back (platform.trap)
    "overlap_l1d": 1.0,          # miss-latency overlap (MLP + prefetch) per data level
    "overlap_l2": 1.0,
    "overlap_l3": 1.0,
    "tlb_miss_cycles": 0.0,      # an L1 dTLB miss served by the STLB
}


@dataclass(frozen=True)
class ModelParams:
    platform: dict[str, float]
    profiles: dict[str, CodeProfile]
    provenance: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for key, low in PLATFORM_KEYS.items():
            v = self.platform.get(key)
            if not isinstance(v, (int, float)) or v < low:
                raise ConfigError(f"params: platform '{key}' must be a number >= {low}, got {v!r}")
        unknown = set(self.platform) - set(PLATFORM_KEYS)
        if unknown:
            raise ConfigError(f"params: unknown platform key(s) {sorted(unknown)}; allowed: {', '.join(PLATFORM_KEYS)}")

    def profile(self, name: str) -> CodeProfile:
        try:
            return self.profiles[name]
        except KeyError:
            raise ConfigError(f"unknown profile '{name}'; allowed: {', '.join(sorted(self.profiles))}") from None

    def with_profiles(self, *profiles: CodeProfile) -> "ModelParams":
        """A copy with profiles added or replaced (e.g. a server's own fitted profiles)."""
        return ModelParams(dict(self.platform), {**self.profiles, **{p.name: p for p in profiles}},
                           dict(self.provenance))

    def to_dict(self) -> dict:
        return {"platform": {**self.platform, "provenance": self.provenance.get("platform", "")},
                "profiles": {n: p.to_dict() for n, p in self.profiles.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> "ModelParams":
        platform = dict(d.get("platform", {}))
        prov = {"platform": platform.pop("provenance", "")}
        profiles = {n: CodeProfile.from_dict(n, p) for n, p in d.get("profiles", {}).items()}
        return cls(platform=platform, profiles=profiles, provenance=prov)


def load_params(path: str | Path = PARAMS_FILE) -> ModelParams:
    """The calibrated parameters (cached per path; the objects are immutable)."""
    return _load(str(path))


def reload() -> None:
    """Forget the parameters read so far: the next `load_params()` reads its file again (after
    a calibration replaced it)."""
    _load.cache_clear()


@lru_cache(maxsize=None)
def _load(path: str) -> ModelParams:
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"parameter file {p} does not exist; run the calibration "
                          "(notebooks/calibration.ipynb or flexrepro.calibration.calibrate())")
    return ModelParams.from_dict(json.loads(p.read_text()))
