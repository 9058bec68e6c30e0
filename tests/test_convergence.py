"""Non-convergence is never silent: iterative estimators warn and record it in their results."""

import numpy as np
import pandas as pd
import pytest

from metarmc import meta_binary, sequential, wls
from metarmc.wls import ConvergenceWarning

# Five trials with clear heterogeneity (REML needs several fixed-point steps from Hedges' start).
TABLE = pd.DataFrame({"study": list("ABCDE"), "events_t": [12, 30, 5, 40, 9], "total_t": [40, 60, 35, 80, 30],
                      "events_c": [10, 12, 9, 20, 4], "total_c": [41, 59, 36, 81, 30]})


def test_reml_converges_here_and_says_so():
    result = meta_binary(TABLE, model="random", tau2="REML")
    assert result.converged and "did not converge" not in repr(result)


def test_reml_at_its_iteration_cap_warns_and_records(monkeypatch):
    monkeypatch.setattr(wls, "_REML_MAX_ITER", 1)
    with pytest.warns(ConvergenceWarning, match="REML tau2 did not converge in 1 iterations for 1 of 1"):
        result = meta_binary(TABLE, model="random", tau2="REML")
    assert not result.converged and "REML tau² did not converge" in repr(result)


def test_reml_batch_records_which_analyses_did_not_converge(monkeypatch):
    monkeypatch.setattr(wls, "_REML_MAX_ITER", 1)
    # unequal variances, so the DL start is not already the REML root; the second has no
    # heterogeneity at all, so its tau2 stays at 0 from the first step
    yi = np.array([[0.0, 1.0, 3.0], [0.0, 0.0, 0.0]])
    vi = np.array([[0.1, 0.5, 1.0], [0.1, 0.5, 1.0]])
    with pytest.warns(ConvergenceWarning, match="for 1 of 2 analyses"):
        tau2, converged = wls.tau2_reml(yi, vi, wls.intercept(3), np.ones((2, 3), bool))
    assert converged.tolist() == [False, True] and tau2[1] == 0.0


def test_boundary_search_at_its_iteration_cap_warns_and_records(monkeypatch):
    assert sequential.sequential_boundaries([0.5, 1.0], power=None).converged
    monkeypatch.setattr(sequential, "_MAX_ITER", 1)
    with pytest.warns(ConvergenceWarning, match="boundary root search stopped after 1 iterations"):
        design = sequential.sequential_boundaries([0.5, 1.0], power=None)
    assert not design.converged
