"""Cross-checks against statsmodels where it overlaps (never used by metarmc itself).

Tolerances: rel=1e-10: statsmodels computes the same Mantel-Haenszel and DerSimonian-Laird closed
forms in double precision.
"""

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.meta_analysis import combine_effects

from metarmc import meta_binary
from metarmc.effects import Cells, log_odds_ratio

from datasets import FLEISS1993


def tables(df):
    return [np.array([[r.events_t, r.total_t - r.events_t], [r.events_c, r.total_c - r.events_c]])
            for r in df.itertuples()]


def test_mh_odds_ratio_and_rbg_se_match_stratified_table():
    st = StratifiedTable(tables(FLEISS1993))
    res = meta_binary(FLEISS1993)
    assert res.estimate == pytest.approx(st.oddsratio_pooled, rel=1e-10)
    assert res.se == pytest.approx(st.logodds_pooled_se, rel=1e-10)


def test_dersimonian_laird_matches_combine_effects():
    yi, vi = log_odds_ratio(Cells.from_counts(*(FLEISS1993[c] for c in ("events_t", "total_t", "events_c", "total_c"))))
    sm = combine_effects(np.asarray(yi), np.asarray(vi), method_re="dl", use_t=False)
    res = meta_binary(FLEISS1993, method="IV", model="random")
    assert np.log(res.estimate) == pytest.approx(sm.mean_effect_re, rel=1e-10)
    assert res.se == pytest.approx(sm.sd_eff_w_re, rel=1e-10)
    assert res.tau2 == pytest.approx(sm.tau2, rel=1e-10)
    assert res.q == pytest.approx(sm.q, rel=1e-10)
    assert res.i2 == pytest.approx(100 * sm.i2, rel=1e-10)
