"""Repository-relative directories: the one place that knows where things live."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
PAPER = DATA / "paper"                 # the paper's numbers, only ever compared against
PLATFORM = DATA / "platform"           # Table 3 and platform facts as model inputs
CALIBRATION = DATA / "calibration"     # fitted parameters (written by the calibration notebook)
NOTEBOOKS = ROOT / "notebooks"
# FLEXREPRO_RESULTS lets tests and sweeps write somewhere other than the checkout.
RESULTS = Path(os.environ.get("FLEXREPRO_RESULTS", ROOT / "results"))


def results_dir(*parts: str) -> Path:
    """A directory under results/, created on demand."""
    path = RESULTS.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
