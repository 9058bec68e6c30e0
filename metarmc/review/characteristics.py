"""Cochrane's "Characteristics of included studies", built from the data for readers.

Every text a reader sees here is either a validated data field shown as recorded (the design,
population, regimen and control as the reports describe them, a judgement's support) or a
vocabulary value turned into words by the mappings below; the maintainers' ``notes`` columns
are never shown. A study *awaits classification* when nothing we read reports on any of its
risk-of-bias domains (every judgement ``not_obtained``): no report of it was reached, so its
design, and so its eligibility, is unknown.

Examples
--------
>>> from metarmc import load
>>> review = load()
>>> [c.study for c in awaiting_classification(review)]
['Carp 2001', 'Jørgensen 2020']
>>> characteristics(review, "stephenson2010").registration
'NCT00606905'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from ..data import DERIVATION_WORDS, ROB_DOMAINS, STATUS_REASONS, source_kinds, source_words, women_counted
from ..living.records import REGISTRY_ID
from ..plots.rob import ROB_DOMAIN_NAMES
from ..plots.style import JUDGMENT_STYLE
from .registry import OUTCOMES

#: The population (``rm_type``).
POPULATION_WORDS = {
    "primary": "primary recurrent miscarriage (no previous birth)",
    "secondary": "secondary recurrent miscarriage (a previous birth)",
    "mixed": "primary and secondary recurrent miscarriage",
    "RIF": "recurrent implantation failure after IVF, not recurrent miscarriage",
    "unclear": "type of recurrent miscarriage not stated in the sources we read",
}
RANDOMISED_WORDS = {"yes": "randomised", "no": "not randomised",
                    "unclear": "whether it was randomised is not known from the sources we read"}
#: The judgements in Cochrane's words; ``not_obtained`` is about our access, not the trial.
JUDGMENT_WORDS = {"low": "Low risk", "unclear": "Unclear risk", "high": "High risk",
                  "not_obtained": JUDGMENT_STYLE["not_obtained"].name.lower().capitalize()}
NOT_REPORTED = "not reported in the sources we read"

#: When treatment started relative to conception, recognised in ``ivig_regimen`` (first match wins).
TIMING_RULES = (
    ("before conception", re.compile(r"before conception|preconception|follicular phase|before and during pregnancy",
                                     re.I)),
    ("after conception (once pregnant)", re.compile(r"pregnancy test|confirm\w* (of )?pregnancy|during pregnancy|"
                                                    r"weeks? of gestation|gestational sac", re.I)),
)
#: Sentences of an "other bias" support that say who funded or supplied the trial.
FUNDING = re.compile(r"\bfund|\bsponsor|manufacturer|collaborator", re.I)
#: A support's note of when its judgement changed: history for maintainers, not support for a reader.
_HISTORY = re.compile(r"\s*Not obtained: nothing we read reports on this domain \(was '\w+' until [\d-]+\)\.")


@dataclass(frozen=True)
class StudyCharacteristics:
    """One study's entry, Cochrane style: each item as a reader's sentence."""

    study: str
    methods: str
    participants: str
    interventions: str
    timing: str
    control: str
    outcomes: str
    missing_outcomes: str
    registration: str
    funding: str
    sources: str
    notes: str = ""

    def __repr__(self) -> str:
        return f"StudyCharacteristics({self.study}: {self.methods[:40]}...)"

    def to_frame(self) -> pd.DataFrame:
        """The entry as a two-column table: ``Characteristic``, ``Description`` (``Notes`` only when there are some)."""
        items = {"Methods": self.methods, "Participants": self.participants, "Interventions": self.interventions,
                 "Start of treatment": self.timing, "Control": self.control,
                 "Outcomes with numbers": self.outcomes, "Outcomes without numbers": self.missing_outcomes,
                 "Registration": self.registration, "Funding": self.funding,
                 "Where the numbers come from": self.sources, "Notes": self.notes}
        items = {item: text for item, text in items.items() if text or item != "Notes"}
        return pd.DataFrame({"Characteristic": list(items), "Description": list(items.values())})


def treatment_timing(regimen) -> str:
    """When IVIG started relative to conception, from the regimen as reported (:data:`TIMING_RULES`).

    Examples
    --------
    >>> treatment_timing("IVIG 500 mg/kg; preconception infusion, then every 4 weeks")
    'before conception'
    >>> treatment_timing("from the positive pregnancy test to week 15")
    'after conception (once pregnant)'
    >>> treatment_timing(None)
    'not reported in the sources we read'
    """
    text = "" if pd.isna(regimen) else str(regimen)
    return next((when for when, pattern in TIMING_RULES if pattern.search(text)), NOT_REPORTED)


def control_arm(study: pd.Series) -> str:
    """The control arm: "Placebo" only where the control arm had an infusion (``control_infusion``)."""
    described = "" if pd.isna(study["control"]) else f": {study['control']}"
    return {"yes": f"Placebo infusion{described}",
            "no": f"Control, untreated (no infusion){described}"}.get(
        study["control_infusion"], f"Control{described or ': ' + NOT_REPORTED}")


def _texts(review, study_id: str) -> list[str]:
    """Every sourced text field about a study (studies, outcomes, risk of bias), for identifiers."""
    study = review.studies.loc[review.studies["study_id"] == study_id]
    rows = [study[["source", "population", "control", "control_infusion_support"]],
            review.outcomes.loc[review.outcomes["study_id"] == study_id, ["source", "quote"]],
            review.risk_of_bias.loc[review.risk_of_bias["study_id"] == study_id, ["support", "source"]]]
    return [str(v) for frame in rows for v in frame.to_numpy().ravel() if pd.notna(v)]


def registration(review, study_id: str) -> str:
    """The trial-registry numbers the sources name for a study, or :data:`NOT_REPORTED`."""
    found = dict.fromkeys(m.group(0) for text in _texts(review, study_id) for m in REGISTRY_ID.finditer(text))
    return "; ".join(found) or NOT_REPORTED


def funding(review, study_id: str) -> str:
    """What the "other bias" support says of funding or the drug's maker, with its source, or :data:`NOT_REPORTED`."""
    rob = review.risk_of_bias
    rows = rob[(rob["study_id"] == study_id) & (rob["domain"] == "other_bias")]
    said = [(sentence, source) for support, source in zip(rows["support"], rows["source"])
            for sentence in re.split(r"(?<=\.)\s+", support) if FUNDING.search(sentence)]
    return " ".join(f"{s} (source: {src})" for s, src in said) or NOT_REPORTED


def extraction_check(review) -> pd.DataFrame:
    """Each extracted row of ``outcomes.csv`` and whether a second, blind extraction gave the same numbers.

    Returns
    -------
    DataFrame
        ``study_id``, ``outcome``, ``denominator``, ``main`` and ``double``: True when
        ``data/extraction/blind-live-birth.csv`` (the independent second extraction) has the
        same four counts for the same study and outcome (whatever it called the denominator:
        the two extractions agreed on every count and differed once on a label).
    """
    blind = pd.read_csv(review.data_dir / "extraction" / "blind-live-birth.csv", dtype=str)
    counts = ["events_t", "total_t", "events_c", "total_c"]
    rows = review.outcomes[review.outcomes["status"] == "extracted"]
    ours = rows.assign(counts=rows[counts].astype("string").fillna("").agg("/".join, axis=1))
    theirs = blind.dropna(subset=counts).assign(counts=lambda b: b[counts].agg("/".join, axis=1))
    seen = set(zip(theirs["study_id"], theirs["outcome"], theirs["counts"]))
    double = [key in seen for key in zip(ours["study_id"], ours["outcome"], ours["counts"])]
    return ours.assign(double=double)[["study_id", "outcome", "denominator", "main", "double"]].reset_index(drop=True)


def _outcome_line(row, double: bool, counted: str) -> str:
    title = OUTCOMES[row.outcome].title
    if pd.notna(row.events_t):
        numbers = f"{row.events_t}/{row.total_t} with IVIG vs {row.events_c}/{row.total_c} control"
    else:
        numbers = f"means in {row.n_t} vs {row.n_c}"
    kinds = source_words(row.source_type)
    use = "in the paper's analysis" if row.main == "yes" else "not in the paper's analysis"
    check = "checked by a second, independent extraction" if double else "extracted once"
    return (f"{title}, out of {counted}: {numbers} ({use}); "
            f"{DERIVATION_WORDS[row.derivation]}, from {kinds}; {check}")


def _outcomes(review, study_id: str) -> tuple[str, str, str]:
    """The study's outcomes with numbers, those without (and why), and the kinds of source read."""
    rows = review.outcomes[review.outcomes["study_id"] == study_id]
    extracted = rows[rows["status"] == "extracted"]
    checks = extraction_check(review).set_index(["study_id", "outcome", "denominator"])["double"]
    randomised = review.studies.set_index("study_id").loc[study_id, "randomised"]
    counted = women_counted(extracted.assign(randomised=randomised))
    lines = [_outcome_line(r, bool(checks.get((study_id, r.outcome, r.denominator), False)), words)
             for r, words in zip(extracted.itertuples(), counted)]
    without = rows[~rows["outcome"].isin(extracted["outcome"])].drop_duplicates("outcome")
    missing = [f"{OUTCOMES[r.outcome].title}: {STATUS_REASONS[r.status]}" for r in without.itertuples()]
    kinds = dict.fromkeys(k for t in extracted["source_type"] for k in source_kinds(t))
    read = f"Numbers read from {source_words(';'.join(kinds))}" if kinds else "No numbers could be read from any source"
    sources = f"{read}; no full report was read" if kinds and "full_text" not in kinds else read
    return "; ".join(lines) or "none", "; ".join(missing) or "none", sources


def _size(study: pd.Series) -> str:
    parts = [f"{study[f'n_{kind}']} {kind}" for kind in ("randomised", "analysed") if pd.notna(study[f"n_{kind}"])]
    return ", ".join(parts) if parts else f"size {NOT_REPORTED}"


def naming_note(study: pd.Series) -> str:
    """Why the paper's name of a study differs from this review's (``paper_label``), or ``""``.

    Examples
    --------
    >>> naming_note(pd.Series({"label": "Jafarzadeh 2019", "paper_label": "Jafarzadeh 2018", "year": 2019}))
    'The paper calls this study Jafarzadeh 2018; this review names it by the year its report was published, 2019.'
    """
    if pd.isna(study["paper_label"]) or study["paper_label"] == study["label"]:
        return ""
    return (f"The paper calls this study {study['paper_label']}; this review names it by the year its report "
            f"was published, {study['year']}.")


def characteristics(review, study_id: str) -> StudyCharacteristics:
    """The "Characteristics of included studies" entry of one study, from the data.

    Parameters
    ----------
    review : metarmc.data.Review
    study_id : str
        A key of ``studies.csv``.

    Returns
    -------
    StudyCharacteristics
    """
    studies = review.studies.set_index("study_id")
    if study_id not in studies.index:
        raise ValueError(f"studies.csv has no study {study_id!r}; it has {', '.join(studies.index)}")
    s = studies.loc[study_id]
    design = s["design"] if pd.notna(s["design"]) else f"design {NOT_REPORTED}"
    country = s["country"] if pd.notna(s["country"]) else f"country {NOT_REPORTED}"
    regimen = s["ivig_regimen"] if pd.notna(s["ivig_regimen"]) else f"dose and timing {NOT_REPORTED}"
    outcomes, missing, sources = _outcomes(review, study_id)
    return StudyCharacteristics(
        study=s["label"],
        methods=f"{design}; {RANDOMISED_WORDS[s['randomised']]}; {country}",
        participants=(f"{s['population']}. Population: {POPULATION_WORDS[s['rm_type']]}. Women: {_size(s)}; "
                      f"the paper's Table 1 counts {s['n_table1']}"),
        interventions=f"IVIG: {regimen}", timing=treatment_timing(s["ivig_regimen"]), control=control_arm(s),
        outcomes=outcomes, missing_outcomes=missing, registration=registration(review, study_id),
        funding=funding(review, study_id), sources=sources, notes=naming_note(s))


def awaiting(review) -> list[str]:
    """The studies awaiting classification: every risk-of-bias domain ``not_obtained`` (file order)."""
    rob = review.risk_of_bias
    unobtained = rob["judgment"].eq("not_obtained").groupby(rob["study_id"]).all()
    return [s for s in review.studies["study_id"] if unobtained.get(s, False)]


@dataclass(frozen=True)
class AwaitingStudy:
    """A study awaiting classification and why: what is unknown about it, computed from the data."""

    study: str
    unknown: tuple[str, ...]
    domains_not_obtained: int
    outcomes_not_found: int

    def __repr__(self) -> str:
        return f"AwaitingStudy({self.study}: {len(self.unknown)} unknown, {self.domains_not_obtained} domains)"

    def reason(self) -> str:
        """Why, in a sentence."""
        return (f"No report of the study was reached. Unknown: {', '.join(self.unknown)}. All "
                f"{self.domains_not_obtained} risk-of-bias domains: report not obtained. None of its "
                f"{self.outcomes_not_found} outcomes could be read.")


#: Study facts whose absence means the design, and so the eligibility, cannot be judged.
DESIGN_FACTS = {"design": "the design", "randomised": "whether it was randomised", "control": "the control arm",
                "placebo_controlled": "whether the control was a placebo", "country": "the country",
                "n_randomised": "how many women were randomised", "n_analysed": "how many were analysed"}


def awaiting_classification(review) -> list[AwaitingStudy]:
    """Each study awaiting classification (:func:`awaiting`) with what is unknown about it."""
    studies = review.studies.set_index("study_id")
    found = []
    for study_id in awaiting(review):
        s = studies.loc[study_id]
        unknown = tuple(words for column, words in DESIGN_FACTS.items() if pd.isna(s[column]) or s[column] == "unclear"
                        or str(s[column]).startswith("not established"))
        rows = review.outcomes[review.outcomes["study_id"] == study_id]
        found.append(AwaitingStudy(s["label"], unknown, len(ROB_DOMAINS),
                                   int(rows.loc[rows["status"] == "not_found", "outcome"].nunique())))
    return found


def support_text(support: str) -> str:
    """A judgement's support for a reader: the change history dropped, domain keys in words.

    Examples
    --------
    >>> support_text("No method stated. Not obtained: nothing we read reports on this domain "
    ...              "(was 'unclear' until 2026-12-01).")
    'No method stated.'
    >>> support_text("random_sequence would be high")
    'random sequence generation would be high'
    """
    text = _HISTORY.sub("", support)
    for domain, name in ROB_DOMAIN_NAMES.items():
        text = text.replace(domain, name.split(" (")[0].lower())
    return text.strip()


def rob_table(review, study_id: str) -> pd.DataFrame:
    """One study's risk-of-bias table: ``Domain``, ``Judgement``, ``Support for judgement``, ``Source``."""
    rob = review.risk_of_bias[review.risk_of_bias["study_id"] == study_id]
    if rob.empty:
        raise ValueError(f"risk_of_bias.csv has no judgements for study {study_id!r}")
    rob = rob.set_index("domain").reindex([d for d in ROB_DOMAINS if d in set(rob["domain"])])
    return pd.DataFrame({"Domain": [ROB_DOMAIN_NAMES[d] for d in rob.index],
                         "Judgement": rob["judgment"].map(JUDGMENT_WORDS).to_numpy(),
                         "Support for judgement": rob["support"].map(support_text).to_numpy(),
                         "Source": rob["source"].to_numpy()})


def extraction_summary(review) -> pd.DataFrame:
    """Per outcome, how many main-analysis rows have numbers and how many a second, blind extraction confirmed.

    Returns
    -------
    DataFrame
        ``Outcome`` (its title), ``Studies with numbers``, ``Checked by a second extraction``,
        ``Extracted once``, in the registry's order; outcomes without numbers are left out.
    """
    checks = extraction_check(review)
    main = checks[checks["main"] == "yes"]
    rows = [(OUTCOMES[name].title, len(of), int(of["double"].sum()), int((~of["double"]).sum()))
            for name in OUTCOMES if len(of := main[main["outcome"] == name])]
    return pd.DataFrame(rows, columns=["Outcome", "Studies with numbers", "Checked by a second extraction",
                                       "Extracted once"])


def without_full_text(review) -> list[str]:
    """The labels of the studies none of whose numbers was read from a full report (label order)."""
    extracted = review.outcomes[review.outcomes["status"] == "extracted"]
    full = {s for s, t in zip(extracted["study_id"], extracted["source_type"]) if "full_text" in source_kinds(t)}
    return [label for s, label in review.studies_by_label()[["study_id", "label"]].itertuples(index=False)
            if s not in full]
