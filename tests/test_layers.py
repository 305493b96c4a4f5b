"""The layers point one way: a module never imports a module of a higher layer.

Read from the source with `ast` (every `import` and `from ... import`, relative ones resolved,
inside functions too), not by importing anything. Layers, lowest first (a module may import
its own layer and any lower one):

 0 foundation    errors, paths, atomic, datafiles, stats, inputs, reference, steady, harness.config, harness.seeds
                 (no model: error types, file places, atomic writes, statistics, seeds, input
                 digests, the paper's numbers as read-only tables, parameter declarations)
 1 platform      the Core i7
 2 kernel        trap path, FlexSC, sockets, epoll, and the programs that run on the kernel
                 directly (kernel.programs, kernel.dormant) and its pricing (kernel.pricing)
 3 runtime       the epoll and libflexsc event loops
 4 servers       memcached, nginx, the example and greeting servers
 5 workloads     memslap, ApacheBench, httperf, the wire and the client machine
 6 testbed       a server wired to a workload and measured (imports both)
 7 calibration   fits the platform and the servers (runs testbeds); hostcal (a host's preset)
 8 live          real servers under strace, beside the testbeds' rows
10 experiments   the paper items and the registry they register in (harness.registry discovers them)
11 harness       the run machinery: sweep, cache; explore, bench
12 claims        one check per claim (claims/), and the scorecard that collects their verdicts
13 front         pipeline (reproduce, notebook helpers, nbparams, report), cli, the package facade

Notebooks sit above everything (they import public names of any layer).
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "flexrepro"

# longest dotted prefix (below `flexrepro.`) wins; "" is the package facade (flexrepro/__init__.py)
LAYERS = {
    **dict.fromkeys(("errors", "paths", "atomic", "datafiles", "stats", "seeds", "inputs", "reference", "steady", "config",
                     "harness.config", "harness.seeds"), 0),
    "platform": 1,
    "kernel": 2,
    "runtime": 3,
    "servers": 4,
    "workloads": 5,
    "testbed": 6,
    "calibration": 7, "hostcal": 7,
    "live": 8,
    "experiments": 10, "harness.registry": 10,
    "harness": 11, "explore": 11, "bench": 11,
    "claims": 12, "scorecard": 12,
    **dict.fromkeys(("report", "notebook", "nbparams", "pipeline", "cli", "__main__", ""), 13),
}

# (importer prefix, imported prefix): known upward imports, each with the work that removes it.
# An entry that no longer occurs fails `test_every_exception_still_occurs`: delete it then.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _exists(module: str) -> bool:
    rel = Path(*module.split("."))
    return (PACKAGE.parent / rel).with_suffix(".py").is_file() or (PACKAGE.parent / rel / "__init__.py").is_file()


def imports(path: Path) -> set[str]:
    """The flexrepro modules `path` imports (a `from pkg import name` of a non-module name: pkg)."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                base_name = ".".join(base + ([node.module] if node.module else []))
            else:
                base_name = node.module
            for a in node.names:
                sub = f"{base_name}.{a.name}"
                found.add(sub if _exists(sub) else base_name)
    return {m for m in found if m == "flexrepro" or m.startswith("flexrepro.")}


def layer_key(module: str) -> str:
    """The LAYERS key that places `module` (longest dotted prefix)."""
    rest = module.removeprefix("flexrepro").removeprefix(".")
    parts = rest.split(".") if rest else []
    for n in range(len(parts), -1, -1):
        key = ".".join(parts[:n])
        if key in LAYERS and (n or not parts):
            return key
    raise KeyError(module)


def upward_imports() -> list[tuple[str, str, str, str]]:
    """(importer, imported, importer's key, imported's key) for every import of a higher layer."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        me = module_name(path)
        for target in sorted(imports(path)):
            a, b = layer_key(me), layer_key(target)
            if LAYERS[b] > LAYERS[a]:
                out.append((me, target, a, b))
    return out


def test_every_module_has_a_layer():
    unplaced = []
    for path in PACKAGE.rglob("*.py"):
        try:
            layer_key(module_name(path))
        except KeyError:
            unplaced.append(module_name(path))
    assert not unplaced, f"place these modules in LAYERS (tests/test_layers.py): {sorted(unplaced)}"


def test_no_lower_layer_imports_a_higher_one():
    bad = [f"{me} imports {target} (layer {LAYERS[a]} -> {LAYERS[b]})"
           for me, target, a, b in upward_imports() if (a.split(".")[0], b.split(".")[0]) not in EXCEPTIONS]
    assert not bad, "\n".join(bad)


def test_every_exception_still_occurs():
    seen = {(a.split(".")[0], b.split(".")[0]) for _, _, a, b in upward_imports()}
    stale = set(EXCEPTIONS) - seen
    assert not stale, f"these upward imports are gone: delete them from EXCEPTIONS: {sorted(stale)}"


def test_servers_do_not_import_workloads():
    bad = {module_name(p): sorted(m for m in imports(p) if m.startswith("flexrepro.workloads"))
           for p in (PACKAGE / "servers").rglob("*.py")}
    assert not {k: v for k, v in bad.items() if v}


def test_relative_imports_are_resolved():
    """The reader sees what Python sees: `from ..kernel.pages import X` in testbed/common.py."""
    assert "flexrepro.kernel.pages" in imports(PACKAGE / "testbed" / "common.py")
    assert "flexrepro.testbed.measure" in imports(PACKAGE / "testbed" / "memcached.py")   # `from .measure import`
    assert "flexrepro.experiments" in imports(PACKAGE / "harness" / "registry.py")        # `from .. import experiments`


def test_every_import_names_a_module_that_exists():
    """A move leaves no import behind (a function-level import fails only when it runs)."""
    missing = sorted(f"{module_name(p)} imports {m}" for p in PACKAGE.rglob("*.py") for m in imports(p)
                     if not _exists(m))
    assert not missing, "\n".join(missing)
