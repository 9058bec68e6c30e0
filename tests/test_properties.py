"""Invariances that must hold for any data (hypothesis property tests).

How many examples each test draws is the hypothesis profile's (conftest.py): ``ci`` by default,
``HYPOTHESIS_PROFILE=deep`` for a long search. Tolerances: the invariances are exact in real
arithmetic; rel=1e-9 allows for the floating-point rounding of sums taken in another order
(shuffled studies, swapped arms), abs=1e-12/1e-9 for values that are zero in theory (a log-OR or
Q of 0 computed as 1e-16). tau2 from REML is iterated to the solver's tolerance, hence rel=1e-6.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from metarmc import meta_binary, meta_continuous, pool_binary
from metarmc.heterogeneity import hksj_se

OPTIONS = [dict(measure=m, method="MH") for m in ("OR", "RR", "RD")] + [
    dict(measure="OR", method="IV"), dict(measure="OR", method="Peto"),
    dict(measure="OR", model="random"), dict(measure="RR", model="random", tau2="REML"),
    dict(measure="OR", method="IV", model="random", tau2="PM", hksj=True),
    dict(measure="OR", method="IV", model="random", tau2="REML", hksj="adhoc"),
]
RATIO = {"OR", "RR"}


@st.composite
def binary_tables(draw, min_k=1, max_k=8):
    k = draw(st.integers(min_k, max_k))
    rows = []
    for i in range(k):
        total_t, total_c = draw(st.integers(2, 150)), draw(st.integers(2, 150))
        rows.append(dict(study=f"s{i}", events_t=draw(st.integers(0, total_t)), total_t=total_t,
                         events_c=draw(st.integers(0, total_c)), total_c=total_c))
    df = pd.DataFrame(rows)
    assume(informative(df).any())
    return df


def informative(df):
    """Studies estimable for OR/RR: some events, and some non-events, across both arms."""
    events = df.events_t + df.events_c
    return (events > 0) & (events < df.total_t + df.total_c)


def swap_arms(df):
    return df.rename(columns={"events_t": "events_c", "total_t": "total_c",
                              "events_c": "events_t", "total_c": "total_t"})


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(map(str, o.values())))
@given(df=binary_tables(), seed=st.integers(0, 2**32 - 1))
def test_study_order_does_not_matter(options, df, seed):
    assume(not options.get("hksj") or informative(df).sum() > 1)
    shuffled = df.sample(frac=1, random_state=np.random.RandomState(seed)).reset_index(drop=True)
    a, b = meta_binary(df, **options), meta_binary(shuffled, **options)
    assert b.estimate == pytest.approx(a.estimate, rel=1e-9, abs=1e-12)
    assert b.q == pytest.approx(a.q, rel=1e-9, abs=1e-9)
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(map(str, o.values())))
@given(df=binary_tables())
def test_swapping_arms_inverts_ratios_and_negates_differences(options, df):
    assume(not options.get("hksj") or informative(df).sum() > 1)
    a, b = meta_binary(df, **options), meta_binary(swap_arms(df), **options)
    if options["measure"] in RATIO:
        assert b.estimate == pytest.approx(1 / a.estimate, rel=1e-9)
        assert b.ci_low == pytest.approx(1 / a.ci_high, rel=1e-9)
    else:
        assert b.estimate == pytest.approx(-a.estimate, rel=1e-9, abs=1e-12)
    assert b.i2 == pytest.approx(a.i2, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(map(str, o.values())))
@given(df=binary_tables())
def test_ranges_hold(options, df):
    assume(not options.get("hksj") or informative(df).sum() > 1)
    res = meta_binary(df, **options)
    assert res.ci_low <= res.estimate <= res.ci_high
    assert 0 <= res.i2 <= 100
    assert res.tau2 >= 0
    assert 0 <= res.p <= 1
    assert res.studies["weight"].sum() == pytest.approx(100, rel=1e-9)


@given(tables=st.lists(binary_tables(min_k=4, max_k=4), min_size=2, max_size=5))
def test_batch_and_single_calls_agree(tables):
    stacked = [np.stack([t[c].to_numpy(float) for t in tables]) for c in
               ("events_t", "total_t", "events_c", "total_c")]
    batch = pool_binary(*stacked, model="random", hksj=True)
    for i, table in enumerate(tables):
        single = meta_binary(table, model="random", hksj=True)
        assert np.log(single.estimate) == pytest.approx(batch.estimate[i], rel=1e-9, abs=1e-12)
        assert single.se == pytest.approx(batch.se[i], rel=1e-9)
        assert single.tau2 == pytest.approx(batch.tau2[i], rel=1e-9, abs=1e-12)


@given(k=st.integers(1, 6), data=st.data())
def test_mean_difference_negates_when_arms_swap(k, data):
    floats = st.floats(-1000, 1000, allow_nan=False)
    df = pd.DataFrame({"study": [f"s{i}" for i in range(k)],
                       "mean_t": data.draw(st.lists(floats, min_size=k, max_size=k)),
                       "sd_t": data.draw(st.lists(st.floats(1, 500), min_size=k, max_size=k)),
                       "n_t": data.draw(st.lists(st.integers(2, 200), min_size=k, max_size=k)),
                       "mean_c": data.draw(st.lists(floats, min_size=k, max_size=k)),
                       "sd_c": data.draw(st.lists(st.floats(1, 500), min_size=k, max_size=k)),
                       "n_c": data.draw(st.lists(st.integers(2, 200), min_size=k, max_size=k))})
    swapped = df.rename(columns={f"{x}_t": f"{x}_c" for x in ("mean", "sd", "n")}
                        | {f"{x}_c": f"{x}_t" for x in ("mean", "sd", "n")})
    for measure in ("MD", "SMD"):
        a = meta_continuous(df, measure=measure, model="random")
        b = meta_continuous(swapped, measure=measure, model="random")
        assert b.estimate == pytest.approx(-a.estimate, rel=1e-9, abs=1e-9)
        assert a.ci_low <= a.estimate <= a.ci_high


@given(k=st.integers(2, 8), data=st.data())
def test_the_adhoc_hksj_se_is_the_larger_of_the_hksj_and_the_conventional_se(k, data):
    # Knapp & Hartung's ad hoc correction floors q at 1: SE = max(SE_HKSJ, 1/sqrt(sum w*)), exactly
    yi = np.array(data.draw(st.lists(st.floats(-3, 3), min_size=k, max_size=k)))
    vi = np.array(data.draw(st.lists(st.floats(0.01, 2), min_size=k, max_size=k)))
    tau2 = np.array(data.draw(st.floats(0, 1)))
    include = np.ones(k, bool)
    w = 1 / (vi + tau2)
    mu = np.array((w * yi).sum() / w.sum())
    adhoc, knha = hksj_se(yi, vi, tau2, mu, include, adhoc=True), hksj_se(yi, vi, tau2, mu, include)
    assert float(adhoc) == pytest.approx(max(float(knha), 1 / np.sqrt(w.sum())), rel=1e-12)
