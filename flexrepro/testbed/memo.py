"""One simulation, run once however many experiments read it.

Figures 6, 8 and 10 measure the very runs of Figures 5, 7 and 9 (the same testbed,
configuration and seed: common random numbers): 44 of a full run's 1,419 sweep points (~54
point-seconds) and 8 of --quick's 157 are such repeats. `shared` wraps a testbed's
`simulate`: inside `sharing(directory)`, a call whose arguments are all plain values returns
the row an earlier call with the same arguments left in `directory` (by any process), else
runs and leaves its row there. The sweep opens the block only for experiments that declare
`shares_runs` (their run_point calls testbeds through arguments alone), with the result
cache's directory of the running model version, so a changed model never reads an old row.
Elsewhere (the bands, the ablations, the tests, the bench, `run(..., cache=False)`) every
call runs.

Why opt-in: a call's arguments need not say everything that shapes the run. A band's corner
runs the figure's very call inside `band_fits.applied(corner)`, which changes costs the
arguments do not show; shared, it read the figure's row (session 7's first full run with
sharing for all moved five bands). A testbed's simulate is a pure function of its arguments
and of such contexts (the determinism tests); with no context, a shared row is the row the
call would have computed.
"""
from __future__ import annotations

import functools
import hashlib
import pickle
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from ..atomic import atomic_path

_PLAIN = (str, int, float, bool, type(None))
_directory: Path | None = None


@contextmanager
def sharing(directory: Path | None) -> Iterator[None]:
    """Share simulations through `directory` for the block (None: do not)."""
    global _directory
    before, _directory = _directory, (Path(directory) if directory is not None else None)
    try:
        yield
    finally:
        _directory = before


def shared(fn: Callable[..., dict]) -> Callable[..., dict]:
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def call(*args, **kw) -> dict:
        where = _directory
        if where is None or not all(isinstance(v, _PLAIN) for v in (*args, *kw.values())):
            return fn(*args, **kw)
        # repr tells 1 from 1.0 and True from 1: only the same call shares
        key = hashlib.sha256(repr((name, args, sorted(kw.items()))).encode()).hexdigest()
        path = where / f"{key}.pkl"
        try:
            return pickle.loads(path.read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError):
            pass                                   # not run yet (or a torn file): run it
        row = fn(*args, **kw)
        try:
            with atomic_path(path) as tmp:
                tmp.write_bytes(pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            pass                                   # an unwritable cache only loses the sharing
        return row

    return call
