"""Consistency checks of a paper's printed meta-analysis results, in the spirit of statcheck and GRIM.

A pooled result is printed as an estimate, its 95% CI, Z and P (and I², k and patient
counts). These numbers are not independent: the CI fixes the standard error, the estimate
and the SE fix Z, Z fixes P, and a Review Manager CI is symmetric around the estimate on
the analysis scale (log for ratios). Each *rule* below recomputes what one printed number
implies from the others and raises a :class:`Flag` when no set of unrounded values could
give everything that was printed: every printed number is taken as an interval (the value
plus or minus half a unit of its last printed decimal) and a flag needs the intervals to be
incompatible, so rounding alone never raises one.

Three rules also read the paper's other statements (a table shaped like
``data/reported_facts.csv``, :data:`FACT_COLUMNS`): counts against the text and Table 1, GRIM
for printed percentages, and the wording ("significant", "no significant heterogeneity")
against the numbers. A paper's own rule for choosing the model from I² (:class:`I2Rule`) is
a parameter: without one, the model and the wording about heterogeneity are not checked.

``reported`` is any table shaped like ``data/reported.csv``: columns ``analysis, k, n_total,
n_t, n_c, measure, model, estimate, ci_low, ci_high, z, p, i2`` (``p`` as printed, e.g.
``"<0.00001"`` or ``"0.04"``), read by :func:`metarmc.printed.read_printed`: numbers may be
strings as printed (their decimals are then counted) or floats (then at least two decimals
are assumed, Review Manager's convention).

References
----------
Nuijten MB, Hartgerink CHJ, van Assen MALM, Epskamp S, Wicherts JM (2016). The prevalence
of statistical reporting errors in psychology (1985-2013). Behav Res Methods 48:1205-1226.
Brown NJL, Heathers JAJ (2017). The GRIM test: a simple technique detects numerous anomalies
in the reporting of results in psychology. Soc Psychol Personal Sci 8:363-369.
Altman DG, Bland JM (2011). How to obtain the P value from a confidence interval. BMJ 343:d2304.
Deeks JJ, Higgins JPT (2010). Statistical algorithms in Review Manager 5.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from ..distributions import normal_p
from ..formatting import concise
from ..printed import PrintedResult, Rounded, ci_verdict, p_from_ci, percent_counts, read_printed, z_from_ci, z_interval
from ..schema import ALPHA

#: The columns of :func:`audit_frame`, in order.
FLAG_COLUMNS = ("analysis", "rule", "message", "expected", "printed", "difference")


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True, repr=False)
class Flag:
    """One contradiction between printed numbers.

    Parameters
    ----------
    analysis : str
        The ``reported`` row it concerns.
    rule : str
        The rule that raised it (``"z_from_ci"``, ...).
    message : str
        What was expected, what was printed and how large the difference is.
    expected : float or str
        What the other printed numbers imply (a number, or a word such as ``"random"``).
    printed : float or str
        What the paper printed (a ``"<0.00001"`` P is its bound, 0.00001).
    difference : float
        ``printed - expected`` for numbers; for words, the margin the rule's message names
        (e.g. I² minus the 50% threshold).
    """

    analysis: str
    rule: str
    message: str
    expected: float | str
    printed: float | str
    difference: float

    def as_dict(self) -> dict:
        """The flag as a plain dict (JSON-ready)."""
        return asdict(self)

    def __repr__(self) -> str:
        return f"Flag({self.analysis}, {self.rule}: {self.message})"


# --------------------------------------------------------------------------- the model rule


@dataclass(frozen=True)
class I2Rule:
    """A paper's rule for the model: fixed effect when I² is below ``threshold`` (%), random effects otherwise.

    Examples
    --------
    >>> rule = I2Rule(50.0)
    >>> rule.model(43.0), rule.model(50.0)
    ('fixed', 'random')
    """

    threshold: float

    def model(self, i2: float) -> str:
        return "random" if i2 >= self.threshold else "fixed"

    def model_for(self, row: PrintedResult) -> str | None:
        """The model the rule picks for every unrounded printed I² (None if rounding leaves it open)."""
        if row.i2 is None:
            return None
        low, high = self.model(row.i2.low), self.model(row.i2.high)
        return low if low == high else None

    def margin_text(self, row: PrintedResult) -> str:
        margin = row.i2.value - self.threshold
        return (f"I² = {row.i2.text}% is {abs(margin):g} points {'above' if margin >= 0 else 'below'} "
                f"the paper's {self.threshold:g}% threshold")


def _disjoint(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[1] < b[0] or b[1] < a[0]


# --------------------------------------------------------------------------- the rules

#: A rule: ``rule(reported, facts=None, i2_rule=None) -> list[Flag]``.
Rule = Callable[..., list[Flag]]


def _each_row(check: Callable[[PrintedResult, I2Rule | None], Flag | None]) -> Rule:
    """Turn a check of one printed row into a rule over a whole table (facts unused)."""

    def rule(reported: pd.DataFrame, facts: pd.DataFrame | None = None, i2_rule: I2Rule | None = None) -> list[Flag]:
        return [flag for row in read_printed(reported) if (flag := check(row, i2_rule)) is not None]

    rule.__name__ = rule.__qualname__ = check.__name__
    rule.__doc__ = check.__doc__
    return rule


def _flag(row: PrintedResult | str, rule: str, message: str, expected, printed, difference) -> Flag:
    analysis = row if isinstance(row, str) else row.analysis
    return Flag(analysis, rule, message, expected, printed, float(difference))


@_each_row
def check_ci_vs_p(row: PrintedResult, i2_rule: I2Rule | None = None) -> Flag | None:
    """ci_vs_p: a 95% CI that excludes the null with P ≥ 0.05, or includes it with P < 0.05.

    The CI limits and P are taken as their rounding intervals; a flag needs the CI to
    exclude (or include) the null for every unrounded value and P to be on the other side
    of :data:`ALPHA` for every unrounded value. ``expected`` is the P the CI implies
    (:func:`p_from_ci`).
    """
    if row.p is None:
        return None
    verdict = ci_verdict(row)
    if not ((verdict == "excludes" and row.p.low >= ALPHA) or (verdict == "includes" and row.p.high < ALPHA)):
        return None
    implied = float(p_from_ci(row.point("ci_low"), row.point("ci_high")))
    side = "≥" if verdict == "includes" else "<"
    return _flag(row, "ci_vs_p", f"the 95% CI {row.ci_text} {verdict} {row.null_text}, so P {side} {ALPHA} "
                 f"(the CI implies P = {implied:.3f}); printed P = {row.p.text}, "
                 f"a difference of {row.p.value - implied:+.3f}", implied, row.p.value, row.p.value - implied)


@_each_row
def check_z_from_ci(row: PrintedResult, i2_rule: I2Rule | None = None) -> Flag | None:
    """z_from_ci: printed Z outside the range the estimate and CI allow (:func:`z_interval`).

    ``expected`` is :func:`z_from_ci` at the printed values; the printed Z counts as
    contradictory only if its own rounding interval misses the allowed range.
    """
    if row.z is None:
        return None
    allowed = z_interval(row)
    if not _disjoint(allowed, (row.z.low, row.z.high)):
        return None
    implied = float(z_from_ci(row.point("estimate"), row.point("ci_low"), row.point("ci_high")))
    scale = " (log scale)" if row.is_ratio else ""
    return _flag(row, "z_from_ci", f"the estimate {row.estimate.text} and 95% CI {row.ci_text}{scale} "
                 f"imply Z = {implied:.2f} ({allowed[0]:.2f} to {allowed[1]:.2f} allowing for rounding); "
                 f"printed Z = {row.z.text}, a difference of {row.z.value - implied:+.2f}",
                 implied, row.z.value, row.z.value - implied)


@_each_row
def check_p_from_z(row: PrintedResult, i2_rule: I2Rule | None = None) -> Flag | None:
    """p_from_z: printed P outside the two-sided P range the printed Z (± rounding) allows.

    .. math:: P = 2\\,\\Phi(-|Z|), \\quad Z \\in [Z_{printed} - h, Z_{printed} + h]
    """
    if row.z is None or row.p is None:
        return None
    allowed = (float(normal_p(row.z.high)), float(normal_p(max(row.z.low, 0.0))))
    if not _disjoint(allowed, (row.p.low, row.p.high)):
        return None
    implied = float(normal_p(row.z.value))
    return _flag(row, "p_from_z", f"Z = {row.z.text} implies P = {implied:.4f} ({allowed[0]:.4f} to "
                 f"{allowed[1]:.4f} allowing for rounding); printed P = {row.p.text}, "
                 f"a difference of {row.p.value - implied:+.4f}", implied, row.p.value, row.p.value - implied)


@_each_row
def check_estimate_in_ci(row: PrintedResult, i2_rule: I2Rule | None = None) -> Flag | None:
    """estimate_in_ci: the estimate lies outside its own 95% CI.

    Rounding is monotone, so printed values suffice: if the printed estimate is below the
    printed lower limit, the unrounded one is below the unrounded limit too.
    ``expected`` is the limit crossed; ``difference`` how far beyond it the estimate lies.
    """
    estimate = row.estimate.value
    if row.ci_low.value <= estimate <= row.ci_high.value:
        return None
    limit, side = (row.ci_low.value, "below the lower") if estimate < row.ci_low.value else (row.ci_high.value,
                                                                                          "above the upper")
    return _flag(row, "estimate_in_ci", f"the estimate {row.estimate.text} lies outside its own 95% CI "
                 f"{row.ci_text}: {concise(abs(estimate - limit))} {side} limit", limit, estimate, estimate - limit)


@_each_row
def check_ci_symmetry(row: PrintedResult, i2_rule: I2Rule | None = None) -> Flag | None:
    """ci_symmetry: the estimate is not at the centre of its CI (log scale for ratios).

    Review Manager's CIs are :math:`\\hat\\theta \\pm 1.959964\\,SE` on the analysis scale,
    so :math:`(L + U)/2 - \\hat\\theta` must be 0 up to rounding; its range over the
    rounding intervals is
    :math:`[(L_{lo} + U_{lo})/2 - \\hat\\theta_{hi},\\ (L_{hi} + U_{hi})/2 - \\hat\\theta_{lo}]`.
    A flag means that range excludes 0, e.g. a sign error. ``expected`` is the centre
    back on the natural scale (the geometric mean of the limits for ratios).
    """
    est, low, high = row.on_scale(row.estimate), row.on_scale(row.ci_low), row.on_scale(row.ci_high)
    asymmetry = ((low[0] + high[0]) / 2 - est[1], (low[1] + high[1]) / 2 - est[0])
    if asymmetry[0] <= 0 <= asymmetry[1]:
        return None
    centre = row.from_scale((row.point("ci_low") + row.point("ci_high")) / 2)
    how = "geometric mean of the limits" if row.is_ratio else "midpoint"
    difference = row.estimate.value - centre
    return _flag(row, "ci_symmetry", f"the 95% CI {row.ci_text} is centred on {concise(centre)} ({how}); "
                 f"printed estimate {row.estimate.text}, a difference of {concise(difference, sign=True)}",
                 centre, row.estimate.value, difference)


@_each_row
def check_model_rule(row: PrintedResult, i2_rule: I2Rule | None = None) -> Flag | None:
    """model_rule: the printed model differs from the paper's own I² rule (``i2_rule``).

    A printed I² within rounding of the threshold (49.5 to 50.5 for a whole percent at 50)
    could go either way and is not flagged. ``difference`` is I² minus the threshold, in
    percentage points. Without a rule there is nothing to check.
    """
    expected = None if i2_rule is None else i2_rule.model_for(row)
    if expected is None or row.model is None or expected == row.model:
        return None
    return _flag(row, "model_rule", f"{i2_rule.margin_text(row)}, so its rule chooses {expected} effects; "
                 f"printed model: {row.model} effects", expected, row.model, row.i2.value - i2_rule.threshold)


def check_counts(reported: pd.DataFrame, facts: pd.DataFrame | None = None, i2_rule: I2Rule | None = None
                 ) -> list[Flag]:
    """counts: patients per arm against the total, and the paper's other statements of k and n.

    Checks, for every ``reported`` row: :math:`n_t + n_c = n_{total}`; every ``k``,
    ``n_total``, ``n_t``, ``n_c`` fact against the row; the sum of the ``study_n`` facts
    (e.g. Table 1's n per study) against ``n_total`` and their number against ``k``.
    ``expected`` is the other statement's value, ``printed`` the row's.
    """
    rows = {row.analysis: row for row in read_printed(reported)}
    flags = [flag for row in rows.values() if (flag := _arms_vs_total(row))]
    if facts is None:
        return flags
    facts = checked_facts(facts, reported)
    for fact in facts[facts["quantity"].isin(("k", "n_total", "n_t", "n_c"))].itertuples():
        row = rows[fact.analysis]
        printed, stated = getattr(row, fact.quantity), int(float(fact.value))
        if printed is not None and printed != stated:
            flags.append(_flag(row, "counts", f"{fact.quantity} = {stated} in {fact.location} "
                               f"({_quote(fact.quote)}); printed {fact.quantity} = {printed}, "
                               f"a difference of {printed - stated:+d}", stated, printed, printed - stated))
    for analysis, studies in facts[facts["quantity"] == "study_n"].groupby("analysis", sort=False):
        flags += _study_sizes_vs_row(rows[analysis], studies)
    return flags


def _arms_vs_total(row: PrintedResult) -> Flag | None:
    if None in (row.n_t, row.n_c, row.n_total) or row.n_t + row.n_c == row.n_total:
        return None
    arms = row.n_t + row.n_c
    return _flag(row, "counts", f"the arms' sizes {row.n_t} + {row.n_c} = {arms}; printed total {row.n_total}, "
                 f"a difference of {row.n_total - arms:+d}", arms, row.n_total, row.n_total - arms)


def _study_sizes_vs_row(row: PrintedResult, studies: pd.DataFrame) -> list[Flag]:
    sizes = studies["value"].astype(float).astype(int)
    where = ", ".join(dict.fromkeys(loc.split(",")[0] for loc in studies["location"]))
    flags = []
    if row.n_total is not None and sizes.sum() != row.n_total:
        flags.append(_flag(row, "counts", f"the {len(sizes)} study sizes in {where} "
                           f"({' + '.join(map(str, sizes))}) sum to {sizes.sum()}; printed total "
                           f"{row.n_total}, a difference of {row.n_total - sizes.sum():+d}",
                           int(sizes.sum()), row.n_total, row.n_total - int(sizes.sum())))
    if row.k is not None and len(sizes) != row.k:
        flags.append(_flag(row, "counts", f"{where} lists {len(sizes)} studies; printed k = {row.k}, "
                           f"a difference of {row.k - len(sizes):+d}", len(sizes), row.k, row.k - len(sizes)))
    return flags


def check_grim_percent(reported: pd.DataFrame, facts: pd.DataFrame | None = None, i2_rule: I2Rule | None = None
                       ) -> list[Flag]:
    """grim_percent: a printed percentage no integer count out of its printed denominator gives.

    A ``percent_t`` (``percent_c``) fact is paired with the ``n_t`` (``n_c``) fact of the
    same analysis and location, and with its ``events_t`` (``events_c``) fact if there is
    one. GRIM: with :math:`h` half a unit of the percentage's last decimal, some integer
    :math:`e` must satisfy

    .. math:: 100\\,e/n \\in [\\,\\%_{printed} - h,\\ \\%_{printed} + h\\,]

    and a printed count :math:`e` must itself satisfy it. ``expected`` is the nearest
    achievable percentage (or :math:`100\\,e/n` for a printed count).
    """
    if facts is None:
        return []
    facts = checked_facts(facts, reported)
    flags = []
    for (analysis, location), statement in facts.groupby(["analysis", "location"], sort=False):
        values = dict(zip(statement["quantity"], statement["value"]))
        quotes = dict(zip(statement["quantity"], statement["quote"]))
        for arm in ("t", "c"):
            if f"percent_{arm}" in values and f"n_{arm}" in values:
                percent = Rounded.parse(values[f"percent_{arm}"], 0, f"{analysis} percent_{arm}")
                events = values.get(f"events_{arm}")
                flags += _grim(analysis, location, quotes[f"percent_{arm}"], percent,
                               int(float(values[f"n_{arm}"])), None if events is None else int(float(events)))
    return flags


def _grim(analysis, location, quote, percent: Rounded, n: int, events: int | None) -> list[Flag]:
    low, high = percent_counts(percent, n)
    possible = range(int(low), int(high) + 1)
    where = f"{location} ({_quote(quote)})"
    if len(possible) == 0:
        nearest = 100 * round(percent.value * n / 100) / n
        return [_flag(analysis, "grim_percent", f"no count out of {n} gives {concise(percent.value)}% in {where}: "
                      f"the nearest is {nearest:.4f}%, a difference of {percent.value - nearest:+.4f} points",
                      nearest, percent.value, percent.value - nearest)]
    if events is not None and events not in possible:
        exact = 100 * events / n
        return [_flag(analysis, "grim_percent", f"{events}/{n} = {exact:.4f}%; printed {concise(percent.value)}% in "
                      f"{where}, a difference of {percent.value - exact:+.4f} points",
                      exact, percent.value, percent.value - exact)]
    return []


def check_wording(reported: pd.DataFrame, facts: pd.DataFrame | None = None, i2_rule: I2Rule | None = None
                  ) -> list[Flag]:
    """wording: the text's words against the numbers.

    An ``effect_claim`` fact (``significant`` / ``not_significant``) is checked against the
    95% CI: a CI that includes the null for every unrounded limit contradicts
    "significant", one that excludes it contradicts "not significant" (``difference``: the
    P the CI implies, :func:`~metarmc.printed.p_from_ci`, minus :data:`~metarmc.schema.ALPHA`).
    A ``heterogeneity_claim`` (``high`` / ``low``) is checked against the paper's own I² rule
    (``difference``: I² minus the threshold); without ``i2_rule`` it is not checked.
    """
    if facts is None:
        return []
    facts = checked_facts(facts, reported)
    rows = {row.analysis: row for row in read_printed(reported)}
    flags = []
    for fact in facts[facts["quantity"].isin(("effect_claim", "heterogeneity_claim"))].itertuples():
        if fact.quantity == "effect_claim":
            flags.append(_effect_wording(rows[fact.analysis], fact))
        elif i2_rule is not None:
            flags.append(_heterogeneity_wording(rows[fact.analysis], fact, i2_rule))
    return [flag for flag in flags if flag is not None]


def _effect_wording(row: PrintedResult, fact) -> Flag | None:
    expected = {"includes": "not_significant", "excludes": "significant", None: fact.value}[ci_verdict(row)]
    if expected == fact.value:
        return None
    implied = float(p_from_ci(row.point("ci_low"), row.point("ci_high")))
    return _flag(row, "wording", f"{fact.location} words the effect as {fact.value.replace('_', ' ')} "
                 f"({_quote(fact.quote)}), but the 95% CI {row.ci_text} {ci_verdict(row)} "
                 f"{row.null_text} (the CI implies P = {implied:.3f}, {abs(implied - ALPHA):.3f} "
                 f"{'above' if implied >= ALPHA else 'below'} {ALPHA})",
                 expected, fact.value, implied - ALPHA)


def _heterogeneity_wording(row: PrintedResult, fact, i2_rule: I2Rule) -> Flag | None:
    expected = {"random": "high", "fixed": "low", None: fact.value}[i2_rule.model_for(row)]
    if expected == fact.value:
        return None
    return _flag(row, "wording", f"{fact.location} calls heterogeneity {fact.value} ({_quote(fact.quote)}), but "
                 f"{i2_rule.margin_text(row)}", expected, fact.value, row.i2.value - i2_rule.threshold)


#: Every rule, in the order their flags are listed.
RULES: tuple[Rule, ...] = (check_ci_vs_p, check_z_from_ci, check_p_from_z, check_estimate_in_ci,
                           check_ci_symmetry, check_model_rule, check_counts, check_grim_percent, check_wording)

#: What each rule's flag says, in a reader's words (``rule`` of a :class:`Flag` -> title); the
#: two-arm GRIM of :mod:`~metarmc.audit.splits` is ``split_percent``.
RULE_TITLES = {"ci_vs_p": "CI and P contradict each other", "z_from_ci": "Z does not follow from the CI",
               "p_from_z": "P does not follow from Z", "estimate_in_ci": "estimate outside its own CI",
               "ci_symmetry": "CI not centred on the estimate", "model_rule": "model breaks the paper's own rule",
               "counts": "numbers of studies or women disagree", "grim_percent": "impossible percentage",
               "wording": "text contradicts the numbers",
               "split_percent": "no split of the women gives both printed percentages"}


def audit(reported: pd.DataFrame, facts: pd.DataFrame | None = None, rules: Sequence[Rule] = RULES, *,
          i2_rule: I2Rule | None = None) -> list[Flag]:
    """Run every rule on a ``reported.csv``-shaped table (and the paper's other statements).

    Parameters
    ----------
    reported : DataFrame
        One row per pooled analysis; columns :data:`~metarmc.printed.PRINTED_COLUMNS`.
    facts : DataFrame, optional
        The paper's other statements, columns :data:`FACT_COLUMNS` (values as printed text);
        without it the counts rule only checks the arms against the total, and GRIM and
        wording have nothing to check.
    rules : sequence of rules
        Default :data:`RULES`.
    i2_rule : I2Rule, optional
        The paper's own rule for the model; without it the model and the wording about
        heterogeneity are not checked.

    Returns
    -------
    list of Flag
        By analysis (in ``reported``'s order), then by rule.

    Examples
    --------
    >>> import pandas as pd
    >>> row = dict(analysis="a", k=8, n_total=361, n_t=167, n_c=194, measure="OR", model="fixed",
    ...            estimate=1.50, ci_low=0.98, ci_high=2.30, z=1.96, p="0.04", i2=0)
    >>> [flag.rule for flag in audit(pd.DataFrame([row]))]
    ['ci_vs_p', 'z_from_ci', 'p_from_z']
    """
    order = {name: i for i, name in enumerate(reported["analysis"])}
    flags = [flag for rule in rules for flag in rule(reported, facts, i2_rule)]
    return sorted(flags, key=lambda flag: order[flag.analysis])


def audit_frame(reported: pd.DataFrame, facts: pd.DataFrame | None = None, rules: Sequence[Rule] = RULES, *,
                i2_rule: I2Rule | None = None) -> pd.DataFrame:
    """:func:`audit` as a tidy table, one row per flag, columns :data:`FLAG_COLUMNS`."""
    flags = audit(reported, facts, rules, i2_rule=i2_rule)
    return pd.DataFrame([flag.as_dict() for flag in flags], columns=list(FLAG_COLUMNS))


# --------------------------------------------------------------------------- the paper's other statements

#: The columns of ``data/reported_facts.csv``.
FACT_COLUMNS = ("analysis", "quantity", "value", "location", "quote")
#: Each fact quantity and what its ``value`` holds.
FACT_QUANTITIES = {
    "k": "a count", "n_total": "a count", "n_t": "a count", "n_c": "a count", "study_n": "a count",
    "events_t": "a count", "events_c": "a count",
    "percent_t": "a number between 0 and 100", "percent_c": "a number between 0 and 100",
    "effect_claim": "significant or not_significant", "heterogeneity_claim": "high or low",
}
_CLAIMS = {"effect_claim": ("significant", "not_significant"), "heterogeneity_claim": ("high", "low")}


def checked_facts(facts: pd.DataFrame, reported: pd.DataFrame) -> pd.DataFrame:
    """``facts`` after checking it: its columns, quantities, values and analyses.

    Raises
    ------
    ValueError
        Naming the row (counted from 0) and what was expected.
    """
    missing = [c for c in FACT_COLUMNS if c not in facts.columns]
    if missing:
        raise ValueError(f"facts is missing column(s) {', '.join(missing)}; expected {', '.join(FACT_COLUMNS)}")
    known = set(reported["analysis"])
    for i, fact in enumerate(facts.itertuples()):
        if fact.analysis not in known:
            raise ValueError(f"facts row {i}: analysis must be one of {', '.join(known)}; got {fact.analysis!r}")
        if fact.quantity not in FACT_QUANTITIES:
            raise ValueError(f"facts row {i}: quantity must be one of {', '.join(FACT_QUANTITIES)}; "
                             f"got {fact.quantity!r}")
        if not _valid_fact_value(fact.quantity, str(fact.value)):
            raise ValueError(f"facts row {i}: {fact.quantity} must be {FACT_QUANTITIES[fact.quantity]}; "
                             f"got {fact.value!r}")
    return facts


def _valid_fact_value(quantity: str, value: str) -> bool:
    if quantity in _CLAIMS:
        return value in _CLAIMS[quantity]
    try:
        number = float(value)
    except ValueError:
        return False
    if quantity.startswith("percent"):
        return 0 <= number <= 100
    return number >= 0 and number == int(number)


# --------------------------------------------------------------------------- small helpers


def _quote(text: str) -> str:
    return f"“{text}”"
