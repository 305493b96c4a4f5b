"""Papermill parameters from the command line, checked before any kernel starts.

`-p name value` pairs are parsed as Python literals (else taken as strings) and checked
against the notebook's `parameters` cell: an unknown name, or a value whose type does not
match the cell's default (or its `# type: Optional[X]` comment, for a None default),
raises ConfigError naming the parameter and what is allowed.

papermill reads a parameters cell line by line: a line with a second "=" (even in its
comment) is skipped, so that parameter could not be swept. tests/test_notebooks.py checks
every notebook for it.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..inputs import unique_keys
from ..harness.sweep import EXECUTORS

# Types of the parameters every notebook declares (their defaults alone do not say).
STANDARD = {"quick": (bool,), "seeds": (int, type(None)), "executor": (str,), "out_dir": (str, type(None))}


def _literal(text: str) -> Any:
    """A command-line value: a Python literal when it is one (1, 0.5, True, None, [1, 2]), else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _type_name(types: tuple[type, ...]) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "a list", tuple: "a tuple", dict: "a dict", type(None): "None"}
    return " or ".join(names.get(t, t.__name__) for t in types)


_NAMED = {"bool": (bool,), "int": (int,), "float": (float, int), "str": (str,), "list": (list,),
          "dict": (dict,), "tuple": (tuple,)}


def _annotated(type_name: str) -> tuple[type, ...] | None:
    """A parameter's declared type (`x: int = 1`, or `x = None  # type: Optional[bool]` for a
    None default), as papermill reports it: its `inferred_type_name`."""
    if m := re.fullmatch(r"Optional\[(\w+)\]", type_name):
        inner = _NAMED.get(m.group(1))
        return inner + (type(None),) if inner else None
    return _NAMED.get(type_name)


def _allowed_types(name: str, default_src: str, type_name: str = "None") -> tuple[type, ...] | None:
    """The types a parameter accepts: the standard ones', its declared type, else its default's."""
    if name in STANDARD:
        return STANDARD[name]
    if declared := _annotated(type_name):
        return declared
    try:
        default = ast.literal_eval(default_src)
    except (ValueError, SyntaxError):
        return None  # an expression: nothing to check against
    if default is None:
        return None
    if isinstance(default, bool):
        return (bool,)
    if isinstance(default, float):
        return (float, int)
    return (type(default),)


def check_parameters(nb: Path, raw: list[tuple[str, str]]) -> dict[str, Any]:
    """`-p name value` pairs -> typed parameters of notebook `nb` (or ConfigError)."""
    import papermill as pm

    declared = pm.inspect_notebook(str(nb))
    unique_keys(list(raw), "-p")
    params: dict[str, Any] = {}
    for name, text in raw:
        if name not in declared:
            raise ConfigError(f"unknown parameter '{name}' for notebook {nb.stem}; "
                              f"allowed: {', '.join(declared)}")
        value = _literal(text)
        types = _allowed_types(name, declared[name]["default"], declared[name]["inferred_type_name"])
        if types and str in types and value is not None and not isinstance(value, str):
            value = text          # `-p label 5` means the string "5"
        if types and float in types and type(value) is int:
            value = float(value)  # as the parameters cell would hold it
        if types is not None and (not isinstance(value, types) or
                                  (isinstance(value, bool) and bool not in types)):
            raise ConfigError(f"parameter '{name}' of notebook {nb.stem}: got {text!r}; "
                              f"allowed: {_type_name(types)} (default {declared[name]['default']})")
        if name == "executor" and value not in EXECUTORS:
            raise ConfigError(f"parameter 'executor': got {value!r}; allowed: one of {', '.join(EXECUTORS)}")
        if name == "seeds" and value is not None and value < 1:
            raise ConfigError(f"parameter 'seeds': got {value!r}; allowed: an integer >= 1")
        params[name] = value
    return params
