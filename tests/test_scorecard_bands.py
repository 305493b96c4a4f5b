"""The scorecard's bands, end to end: every prediction with a number gets band_low, band_high,
and the band holds every number its verdict tests.

A quick run of Figures 5-10 and of the bands experiment without nginx's 2-core ApacheBench
points (2-core epoll under ApacheBench takes most of a quick run's time), one seed, with every server run's windows shrunk (testbed
defaults patched, the cache bypassed so no other test reads these rows) to keep it near a
minute: what is tested is that each claim's check runs on each corner's frame and lands in
the card, not the numbers, which the pipeline's runs give.
"""
import pandas as pd

import flexrepro
from flexrepro import reference, scorecard
from flexrepro.experiments import bands
from flexrepro.testbed import memcached as memcached_testbed, nginx as nginx_testbed

FIGURES = ("fig05", "fig06", "fig07", "fig08", "fig09", "fig10")


def test_every_numeric_prediction_has_a_band_holding_its_numbers(monkeypatch):
    monkeypatch.setattr(memcached_testbed, "default_window", lambda c: (c + 200, 2 * c))
    monkeypatch.setattr(nginx_testbed, "ab_window", lambda c: (c + 100, max(300, c)))
    monkeypatch.setattr(nginx_testbed, "HTTPERF_WINDOW_S", (0.005, 0.01))
    kw = dict(quick=True, seeds=1, executor="serial", progress=False, cache=False)
    frames = {e: flexrepro.run(e, **kw, **({"cores": 1} if e in ("fig07", "fig08") else {})) for e in FIGURES}
    cases = [c for c in bands.cases(quick=True)
             if not (bands.target(c.split("|")[0]).tool == "apachebench" and bands.target(c.split("|")[0]).cores > 1)]
    frames["bands"] = flexrepro.run("bands", case=cases, **kw)
    predictions = list(reference.claims().query("kind == 'prediction'").claim_id)
    card = scorecard.claims_table(frames, predictions).set_index("claim_id")
    numeric = {c: scorecard.numbers(card.at[c, "measured_value"]) for c in card.index}
    numeric = {c: n for c, n in numeric.items() if n}
    assert len(numeric) >= 15                      # not the 2-core ApacheBench or httperf claims
    for c, nums in numeric.items():
        lo, hi = card.at[c, "band_low"], card.at[c, "band_high"]
        assert not pd.isna(lo) and not pd.isna(hi), c
        assert lo <= min(nums) and max(nums) <= hi, (c, lo, nums, hi)
