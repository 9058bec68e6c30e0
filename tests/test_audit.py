"""metarmc.audit: every rule on a consistent and a contradictory example, then the paper itself.

Hand working uses z_{0.975} = 1.959964 and, for ratios, natural logs:
ln 0.98 = -0.020203, ln 1.50 = 0.405465, ln 2.30 = 0.832909, so for OR 1.50 (0.98 to 2.30)
SE = (0.832909 + 0.020203) / 3.919928 = 0.217635, Z = 0.405465 / 0.217635 = 1.8631 and the
CI's own centre is (0.832909 - 0.020203) / 2 = 0.406353, i.e. P = 2 Phi(-1.8671) = 0.0619.

Tolerances: hand-worked values are written to 5 or 6 decimals above and in the comments, so abs=1e-5
or 1e-6 is the precision they are written to; p-values near 1e-8 are written to 4 significant digits
(rel=1e-3, 1e-4); rel=1e-12 (or abs=1e-12 near 0) compares closed forms worked by hand with the
engine's: only floating-point rounding separates them.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metarmc import I2_RULE, data
from metarmc import audit as au
from metarmc import printed as pr
from metarmc.audit.quotes import missing_quotes, quote_in
from tools import check_quotes

ROOT = Path(__file__).resolve().parent.parent
REPORTED = ROOT / "data" / "reported.csv"
FACTS = ROOT / "data" / "reported_facts.csv"

# Consistent by construction: OR 1.50 (0.98 to 2.30) gives Z = 1.86 (above) and
# P = 2 Phi(-1.86) = 0.0629 -> "0.06"; the CI includes 1 and P >= 0.05; I² 0% -> fixed.
CONSISTENT = dict(analysis="a", k=8, n_total=361, n_t=167, n_c=194, measure="OR", model="fixed",
                  estimate=1.50, ci_low=0.98, ci_high=2.30, z=1.86, p="0.06", i2=0)


def read_facts(path) -> pd.DataFrame:
    """The paper's other statements as printed text (their decimals count)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def table(**changes) -> pd.DataFrame:
    return pd.DataFrame([{**CONSISTENT, **changes}])


def facts(*rows) -> pd.DataFrame:
    return pd.DataFrame([dict(zip(au.FACT_COLUMNS, row)) for row in rows], columns=list(au.FACT_COLUMNS))


def only(flags, rule):
    assert [flag.rule for flag in flags] == [rule]
    return flags[0]


def test_consistent_row_raises_no_flag_at_all():
    assert au.audit(table()) == []


# --------------------------------------------------------------------------- ci_vs_p

def test_ci_vs_p_consistent():
    assert au.check_ci_vs_p(table()) == []
    assert au.check_ci_vs_p(table(estimate=2.24, ci_low=1.68, ci_high=2.98, z="", p="<0.00001")) == []


def test_ci_vs_p_ci_including_1_with_p_below_005():
    # Z left out so that only this rule can fire; the CI implies P = 0.0619 (module docstring).
    flag = only(au.audit(table(z="", p="0.04")), "ci_vs_p")
    assert flag.expected == pytest.approx(0.06188, abs=1e-5)
    assert flag.printed == 0.04
    assert flag.difference == pytest.approx(0.04 - 0.06188, abs=1e-5)
    assert "includes 1" in flag.message and "0.062" in flag.message


def test_ci_vs_p_ci_excluding_1_with_p_above_005():
    # OR 2.24 (1.68 to 2.98): SE = (1.091923 - 0.518794) / 3.919928 = 0.146210, centre 0.805358,
    # so the CI implies P = 2 Phi(-5.508) = 3.6e-8; printed P = 0.07 cannot be.
    flag = only(au.check_ci_vs_p(table(estimate=2.24, ci_low=1.68, ci_high=2.98, p="0.07")), "ci_vs_p")
    assert flag.expected == pytest.approx(3.624e-8, rel=1e-3)
    assert flag.printed == 0.07


def test_ci_vs_p_for_a_difference_uses_0_and_leaves_a_limit_on_the_null_alone():
    assert only(au.check_ci_vs_p(table(measure="MD", estimate=5.0, ci_low=-1.0, ci_high=11.0, p="0.01")),
                "ci_vs_p").expected == pytest.approx(0.1025, abs=1e-4)  # 5 / (12 / 3.919928) = 1.633
    # a printed limit of 1.00 may be 0.995 or 1.005: no verdict, no flag
    assert au.check_ci_vs_p(table(ci_low=1.00, ci_high=2.25, p="0.04")) == []


# --------------------------------------------------------------------------- z_from_ci

def test_z_from_ci_allows_the_rounding_of_estimate_and_limits():
    # Z ranges over ln(1.495)/SE(0.975, 2.305) = 1.8321 to ln(1.505)/SE(0.985, 2.295) = 1.8945;
    # a printed Z is flagged only if its own interval (±0.005) misses that range.
    assert au.check_z_from_ci(table(z=1.83)) == []
    assert au.check_z_from_ci(table(z=1.89)) == []
    assert only(au.check_z_from_ci(table(z=1.90)), "z_from_ci").expected == pytest.approx(1.86305, abs=1e-5)
    assert pr.z_interval(pr.read_printed(table())[0]) == pytest.approx((1.83206, 1.89448), abs=1e-5)


def test_z_from_ci_printed_196_for_a_ci_that_gives_186():
    # P = 0.05 agrees with Z = 1.96, and the CI including 1 agrees with P = 0.05 (either side)
    flag = only(au.audit(table(z=1.96, p="0.05")), "z_from_ci")
    assert (flag.expected, flag.printed) == (pytest.approx(1.86305, abs=1e-5), 1.96)
    assert flag.difference == pytest.approx(0.09695, abs=1e-5)
    assert "1.83 to 1.89" in flag.message


def test_z_from_ci_for_a_mean_difference_uses_the_raw_scale():
    # MD 5.00 (-1.00 to 11.00): SE = 12 / 3.919928 = 3.0613, Z = 1.6333
    row = table(measure="MD", estimate=5.0, ci_low=-1.0, ci_high=11.0, z=1.63, p="0.10")
    assert au.audit(row) == []
    assert only(au.check_z_from_ci(table(measure="MD", estimate=5.0, ci_low=-1.0, ci_high=11.0, z=2.5,
                                         p="0.01")), "z_from_ci").expected == pytest.approx(1.63330, abs=1e-5)


# --------------------------------------------------------------------------- p_from_z

def test_p_from_z_consistent():
    assert au.check_p_from_z(table(z=1.96, p="0.05")) == []
    assert au.check_p_from_z(table(z=5.51, p="<0.00001")) == []


def test_p_from_z_printed_004_for_z_196():
    # Z in [1.955, 1.965] gives P in [0.04941, 0.05058]; "0.04" means [0.035, 0.045].
    # OR 1.50 (1.00 to 2.25) implies Z = 0.405465 / (0.810930 / 3.919928) = 1.9600 exactly,
    # and its lower limit 1.00 leaves ci_vs_p without a verdict: only p_from_z fires.
    flag = only(au.audit(table(estimate=1.50, ci_low=1.00, ci_high=2.25, z=1.96, p="0.04")), "p_from_z")
    assert flag.expected == pytest.approx(0.049996, abs=1e-6)
    assert flag.printed == 0.04
    assert flag.difference == pytest.approx(-0.009996, abs=1e-6)
    assert "0.0494 to 0.0506" in flag.message


def test_p_from_z_respects_a_less_than_bound():
    # Z = 5.51 gives P = 3.6e-8, not "0.001" (0.0005 to 0.0015)
    flag = only(au.check_p_from_z(table(estimate=2.24, ci_low=1.68, ci_high=2.98, z=5.51, p="0.001")), "p_from_z")
    assert flag.expected == pytest.approx(3.588e-8, rel=1e-3)
    # and a "<0.00001" is read as the interval [0, 0.00001]
    assert au.check_p_from_z(table(z=3.0, p="<0.00001"))[0].expected == pytest.approx(0.0026998, rel=1e-4)


# --------------------------------------------------------------------------- estimate_in_ci

def test_estimate_in_ci_consistent():
    assert au.check_estimate_in_ci(table()) == []
    assert au.check_estimate_in_ci(table(estimate=0.98)) == []  # on the limit is inside


def test_estimate_in_ci_birth_weight_as_printed():
    # MD 220.74 with CI -549.37 to 107.88: 220.74 - 107.88 = 112.86 above the upper limit
    flag = only(au.check_estimate_in_ci(table(measure="MD", estimate=220.74, ci_low=-549.37, ci_high=107.88,
                                              z=1.32, p="0.19")), "estimate_in_ci")
    assert (flag.expected, flag.printed) == (107.88, 220.74)
    assert flag.difference == pytest.approx(112.86, abs=1e-9)


# --------------------------------------------------------------------------- ci_symmetry

def test_ci_symmetry_allows_rounding():
    # (ln L + ln U)/2 - ln est over the rounding box: est 1.51 gives [-0.01271, 0.00120] (contains 0),
    # est 1.52 gives [-0.01929, -0.00543] (does not)
    assert au.check_ci_symmetry(table()) == []
    assert au.check_ci_symmetry(table(estimate=1.51)) == []
    flag = only(au.check_ci_symmetry(table(estimate=1.52)), "ci_symmetry")
    assert flag.expected == pytest.approx(math.sqrt(0.98 * 2.30), rel=1e-12)  # 1.501333, geometric mean
    assert flag.difference == pytest.approx(1.52 - 1.501333, abs=1e-6)


def test_ci_symmetry_catches_a_sign_error():
    # the CI -549.37 to 107.88 is centred on -220.745: the printed +220.74 is off by 441.485
    flag = only(au.check_ci_symmetry(table(measure="MD", estimate=220.74, ci_low=-549.37, ci_high=107.88,
                                           z=1.32, p="0.19")), "ci_symmetry")
    assert (flag.expected, flag.printed) == (pytest.approx(-220.745), 220.74)
    assert flag.difference == pytest.approx(441.485, abs=1e-9)
    assert au.check_ci_symmetry(table(measure="MD", estimate=-220.74, ci_low=-549.37, ci_high=107.88)) == []


# --------------------------------------------------------------------------- model_rule

def test_model_rule_consistent_and_near_the_threshold():
    assert au.check_model_rule(table(i2=43, model="fixed"), i2_rule=au.I2Rule(50.0)) == []
    assert au.check_model_rule(table(i2=61, model="random"), i2_rule=au.I2Rule(50.0)) == []
    assert au.check_model_rule(table(i2=50, model="fixed"), i2_rule=au.I2Rule(50.0)) == []  # 49.5 to 50.5: either model


def test_model_rule_random_effects_at_i2_43():
    flag = only(au.check_model_rule(table(i2=43, model="random"), i2_rule=au.I2Rule(50.0)), "model_rule")
    assert (flag.expected, flag.printed, flag.difference) == ("fixed", "random", -7.0)


# --------------------------------------------------------------------------- counts

def test_counts_consistent():
    # eight Table 1 sizes, 7 x 40 + 81 = 361 = n_total, and k = 8 as stated
    sizes = [40] * 7 + [81]
    stated = facts(("a", "k", "8", "Results", "eight studies"), ("a", "n_total", "361", "Abstract", "361 patients"),
                   *[("a", "study_n", str(n), f"Table 1, S{i}", f"S{i} | {n}") for i, n in enumerate(sizes)])
    assert au.check_counts(table(), stated) == []


def test_counts_arms_do_not_add_up():
    flag = only(au.check_counts(table(n_total=360)), "counts")  # 167 + 194 = 361
    assert (flag.expected, flag.printed, flag.difference) == (361, 360, -1.0)


def test_counts_k_against_another_statement():
    flag = only(au.check_counts(table(k=3), facts(("a", "k", "4", "Results", "among the 4 included studies"))),
                "counts")
    assert (flag.expected, flag.printed, flag.difference) == (4, 3, -1.0)
    assert "among the 4 included studies" in flag.message


def test_counts_study_sizes_against_total_and_k():
    # 150 + 215 = 365 against n_total 361; 2 studies against k 8
    flags = au.check_counts(table(), facts(("a", "study_n", "150", "Table 1, S1", "S1 | 150"),
                                           ("a", "study_n", "215", "Table 1, S2", "S2 | 215")))
    assert [(f.expected, f.printed, f.difference) for f in flags] == [(365, 361, -4.0), (2, 8, 6.0)]


# --------------------------------------------------------------------------- grim_percent

AR_TEXT = "24.07% (26/108) ... 6.41% (10/156)"


def ar_facts(percent_t="24.07", events_t="26"):
    return facts(*[("a", quantity, value, "Discussion", AR_TEXT) for quantity, value in (
        ("n_t", "108"), ("events_t", events_t), ("percent_t", percent_t),
        ("n_c", "156"), ("events_c", "10"), ("percent_c", "6.41"))])


def test_grim_consistent():
    # 26/108 = 24.0741% -> 24.07; 10/156 = 6.4103% -> 6.41
    assert au.check_grim_percent(table(n_t=108, n_c=156, n_total=264), ar_facts()) == []


def test_grim_no_count_gives_the_percentage():
    # 24.05% of 108 needs 25.97 events: 25/108 = 23.1481%, 26/108 = 24.0741%; the nearest is 24.0741
    flag = only(au.check_grim_percent(table(), ar_facts(percent_t="24.05", events_t="26")), "grim_percent")
    assert flag.expected == pytest.approx(100 * 26 / 108, rel=1e-12)
    assert flag.difference == pytest.approx(24.05 - 24.074074, abs=1e-6)


def test_grim_printed_count_does_not_give_the_percentage():
    # 25/108 = 23.1481%, printed 24.07%
    flag = only(au.check_grim_percent(table(), ar_facts(events_t="25")), "grim_percent")
    assert (flag.expected, flag.printed) == (pytest.approx(23.148148, abs=1e-6), 24.07)


# --------------------------------------------------------------------------- wording

def test_wording_consistent():
    stated = facts(("a", "effect_claim", "not_significant", "Results", "no difference"),
                   ("a", "heterogeneity_claim", "low", "Results", "no heterogeneity"))
    assert au.check_wording(table(), stated, i2_rule=au.I2Rule(50.0)) == []


def test_wording_significant_for_a_ci_including_1():
    flag = only(au.check_wording(table(), facts(("a", "effect_claim", "significant", "Results",
                                                 "drastically superior"))), "wording")
    assert (flag.expected, flag.printed) == ("not_significant", "significant")
    assert flag.difference == pytest.approx(0.06188 - 0.05, abs=1e-5)


def test_wording_low_heterogeneity_at_i2_61():
    stated = facts(("a", "heterogeneity_claim", "low", "Results", "no heterogeneity"))
    flag = only(au.check_wording(table(i2=61, model="random"), stated, i2_rule=au.I2Rule(50.0)), "wording")
    assert (flag.expected, flag.printed, flag.difference) == ("high", "low", 11.0)


def test_without_the_papers_i2_rule_the_model_and_heterogeneity_wording_are_not_checked():
    stated = facts(("a", "heterogeneity_claim", "low", "Results", "no heterogeneity"))
    assert au.check_wording(table(i2=61, model="random"), stated) == []
    assert au.check_model_rule(table(i2=43, model="random")) == []


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("changes, message", [
    (dict(p="abc"), r"analysis 'a': p must be a P value as printed"),
    (dict(p="1.5"), r"analysis 'a': p must be a P value between 0 and 1"),
    (dict(measure="HR"), r"analysis 'a': measure must be one of OR, RR, RD, MD, SMD; got 'HR'"),
    (dict(ci_low=2.5), r"analysis 'a': ci_low \(2.5\) exceeds ci_high \(2.3\)"),
    (dict(estimate=-1.0), r"analysis 'a': a OR and its CI cannot be negative"),
    (dict(estimate=""), r"analysis 'a': estimate is missing"),
    (dict(k=2.5), r"analysis 'a': k must be a non-negative integer; got 2.5"),
])
def test_bad_reported_values_name_analysis_and_column(changes, message):
    with pytest.raises(ValueError, match=message):
        au.audit(table(**changes))


def test_missing_reported_column():
    with pytest.raises(ValueError, match="reported is missing column"):
        au.audit(table().drop(columns="ci_high"))


@pytest.mark.parametrize("row, message", [
    (("b", "k", "4", "x", "y"), r"facts row 0: analysis must be one of a; got 'b'"),
    (("a", "kk", "4", "x", "y"), r"facts row 0: quantity must be one of k, "),
    (("a", "k", "four", "x", "y"), r"facts row 0: k must be a count; got 'four'"),
    (("a", "effect_claim", "yes", "x", "y"), r"facts row 0: effect_claim must be significant or not_significant"),
])
def test_bad_facts_name_the_row(row, message):
    with pytest.raises(ValueError, match=message):
        au.audit(table(), facts(row))


def test_a_ratio_limit_printed_as_zero_is_read_as_half_a_unit():
    # OR 0.10 (0.00 to 0.50), P = 0.30: the CI excludes 1, so P < 0.05. With the lower limit
    # read as 0.005: SE = (ln 0.5 - ln 0.005) / 3.919928 = 1.174807, centre -2.995732,
    # Z = 2.5500, P = 0.01077.
    flag = only(au.check_ci_vs_p(table(estimate=0.10, ci_low=0.00, ci_high=0.50, z="", p="0.30")), "ci_vs_p")
    assert flag.expected == pytest.approx(0.01077, abs=1e-5)


def test_printed_decimals_counts_strings_and_assumes_two_for_floats():
    assert pr.printed_decimals("1.50", 2) == 2 and pr.printed_decimals("0.1", 2) == 1
    assert pr.printed_decimals(1.5, 2) == 2 and pr.printed_decimals(0.125, 2) == 3
    assert pr.PValue.parse("0.04")[2:] == pytest.approx((0.035, 0.045))
    assert pr.PValue.parse("<0.00001")[2:] == (0.0, 0.00001)


# --------------------------------------------------------------------------- the paper

def paper_flags(typed: bool):
    reported = data.load(ROOT / "data").reported if typed else pd.read_csv(REPORTED, dtype=str,
                                                                              keep_default_na=False)
    return au.audit(reported, read_facts(FACTS), i2_rule=I2_RULE)


@pytest.fixture(scope="module")
def paper():
    return paper_flags(typed=False)


def find(flags, analysis, rule):
    return [flag for flag in flags if flag.analysis == analysis and flag.rule == rule]


def test_paper_flags_are_exactly_these(paper):
    assert [(f.analysis, f.rule) for f in paper] == [
        ("live_birth", "counts"),
        ("live_birth_secondary", "ci_vs_p"), ("live_birth_secondary", "z_from_ci"),
        ("live_birth_secondary", "p_from_z"),
        ("live_birth_secondary", "wording"), ("live_birth_secondary", "wording"),
        ("live_birth_secondary", "wording"),
        ("birth_weight", "estimate_in_ci"), ("birth_weight", "ci_symmetry"), ("birth_weight", "wording"),
        ("adverse_reaction", "counts"),
    ]


def test_paper_flags_are_the_same_from_typed_floats(paper):
    assert paper_flags(typed=True) == paper


def test_paper_table1_sizes_sum_to_847_not_842(paper):
    # 151 + 34 + 58 + 82 + 61 + 39 + 94 + 39 + 143 + 47 + 99 = 847
    flag = only(find(paper, "live_birth", "counts"), "counts")
    assert (flag.expected, flag.printed, flag.difference) == (847, 842, -5.0)


def test_paper_adverse_reactions_three_or_four_studies(paper):
    flag = only(find(paper, "adverse_reaction", "counts"), "counts")
    assert (flag.expected, flag.printed) == (4, 3)
    assert "among the 4 included studies" in flag.message


def test_paper_secondary_subgroup_p_004_against_its_ci(paper):
    ci_p = only(find(paper, "live_birth_secondary", "ci_vs_p"), "ci_vs_p")
    assert (ci_p.expected, ci_p.printed) == (pytest.approx(0.06188, abs=1e-5), 0.04)
    z = only(find(paper, "live_birth_secondary", "z_from_ci"), "z_from_ci")
    assert (z.expected, z.printed) == (pytest.approx(1.86305, abs=1e-5), 1.96)
    p = only(find(paper, "live_birth_secondary", "p_from_z"), "p_from_z")
    assert (p.expected, p.printed) == (pytest.approx(0.049996, abs=1e-6), 0.04)
    words = find(paper, "live_birth_secondary", "wording")
    assert ["drastically superior" in f.message for f in words] == [False, True, False]


def test_paper_birth_weight_estimate_outside_its_ci_and_sign(paper):
    outside = only(find(paper, "birth_weight", "estimate_in_ci"), "estimate_in_ci")
    assert (outside.expected, outside.printed, outside.difference) == (107.88, 220.74, pytest.approx(112.86))
    sign = only(find(paper, "birth_weight", "ci_symmetry"), "ci_symmetry")
    assert (sign.expected, sign.difference) == (pytest.approx(-220.745), pytest.approx(441.485))
    # "considerable difference", yet the CI includes 0: P implied 0.188
    words = only(find(paper, "birth_weight", "wording"), "wording")
    assert words.difference == pytest.approx(0.18799 - 0.05, abs=1e-5)


def test_audit_frame_is_tidy(paper):
    frame = au.audit_frame(pd.read_csv(REPORTED, dtype=str, keep_default_na=False), read_facts(FACTS),
                           i2_rule=I2_RULE)
    assert list(frame.columns) == list(au.FLAG_COLUMNS)
    assert len(frame) == len(paper)


# The paper's text is not in the repository (copyright): `make check-quotes` checks the real quotes
# where a copy is at hand; here the matching rules are checked on a made-up text.
PAPER_LIKE = ("The IVIG group had a higher live birth rate (OR=2.04). Results were infe-\n\nrior in\n"
              "the  second   trimester.\nCarp 2001\t151\t41\t110\n")


@pytest.mark.parametrize("quantity, quote, found", [
    ("wording", "higher live birth rate (OR=2.04)", True),
    ("wording", "were inferior in the second trimester", True),  # hyphen at a line end, spaces collapsed
    ("wording", "higher live birth rate (OR=2.05)", False),
    ("study_n", "Carp 2001 | 151", True),
    ("study_n", "Carp 2001 | 15", False),  # a cell, not a prefix of one
    ("study_n", "2001 | 151", False),  # the whole label, from the start of the table's row
])
def test_quote_matching_rules(quantity, quote, found):
    assert quote_in(quote, quantity, PAPER_LIKE) is found


def test_missing_quotes_names_the_rows_and_the_tool_exits_1(tmp_path, capsys):
    facts = read_facts(FACTS)
    paper = tmp_path / "paper.txt"
    quoted = "\n".join(f"{r.quote.replace(' | ', chr(9))}\t" if r.quantity == "study_n" else r.quote
                       for r in facts.itertuples())
    paper.write_text(quoted, encoding="utf-8")
    assert missing_quotes(facts, quoted) == []
    assert check_quotes.main([str(paper)]) == 0
    once = facts["quote"].map(facts["quote"].value_counts()) == 1
    i = int(facts.index[once & (facts["quantity"] != "study_n")][0])
    paper.write_text(quoted.replace(facts["quote"].iloc[i], "something else"), encoding="utf-8")
    capsys.readouterr()
    assert check_quotes.main([str(paper)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"reported_facts.csv:{i + 2}:quote: not in paper.txt: {facts['quote'].iloc[i]!r}")
    assert out[-1] == f"check-quotes: {len(facts) - 1} of {len(facts)} quotes found in paper.txt"


# --------------------------------------------------------------------------- two-arm GRIM: splits of a total

def pct(text: str) -> pr.Rounded:
    return pr.Rounded.parse(text, 0, "percent")


def naive_splits(n: int, percent_t: pr.Rounded, percent_c: pr.Rounded) -> list[tuple[int, int, int, int]]:
    """Every (n_t, n_c, e_t, e_c) by brute force: 100 e / n within the printed value's half unit."""
    def fits(e, m, p):
        return abs(100 * e / m - p.value) <= p.half + 1e-9
    return [(t, n - t, et, ec) for t in range(1, n) for et in range(t + 1) for ec in range(n - t + 1)
            if fits(et, t, percent_t) and fits(ec, n - t, percent_c)]


def splits_of(search) -> list[tuple[int, int, int, int]]:
    return [tuple(int(v) for v in row) for row in search.splits.itertuples(index=False)]


def test_split_search_jablonowska_41_women_two_splits():
    # 10/13 = 76.92%, 22/28 = 78.57%; 17/22 = 77.27%, 15/19 = 78.95% (all within half a percent)
    search = au.split_search(41, pct("77"), pct("79"))
    assert splits_of(search) == [(13, 28, 10, 22), (22, 19, 17, 15)]
    assert repr(search) == "SplitSearch(n=41, 77% vs 79%: 10/13 vs 22/28 or 17/22 vs 15/19)"
    assert list(search.to_frame().columns) == list(au.SPLIT_COLUMNS)


def test_split_search_39_women_none_and_the_nearest_total_is_40():
    assert not au.split_search(39, pct("77"), pct("79")).compatible
    nearest = au.nearest_compatible_total(39, pct("77"), pct("79"))
    assert (nearest.n, splits_of(nearest)) == (40, [(26, 14, 20, 11)])  # 20/26 = 76.92%, 11/14 = 78.57%


def test_split_search_christiansen_1995_only_17_17():
    # extraction notes: "of all splits n_t + n_c = 34, only 9/17 (52.94%) and 5/17 (29.41%)"
    search = au.split_search(34, pr.Rounded.parse("52.9", 0, "t"), pr.Rounded.parse("29.4", 0, "c"))
    assert splits_of(search) == [(17, 17, 9, 5)]


@pytest.mark.parametrize("n, t, c", [(39, "77", "79"), (41, "77", "79"), (58, "45", "45"), (99, "58.0", "34.7"),
                                     (47, "70", "63"), (61, "62", "34"), (20, "0", "100"), (2, "50", "50")])
def test_split_search_equals_brute_force(n, t, c):
    percent_t, percent_c = (pr.Rounded.parse(x, 0, "p") for x in (t, c))
    assert splits_of(au.split_search(n, percent_t, percent_c)) == naive_splits(n, percent_t, percent_c)


@given(n_t=st.integers(1, 150), n_c=st.integers(1, 150), data=st.data(), decimals=st.integers(0, 2))
@settings(max_examples=200, deadline=None)
def test_split_search_finds_the_true_split_of_any_trial(n_t, n_c, data, decimals):
    e_t, e_c = data.draw(st.integers(0, n_t)), data.draw(st.integers(0, n_c))
    printed = [f"{100 * e / m:.{decimals}f}" for e, m in ((e_t, n_t), (e_c, n_c))]
    search = au.split_search(n_t + n_c, *(pr.Rounded.parse(x, 0, "p") for x in printed))
    assert (n_t, n_c, e_t, e_c) in splits_of(search)


def test_split_search_rejects_a_total_below_two():
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        au.split_search(1, pct("50"), pct("50"))


def test_check_split_flags_only_an_impossible_total():
    assert au.check_split("a", "n = 41", 41, pct("77"), pct("79")) is None
    flag = au.check_split("a", "Table 1: 39", 39, pct("77"), pct("79"), source_n=41)
    assert (flag.rule, flag.expected, flag.printed, flag.difference) == ("split_percent", 41, 39, -2.0)
    assert "the report's n = 41 allows 10/13 vs 22/28 or 17/22 vs 15/19" in flag.message
    assert "the nearest total that allows both is 40 (20/26 vs 11/14)" in flag.message
    without = au.check_split("a", "Table 1: 39", 39, pct("77"), pct("79"))
    assert (without.expected, without.difference) == (40, -1.0)


def test_percent_counts_is_the_grim_interval():
    low, high = pr.percent_counts(pct("24"), [108, 25])  # 26/108 = 24.07%; 6/25 = 24%
    assert (low.tolist(), high.tolist()) == ([26, 6], [26, 6])
    low, high = pr.percent_counts(pr.Rounded.parse("24.05", 0, "p"), 108)
    assert low > high  # no count out of 108 gives 24.05% (25.97 -> 26/108 = 24.07%)


def test_jablonowska_primary_rm_counts_fit_as_the_data_notes_say():
    # outcomes.csv notes: with arms 22 (17 live births) and 19 (15), 82% fits 9/11 or 14/17 (18/22 needs 18 > 17)
    # and 89% only 8/9 (16/18 and 17/19 need more than 15); the secondary-RM placebo count is then 7/10.
    def fits(percent, arm, births):
        n = list(range(1, arm + 1))
        low, high = pr.percent_counts(pct(percent), n)
        return [(e, m) for m, lo, hi in zip(n, low, high) for e in range(lo, hi + 1) if e <= births]
    assert fits("82", 22, 17) == [(9, 11), (14, 17)]
    assert fits("89", 19, 15) == [(8, 9)]
    assert (15 - 8, 19 - 9) == (7, 10)


# --------------------------------------------------------------------------- the paper against the studies' reports

@pytest.fixture(scope="module")
def review():
    return data.load(ROOT / "data")


def test_audit_flags_add_jablonowska_table1_n_to_the_11_printed_flags(review):
    from metarmc import audit_flags
    flags = audit_flags(review)
    assert len(flags) == 12  # the 11 of the paper's printed numbers (above) and this one
    split = flags[flags["rule"] == "split_percent"]
    assert split[["analysis", "expected", "printed", "difference"]].values.tolist() == [["live_birth", 41, 39, -2.0]]
    message = split["message"].iloc[0]
    assert message.startswith("Table 1 gives Jablonowska 1999 n = 39; its report (Jablonowska 1999 Hum Reprod, "
                              "abstract) prints 77% vs 79%")
    assert "17/22 vs 15/19" in message
    assert list(flags["rule"][:2]) == ["counts", "split_percent"]  # beside the Table 1 sum (847 vs 842)


def test_every_other_table1_n_fits_its_studys_percentages(review):
    from metarmc.review.audit import table1_split_flags
    facts = review.study_facts
    checked = facts.loc[facts["quantity"] == "percent_t", "study_id"].nunique()
    assert checked == 8
    assert len(table1_split_flags(review)) == 1


def test_reproduced_vs_reported_carries_the_split_flag(review):
    from metarmc import reproduced_vs_reported
    live_birth = next(row for row in reproduced_vs_reported(review) if row["analysis"] == "live_birth")
    assert [flag["rule"] for flag in live_birth["flags"]] == ["counts", "split_percent"]


def test_table1_quote_without_a_study_label_is_an_error(review):
    from dataclasses import replace

    from metarmc.review.audit import table1_split_flags
    facts = review.reported_facts.copy()
    facts.loc[facts["quantity"] == "study_n", "quote"] = "Nobody 1999 | 39"
    with pytest.raises(ValueError, match="names no study of studies.csv"):
        table1_split_flags(replace(review, reported_facts=facts))


# --------------------------------------------------------------------------- reproduced vs reported, CLI

def test_reproduced_vs_reported_has_every_analysis():
    from metarmc import reproduce, reproduced_vs_reported

    review = data.load(ROOT / "data")
    rows = reproduced_vs_reported(review)
    assert [row["analysis"] for row in rows] == list(review.reported["analysis"])
    for row in rows:
        result = reproduce(review, row["analysis"]).result
        if result is None:
            assert row["reproduced"] is None
        else:
            assert row["reproduced"]["estimate"] == pytest.approx(result.estimate)
            assert row["reproduced"]["k"] == result.k
        assert row["reported"]["estimate"] == float(review.reported_row(row["analysis"])["estimate"])


@pytest.mark.slow
def test_cli_json_lists_every_analysis_with_its_flags():
    done = subprocess.run([sys.executable, "-m", "metarmc", "audit", str(ROOT / "data"), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [row["analysis"] for row in rows] == list(pd.read_csv(REPORTED)["analysis"])
    assert all(set(row) == {"analysis", "reported", "reproduced", "flags"} for row in rows)
    flags = [flag for row in rows for flag in row["flags"]]
    assert all(set(flag) == {"rule", "message", "expected", "printed", "difference"} for flag in flags)
    bw = next(row for row in rows if row["analysis"] == "birth_weight")
    first = bw["flags"][0]
    assert (first["rule"], first["expected"], first["printed"]) == ("estimate_in_ci", 107.88, 220.74)


@pytest.mark.slow
def test_cli_text_shows_each_analysis_side_by_side():
    done = subprocess.run([sys.executable, "-m", "metarmc", "audit", str(ROOT / "data")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    for analysis in pd.read_csv(REPORTED)["analysis"]:
        assert f"\n{analysis} (" in f"\n{done.stdout}"
    assert "reported" in done.stdout and "reproduced" in done.stdout
    assert "- z_from_ci: the estimate 1.50 and 95% CI 0.98 to 2.30 (log scale) imply Z = 1.86" in done.stdout


def test_every_rule_has_a_title_for_readers():
    """Each rule a flag can name (the RULES and the two-arm GRIM of splits) reads in words on the front page."""
    from metarmc.audit import RULE_TITLES, RULES

    rule_names = {rule.__name__.removeprefix("check_") for rule in RULES} | {"split_percent"}
    assert set(RULE_TITLES) == rule_names
    assert all(title and "_" not in title for title in RULE_TITLES.values())
