"""The identification ledger (data/ledger.csv): every parameter fitted to named calibration
data or an assumption with a range and a reason — and never identified by a prediction."""
import math
import re

import pandas as pd
import pytest

from flexrepro import paths, reference

LEDGER = paths.DATA / "ledger.csv"
COLUMNS = ["parameter", "value", "unit", "kind", "identified_by", "low", "high", "why", "source"]
KINDS = {"fitted", "assumption", "measured"}
# "Figure 7", "Fig. 9", "Figures 5-10", optionally qualified by the paper they belong to.
FIGURE = re.compile(r"(OSDI'10\s+)?Fig(?:ure)?s?\.?\s*(\d+)(?:\s*[-–]\s*(\d+))?", re.IGNORECASE)
PREDICTED = range(5, 11)       # ATC'11 Figures 5-10 are what the calibrated model predicts


@pytest.fixture(scope="module")
def ledger() -> pd.DataFrame:
    return pd.read_csv(LEDGER, keep_default_na=False)


def prediction_sources(text: str) -> list[str]:
    """The ATC'11 Figure 5-10 items and prediction claims that `text` cites."""
    hits = []
    for m in FIGURE.finditer(text):
        if m.group(1):                           # an OSDI'10 figure: a different paper
            continue
        lo = int(m.group(2))
        hi = int(m.group(3) or lo)
        if any(n in PREDICTED for n in range(lo, hi + 1)):
            hits.append(m.group(0))
    claims = reference.claims()
    for cid in claims[claims.kind == "prediction"].claim_id:
        if re.search(rf"(?<![\w-]){re.escape(cid)}(?![\w-])", text):
            hits.append(cid)
    return hits


def test_the_checker_catches_prediction_sources():
    assert prediction_sources("fitted to ATC'11 Figure 7 (nginx)") == ["Figure 7"]
    assert prediction_sources("Figures 5-10") == ["Figures 5-10"]
    assert prediction_sources("chosen so that F9-1core-50k passes") == ["F9-1core-50k"]
    assert prediction_sources("OSDI'10 Figures 9-10 tight loop; OSDI'10 Figure 4; ATC'11 Figure 1") == []
    assert prediction_sources("Table 1, Figure 1") == []


def _number(text):
    try:
        return float(text)
    except ValueError:
        return None


def test_schema_and_kinds(ledger):
    assert list(ledger.columns) == COLUMNS
    assert ledger.parameter.is_unique
    assert set(ledger.kind) <= KINDS, set(ledger.kind) - KINDS
    for r in ledger.itertuples(index=False):
        assert r.identified_by.strip() and r.why.strip() and r.source.strip(), r.parameter
        v = _number(r.value)
        if r.kind == "assumption" and v is not None:
            lo, hi = float(r.low), float(r.high)
            assert lo <= v <= hi and lo < hi, f"{r.parameter}: an assumption needs low <= value <= high"
        if r.kind == "fitted":
            assert not r.identified_by.startswith("not identified"), r.parameter


def test_no_figure_5_to_10_claim_identifies_anything(ledger):
    for r in ledger.itertuples(index=False):
        for col in ("identified_by", "source", "why"):
            assert not prediction_sources(getattr(r, col)), f"{r.parameter}.{col}: {getattr(r, col)!r}"


def test_the_ledger_states_the_committed_model(ledger):
    """Values agree with params.json and the data files within the fit's tolerance (rel 1e-4)."""
    from flexrepro.calibration.ledger import build
    want = pd.DataFrame(build()).set_index("parameter")
    got = ledger.set_index("parameter")
    assert list(got.index[:len(want)]) == list(want.index)   # hand-written rows follow
    for name, row in want.iterrows():
        for col in COLUMNS[1:]:
            a, b = _number(got.loc[name, col]), _number(row[col])
            if a is not None and b is not None:
                assert math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-12), (name, col, a, b)
            else:
                assert got.loc[name, col] == row[col], (name, col)
