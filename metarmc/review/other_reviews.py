"""Other reviews of IVIG for recurrent miscarriage beside the paper: their study sets and estimates.

Reads ``data/other_reviews.csv`` (through :meth:`metarmc.data.Review.other_review_list`) and
answers, from the data only, what a Cochrane "agreements and disagreements with other reviews"
section needs:

- which randomised trials another review included that the paper left out, named where the
  review's list of trials was seen, else bounded below by a count (:func:`study_sets`);
- which non-randomised studies the paper pooled that another review did not include, and why
  (:func:`nonrandomised_added`);
- each review's live-birth estimate beside the paper's printed one, our reproduction, and our
  data pooled in the review's own measure (:func:`estimates`).

Measures are never silently converted. An odds ratio of *no* live birth is the reciprocal of
the odds ratio of live birth, so it is converted exactly; a risk ratio is not (see
:func:`as_live_birth_or`), so it is shown as printed and compared only by its direction and by
whether its CI excludes no effect.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..formatting import estimate_ci
from ..results import MetaResult
from .paper import as_the_paper_did, reproduce, study_table
from .registry import INTERVENTION, OUTCOMES

#: The paper's analysis for each subgroup of ``other_reviews.csv``.
SUBGROUP_ANALYSIS = {"all": "live_birth", "primary": "live_birth_primary", "secondary": "live_birth_secondary"}

#: The ``randomised`` values of ``studies.csv`` that make up each kind of evidence a review admits.
EVIDENCE_DESIGNS = {"randomised": ("yes",), "non_randomised": ("no",), "mixed": ("yes", "no", "unclear"),
                    "unclear": ("yes", "no", "unclear")}

_OUTCOME_TITLES = {"live_birth": "Live birth", "no_live_birth": "No live birth"}
_SUBGROUP_TITLES = {"all": "", "primary": ", primary RM", "secondary": ", secondary RM"}


def key_label(key: str) -> str:
    """``"Perino 1997"`` for the trial key ``"perino1997"`` (first author, then year).

    Examples
    --------
    >>> key_label("perino1997"), key_label("stephenson1998b")
    ('Perino 1997', 'Stephenson 1998b')
    """
    split = next(index for index, char in enumerate(key) if char.isdigit())
    return f"{key[:split].capitalize()} {key[split:]}"


def key_year(key: str) -> int:
    """The year of a trial key: ``1998`` for ``"stephenson1998b"``."""
    return int(key_label(key).split()[1][:4])


def search_years(review) -> tuple[int, int]:
    """The first and last year of the paper's search (``search.csv`` fields ``date_from``, ``date_to``)."""
    dates = review.search.set_index("field")["value"]
    return int(dates["date_from"][:4]), int(dates["date_to"][:4])


def cutoff(row) -> tuple[int, str]:
    """The last year a study can have been published in to be in a review, and what it rests on.

    The year of the review's last search where it was seen (``search_end``), else its
    publication year: a study published in a later year cannot be among its studies.

    Examples
    --------
    >>> cutoff({"search_end": "2005-06", "year": 2007}), cutoff({"search_end": pd.NA, "year": 2015})
    ((2005, 'search'), (2015, 'publication'))
    """
    if isinstance(row["search_end"], str):
        return int(row["search_end"][:4]), "search"
    return int(row["year"]), "publication"


def study_sets(review) -> pd.DataFrame:
    """For each other review, how its studies relate to the paper's 11.

    Parameters
    ----------
    review : metarmc.data.Review
        From :func:`metarmc.load`.

    Returns
    -------
    DataFrame
        One row per review, in file order: ``review`` (label), ``review_id``, ``evidence``,
        ``trials_listed``, ``cutoff`` and ``cutoff_basis`` (:func:`cutoff`), ``n_studies``,
        ``n_rcts``, ``in_paper`` (labels of the paper's studies the review lists),
        ``published_later`` (the paper's studies published after the cutoff, which the review
        cannot include), ``rcts_not_in_paper`` (keys of the trials it lists that the paper did
        not include, when the review admits randomised trials only) and
        ``rcts_not_in_paper_min``, the fewest randomised trials it must hold that the paper left
        out, and ``rcts_in_paper_window``, those of ``rcts_not_in_paper`` published within the
        years the paper searched (:func:`search_years`).

    Notes
    -----
    With :math:`R` the review's number of randomised trials and :math:`m` the paper's studies
    that could be among them (published by the cutoff and not known to be non-randomised),
    at least :math:`R - m` of its trials are not the paper's; and every trial it lists that the
    paper did not include is one. ``rcts_not_in_paper_min`` is the larger of the two bounds
    (0 when neither says anything).

    Examples
    --------
    >>> from metarmc import load
    >>> sets = study_sets(load()).set_index("review_id")
    >>> int(sets.loc["egerup2015", "rcts_not_in_paper_min"]), sets.loc["yang2020", "rcts_not_in_paper"]
    (4, ('unnamed1994', 'perino1997', 'stephenson1998'))
    """
    studies = review.studies
    first, last = search_years(review)
    rows = []
    for row in review.other_review_list().itertuples(index=False):
        year, basis = cutoff(row._asdict())
        possible = studies[(studies["year"] <= year) & (studies["randomised"] != "no")]
        named = row.trials_other if row.evidence == "randomised" else ()
        bounds = [len(named)] + ([int(row.n_rcts) - len(possible)] if not pd.isna(row.n_rcts) else [])
        rows.append({
            "review": row.label, "review_id": row.review_id, "evidence": row.evidence,
            "trials_listed": row.trials_listed, "cutoff": year, "cutoff_basis": basis,
            "n_studies": row.n_studies, "n_rcts": row.n_rcts, "in_paper": row.studies_in_paper,
            "published_later": tuple(studies.loc[studies["year"] > year, "label"]),
            "rcts_not_in_paper": named, "rcts_not_in_paper_min": max(bounds),
            "rcts_in_paper_window": tuple(key for key in named if first <= key_year(key) <= last),
        })
    return pd.DataFrame(rows).astype({"n_studies": "Int64", "n_rcts": "Int64"})


def nonrandomised_added(review) -> pd.DataFrame:
    """For each other review and each non-randomised study the paper pooled, whether the review has it.

    Returns
    -------
    DataFrame
        ``review``, ``review_id``, ``study`` (the paper's label), ``study_id``, ``included``
        (``yes``, ``no`` or ``unknown``) and ``reason``, the first that applies of: the review
        lists it; it was published after the review's cutoff; the review admits randomised
        trials only; the review's complete list does not name it; else unknown.

    Examples
    --------
    >>> from metarmc import load
    >>> table = nonrandomised_added(load()).set_index(["review_id", "study_id"])
    >>> table.loc[("habets2022", "jafarzadeh2019"), "included"], table.loc[("hutton2007", "peero2024"), "included"]
    ('yes', 'no')
    """
    added = review.studies[review.studies["randomised"] == "no"]
    rows = []
    for row in review.other_review_list().to_dict("records"):
        year, basis = cutoff(row)
        for study in added.itertuples(index=False):
            included, reason = _inclusion(row, study, year, basis)
            rows.append({"review": row["label"], "review_id": row["review_id"], "study": study.label,
                         "study_id": study.study_id, "included": included, "reason": reason})
    return pd.DataFrame(rows, columns=["review", "review_id", "study", "study_id", "included", "reason"])


def _inclusion(row: dict, study, year: int, basis: str) -> tuple[str, str]:
    """Whether a review includes one study, and the first reason that settles it."""
    if study.study_id in row["trials_in_paper"]:
        return "yes", "listed among its studies"
    if study.year > year:
        after = "its last search" if basis == "search" else "the review"
        return "no", f"published in {study.year}, after {after} ({year})"
    if row["evidence"] == "randomised":
        return "no", "it admits randomised trials only"
    if row["trials_listed"] == "complete":
        return "no", "not in its complete list of studies"
    return "unknown", "its list of studies was not seen whole"


def as_live_birth_or(measure: str, outcome: str, estimate: float, ci_low: float, ci_high: float):
    """A printed result as an odds ratio of live birth, where that conversion is exact.

    Parameters
    ----------
    measure : {"OR", "RR"}
    outcome : {"live_birth", "no_live_birth"}
    estimate, ci_low, ci_high : float
        As printed.

    Returns
    -------
    tuple of float or None
        ``(estimate, ci_low, ci_high)`` as an OR of live birth, or None when no exact
        conversion exists.

    Notes
    -----
    The odds ratio is symmetric in the outcome: with odds :math:`o = p/(1-p)` of the event,
    the odds of its complement are :math:`1/o`, so :math:`OR_{\\text{no live birth}} =
    1/OR_{\\text{live birth}}` and the interval's limits swap. A risk ratio is not:
    :math:`RR_{\\text{no live birth}} = (1-p_t)/(1-p_c)` depends on the arm risks
    :math:`p_t, p_c`, not only on :math:`RR_{\\text{live birth}} = p_t/p_c`, and neither RR fixes
    the OR without them. So only ORs are converted.

    Examples
    --------
    >>> as_live_birth_or("OR", "no_live_birth", 0.5, 0.25, 1.0)
    (2.0, 1.0, 4.0)
    >>> as_live_birth_or("RR", "no_live_birth", 0.92, 0.75, 1.12) is None
    True
    """
    if measure != "OR":
        return None
    if outcome == "live_birth":
        return estimate, ci_low, ci_high
    return 1 / estimate, 1 / ci_high, 1 / ci_low


def favours(outcome: str, estimate: float) -> str:
    """Which arm a ratio favours: more live births (or fewer women without one) favour IVIG.

    Examples
    --------
    >>> favours("live_birth", 1.25), favours("no_live_birth", 1.25), favours("live_birth", 1.0)
    ('IVIG', 'control', 'neither')
    """
    if estimate == 1:
        return "neither"
    return INTERVENTION if (estimate > 1) == (outcome == "live_birth") else "control"


def excludes_no_effect(ci_low: float, ci_high: float) -> bool:
    """Whether a ratio's CI leaves out 1 (a limit printed as 1.00 does not leave it out).

    Examples
    --------
    >>> excludes_no_effect(1.00, 1.56), excludes_no_effect(1.44, 2.73)
    (False, True)
    """
    return bool(ci_low > 1 or ci_high < 1)


def same_evidence_pool(review, row) -> MetaResult | None:
    """Our traceable data as close to a review's evidence as the data allow, pooled in its measure.

    The studies of the paper's analysis for the review's subgroup (:data:`SUBGROUP_ANALYSIS`)
    whose design the review admits (:data:`EVIDENCE_DESIGNS`) and that were published by its
    cutoff (:func:`cutoff`), pooled by the paper's method (Mantel-Haenszel, its I² rule) in the
    review's measure; for "no live birth" the events are the women without a live birth
    (``total - events``). None if no such study has data.
    """
    analysis = OUTCOMES[SUBGROUP_ANALYSIS[row["subgroup"]]]
    year, _ = cutoff(row)
    table = study_table(review, analysis)
    table = table[table["randomised"].isin(EVIDENCE_DESIGNS[row["evidence"]]) & (table["year"] <= year)]
    if row["outcome"] == "no_live_birth":
        table = table.assign(events_t=table["total_t"] - table["events_t"],
                             events_c=table["total_c"] - table["events_c"])
    if table.empty:
        return None
    return as_the_paper_did(table.reset_index(drop=True), replace(analysis, measure=row["measure"]))


def estimates(review) -> pd.DataFrame:
    """Each other review's extracted live-birth result beside the paper's and ours.

    Returns
    -------
    DataFrame
        One row per extracted row of ``other_reviews.csv``: ``review``, ``review_id``,
        ``outcome``, ``subgroup``, ``analysis`` (its title), ``measure``, ``estimate``,
        ``ci_low``, ``ci_high``, ``printed`` (text), ``favours`` (:func:`favours`),
        ``excludes_null`` (:func:`excludes_no_effect`), ``or_estimate``, ``or_low``, ``or_high``
        (:func:`as_live_birth_or`; NaN when not convertible), ``ours`` (text), ``ours_k`` and
        ``ours_excludes_null`` from :func:`same_evidence_pool`, and the paper's ``paper`` (printed) and ``reproduction``
        (ours by its method, :func:`~metarmc.review.paper.reproduce`) for the same subgroup,
        both ORs of live birth.
    """
    reviews = review.other_review_list().set_index("review_id")
    results = review.other_reviews[review.other_reviews["status"] == "extracted"]
    paper = {name: reproduce(review, name) for name in SUBGROUP_ANALYSIS.values()}
    rows = []
    for result in results.to_dict("records"):
        row = {**reviews.loc[result["review_id"]].to_dict(), **result}
        rep, ours = paper[SUBGROUP_ANALYSIS[row["subgroup"]]], same_evidence_pool(review, row)
        converted = as_live_birth_or(row["measure"], row["outcome"], row["estimate"], row["ci_low"], row["ci_high"])
        rows.append({
            "review": row["label"], "review_id": row["review_id"], "outcome": row["outcome"],
            "subgroup": row["subgroup"],
            "analysis": _OUTCOME_TITLES[row["outcome"]] + _SUBGROUP_TITLES[row["subgroup"]],
            "measure": row["measure"], "estimate": row["estimate"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
            "printed": _text(row["measure"], row["estimate"], row["ci_low"], row["ci_high"]),
            "favours": favours(row["outcome"], row["estimate"]),
            "excludes_null": excludes_no_effect(row["ci_low"], row["ci_high"]),
            **dict(zip(("or_estimate", "or_low", "or_high"), converted or (np.nan,) * 3)),
            "ours": _text(ours.measure, ours.estimate, ours.ci_low, ours.ci_high) if ours else "no traceable study",
            "ours_k": ours.k if ours else 0,
            "ours_excludes_null": excludes_no_effect(ours.ci_low, ours.ci_high) if ours else False,
            "paper": _text("OR", rep.reported["estimate"], rep.reported["ci_low"], rep.reported["ci_high"]),
            "reproduction": (_text("OR", rep.result.estimate, rep.result.ci_low, rep.result.ci_high)
                             if rep.result else "no per-study data"),
        })
    return pd.DataFrame(rows)


def paper_results(review) -> pd.DataFrame:
    """The paper's printed live-birth results (overall, primary, secondary RM) beside our reproduction.

    Returns
    -------
    DataFrame
        ``subgroup``, ``analysis``, ``k_paper``, ``paper`` (printed OR, text), ``paper_excludes_null``,
        ``k_ours``, ``reproduction`` (:func:`~metarmc.review.paper.reproduce`, text; "no per-study
        data" when none) and ``reproduction_excludes_null``.
    """
    rows = []
    for subgroup, name in SUBGROUP_ANALYSIS.items():
        rep = reproduce(review, name)
        printed, ours = rep.reported, rep.result
        rows.append({
            "subgroup": subgroup, "analysis": _OUTCOME_TITLES["live_birth"] + _SUBGROUP_TITLES[subgroup],
            "k_paper": int(printed["k"]),
            "paper": _text("OR", printed["estimate"], printed["ci_low"], printed["ci_high"]),
            "paper_excludes_null": excludes_no_effect(printed["ci_low"], printed["ci_high"]),
            "k_ours": ours.k if ours else 0,
            "reproduction": _text("OR", ours.estimate, ours.ci_low, ours.ci_high) if ours else "no per-study data",
            "reproduction_excludes_null": excludes_no_effect(ours.ci_low, ours.ci_high) if ours else False,
        })
    return pd.DataFrame(rows)


def _text(measure: str, estimate: float, ci_low: float, ci_high: float) -> str:
    """``RR 0.92 (0.75 to 1.12)``."""
    return f"{measure} {estimate_ci(estimate, ci_low, ci_high, label='')}"


_EVIDENCE_TEXT = {"randomised": "RCTs", "non_randomised": "non-randomised", "mixed": "any", "unclear": "not seen"}
_DESIGN_TEXT = {"aggregate": "aggregate", "aggregate_and_ipd": "IPD too", "narrative": "narrative",
                "unclear": "not seen"}
_SOURCE_TEXT = {"bibliographic_record": "record", "figure_legends": "figure legends",
                "reference_list": "reference list", "full_text": "full text"}

#: What a table cell shows for a value the review does not state (or we did not see).
UNSTATED = "–"


def _count(value) -> str:
    """A count for a table cell, or :data:`UNSTATED`."""
    return UNSTATED if pd.isna(value) else str(int(value))


@dataclass(frozen=True, eq=False)
class ReviewComparison:
    """The paper beside the other reviews of ``other_reviews.csv``; see :func:`compare_reviews`.

    Attributes
    ----------
    reviews : DataFrame
        :meth:`metarmc.data.Review.other_review_list`, with ``read``: the kinds of document read.
    study_sets, nonrandomised, estimates, paper : DataFrame
        :func:`study_sets`, :func:`nonrandomised_added`, :func:`estimates`, :func:`paper_results`.

    The ``*_table`` methods give the same facts as text with short headers, for reading.
    """

    reviews: pd.DataFrame
    study_sets: pd.DataFrame
    nonrandomised: pd.DataFrame
    estimates: pd.DataFrame
    paper: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The estimates, one row per other review's result (:func:`estimates`)."""
        return self.estimates

    def __repr__(self) -> str:
        named = sum(len(keys) for keys in self.study_sets["rcts_not_in_paper"])
        return (f"ReviewComparison({len(self.study_sets)} reviews, {len(self.estimates)} results; "
                f"{named} RCTs named that the paper left out)")

    def review_table(self) -> pd.DataFrame:
        """One row per review: what it admits and holds, what of it was seen, whether the paper cites it."""
        seen = {"complete": "all {}", "partial": "{} (cut off)", "none": "none"}
        return pd.DataFrame({
            "Review": self.reviews["label"],
            "Admits": self.reviews["evidence"].map(_EVIDENCE_TEXT),
            "Data": self.reviews["design"].map(_DESIGN_TEXT),
            "Studies (RCTs)": [f"{_count(k)} ({_count(r)})" for k, r in zip(self.reviews["n_studies"],
                                                                              self.reviews["n_rcts"])],
            "Women": [_count(n) for n in self.reviews["n_participants"]],
            "Search to": self.reviews["search_end"].fillna(UNSTATED),
            "Trials seen": [seen[listed].format(len(paper) + len(other)) for listed, paper, other in
                            zip(self.reviews["trials_listed"], self.reviews["trials_in_paper"],
                                self.reviews["trials_other"])],
            "Read": self.reviews["read"],
            "Paper cites": [f"ref. {int(n)}" if not pd.isna(n) else "no" for n in self.reviews["paper_ref"]],
        })

    def study_set_table(self) -> pd.DataFrame:
        """One row per review: the paper's studies it names, RCTs it holds that the paper left out, and
        the paper's studies it cannot hold (published after its cut-off)."""
        basis = {"search": "last search", "publication": "publication"}
        return pd.DataFrame({
            "Review": self.study_sets["review"],
            "Cut-off": [f"{year} ({basis[b]})" for year, b in zip(self.study_sets["cutoff"],
                                                                  self.study_sets["cutoff_basis"])],
            "Paper's studies it lists": [", ".join(names) or "none seen" for names in self.study_sets["in_paper"]],
            "RCTs the paper left out": [_left_out(keys, least) for keys, least in
                                        zip(self.study_sets["rcts_not_in_paper"],
                                            self.study_sets["rcts_not_in_paper_min"])],
            "Paper's studies after its cut-off": [", ".join(names) or "none"
                                                  for names in self.study_sets["published_later"]],
        })

    def nonrandomised_table(self) -> pd.DataFrame:
        """One row per review, one column per non-randomised study of the paper: included, and why."""
        cells = self.nonrandomised.assign(cell=lambda d: d["included"] + ": " + d["reason"])
        table = cells.pivot(index="review_id", columns="study", values="cell")
        order = self.nonrandomised["review_id"].drop_duplicates()
        labels = self.nonrandomised.drop_duplicates("review_id").set_index("review_id")["review"]
        table = table.loc[order].rename_axis(columns=None).reset_index(drop=True)
        return pd.concat([pd.DataFrame({"Review": labels.loc[order].to_numpy()}), table], axis=1)

    def estimate_table(self) -> pd.DataFrame:
        """One row per result of another review: as printed, as an OR of live birth, and our data in its measure.

        The OR of live birth is ``as printed`` when the review printed one, the reciprocal interval for
        an OR of no live birth, and ``not convertible (RR)`` for a risk ratio (:func:`as_live_birth_or`).
        """
        columns = ["measure", "outcome", "or_estimate", "or_low", "or_high"]
        converted = [("as printed" if outcome == "live_birth" else _text("OR", *values)) if not np.isnan(values[0])
                     else f"not convertible ({measure})"
                     for measure, outcome, *values in self.estimates[columns].itertuples(index=False)]
        return pd.DataFrame({
            "Review": self.estimates["review"], "Result": self.estimates["analysis"],
            "As printed": self.estimates["printed"], "As OR of live birth": converted,
            "Our data, its measure": self.estimates["ours"], "Studies (ours)": self.estimates["ours_k"],
        })

    def paper_table(self) -> pd.DataFrame:
        """The paper's printed live-birth results beside our reproduction."""
        return pd.DataFrame({
            "Result": self.paper["analysis"], "Studies (paper)": self.paper["k_paper"], "Printed": self.paper["paper"],
            "Studies (ours)": self.paper["k_ours"], "Reproduced": self.paper["reproduction"],
        })


def _left_out(keys: tuple[str, ...], least: int) -> str:
    """``Perino 1997, Stephenson 1998``, ``at least 4 (from its count)`` or ``none known``."""
    named = ", ".join(map(key_label, keys))
    if least > len(keys):
        return f"{named}; at least {least} in all" if named else f"at least {least} (from its count)"
    return named or "none known"


def _read(review) -> pd.Series:
    """For each review, the kinds of document its values were read in (``abstract, table``)."""
    rows = review.other_reviews
    kinds = pd.concat([rows[["review_id", "source_type"]],
                       rows[["review_id", "trials_source_type"]].rename(columns={"trials_source_type": "source_type"})])
    kinds = kinds.dropna().drop_duplicates()
    return kinds.groupby("review_id", sort=False)["source_type"].agg(
        lambda types: ", ".join(_SOURCE_TEXT.get(t, t) for t in types))


def compare_reviews(review) -> ReviewComparison:
    """Compare the paper with the other reviews of IVIG for recurrent miscarriage.

    Parameters
    ----------
    review : metarmc.data.Review
        From :func:`metarmc.load`.

    Returns
    -------
    ReviewComparison
        :func:`study_sets`, :func:`nonrandomised_added`, :func:`estimates` and
        :func:`paper_results`, with the reviews themselves.

    References
    ----------
    Higgins JPT, Thomas J, et al. (eds). Cochrane Handbook for Systematic Reviews of
    Interventions, version 6.4, 2023. The Discussion of a Cochrane review has a section
    "Agreements and disagreements with other studies or reviews", which this comparison feeds.

    Examples
    --------
    >>> from metarmc import load
    >>> compare_reviews(load())
    ReviewComparison(9 reviews, 12 results; 3 RCTs named that the paper left out)
    """
    reviews = review.other_review_list()
    reviews["read"] = reviews["review_id"].map(_read(review))
    return ReviewComparison(reviews, study_sets(review), nonrandomised_added(review), estimates(review),
                            paper_results(review))
