"""RevMan's own output: meta's Fleiss1993.rm5 stores Review Manager 5.0.23's results for
seven aspirin trials (values as read by ``meta::read.rm5``, quoted in issue 2)."""

import pytest

from metarmc import meta_binary

from datasets import FLEISS1993

TIGHT = dict(rel=1e-8)


def test_mh_fixed_odds_ratio_matches_revman_5():
    res = meta_binary(FLEISS1993, measure="OR", method="MH", model="fixed")
    assert res.estimate == pytest.approx(0.8968655609, **TIGHT)
    assert res.ci_low == pytest.approx(0.8405144009, **TIGHT)
    assert res.ci_high == pytest.approx(0.9569947088, **TIGHT)
    assert abs(res.z) == pytest.approx(3.287633061, **TIGHT)
    assert res.q == pytest.approx(9.946055983, **TIGHT)
    assert res.i2 == pytest.approx(39.67458046, **TIGHT)
    isis2 = res.studies.set_index("study").loc["ISIS-2", "weight"]
    assert isis2 == pytest.approx(72.8798, abs=5e-5)  # RevMan prints weights to 4 decimals
    assert res.studies["weight"].sum() == pytest.approx(100, rel=1e-12)
