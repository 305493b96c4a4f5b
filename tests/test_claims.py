"""The claims package: one check per claim, in the module of its paper item; tolerances
parsed once; experiments never import claims."""
import ast

import pandas as pd
import pytest

from flexrepro import paths, reference
from flexrepro.claims import Verdict, checks, compare

ITEM_OF_MODULE = {"table1": "Table 1", "abstract": "Abstract",
                  **{f"fig{n:02d}": f"Figure {n}" for n in range(1, 11)}}


def test_every_claim_has_one_check_in_its_paper_items_module():
    cks = checks()
    assert set(cks) == set(reference.claims().claim_id)
    for cid, ck in cks.items():
        module = ck.fn.__module__
        assert module.startswith("flexrepro.claims."), (cid, module)
        assert ITEM_OF_MODULE[module.rsplit(".", 1)[1]] == reference.claim(cid).paper_item, (cid, module)


def test_every_tolerance_parses():
    for c in reference.claims().itertuples():
        t = reference.parse(c.paper_value, c.tolerance)
        assert t.kind in ("rel", "abs", "range", "span", "bound", "none"), c.claim_id


@pytest.mark.parametrize("paper, tol, x, ok", [
    ("25..35", "abs 7 points on the 25..35 band", 18.0, True), ("25..35", "abs 7 points on the 25..35 band", 42.5, False),
    ("see csv", "abs 5 points each", None, None), ("< +5%", "bool", 4.9, True), ("< +5%", "bool", 5.0, False),
    ("0.51 -> 0.92 (x1.8)", "ratio 1.8 abs 0.4", 2.2, True), ("1.73 (about +4)", "ratio abs 0.35", 1.37, False),
    ("true", "bool", None, None),
])
def test_target_accepts(paper, tol, x, ok):
    t = reference.parse(paper, tol)
    if ok is None:
        assert not t.decides
        with pytest.raises(ValueError):
            t.accepts(1.0)
    else:
        assert t.accepts(x) is ok


def test_per_point_tolerance_about_each_paper_number():
    each = reference.target("F1-xalan-curve")
    assert each.around(40.0).accepts(44.9) and not each.around(40.0).accepts(45.1)


def test_unknown_tolerance_names_the_allowed_forms():
    with pytest.raises(ValueError, match="'rel X%'"):
        reference.parse("3", "about 3")


def test_onset_is_read_from_the_metric():
    assert reference.onset("F5-crossover") == 64 and reference.onset("F7-2core-from-16") == 16
    with pytest.raises(ValueError, match="names no"):
        reference.onset("F8-1core")


def test_compare_picks_checks_and_keeps_the_ci():
    row = pd.DataFrame([{"value": 65.04, "ci_low": 60.0, "ci_high": 70.0}])   # F7-1core-256: 70, abs 10
    assert compare("F7-1core-256", row, "none", digits=1) == Verdict(65.0, True, 60.0, 70.0)
    assert not compare("F7-1core-256", row.assign(value=59.0), "none").reproduced
    assert compare("F7-1core-256", row.iloc[:0], "no point") == Verdict("no point", False)


def test_experiments_do_not_import_claims_or_the_scorecard():
    bad = []
    for p in sorted((paths.ROOT / "flexrepro" / "experiments").glob("*.py")):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
                if any(n.split(".")[0] in ("claims", "scorecard") or n.startswith("flexrepro.claims")
                       for n in names):
                    bad.append(p.name)
    assert not bad, bad
