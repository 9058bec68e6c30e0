"""Simulated meta-analyses of a binary outcome, and how often their 95% intervals cover the truth.

Each simulated meta-analysis has *k* studies (a fixed number, or drawn per meta-analysis
from a range). Each study takes its arm sizes and its control-arm risk from a row of a
*design* table (e.g. the live-birth trials), drawn with replacement, so the simulated trials
look like the real ones. Study *i*'s true log odds ratio is drawn around the mean
:math:`\\mu` of the meta-analysis, and its events are binomial:

.. math:: \\theta_i \\sim N(\\mu, \\tau^2), \\qquad
          c_i \\sim \\operatorname{Bin}(n_{2i}, p_{0i}), \\qquad
          a_i \\sim \\operatorname{Bin}(n_{1i}, p_{1i}), \\quad
          p_{1i} = \\operatorname{expit}(\\operatorname{logit} p_{0i} + \\theta_i)

All arrays have a leading batch axis (the meta-analyses) and a study axis padded to the
largest *k*, with an ``include`` mask; :func:`pool` and :func:`coverage` send them through
:func:`~metarmc.pooling.pool_binary` in a few batch calls (no Python loop over
meta-analyses). An interval *covers* when it contains :math:`\\mu`, the effect a
random-effects analysis estimates (and the common effect when :math:`\\tau^2 = 0`).

References
----------
Morris TP, White IR, Crowther MJ (2019). Using simulation studies to evaluate statistical
methods. Stat Med 38:2074-2102 (coverage and its Monte Carlo standard error).
IntHout J, Ioannidis JPA, Borm GF (2014). The Hartung-Knapp-Sidik-Jonkman method for random
effects meta-analysis is straightforward and considerably outperforms the standard
DerSimonian-Laird method. BMC Med Res Methodol 14:25.
Langan D, Higgins JPT, Jackson D, et al. (2019). A comparison of heterogeneity variance
estimators in simulated random-effects meta-analyses. Res Synth Methods 10:83-98.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd
from scipy import special

from .distributions import Z_95
from .measures import corresponding_risk
from .pooling import Pooled, pool_binary, prepare_binary

#: The columns of the design table: arm sizes and the control arm's events (its risk).
DESIGN_COLUMNS = ("total_t", "total_c", "events_c")
#: The intervals :func:`coverage` compares by default: name -> options of ``pool_binary``.
INTERVALS = {
    "Fixed effect (M-H)": {"model": "fixed"},
    "DL, Wald (RevMan)": {"model": "random", "tau2": "DL"},
    "DL, HKSJ": {"model": "random", "tau2": "DL", "hksj": True},
    "REML, Wald": {"model": "random", "tau2": "REML"},
}
#: Meta-analyses per call of the batch engine (see :func:`pool`).
CHUNK = 1000
#: The columns of :func:`coverage`, in order.
COVERAGE_COLUMNS = ("log_or", "tau2", "interval", "n_meta", "coverage", "mc_se", "mc_low", "mc_high",
                    "mean_width", "n_failed")
#: The columns of :func:`heterogeneity_by_arm_size`, in order.
HETEROGENEITY_COLUMNS = ("arm_scale", "median_arm", "tau2", "n_meta", "median_tau2", "median_i2",
                         "share_i2_zero")


@dataclass(frozen=True, repr=False)
class SimulatedMeta:
    """Many simulated meta-analyses of a binary outcome (batch ``n_meta``, studies ``k_max``).

    ``events_t``, ``total_t``, ``events_c``, ``total_c`` are integer arrays of shape
    ``(n_meta, k_max)``; ``include`` marks the studies of each meta-analysis (the rest is
    padding: drawn, but not part of it). ``log_or`` (:math:`\\mu`) and ``tau2`` are the true
    values of each meta-analysis, shape ``(n_meta,)``.
    """

    events_t: np.ndarray
    total_t: np.ndarray
    events_c: np.ndarray
    total_c: np.ndarray
    include: np.ndarray
    log_or: np.ndarray
    tau2: np.ndarray

    @property
    def n_meta(self) -> int:
        return len(self.log_or)

    @property
    def k(self) -> np.ndarray:
        """The number of studies of each meta-analysis."""
        return self.include.sum(axis=-1)

    def counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(events_t, total_t, events_c, total_c)``, as :func:`~metarmc.pool_binary` takes them."""
        return self.events_t, self.total_t, self.events_c, self.total_c

    def rows(self, index) -> SimulatedMeta:
        """The meta-analyses selected by ``index`` (a slice or an index array)."""
        return SimulatedMeta(*(getattr(self, field.name)[index] for field in fields(self)))

    def scenarios(self) -> pd.DataFrame:
        """The distinct true ``(log_or, tau2)`` pairs and how many meta-analyses each has."""
        frame = pd.DataFrame({"log_or": self.log_or, "tau2": self.tau2})
        return frame.groupby(["log_or", "tau2"], sort=True).size().rename("n_meta").reset_index()

    def to_frame(self) -> pd.DataFrame:
        """One row per study: ``meta`` (its meta-analysis), ``study``, the counts and the truth."""
        meta, study = np.nonzero(self.include)
        return pd.DataFrame({"meta": meta, "study": study,
                             **{name: values[meta, study] for name, values in
                                zip(("events_t", "total_t", "events_c", "total_c"), self.counts())},
                             "log_or": self.log_or[meta], "tau2": self.tau2[meta]})

    def __repr__(self) -> str:
        k = self.k
        studies = f"{k.min()}" if k.min() == k.max() else f"{k.min()} to {k.max()}"
        return (f"SimulatedMeta({self.n_meta} meta-analyses of {studies} studies, "
                f"{len(self.scenarios())} scenario(s) of (log_or, tau2))")


def scenario_grid(log_or, tau2, n_each: int) -> pd.DataFrame:
    """Every pair of a true mean log OR and a τ², ``n_each`` times.

    The pairs cycle fastest (row *j* is pair *j* mod the number of pairs), so any leading
    block of rows holds the scenarios in equal shares.

    Returns
    -------
    DataFrame
        Columns ``log_or`` and ``tau2``, ``n_each * len(log_or) * len(tau2)`` rows.
    """
    log_or = np.atleast_1d(np.asarray(log_or, dtype=float))
    tau2 = np.atleast_1d(np.asarray(tau2, dtype=float))
    _check_count("n_each", n_each)
    pairs = np.array([(m, t) for m in log_or for t in tau2])
    grid = np.tile(pairs, (n_each, 1))
    return pd.DataFrame({"log_or": grid[:, 0], "tau2": grid[:, 1]})


def simulate_binary_meta(n_meta: int, k, design: pd.DataFrame, log_or=0.0, tau2=0.0, arm_scale=1.0,
                         seed=None) -> SimulatedMeta:
    """Simulate ``n_meta`` meta-analyses of trials like those of ``design``.

    Parameters
    ----------
    n_meta : int
        How many meta-analyses.
    k : int or (int, int)
        Studies per meta-analysis, or the smallest and largest number (inclusive), drawn
        uniformly for each meta-analysis. At least 2.
    design : DataFrame
        One row per real trial with :data:`DESIGN_COLUMNS`; each simulated study copies the
        arm sizes and the control risk ``events_c / total_c`` of a row drawn at random.
    log_or, tau2 : float or array of shape (n_meta,)
        The true mean log odds ratio :math:`\\mu` and between-study variance :math:`\\tau^2`
        of each meta-analysis (see :func:`scenario_grid`).
    arm_scale : float
        Multiply the arm sizes by this (rounded, at least 1): bigger or smaller trials with
        the same risks.
    seed : int, numpy.random.SeedSequence or None
        For :func:`numpy.random.default_rng`; the same seed gives the same meta-analyses.

    Returns
    -------
    SimulatedMeta

    Examples
    --------
    >>> import pandas as pd
    >>> design = pd.DataFrame({"total_t": [20, 40], "total_c": [20, 40], "events_c": [10, 16]})
    >>> meta = simulate_binary_meta(1000, (3, 5), design, log_or=0.7, tau2=0.05, seed=1)
    >>> meta.events_t.shape, int(meta.k.min()), int(meta.k.max())
    ((1000, 5), 3, 5)
    """
    _check_count("n_meta", n_meta)
    k_min, k_max = _k_range(k)
    sizes_t, sizes_c, control_risk = _design_arrays(design)
    log_or = _per_meta("log_or", log_or, n_meta)
    tau2 = _per_meta("tau2", tau2, n_meta)
    if np.any(tau2 < 0):
        raise ValueError("tau2 must be >= 0")
    if not (np.isfinite(arm_scale) and arm_scale > 0):
        raise ValueError(f"arm_scale must be a positive number; got {arm_scale!r}")

    rng = np.random.default_rng(seed)
    k_each = rng.integers(k_min, k_max + 1, size=n_meta)
    rows = rng.integers(0, len(control_risk), size=(n_meta, k_max))
    theta = log_or[:, None] + np.sqrt(tau2)[:, None] * rng.standard_normal((n_meta, k_max))
    total_t = np.maximum(1, np.rint(sizes_t[rows] * arm_scale)).astype(np.int64)
    total_c = np.maximum(1, np.rint(sizes_c[rows] * arm_scale)).astype(np.int64)
    p0 = control_risk[rows]
    events_t = rng.binomial(total_t, corresponding_risk(p0, np.exp(theta)))
    events_c = rng.binomial(total_c, p0)
    include = np.arange(k_max) < k_each[:, None]
    return SimulatedMeta(events_t, total_t, events_c, total_c, include, log_or, tau2)


def publication_selection(meta: SimulatedMeta, *, keep: float, k: int, alpha: float = 0.05,
                          favoured: str = "higher", seed=None) -> SimulatedMeta:
    """Classic publication bias: the meta-analyses a reviewer would find if unfavourable trials went unpublished.

    Each trial of ``meta`` whose own two-sided test (Woolf's log odds ratio with RevMan's
    zero-cell rule, :func:`~metarmc.prepare_binary`) is significant at ``alpha`` in the
    ``favoured`` direction is published; every other trial is published with probability
    ``keep``. Each meta-analysis then consists of its first ``k`` published trials (fewer if
    fewer were published): simulate more trials than ``k`` (e.g. ``k / keep`` and more).

    Parameters
    ----------
    meta : SimulatedMeta
        The trials that were run (:func:`simulate_binary_meta`).
    keep : float
        Probability in [0, 1] that a trial without a significant favourable result is
        published (1: no publication bias).
    k : int
        Trials per meta-analysis once published.
    alpha : float
        Two-sided significance level of a trial's own test.
    favoured : {"higher", "lower"}
        The direction a trial must show to be sure of publication (an odds ratio above or below 1).
    seed : int, numpy.random.SeedSequence or None
        For the publication draws.

    Returns
    -------
    SimulatedMeta
        The published meta-analyses: study axis of width ``k`` (the first ``k`` published
        trials of each, in their order; ``include`` False where fewer were published).

    Examples
    --------
    >>> design = pd.DataFrame({"total_t": [40], "total_c": [40], "events_c": [20]})
    >>> ran = simulate_binary_meta(500, 30, design, seed=1)
    >>> published = publication_selection(ran, keep=0.2, k=8, seed=2)
    >>> int(published.k.max()), bool((published.k <= ran.k).all())
    (8, True)
    """
    if not 0 <= keep <= 1:
        raise ValueError(f"keep must be a probability in [0, 1]; got {keep!r}")
    _check_count("k", k)
    if favoured not in ("higher", "lower"):
        raise ValueError(f"favoured must be 'higher' or 'lower'; got {favoured!r}")
    prepared = prepare_binary(*meta.counts(), "OR", meta.include)
    yi, vi = prepared.effects()
    z = (yi if favoured == "higher" else -yi) / np.sqrt(vi)
    significant = prepared.include & (z > special.ndtri(1 - alpha / 2))
    drawn = np.random.default_rng(seed).random(meta.include.shape) < keep
    published = meta.include & (significant | drawn)
    first = np.argsort(~published, axis=-1, kind="stable")[:, :k]  # published trials first, in their order
    counts = {name: np.take_along_axis(getattr(meta, name), first, axis=-1)
              for name in ("events_t", "total_t", "events_c", "total_c")}
    return replace(meta, **counts, include=np.take_along_axis(published, first, axis=-1))


def pool(meta: SimulatedMeta, chunk: int = CHUNK, **options) -> Pooled:
    """Pool every simulated meta-analysis with :func:`~metarmc.pooling.pool_binary`.

    ``options`` are those of ``pool_binary`` (``measure``, ``method``, ``model``, ``tau2``,
    ``hksj``, ``prediction``). The batch is sent in blocks of ``chunk`` meta-analyses: the
    vectorised REML iteration runs until the slowest analysis of its batch has converged,
    so a few slow ones would otherwise hold up the whole batch (with 60,000 analyses, one
    block costs some twenty times more than blocks of 1,000).
    """
    _check_count("chunk", chunk)
    parts = [pool_binary(*part.counts(), include=part.include, **options)
             for part in (meta.rows(slice(start, start + chunk)) for start in range(0, meta.n_meta, chunk))]
    return Pooled(*(np.concatenate(field) for field in zip(*parts)))


def coverage(meta: SimulatedMeta, intervals=None, method="MH", chunk: int = CHUNK) -> pd.DataFrame:
    """How often each kind of 95% interval contains the true mean log odds ratio.

    Parameters
    ----------
    meta : SimulatedMeta
    intervals : mapping, optional
        Name -> options of :func:`~metarmc.pooling.pool_binary` (``model``, ``tau2``,
        ``hksj``); by default :data:`INTERVALS`: M-H fixed effect, DerSimonian-Laird with the
        Wald (normal) interval as in RevMan, DL with the Hartung-Knapp-Sidik-Jonkman
        interval, and REML with the Wald interval.
    method : {"MH", "IV"}
        The fixed-effect method (its Q gives DL's τ²); odds ratios throughout.
    chunk : int
        Meta-analyses per call of the batch engine (see :func:`pool`).

    Returns
    -------
    DataFrame
        :data:`COVERAGE_COLUMNS`, one row per scenario (true ``log_or`` and ``tau2``) and
        interval: ``coverage`` is the share of intervals that contain :math:`\\mu`, with its
        Monte Carlo standard error :math:`\\sqrt{c(1-c)/n}` and 95% interval ``mc_low`` to
        ``mc_high``; ``mean_width`` is the mean width of the interval on the log-OR scale;
        ``n_failed`` counts meta-analyses whose interval could not be computed (fewer than 2
        estimable studies), left out of ``n_meta``.

    Notes
    -----
    .. math:: \\widehat{\\text{coverage}} = \\frac1n \\sum_{j=1}^n
              1\\{L_j \\le \\mu \\le U_j\\}, \\qquad
              SE = \\sqrt{\\widehat{\\text{coverage}}\\,(1 - \\widehat{\\text{coverage}}) / n}

    (Morris, White & Crowther 2019, Table 6).
    """
    intervals = INTERVALS if intervals is None else intervals
    if not intervals:
        raise ValueError("intervals is empty; expected a mapping of name -> pool_binary options")
    if method not in ("MH", "IV"):
        raise ValueError(f"method must be 'MH' or 'IV' (Peto has no random effects); got {method!r}")
    frames = [_coverage_of(name, pool(meta, chunk, measure="OR", method=method, **options), meta)
              for name, options in intervals.items()]
    return pd.concat(frames, ignore_index=True)[list(COVERAGE_COLUMNS)]


def _coverage_of(name: str, pooled: Pooled, meta: SimulatedMeta) -> pd.DataFrame:
    ok = np.isfinite(pooled.ci_low) & np.isfinite(pooled.ci_high) & (pooled.k >= 2)
    frame = pd.DataFrame({"log_or": meta.log_or, "tau2": meta.tau2, "ok": ok,
                          "covered": ok & (pooled.ci_low <= meta.log_or) & (meta.log_or <= pooled.ci_high),
                          "width": np.where(ok, pooled.ci_high - pooled.ci_low, np.nan)})
    out = frame.groupby(["log_or", "tau2"], sort=True).agg(
        n_meta=("ok", "sum"), n_all=("ok", "size"), covered=("covered", "sum"),
        mean_width=("width", "mean")).reset_index()
    out["coverage"] = out["covered"] / out["n_meta"]
    out["mc_se"] = np.sqrt(out["coverage"] * (1 - out["coverage"]) / out["n_meta"])
    out["mc_low"] = out["coverage"] - Z_95 * out["mc_se"]
    out["mc_high"] = out["coverage"] + Z_95 * out["mc_se"]
    out["n_failed"] = out["n_all"] - out["n_meta"]
    out["interval"] = name
    return out


def heterogeneity_by_arm_size(design: pd.DataFrame, tau2: float, arm_scales, n_meta: int, k,
                              log_or=0.0, seed=None) -> pd.DataFrame:
    """The same true τ², trials of different sizes: what happens to the estimated τ² and to I².

    For each factor of ``arm_scales`` simulates ``n_meta`` meta-analyses
    (:func:`simulate_binary_meta` with that ``arm_scale``) and pools them as RevMan does
    (M-H odds ratio, DerSimonian-Laird τ² from its Q).

    Returns
    -------
    DataFrame
        :data:`HETEROGENEITY_COLUMNS`, one row per factor: the median arm size, the true τ²,
        the median estimated τ², the median I² (percent) and the share of meta-analyses
        with I² = 0.

    Notes
    -----
    I² measures the share of the variation in the study estimates that is not chance,
    roughly :math:`\\tau^2 / (\\tau^2 + s^2)` with :math:`s^2` a typical within-study
    variance (Higgins & Thompson 2002, Stat Med 21:1539-1558): with the same τ², more
    precise trials give a larger I².
    """
    scales = np.atleast_1d(np.asarray(arm_scales, dtype=float))
    seeds = np.random.SeedSequence(seed).spawn(len(scales))
    rows = []
    for scale, child in zip(scales, seeds):  # a handful of designs, each one batch
        meta = simulate_binary_meta(n_meta, k, design, log_or=log_or, tau2=tau2, arm_scale=scale, seed=child)
        pooled = pool(meta, model="random", tau2="DL")
        arms = np.concatenate([meta.total_t[meta.include], meta.total_c[meta.include]])
        rows.append({"arm_scale": scale, "median_arm": float(np.median(arms)), "tau2": float(tau2),
                     "n_meta": n_meta, "median_tau2": float(np.median(pooled.tau2)),
                     "median_i2": float(np.median(pooled.i2)), "share_i2_zero": float(np.mean(pooled.i2 == 0))})
    return pd.DataFrame(rows, columns=list(HETEROGENEITY_COLUMNS))


# --- input checks -----------------------------------------------------------------------------

def _check_count(name: str, value) -> None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")


def _k_range(k) -> tuple[int, int]:
    bounds = (k, k) if np.isscalar(k) else tuple(k)
    if len(bounds) != 2:
        raise ValueError(f"k must be an integer or a (smallest, largest) pair; got {k!r}")
    for bound in bounds:
        _check_count("k", bound)
    k_min, k_max = (int(b) for b in bounds)
    if k_min < 2 or k_max < k_min:
        raise ValueError(f"k must be at least 2 (and smallest <= largest); got {k!r}")
    return k_min, k_max


def _design_arrays(design: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = [c for c in DESIGN_COLUMNS if c not in getattr(design, "columns", ())]
    if missing:
        raise ValueError(f"design is missing column(s) {', '.join(missing)}; expected {', '.join(DESIGN_COLUMNS)}")
    if len(design) == 0:
        raise ValueError("design has no rows; expected one row per trial")
    total_t, total_c, events_c = (pd.to_numeric(design[c], errors="coerce").to_numpy(float) for c in DESIGN_COLUMNS)
    if not (np.isfinite(total_t).all() and np.isfinite(total_c).all() and np.isfinite(events_c).all()):
        raise ValueError("design: total_t, total_c and events_c must be numbers")
    if (total_t < 1).any() or (total_c < 1).any():
        raise ValueError("design: total_t and total_c must be at least 1")
    if ((events_c < 0) | (events_c > total_c)).any():
        raise ValueError("design: events_c must be between 0 and total_c")
    return total_t, total_c, events_c / total_c


def _per_meta(name: str, value, n_meta: int) -> np.ndarray:
    value = np.asarray(value, dtype=float)
    try:
        value = np.broadcast_to(value, (n_meta,)).copy()
    except ValueError:
        raise ValueError(f"{name} must be a number or an array of n_meta ({n_meta}) values; "
                         f"got shape {value.shape}") from None
    if not np.isfinite(value).all():
        raise ValueError(f"{name} must be finite")
    return value
