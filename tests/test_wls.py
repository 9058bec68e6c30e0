"""The shared weighted least-squares core and REML τ² (metarmc.wls), with and without moderators."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metarmc.wls import (
    generalised_q,
    intercept,
    reml_log_likelihood,
    tau2_paule_mandel,
    tau2_reml,
    tau2_where_q_is,
    weighted_fit,
)

# Seven studies where plain Fisher scoring does not converge (metafor 3.8.1's rma(method = "REML")
# stops with "Fisher scoring algorithm did not converge"; with control = list(stepadj = 0.5) it gives
# tau2 = 0.14670767) and where the safeguarded Fisher scoring that meta-regression used before found
# 0.0194, a root with a lower restricted likelihood.
YI = np.array([-0.2955516020719585, -0.48027978846667013, 0.341289161955009, 0.5035733890296692,
               -0.7117762123309338, 0.009350360433538738, -0.5177579533821071])
VI = np.array([0.9194435038185322, 0.7198336111989945, 0.054075962499379474, 0.9486235431212141,
               0.09649119775589324, 0.3164920763942384, 0.7483835969224562])
METAFOR_TAU2 = 0.14670767  # printed to 8 decimals


def test_reml_reaches_metafors_maximum_where_fisher_scoring_fails():
    tau2, converged = tau2_reml(YI, VI, intercept(7), np.ones(7, bool))
    # metafor stops once a step changes tau2 by less than 1e-5, this engine below 1e-12
    assert converged and float(tau2) == pytest.approx(METAFOR_TAU2, abs=1e-6)
    at = [float(reml_log_likelihood(np.array(t), YI, VI, intercept(7), np.ones(7, bool))) for t in (0.0194, tau2)]
    assert at[1] > at[0]


def test_a_batch_gives_what_each_analysis_gives_alone():
    batch = np.stack([YI, YI[::-1] * 2, np.zeros(7)])
    include = np.ones((3, 7), bool)
    include[1, 5:] = False
    together = tau2_reml(batch, np.stack([VI] * 3), intercept(7), include)[0]
    alone = [float(tau2_reml(y[m], VI[m], intercept(int(m.sum())), m[m])[0]) for y, m in zip(batch, include)]
    assert together.tolist() == pytest.approx(alone, abs=1e-12)
    assert together[2] == 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(0.01, 2), st.floats(-2, 2)), min_size=2, max_size=9),
       st.floats(0, 1))
def test_the_one_column_fit_is_weighted_least_squares(rows, tau2):
    yi, vi, x = (np.array(c) for c in zip(*rows))
    x = np.where(np.abs(x) < 0.1, 1.0, x)
    fit = weighted_fit(yi, vi, x[:, None], np.ones(len(yi), bool), tau2)
    w = 1 / (vi + tau2)
    beta = np.linalg.lstsq(np.sqrt(w)[:, None] * x[:, None], np.sqrt(w) * yi, rcond=None)[0]
    assert fit.beta == pytest.approx(beta, rel=1e-9, abs=1e-12)
    assert fit.hat == pytest.approx(w * x**2 / np.sum(w * x**2), rel=1e-9)


def test_paule_mandel_is_zero_exactly_where_q_at_zero_is_below_its_degrees_of_freedom():
    # metafor's rma(method = "PM") sets tau2 = 0 without solving when Q(0) < k - p
    yi, vi = np.array([0.1, -0.1, 0.05]), np.full(3, 0.5)
    assert float(generalised_q(yi, vi, intercept(3), np.ones(3, bool), 0.0)) < 2
    assert float(tau2_paule_mandel(yi, vi, intercept(3), np.ones(3, bool))) == 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(0.01, 2), st.floats(-2, 2)), min_size=4, max_size=9),
       st.floats(0.05, 20))
def test_the_bisection_solves_the_generalised_q_equation(rows, target):
    yi, vi, x = (np.array(c) for c in zip(*rows))
    x[0] = x[1:].min() - 1  # the moderator varies: a full-rank design
    X, include = np.column_stack([np.ones(len(yi)), x]), np.ones(len(yi), bool)
    tau2 = float(tau2_where_q_is(target, yi, vi, X, include))
    q = float(generalised_q(yi, vi, X, include, tau2))
    if tau2 == 0:
        assert q <= target * (1 + 1e-12)
    else:  # Q decreases in tau2: relative precision of the root, not of Q
        assert q == pytest.approx(target, rel=1e-8)


def test_bounds_in_a_batch_are_those_of_each_target_alone():
    targets = np.array([0.5, 3.0, 50.0])
    together = tau2_where_q_is(targets, YI, VI, intercept(7), np.ones(7, bool))
    alone = [float(tau2_where_q_is(t, YI, VI, intercept(7), np.ones(7, bool))) for t in targets]
    assert together.tolist() == pytest.approx(alone, rel=1e-12)  # batched sums may round differently
    assert together[0] > together[1] > 0 == together[2]  # Q(0) of these studies is below 50


def test_a_rank_deficient_design_has_no_bound():
    X = np.column_stack([np.ones(7), np.zeros(7)])  # a moderator that never varies
    assert np.isnan(tau2_where_q_is(1.0, YI, VI, X, np.ones(7, bool)))
