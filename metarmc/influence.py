"""Influence diagnostics and Baujat coordinates of an inverse-variance model (beyond RevMan).

For each study the model is refitted without it (same τ² estimator, same test), and the
change is measured as metafor's ``influence()`` and ``baujat()`` do. All k leave-one-out fits
are one call of the batch core :func:`metarmc.regression.fit_arrays` (inclusion mask
``~eye(k)``). Works for a ``MetaResult`` of ``meta_binary(..., method="IV")`` or
``meta_continuous`` (fixed or random effects) and for a :class:`~metarmc.regression.MetaRegression`.

References
----------
Viechtbauer W, Cheung MWL (2010). Outlier and influence diagnostics for meta-analysis.
Res Synth Methods 1:112-125.
Baujat B, Mahé C, Pignon JP, Hill C (2002). A graphical method for exploring heterogeneity in
meta-analyses: application to a meta-analysis of 65 trials. Stat Med 21:2641-2652.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .regression import ModelInputs, RegressionFit, fit_arrays, model_inputs

#: The columns of :func:`influence_diagnostics`, after ``study``.
INFLUENCE_COLUMNS = ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "weight")


class LeaveOneOut(NamedTuple):
    """The full fit, the k fits without one study each, and the model they came from."""

    model: ModelInputs
    full: RegressionFit
    deleted: RegressionFit
    pred_full: np.ndarray  # x_i' beta
    pred_deleted: np.ndarray  # x_i' beta_(-i)
    var_deleted: np.ndarray  # x_i' Var(beta_(-i)) x_i


def leave_one_out_fits(result) -> LeaveOneOut:
    """Refit the model of ``result`` once per study, without it (one batch call)."""
    model = model_inputs(result)
    k = len(model.yi)
    if k < 2:
        raise ValueError("influence diagnostics need at least 2 studies; got 1")
    options = dict(tau2=model.tau2, hksj=model.hksj)
    full = fit_arrays(model.yi, model.vi, model.X, **options)
    shape = (k, k)
    deleted = fit_arrays(np.broadcast_to(model.yi, shape), np.broadcast_to(model.vi, shape), model.X,
                         include=~np.eye(k, dtype=bool), **options)
    pred_deleted = np.einsum("ij,ij->i", model.X, deleted.beta)
    var_deleted = np.einsum("ij,ijk,ik->i", model.X, deleted.vb, model.X)
    return LeaveOneOut(model, full, deleted, model.X @ full.beta, pred_deleted, var_deleted)


def influence_diagnostics(result) -> pd.DataFrame:
    """Per-study influence diagnostics, as metafor's ``influence()``.

    Parameters
    ----------
    result : MetaResult or MetaRegression
        An inverse-variance analysis (``meta_binary(..., method="IV")``, ``meta_continuous``)
        or a meta-regression; fixed or random effects, z or Knapp-Hartung tests.

    Returns
    -------
    DataFrame
        One row per (estimable) study: ``study`` and ``rstudent, dffits, cook_d, cov_r,
        tau2_del, qe_del, hat, weight`` (weight in percent).

    Notes
    -----
    With :math:`(-i)` the fit without study i (τ² re-estimated), :math:`\\hat y_i = x_i^\\top\\hat\\beta`
    and :math:`s^2` the Knapp-Hartung factor (1 for z tests):

    - ``rstudent`` :math:`= (y_i - x_i^\\top\\hat\\beta_{(-i)}) / \\sqrt{s^2_{(-i)}(v_i + \\hat\\tau^2_{(-i)})
      + x_i^\\top \\operatorname{Var}(\\hat\\beta_{(-i)}) x_i}`
    - ``dffits`` :math:`= (\\hat y_i - x_i^\\top\\hat\\beta_{(-i)})
      / \\sqrt{s^2_{(-i)} h_i (\\hat\\tau^2_{(-i)} + v_i)}`
    - ``cook_d`` :math:`= (\\hat\\beta - \\hat\\beta_{(-i)})^\\top \\operatorname{Var}(\\hat\\beta)^{-1}
      (\\hat\\beta - \\hat\\beta_{(-i)})`
    - ``cov_r`` :math:`= \\det\\operatorname{Var}(\\hat\\beta_{(-i)}) / \\det\\operatorname{Var}(\\hat\\beta)`
    - ``tau2_del``, ``qe_del``: τ² and the (residual) heterogeneity Q without study i
    - ``hat`` :math:`h_i`: the diagonal of :math:`X (X^\\top W X)^{-1} X^\\top W` (the weights, as
      fractions, for a model without moderators); ``weight`` :math:`= 100\\, w_i / \\sum w`.

    References
    ----------
    Viechtbauer W, Cheung MWL (2010). Res Synth Methods 1:112-125.

    Examples
    --------
    >>> import pandas as pd
    >>> from metarmc import meta_continuous
    >>> df = pd.DataFrame({"study": ["A", "B", "C"], "mean_t": [1.0, 2.0, 0.5], "sd_t": [1.0, 1.0, 1.0],
    ...                    "n_t": [20, 30, 25], "mean_c": [0.0, 0.0, 0.0], "sd_c": [1.0, 1.0, 1.0],
    ...                    "n_c": [20, 30, 25]})
    >>> table = influence_diagnostics(meta_continuous(df))
    >>> round(float(table["hat"].sum()), 12)  # a fixed-effect model's hat values are its weights
    1.0
    """
    fits = leave_one_out_fits(result)
    model, full, deleted = fits.model, fits.full, fits.deleted
    difference = full.beta - deleted.beta
    cook = np.einsum("ij,jk,ik->i", difference, np.linalg.inv(full.vb), difference)
    resid = model.yi - fits.pred_deleted
    se_resid = np.sqrt(deleted.s2w * (model.vi + deleted.tau2) + fits.var_deleted)
    dffits = (fits.pred_full - fits.pred_deleted) / np.sqrt(deleted.s2w * full.hat * (deleted.tau2 + model.vi))
    return pd.DataFrame({"study": model.labels, "rstudent": resid / se_resid, "dffits": dffits, "cook_d": cook,
                         "cov_r": np.linalg.det(deleted.vb) / np.linalg.det(full.vb), "tau2_del": deleted.tau2,
                         "qe_del": deleted.qe, "hat": full.hat, "weight": full.weight * 100})


def baujat(result) -> pd.DataFrame:
    """The coordinates of the Baujat plot, as metafor's ``baujat()``.

    Returns
    -------
    DataFrame
        ``study``, ``x``: the study's contribution to the (residual) heterogeneity,
        :math:`(y_i - x_i^\\top\\hat\\beta)^2 / (v_i + \\hat\\tau^2)`, and ``y``: its influence on the
        fitted value, :math:`(x_i^\\top\\hat\\beta - x_i^\\top\\hat\\beta_{(-i)})^2 /
        x_i^\\top \\operatorname{Var}(\\hat\\beta_{(-i)}) x_i`.

    Notes
    -----
    For a fixed-effect model without moderators ``x`` sums to Cochran's Q.

    References
    ----------
    Baujat B, Mahé C, Pignon JP, Hill C (2002). Stat Med 21:2641-2652.
    """
    fits = leave_one_out_fits(result)
    model = fits.model
    x = (model.yi - fits.pred_full) ** 2 / (model.vi + fits.full.tau2)
    y = (fits.pred_deleted - fits.pred_full) ** 2 / fits.var_deleted
    return pd.DataFrame({"study": model.labels, "x": x, "y": y})
