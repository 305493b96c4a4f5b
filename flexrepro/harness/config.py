"""Typed, validated parameters.

An experiment declares its parameters as `Param`s; every value that reaches a model —
from Python, the CLI (`--set key=value`) or a papermill notebook — goes through
`Param.validate`, so a bad value fails before any work starts, with one line naming the
parameter and what is allowed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..errors import ConfigError

_TYPES = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}


@dataclass(frozen=True)
class Param:
    name: str
    type: type
    default: Any
    low: float | None = None          # inclusive bounds for numbers
    high: float | None = None
    choices: tuple | None = None
    doc: str = ""

    def allowed(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        what = _TYPES.get(self.type, self.type.__name__)
        if self.low is not None and self.high is not None:
            return f"{what} in [{self.low}, {self.high}]"
        if self.low is not None:
            return f"{what} >= {self.low}"
        if self.high is not None:
            return f"{what} <= {self.high}"
        return what

    def _fail(self, value: Any) -> ConfigError:
        return ConfigError(f"parameter '{self.name}': got {value!r}; allowed: {self.allowed()}")

    def coerce(self, value: Any) -> Any:
        """Convert `value` (possibly a CLI string) to the declared type, or fail."""
        t = self.type
        if isinstance(value, str) and t is not str:
            text = value.strip()
            try:
                if t is bool:
                    if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                        raise ValueError
                    value = text.lower() in ("true", "1", "yes")
                elif t is int:
                    value = int(text)
                elif t is float:
                    value = float(text)
            except ValueError:
                raise self._fail(value) from None
        if t is bool:
            if not isinstance(value, bool):
                raise self._fail(value)
        elif t is int:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                elif type(value).__name__.startswith("int"):  # numpy integers
                    value = int(value)
                else:
                    raise self._fail(value)
        elif t is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)) and not type(value).__name__.startswith(("float", "int")):
                raise self._fail(value)
            value = float(value)
            if not math.isfinite(value):
                raise self._fail(value)
        elif not isinstance(value, t):
            raise self._fail(value)
        return value

    def validate(self, value: Any) -> Any:
        value = self.coerce(value)
        if self.choices is not None and value not in self.choices:
            raise self._fail(value)
        if self.low is not None and value < self.low:
            raise self._fail(value)
        if self.high is not None and value > self.high:
            raise self._fail(value)
        return value


@dataclass(frozen=True)
class ParamSet:
    """An ordered set of parameters with validation of whole configurations."""

    params: tuple[Param, ...] = field(default_factory=tuple)

    def __post_init__(self):
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names in {names}")

    def __iter__(self):
        return iter(self.params)

    def __contains__(self, name: str) -> bool:
        return any(p.name == name for p in self.params)

    def __getitem__(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise self.unknown(name)

    def unknown(self, name: str) -> ConfigError:
        known = ", ".join(p.name for p in self.params) or "(none)"
        return ConfigError(f"unknown parameter '{name}'; allowed: {known}")

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Fill defaults and validate every value; unknown keys are errors."""
        for key in config:
            if key not in self:
                raise self.unknown(key)
        out = self.defaults()
        out.update(config)
        return {p.name: p.validate(out[p.name]) for p in self.params}

    def validate_values(self, name: str, values: Iterable[Any]) -> list[Any]:
        p = self[name]
        return [p.validate(v) for v in values]
