"""Tests of metarmc.review.other_reviews: the paper beside other reviews, on the fictitious fixture
(``fixture_review``: every expected set and number worked by hand from tests/fixtures/data_valid) and
on the real data (``review``: expected values worked by hand from data/studies.csv, data/outcomes.csv
and data/other_reviews.csv).

Tolerances: rel=1e-12 compares Mantel-Haenszel pools worked as exact fractions (and 1/x) with the
engine's floating point: only rounding separates them. Everything else is compared exactly, as text
or sets.
"""

from fractions import Fraction

import pytest

from metarmc import compare_reviews
from metarmc.review import other_reviews as other

# --------------------------------------------------------------------------- the fixture, by hand
# Studies: alpha2001 (randomised, 2001), beta2005 (non-randomised, 2005), gamma2010 (randomisation
# unclear, 2010, labelled "Gamma 2009"). Reviews: Omega 2008 (RCTs only, searched to 2008-05, complete
# list alpha2001 + zeta1999, 2 RCTs), Sigma 2012 (mixed, partial list beta2005 + eta2007, 1 RCT), Tau 2003
# (RCTs only, searched to 2003, 5 RCTs, no list).


def test_study_sets_on_the_fixture(fixture_review):
    sets = other.study_sets(fixture_review).set_index("review_id")
    assert sets["cutoff"].tolist() == [2008, 2012, 2003]
    assert sets["cutoff_basis"].tolist() == ["search", "publication", "search"]
    assert sets["in_paper"].tolist() == [("Alpha 2001",), ("Beta 2005",), ()]
    assert sets["published_later"].tolist() == [("Gamma 2009",), (), ("Gamma 2009", "Beta 2005")]
    # Only a randomised-only review's other trials are RCTs the paper left out.
    assert sets["rcts_not_in_paper"].tolist() == [("zeta1999",), (), ()]
    # Omega: max(1 named, 2 RCTs - 1 possible (alpha)) = 1; Sigma: max(0, 1 - 2 (alpha, gamma)) = 0;
    # Tau: 5 RCTs - 1 possible (alpha; beta is not randomised, gamma came later) = 4.
    assert sets["rcts_not_in_paper_min"].tolist() == [1, 0, 4]
    # The fixture's paper searched 1990-01 to 2020-12: zeta1999 falls inside.
    assert sets["rcts_in_paper_window"].tolist() == [("zeta1999",), (), ()]


def test_nonrandomised_added_on_the_fixture(fixture_review):
    table = other.nonrandomised_added(fixture_review)
    assert table["study_id"].tolist() == ["beta2005"] * 3
    assert table[["review_id", "included", "reason"]].values.tolist() == [
        ["omega2008", "no", "it admits randomised trials only"],
        ["sigma2012", "yes", "listed among its studies"],
        ["tau2003", "no", "published in 2005, after its last search (2003)"],
    ]


def test_estimates_on_the_fixture(fixture_review):
    table = other.estimates(fixture_review).set_index(["review_id", "subgroup"])
    assert len(table) == 4  # Tau's row is not_found
    omega = table.loc[("omega2008", "all")]
    assert (omega["printed"], omega["favours"], omega["excludes_null"]) == ("OR 1.50 (0.80 to 2.90)", "IVIG", False)
    assert (omega["or_estimate"], omega["or_low"], omega["or_high"]) == (1.5, 0.8, 2.9)
    # Our data as Omega's evidence: randomised and published by 2008, i.e. alpha2001 alone, 12/20 vs 8/20:
    # OR = (12 x 12) / (8 x 8) = 2.25, CI exp(ln 2.25 -+ 1.96 sqrt(1/12 + 1/8 + 1/8 + 1/12)) = 0.635 to 7.97.
    assert (omega["ours"], omega["ours_k"]) == ("OR 2.25 (0.63 to 7.97)", 1)
    assert omega["paper"] == "OR 1.90 (0.90 to 4.01)"  # the fixture's reported.csv
    sigma = table.loc[("sigma2012", "secondary")]
    # An OR of no live birth converts exactly: 1/0.50 = 2.00, limits 1/1.00 and 1/0.25, swapped.
    assert (sigma["or_estimate"], sigma["or_low"], sigma["or_high"]) == (2.0, 1.0, 4.0)
    assert not sigma["excludes_null"]  # the limit 1.00 does not leave 1 out
    # Secondary RM, any design, by 2012: alpha2001 alone; no live birth 8/20 vs 12/20: OR = 64/144 = 0.444,
    # the reciprocal of Omega's 2.25, so its CI is the reciprocal interval: 1/7.97 to 1/0.635 = 0.125 to 1.57.
    assert sigma["ours"] == "OR 0.44 (0.13 to 1.57)"
    risk_ratio = table.loc[("sigma2012", "all")]
    assert risk_ratio["favours"] == "IVIG"  # RR of no live birth below 1
    assert risk_ratio[["or_estimate", "or_low", "or_high"]].isna().all()  # an RR is never converted


def test_same_evidence_pool_is_the_mantel_haenszel_rr_of_no_live_birth_by_hand(fixture_review):
    row = {**fixture_review.other_review_list().set_index("review_id").loc["sigma2012"].to_dict(),
           "outcome": "no_live_birth", "subgroup": "all", "measure": "RR"}
    result = other.same_evidence_pool(fixture_review, row)
    # All three studies (Sigma admits any design; all by 2012). Women without a live birth:
    # alpha 8/20 vs 12/20, beta 6/15 vs 9/16, gamma 6/20 vs 11/21. RR_MH = sum(a n_c / N) / sum(c n_t / N).
    numerator = Fraction(8 * 20, 40) + Fraction(6 * 16, 31) + Fraction(6 * 21, 41)
    denominator = Fraction(12 * 20, 40) + Fraction(9 * 15, 31) + Fraction(11 * 20, 41)
    assert (result.measure, result.k, result.model) == ("RR", 3, "fixed")
    assert result.estimate == pytest.approx(float(numerator / denominator), rel=1e-12)  # exact fractions


def test_compare_reviews_bundles_the_three_tables(fixture_review):
    comparison = compare_reviews(fixture_review)
    assert repr(comparison) == "ReviewComparison(3 reviews, 4 results; 1 RCTs named that the paper left out)"
    assert comparison.to_frame() is comparison.estimates
    assert len(comparison.nonrandomised) == 3
    assert comparison.reviews["read"].tolist() == ["abstract, table", "abstract, figure legends, reference list",
                                                   "record"]


def test_tables_for_reading_have_short_headers_and_no_missing_cells(fixture_review):
    comparison = compare_reviews(fixture_review)
    reviews = comparison.review_table()
    assert list(reviews.columns) == ["Review", "Admits", "Data", "Studies (RCTs)", "Women", "Search to",
                                     "Trials seen", "Read", "Paper cites"]
    assert reviews["Studies (RCTs)"].tolist() == ["2 (2)", "3 (1)", "5 (5)"]
    assert reviews["Trials seen"].tolist() == ["all 2", "2 (cut off)", "none"]
    assert reviews["Paper cites"].tolist() == ["ref. 7", "no", "no"]
    assert reviews["Women"].tolist() == ["80", "–", "–"]
    assert comparison.study_set_table()["RCTs the paper left out"].tolist() == [
        "Zeta 1999", "none known", "at least 4 (from its count)"]
    assert comparison.nonrandomised_table().columns.tolist() == ["Review", "Beta 2005"]
    assert comparison.estimate_table()["As OR of live birth"].tolist() == [
        "as printed", "as printed", "not convertible (RR)", "OR 2.00 (1.00 to 4.00)"]
    for table in (reviews, comparison.study_set_table(), comparison.nonrandomised_table(),
                  comparison.estimate_table(), comparison.paper_table()):
        assert not table.isna().any().any()


# --------------------------------------------------------------------------- the rules


@pytest.mark.parametrize(("args", "expected"), [
    (("OR", "live_birth", 1.28, 0.78, 2.10), (1.28, 0.78, 2.10)),
    (("OR", "no_live_birth", 0.8, 0.5, 1.25), (1.25, 0.8, 2.0)),
    (("RR", "live_birth", 1.25, 1.00, 1.56), None),
    (("RR", "no_live_birth", 0.92, 0.75, 1.12), None),
])
def test_as_live_birth_or_converts_only_odds_ratios(args, expected):
    converted = other.as_live_birth_or(*args)
    assert converted == (pytest.approx(expected, rel=1e-12) if expected else None)  # 1/x in floating point


def test_key_label_year_and_cutoff():
    assert other.key_label("ramosmedina2014") == "Ramosmedina 2014"
    assert other.key_year("stephenson1998b") == 1998
    assert other.cutoff({"search_end": "2021-08-20", "year": 2022}) == (2021, "search")


# --------------------------------------------------------------------------- the real data, by hand


def test_real_rcts_the_paper_left_out(review):
    sets = other.study_sets(review).set_index("review_id")
    # Yang 2020's Table 2 (complete) names three RCTs the paper did not include.
    assert sets.loc["yang2020", "rcts_not_in_paper"] == ("unnamed1994", "perino1997", "stephenson1998")
    # Egerup 2015: 11 RCTs; the paper's studies published by 2015 and not known to be non-randomised are
    # Carp 2001, Christiansen 1995, 2002, 2015, Coulam 1995, Jablonowska 1999, Stephenson 2010 (7): >= 4.
    # Hutton 2007: 8 RCTs, searched to June 2005: Carp, Christiansen 1995, 2002, Coulam, Jablonowska (5): >= 3.
    # Ata 2011: 6 RCTs, and 6 of the paper's studies could be among them: no bound.
    assert sets.loc[["egerup2015", "hutton2007", "ata2011"], "rcts_not_in_paper_min"].tolist() == [4, 3, 0]
    assert sets.loc["hutton2007", "published_later"][:1] == ("Christiansen 2015",)


def test_real_nonrandomised_studies_the_paper_added(review):
    table = other.nonrandomised_added(review)
    included = table.loc[table["included"] == "yes", ["review_id", "study_id"]].values.tolist()
    assert included == [["habets2022", "jafarzadeh2019"]]  # the only review with a non-randomised study of the paper
    assert (table.loc[table["study_id"] == "peero2024", "included"] == "no").all()  # published 2024, after them all
    by_design = table.loc[table["reason"] == "it admits randomised trials only", "review_id"].tolist()
    assert by_design == ["shi2022", "ling2024", "yang2020"]
    assert (table["included"] != "unknown").all()


def test_real_estimates(review):
    table = other.estimates(review).set_index(["review_id", "subgroup"])
    # Only three results leave no effect out of their CI, all favouring IVIG.
    significant = table[table["excludes_null"]]
    assert significant.index.tolist() == [("hutton2007", "secondary"), ("shi2022", "all"), ("habets2022", "all")]
    assert (significant["favours"] == "IVIG").all()
    egerup = table.loc[("egerup2015", "all")]
    assert (egerup["printed"], egerup["favours"]) == ("RR 0.92 (0.75 to 1.12)", "IVIG")
    assert egerup[["or_estimate", "or_low", "or_high"]].isna().all()
    assert egerup["paper"] == "OR 2.24 (1.68 to 2.98)"
    assert egerup["reproduction"] == "OR 2.04 (1.44 to 2.87)"  # tests/golden/05-live-birth: our 2.04 (1.44, 2.87)


def test_real_hutton_evidence_pool_by_hand(review):
    row = {**review.other_review_list().set_index("review_id").loc["hutton2007"].to_dict(),
           "outcome": "live_birth", "subgroup": "all", "measure": "OR"}
    result = other.same_evidence_pool(review, row)
    # Randomised, traceable, published by 2005: Christiansen 1995 9/17 vs 5/17, Christiansen 2002 13/29 vs
    # 13/29, Coulam 1995 18/29 vs 11/32, Jablonowska 1999 17/22 vs 15/19. OR_MH = sum(a d / N) / sum(b c / N).
    numerator = Fraction(9 * 12, 34) + Fraction(13 * 16, 58) + Fraction(18 * 21, 61) + Fraction(17 * 4, 41)
    denominator = Fraction(8 * 5, 34) + Fraction(16 * 13, 58) + Fraction(11 * 11, 61) + Fraction(5 * 15, 41)
    assert (result.k, result.model) == (4, "fixed")
    assert result.estimate == pytest.approx(float(numerator / denominator), rel=1e-12)  # exact fractions
