"""The DataFrame layer: ``meta_binary``, ``meta_continuous`` and ``leave_one_out``.

A thin wrapper over the array core in :mod:`metarmc.pooling`: it checks the input (a clear
``ValueError`` naming the study and the column, never a silent NaN), calls the core once,
and packs the arrays into a :class:`~metarmc.results.MetaResult`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from . import pooling
from .distributions import Z_95, chi2_sf
from .effects import CONTINUOUS_EFFECTS
from .results import MetaResult
from .schema import BINARY_COLUMNS, CONTINUOUS_COLUMNS, CONTINUOUS_MEASURES, GENERIC_COLUMNS, MEASURES, is_ratio


def meta_binary(df: pd.DataFrame, measure="OR", method="MH", model="fixed", tau2="DL",
                hksj=False, prediction=False, subgroup: str | None = None, correction="revman") -> MetaResult:
    """Meta-analysis of a binary outcome, as Review Manager 5 does it.

    Parameters
    ----------
    df : DataFrame
        Columns ``study, events_t, total_t, events_c, total_c`` (t = experimental/IVIG,
        c = control), plus the ``subgroup`` column if given.
    measure : {"OR", "RR", "RD"}
    method : {"MH", "IV", "Peto"}
        Mantel-Haenszel, inverse variance, or Peto (OR only, fixed effect only).
    model : {"fixed", "random"}
    tau2 : {"DL", "REML", "PM"}
        Between-study variance estimator for ``model="random"``; DL is RevMan's.
    hksj : {False, True, "adhoc"}
        Hartung-Knapp-Sidik-Jonkman CI (random effects; beyond RevMan); ``"adhoc"`` floors its
        variance factor at 1, so its SE is never below the conventional one (metafor's
        ``test="adhoc"``, :func:`metarmc.heterogeneity.hksj_scale`).
    prediction : bool
        A 95% prediction interval (random effects; beyond RevMan).
    subgroup : str, optional
        Column defining subgroups: pooled separately, with RevMan's test for subgroup differences.
    correction : {"revman", "all", "tacc"}
        Continuity correction for zero cells: RevMan's rule (default), 0.5 to every study, or
        the treatment-arm correction (:func:`metarmc.effects.continuity_corrected`; beyond RevMan).

    Returns
    -------
    MetaResult

    Notes
    -----
    Zero cells: 0.5 is added to each cell of a study with a zero cell (also inside the M-H
    sums); studies without events, or with only events, in both arms are not estimable for
    OR and RR. See :func:`metarmc.pooling.pool_binary` and the formulas in its helpers.

    References
    ----------
    Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"study": ["A", "B"], "events_t": [12, 5], "total_t": [20, 18],
    ...                    "events_c": [8, 4], "total_c": [21, 17]})
    >>> # M-H OR = (12*13/41 + 5*13/35) / (8*8/41 + 13*4/35)
    >>> round(meta_binary(df).estimate, 4)
    1.8584
    """
    _check_columns(df, ("study", *BINARY_COLUMNS), subgroup)
    _check_counts(df)
    options = dict(measure=measure, method=method, model=model, tau2=tau2, hksj=hksj, prediction=prediction,
                   correction=correction)
    return _analyse(df, subgroup, lambda part: _pool_binary_frame(part, **options), options)


def meta_continuous(df: pd.DataFrame, measure="MD", model="fixed", tau2="DL", hksj=False,
                    prediction=False, subgroup: str | None = None) -> MetaResult:
    """Inverse-variance meta-analysis of a continuous outcome, as Review Manager 5 does it.

    Parameters
    ----------
    df : DataFrame
        Columns ``study, mean_t, sd_t, n_t, mean_c, sd_c, n_c``.
    measure : {"MD", "SMD"}
        Mean difference (unpooled SE) or RevMan's Hedges' adjusted g.
    model, tau2, hksj, prediction, subgroup
        As in :func:`meta_binary`.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"study": ["A", "B"], "mean_t": [3300.0, 3150.0], "sd_t": [450.0, 500.0],
    ...                    "n_t": [30, 25], "mean_c": [3200.0, 3250.0], "sd_c": [480.0, 520.0], "n_c": [28, 27]})
    >>> # IV weights 1/(450²/30 + 480²/28) and 1/(500²/25 + 520²/27) on MDs 100 and -100
    >>> round(meta_continuous(df).estimate, 2)
    14.39
    """
    if measure not in CONTINUOUS_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(CONTINUOUS_MEASURES)}; got {measure!r}")
    _check_columns(df, ("study", *CONTINUOUS_COLUMNS), subgroup)
    _check_continuous(df)
    options = dict(model=model, tau2=tau2, hksj=hksj, prediction=prediction)
    return _analyse(df, subgroup, lambda part: _pool_continuous_frame(part, measure, **options), options)


def meta_generic(df: pd.DataFrame, measure="OR", model="fixed", tau2="DL", hksj=False, prediction=False,
                 subgroup: str | None = None) -> MetaResult:
    """Generic inverse-variance meta-analysis of estimates the studies report (RevMan's "generic inverse variance").

    For estimates that cannot be rebuilt from counts or means, such as an adjusted odds ratio.

    Parameters
    ----------
    df : DataFrame
        Columns ``study, yi, se``: each study's estimate on the analysis scale (the natural log
        for OR and RR, as RevMan enters "log[OR]") and its standard error.
    measure : {"OR", "RR", "RD", "MD", "SMD"}
        What ``yi`` estimates (ratios are back-transformed in the result).
    model, tau2, hksj, prediction, subgroup
        As in :func:`meta_binary`.

    Examples
    --------
    >>> import math
    >>> import pandas as pd
    >>> # an OR reported as 3.64 (1.78 to 7.67): log 3.64 and SE (log 7.67 - log 1.78) / (2 * 1.96)
    >>> # (Cochrane Handbook 6.5.2.2); that CI is not symmetric on the log scale, so the rebuilt one
    >>> # is centred on 3.64 with the reported width
    >>> se = (math.log(7.67) - math.log(1.78)) / (2 * 1.959964)
    >>> one = pd.DataFrame({"study": ["A"], "yi": [math.log(3.64)], "se": [se]})
    >>> [round(x, 2) for x in meta_generic(one).confidence_interval()]
    [1.75, 7.56]
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    _check_columns(df, ("study", *GENERIC_COLUMNS), subgroup)
    _numeric(df, "yi")
    se = _numeric(df, "se")
    _fail_where(df, se <= 0, lambda i: f"se must be positive; got {se[i]:g}")
    options = dict(model=model, tau2=tau2, hksj=hksj, prediction=prediction)
    return _analyse(df, subgroup, lambda part: _pool_generic_frame(part, measure, **options), options)


def pool_masked(df: pd.DataFrame, include, kind="binary", **options) -> tuple[pooling.Pooled, bool]:
    """Check a study table, then pool it once per row of the boolean mask ``include`` (B, k).

    One call of the batch core runs all B analyses: the shared engine of
    :func:`leave_one_out` (mask ``~eye(k)``) and the cumulative meta-analysis (``tri(k)``).
    ``options`` are those of :func:`meta_binary` or :func:`meta_continuous`. Returns the
    pooled arrays and whether the measure is a ratio (log scale).
    """
    k = len(df)
    if kind == "binary":
        _check_columns(df, ("study", *BINARY_COLUMNS), None)
        _check_counts(df)
        counts = [np.broadcast_to(df[c].to_numpy(float), (len(include), k)) for c in BINARY_COLUMNS]
        return pooling.pool_binary(*counts, include=include, **options), is_ratio(options.get("measure", "OR"))
    options = dict(options)
    measure = options.pop("measure", "MD")
    if measure not in CONTINUOUS_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(CONTINUOUS_MEASURES)}; got {measure!r}")
    _check_columns(df, ("study", *CONTINUOUS_COLUMNS), None)
    _check_continuous(df)
    yi, vi = CONTINUOUS_EFFECTS[measure](*(df[c].to_numpy(float) for c in CONTINUOUS_COLUMNS))
    shape = (len(include), k)
    return pooling.pool_effects(np.broadcast_to(yi, shape), np.broadcast_to(vi, shape), include=include,
                                **options), False


def leave_one_out(df: pd.DataFrame, kind="binary", **options) -> pd.DataFrame:
    """Re-pool leaving out each study in turn: one row per omitted study.

    All k analyses run through the batch core in one call (a (k, k) inclusion mask).
    ``options`` are those of :func:`meta_binary` or :func:`meta_continuous`.
    """
    pooled, ratio = pool_masked(df, ~np.eye(len(df), dtype=bool), kind, **options)
    back = np.exp if ratio else (lambda x: x)
    return pd.DataFrame({"omitted": df["study"].to_numpy(), "k": pooled.k,
                         "estimate": back(pooled.estimate), "ci_low": back(pooled.ci_low),
                         "ci_high": back(pooled.ci_high), "p": pooled.p, "i2": pooled.i2,
                         "tau2": pooled.tau2})


# --- input checks -----------------------------------------------------------------------------

def _check_columns(df: pd.DataFrame, required, subgroup):
    needed = (*required, subgroup) if subgroup else required
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}; expected {', '.join(needed)}")
    if len(df) == 0:
        raise ValueError("no studies: the table is empty")
    keys = [subgroup, "study"] if subgroup else ["study"]
    for name in needed:
        missing = df[name].isna().to_numpy()
        if missing.any():
            raise ValueError(f"study {df['study'].iloc[missing.argmax()]!r}: {name} is missing")
    duplicated = df.duplicated(keys)
    if duplicated.any():
        raise ValueError(f"study {df.loc[duplicated, 'study'].iloc[0]!r} appears twice"
                         + (f" in the same {subgroup!r} subgroup" if subgroup else ""))


def _numeric(df, column) -> np.ndarray:
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(f"study {df['study'].iloc[bad.argmax()]!r}: {column} must be a number; "
                         f"got {df[column].iloc[bad.argmax()]!r}")
    return values


def _fail_where(df, bad, message):
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(f"study {df['study'].iloc[i]!r}: {message(i)}")


def _check_counts(df):
    values = {c: _numeric(df, c) for c in BINARY_COLUMNS}
    for c, v in values.items():
        _fail_where(df, (v < 0) | (v != np.round(v)),
                    lambda i, c=c, v=v: f"{c} must be a non-negative integer; got {v[i]:g}")
    for arm in ("t", "c"):
        events, total = values[f"events_{arm}"], values[f"total_{arm}"]
        _fail_where(df, total == 0, lambda i, arm=arm: f"total_{arm} must be at least 1; got 0")
        _fail_where(df, events > total, lambda i, arm=arm, e=events, n=total:
                    f"events_{arm} ({e[i]:g}) exceeds total_{arm} ({n[i]:g})")


def _check_continuous(df):
    values = {c: _numeric(df, c) for c in CONTINUOUS_COLUMNS}
    for arm in ("t", "c"):
        sd, n = values[f"sd_{arm}"], values[f"n_{arm}"]
        _fail_where(df, sd <= 0, lambda i, arm=arm, sd=sd: f"sd_{arm} must be positive; got {sd[i]:g}")
        _fail_where(df, (n < 1) | (n != np.round(n)),
                    lambda i, arm=arm, n=n: f"n_{arm} must be a positive integer; got {n[i]:g}")


# --- from arrays to results -------------------------------------------------------------------

def _pool_binary_frame(df, measure, method, **options):
    pooled = pooling.pool_binary(*(df[c].to_numpy(float) for c in BINARY_COLUMNS),
                                 measure=measure, method=method, **options)
    return pooled, measure, method


def _pool_continuous_frame(df, measure, **options):
    yi, vi = CONTINUOUS_EFFECTS[measure](*(df[c].to_numpy(float) for c in CONTINUOUS_COLUMNS))
    return pooling.pool_effects(yi, vi, **options), measure, "IV"


def _pool_generic_frame(df, measure, **options):
    yi, se = (df[c].to_numpy(float) for c in GENERIC_COLUMNS)
    return pooling.pool_effects(yi, se**2, **options), measure, "IV"


def _analyse(df, subgroup, pool, options) -> MetaResult:
    """Pool the whole table and, with ``subgroup``, each subgroup (RevMan's subtotals and total)."""
    overall = _result(df, *pool(df), options)
    if not subgroup:
        return overall
    parts = {}
    for name, part in df.groupby(subgroup, sort=False):
        part = part.reset_index(drop=True)
        pooled, measure, method = pool(part)
        if int(pooled.k) > 0:  # a subgroup with no estimable study has no subtotal
            parts[str(name)] = _result(part, pooled, measure, method, options)
    q, q_df, q_p = subgroup_differences(list(parts.values()))
    return replace(overall, subgroups=parts, subgroup_column=subgroup, subgroup_q=q, subgroup_df=q_df,
                   subgroup_p=q_p)


def subgroup_differences(results) -> tuple[float, int, float]:
    """RevMan 5.1+ test for subgroup differences.

    .. math:: Q_{between} = \\sum_j \\frac{(\\hat\\theta_j - \\bar\\theta)^2}{SE_j^2}, \\quad
              \\bar\\theta = \\frac{\\sum \\hat\\theta_j / SE_j^2}{\\sum 1/SE_j^2}, \\quad df = J - 1

    over the subgroups that have an estimate (log scale for ratios). NaN p for J < 2.
    """
    theta = np.array([np.log(r.estimate) if r.is_ratio else r.estimate for r in results])
    se = np.array([r.se for r in results])
    if len(results) < 2:
        return 0.0, 0, float("nan")
    w = 1 / se**2
    mean = (w * theta).sum() / w.sum()
    q = float((w * (theta - mean) ** 2).sum())
    df = len(results) - 1
    return q, df, float(chi2_sf(q, df))


def _result(df, pooled, measure, method, options) -> MetaResult:
    if int(pooled.k) == 0:
        raise ValueError("no estimable study: every study has no events (or only events) in both arms")
    if options["hksj"] and int(pooled.k) < 2:
        raise ValueError("hksj needs at least 2 estimable studies (its t test has k - 1 df)")
    back = np.exp if is_ratio(measure) else (lambda x: x)
    scalar = {name: float(getattr(pooled, name)) for name in
              ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")}
    natural = {name: float(back(value)) for name, value in scalar.items()}
    return MetaResult(
        measure=measure, method=method, model=options["model"], correction=options.get("correction", "revman"),
        tau2_method=options["tau2"] if options["model"] == "random" else None,
        hksj="adhoc" if options["hksj"] == "adhoc" else bool(options["hksj"]), k=int(pooled.k), **natural,
        se=float(pooled.se), z=float(pooled.z), p=float(pooled.p), q=float(pooled.q),
        q_df=int(pooled.q_df), q_p=float(pooled.q_p), i2=float(pooled.i2), tau2=float(pooled.tau2),
        studies=_study_table(df, pooled, back), converged=bool(pooled.converged))


def _study_table(df, pooled, back) -> pd.DataFrame:
    se = np.sqrt(pooled.vi)
    table = df.reset_index(drop=True).copy()
    table["estimable"] = pooled.include
    table["estimate"] = np.where(pooled.include, back(pooled.yi), np.nan)
    table["ci_low"] = np.where(pooled.include, back(pooled.yi - Z_95 * se), np.nan)
    table["ci_high"] = np.where(pooled.include, back(pooled.yi + Z_95 * se), np.nan)
    table["se"] = np.where(pooled.include, se, np.nan)  # log scale for ratios
    table["weight"] = np.where(pooled.include, pooled.weight, 0.0)
    return table

