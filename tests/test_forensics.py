"""Forensics: study sets that add up to the printed totals, and tables that pool to the printed values.

Round trips pool a real dataset, print it at RevMan's precision, hide some counts and check
that the blind search finds the truth; survivor sets are checked against a plain loop over
``meta_binary``; hand-worked cases carry their working in comments.

Tolerances: rel=1e-9 for the approximate count, computed in floating point (FFT convolutions)
against the exact integer count.
"""

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metarmc import PrintedResult, data, forensics, meta_binary
from metarmc.forensics import (
    STATISTICS,
    Arms,
    contradiction,
    count_candidates,
    fitted,
    fitting_study_sets,
    hide,
    reconstruct,
    reconstruct_tables,
)
from metarmc.forensics.space import approximate_count

ROOT = Path(__file__).parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "data_valid"
REFERENCE = json.loads((ROOT / "validation" / "metafor" / "reference.json").read_text())

#: The seven live-birth tables sourced in the first data release (data/outcomes.csv, main rows, 2026-11-24).
LIVE_BIRTH_7 = pd.DataFrame({
    "study": ["Christiansen 1995", "Christiansen 2002", "Christiansen 2015", "Coulam 1995",
              "Jablonowska 1999", "Peero 2024", "Stephenson 2010"],
    "events_t": [9, 13, 23, 18, 17, 32, 16], "total_t": [17, 29, 42, 29, 22, 49, 23],
    "events_c": [5, 13, 20, 11, 15, 32, 15], "total_c": [17, 29, 40, 32, 19, 94, 24],
})
COUNTS = ["events_t", "total_t", "events_c", "total_c"]


def dataset(name: str) -> pd.DataFrame:
    case = next(c for c in REFERENCE["cases"] if c["dataset"] == name)
    return pd.DataFrame(case["input"])


def truth(table, hidden) -> np.ndarray:
    """The hidden studies' true rows as ``[events_t, total_t, events_c, total_c]``."""
    return table.set_index("study").loc[hidden, COUNTS].to_numpy()


def contains(survivors, row) -> bool:
    return bool((survivors == row).all(axis=(1, 2)).any())


def as_set(survivors) -> set:
    return {tuple(s.ravel()) for s in survivors}


def printed_or(estimate, ci_low, ci_high, z=None, p=None, i2=None) -> PrintedResult:
    """An odds ratio printed as a paper prints it (empty = not printed)."""
    return PrintedResult.from_row(dict(measure="OR", estimate=estimate, ci_low=ci_low, ci_high=ci_high, z=z, p=p,
                                       i2=i2))


def compatible(printed, result, statistics=None) -> bool:
    """The module's own test applied to one ``meta_binary`` result."""
    return bool(forensics.compatible(printed, np.log(result.estimate), np.log(result.ci_low), np.log(result.ci_high),
                                     result.z, result.p, result.i2, statistics))


# ------------------------------------------------------------------------------- printed values

def test_printed_values_round_to_the_printed_precision():
    printed = printed_or(2.24, 1.68, 2.98, 5.51, "<0.00001", 43)
    ok = dict(estimate=np.log(2.2449), ci_low=np.log(1.676), ci_high=np.log(2.984), z=-5.514, p=3e-8, i2=42.5)

    def check(**change):
        values = {**ok, **change}
        return bool(forensics.compatible(printed, *(values[n] for n in ("estimate", "ci_low", "ci_high", "z", "p",
                                                                        "i2"))))

    assert check()                               # all round to what was printed (|z| compared)
    assert not check(estimate=np.log(2.2451))    # rounds to 2.25
    assert check(estimate=np.log(2.245))         # on the boundary: counts either way
    assert not check(ci_high=np.log(2.9851))     # 2.99
    assert not check(z=5.5151)                   # 5.52
    assert not check(p=1.1e-5)                   # not < 0.00001
    assert check(i2=43.5) and not check(i2=43.51)
    p04 = printed_or(0.46, 0.22, 0.95, 2.09, "0.04", 61)
    assert forensics.compatible(p04, None, None, None, None, 0.045, None, ("p",))  # 0.045 rounds to 0.04 or 0.05
    assert not forensics.compatible(p04, None, None, None, None, 0.0451, None, ("p",))
    assert not forensics.compatible(p04, None, None, None, None, 0.0349, None, ("p",))


def test_a_result_printed_at_revman_precision():
    # meta_binary(LIVE_BIRTH_7): OR 1.931 [1.322, 2.821], z 3.402, p 0.000668, I² 24.4%
    printed = PrintedResult.from_result(meta_binary(LIVE_BIRTH_7))
    assert [printed.estimate.value, printed.ci_low.value, printed.ci_high.value, printed.z.value, printed.i2.value,
            printed.p.text, printed.k, printed.model] == [1.93, 1.32, 2.82, 3.40, 24.0, "0.0007", 7, "fixed"]
    assert str(printed) == "OR 1.93 (95% CI 1.32 to 2.82), Z = 3.40, P = 0.0007, I² = 24%"


# ------------------------------------------------------------------------------- study sets

@pytest.mark.parametrize("arms, n_t, n_c", [
    ([Arms.split("A", "a", 6, ""), Arms.split("B", "b", 5, ""), Arms.fixed("C", "c", 2, 3, "")], 7, 9),
    ([Arms.split("A", "a", 6, "", upto=True), Arms("B", "b", (1, 4), (2, 3), (3, 6)),
      Arms.split("C", "c", 4, "")], 6, 7),
    ([Arms("A", "a", (1, 3), (1, 3), (2, 4)), Arms.split("B", "b", 5, "", upto=True)], 7, 2),
])
def test_fitted_arm_ranges_are_those_of_a_brute_force_search(arms, n_t, n_c):
    choices = [list(map(tuple, a.pairs())) for a in arms]
    fits = [combo for combo in itertools.product(*choices)
            if sum(t for t, _ in combo) == n_t and sum(c for _, c in combo) == n_c]
    narrowed = fitted(arms, n_t, n_c)
    if not fits:
        assert narrowed is None
        return
    for i, arm in enumerate(narrowed):
        assert {tuple(p) for p in arm.pairs()} == {combo[i] for combo in fits}


def test_fixture_miscarriage_has_one_fitting_set():
    # printed k=2, IVIG 37, control 38. Alpha 17/17 and Gamma 20/21 have miscarriage rows; Beta
    # has no counts, only its live-birth arms 15/16 (= its Table 1 n 31). Pairs: Alpha+Beta
    # 32/33, Beta+Gamma 35/37, Alpha+Gamma 37/38 (the only fit).
    sets = fitting_study_sets(data.load(FIXTURE), "miscarriage")
    assert sets.n_subsets == 3
    assert len(sets) == 1 and sets[0].studies == ("Alpha 2001", "Gamma 2009")
    assert not sets[0].unknown and sets[0].departures == ()


def test_fixture_subgroup_leaves_out_studies_of_the_other_type():
    # primary RM, k=1, 15/16: Gamma's row is not_reported, Alpha is a secondary-RM study
    # without a primary row, so only Beta (15/16, counts sourced) is a candidate.
    sets = fitting_study_sets(data.load(FIXTURE), "live_birth_primary")
    assert sets.n_candidate_studies == 1 and len(sets) == 1
    assert sets[0].arms[0].describe() == "15/16 (events 9/7)"


def test_paper_adverse_reactions_fit_only_christiansen_2015_peero_and_a_39_patient_trial():
    # 108/156: Christiansen 2015 42/40 + Peero 2024 49/94 leave 17/22 = 39, the Table 1 n
    # of Jørgensen 2020 (split unknown) and of Jablonowska 1999 (whose sourced arms 22/19 differ).
    sets = fitting_study_sets(data.load(ROOT / "data"), "adverse_reaction")
    assert [s.studies for s in sets] == [("Christiansen 2015", "Jørgensen 2020", "Peero 2024"),
                                         ("Christiansen 2015", "Jablonowska 1999", "Peero 2024")]
    assert [a.describe() for a in sets[0].arms] == ["42/40", "17/22", "49/94"]
    assert [len(s.departures) for s in sets] == [0, 1]


def test_paper_live_birth_totals_do_not_add_up_with_table_1():
    # Table 1's n add up to 847, and no reading of the sourced arm sizes gives 842 = 391 + 451.
    review = data.load(ROOT / "data")
    assert int(review.studies["n_table1"].sum()) == 847
    assert len(fitting_study_sets(review, "live_birth")) == 0
    relaxed = fitting_study_sets(review, "live_birth", relax=True)
    assert len(relaxed) > 0 and relaxed.relaxed
    for s in relaxed:  # every relaxed study stays within its Table 1 n
        table1 = review.studies.set_index("label")["n_table1"]
        assert all(a.total[1] <= max(table1[a.study], a.total[1] if a.known else 0) for a in s.arms)


# ------------------------------------------------------------------------------- round trips

def test_round_trip_live_birth_two_studies_hidden():
    printed = PrintedResult.from_result(meta_binary(LIVE_BIRTH_7))
    hidden = ["Christiansen 1995", "Jablonowska 1999"]
    result = reconstruct_tables(hide(LIVE_BIRTH_7, hidden), printed, workers=1)
    assert result.exhaustive and result.n_candidates == 18 * 18 * 23 * 20  # (17+1)(17+1)(22+1)(19+1)
    assert result.n_tested == result.n_candidates
    assert contains(result.survivors, truth(LIVE_BIRTH_7, hidden))
    assert len(result.survivors) == result.n_survivors
    ranges = result.ranges.set_index("study")
    assert ranges.loc["Christiansen 1995", "events_t_min"] <= 9 <= ranges.loc["Christiansen 1995", "events_t_max"]
    for i in range(result.n_survivors):  # every survivor pools, via the public API, to the printed values
        assert compatible(printed, meta_binary(result.table(i)))


@pytest.mark.parametrize("model", ["fixed", "random"])
def test_round_trip_bcg_one_study_hidden(model):
    bcg = dataset("dat.bcg")
    printed = PrintedResult.from_result(meta_binary(bcg, model=model))
    result = reconstruct_tables(hide(bcg, ["Aronson 1948"]), printed, model=model, workers=1)
    assert result.n_candidates == 124 * 140  # Aronson 1948: 123 vaccinated, 139 controls
    assert contains(result.survivors, truth(bcg, ["Aronson 1948"]))


def brute_force(table, hidden, printed, model, free_split=False) -> set:
    """Every table of the hidden studies, each pooled alone by meta_binary in a plain loop."""
    rows = table.set_index("study")
    shown = table[~table["study"].isin(hidden)]
    n_t = int(rows.loc[hidden, "total_t"].sum())
    sizes = [int(rows.loc[h, "total_t"] + rows.loc[h, "total_c"]) for h in hidden]
    splits = ([tuple(int(rows.loc[h, c]) for c in ("total_t", "total_c")) for h in hidden],) if not free_split else [
        tuple((t, n - t) for t, n in zip(ts, sizes))
        for ts in itertools.product(*(range(1, n) for n in sizes)) if sum(ts) == n_t]
    found = set()
    columns = {name: shown[name].tolist() for name in ("study", *COUNTS)}  # the shown rows, then the hidden ones
    for arms in splits:
        cells = [list(itertools.product(range(t + 1), range(c + 1))) for t, c in arms]
        for events in itertools.product(*cells):
            unknown = [(e[0], a[0], e[1], a[1]) for a, e in zip(arms, events)]
            candidate = pd.DataFrame({"study": columns["study"] + list(hidden),
                                      **{name: columns[name] + [u[i] for u in unknown]
                                         for i, name in enumerate(COUNTS)}})
            if compatible(printed, meta_binary(candidate, model=model)):
                found.add(tuple(v for u in unknown for v in u))
    return found


def test_survivors_equal_a_brute_force_loop_over_meta_binary():
    printed = PrintedResult.from_result(meta_binary(LIVE_BIRTH_7))
    result = reconstruct_tables(hide(LIVE_BIRTH_7, ["Christiansen 1995"]), printed, workers=1)
    expected = brute_force(LIVE_BIRTH_7, ["Christiansen 1995"], printed, "fixed")  # 18 x 18 = 324 meta_binary calls
    assert as_set(result.survivors) == expected
    # 9/17 vs 5/17 (the truth), 10/6, 11/7, 12/8: one more event in each arm keeps the rounded values
    assert sorted(expected) == [(e, 17, e - 4, 17) for e in (9, 10, 11, 12)]


def test_free_splits_under_random_effects_equal_a_brute_force_loop():
    # Two small trials hidden with only their totals known (8 and 7 patients); their IVIG arms
    # must add up to 4 + 3 = 7, so (t1, t2) runs over (1, 6) ... (6, 1).
    table = pd.DataFrame({"study": ["A", "B", "C", "D"], "events_t": [6, 9, 3, 1], "total_t": [20, 25, 4, 3],
                          "events_c": [3, 10, 1, 3], "total_c": [21, 24, 4, 4]})
    printed = PrintedResult.from_result(meta_binary(table, model="random"))
    result = reconstruct_tables(hide(table, ["C", "D"], free_split=True), printed, model="random", workers=1)
    expected = brute_force(table, ["C", "D"], printed, "random", free_split=True)
    assert result.exhaustive and as_set(result.survivors) == expected
    assert contains(result.survivors, truth(table, ["C", "D"]))


def chains():
    """Statistics imposed one more at a time, in several orders."""
    return [STATISTICS, ("i2", "p", "z", "ci", "estimate"), ("z", "estimate", "i2", "ci", "p")]


@pytest.mark.parametrize("table, hidden, model", [
    (LIVE_BIRTH_7, ["Christiansen 1995", "Jablonowska 1999"], "fixed"),
    (LIVE_BIRTH_7, ["Stephenson 2010"], "random"),
    (dataset("dat.collins1985b (pre-eclampsia: pre.xti/pre.nti vs pre.xci/pre.nci)"), ["Menzies 1964"], "fixed"),
    (dataset("dat.bcg"), ["Aronson 1948"], "random"),
], ids=["live-birth-2-hidden", "live-birth-random", "collins", "bcg-random"])
def test_adding_a_printed_statistic_never_adds_survivors(table, hidden, model):
    printed = PrintedResult.from_result(meta_binary(table, model=model))
    study_set = hide(table, hidden)
    for chain in chains():
        previous = None
        for n in range(1, len(chain) + 1):
            current = as_set(reconstruct_tables(study_set, printed, chain[:n], model=model, workers=1).survivors)
            assert previous is None or current <= previous
            previous = current
        assert previous  # the truth survives all five


def test_sampled_search_finds_only_genuine_survivors():
    printed = PrintedResult.from_result(meta_binary(LIVE_BIRTH_7))
    study_set = hide(LIVE_BIRTH_7, ["Christiansen 1995", "Jablonowska 1999"])
    full = reconstruct_tables(study_set, printed, statistics=("estimate",), workers=1)
    sample = reconstruct_tables(study_set, printed, statistics=("estimate",), max_candidates=20_000, workers=1)
    assert not sample.exhaustive and sample.n_tested >= 20_000
    assert 0 < sample.n_survivors and as_set(sample.survivors) <= as_set(full.survivors)


def test_event_totals_only_remove_tables():
    printed = PrintedResult.from_result(meta_binary(LIVE_BIRTH_7))
    study_set = hide(LIVE_BIRTH_7, ["Christiansen 1995", "Jablonowska 1999"])
    free = reconstruct_tables(study_set, printed, statistics=("estimate", "ci"), workers=1)
    totals = (int(LIVE_BIRTH_7["events_t"].sum()), int(LIVE_BIRTH_7["events_c"].sum()))  # 128, 111
    tied = reconstruct_tables(study_set, printed, statistics=("estimate", "ci"), event_totals=totals, workers=1)
    # the hidden studies' events must add up to 9 + 17 = 26 and 5 + 15 = 20
    assert (tied.survivors[:, :, 0].sum(axis=1) == 26).all() and (tied.survivors[:, :, 2].sum(axis=1) == 20).all()
    assert as_set(tied.survivors) == {s for s in as_set(free.survivors) if s[0] + s[4] == 26 and s[2] + s[6] == 20}
    assert tied.n_candidates < free.n_candidates


def test_parallel_search_gives_the_same_survivors():
    printed = PrintedResult.from_result(meta_binary(LIVE_BIRTH_7))
    study_set = hide(LIVE_BIRTH_7, ["Christiansen 1995", "Jablonowska 1999"])
    one = reconstruct_tables(study_set, printed, workers=1, chunk=5_000)
    two = reconstruct_tables(study_set, printed, workers=2, chunk=5_000)
    assert as_set(one.survivors) == as_set(two.survivors) and one.n_tested == two.n_tested


def test_result_frames():
    printed = PrintedResult.from_result(meta_binary(LIVE_BIRTH_7))
    result = reconstruct_tables(hide(LIVE_BIRTH_7, ["Christiansen 1995"]), printed, workers=1)
    frame = result.to_frame()
    assert list(frame["study"]) == ["Christiansen 1995"] and frame["n_survivors"].iloc[0] == 4
    assert frame[["events_t_min", "events_t_max", "events_c_min", "events_c_max"]].iloc[0].tolist() == [9, 12, 5, 8]
    assert len(result.survivors_frame()) == 4 and "exhaustive" in repr(result)
    assert result.records(1)[0]["studies"][0] == {"study": "Christiansen 1995", "study_id": "Christiansen 1995",
                                                  "known": False, "events_t": 9, "total_t": 17,
                                                  "events_c": 5, "total_c": 17}


# ------------------------------------------------------------------------------- bad input

def test_bad_input_raises_value_error():
    printed = PrintedResult.from_result(meta_binary(LIVE_BIRTH_7))
    study_set = hide(LIVE_BIRTH_7, ["Christiansen 1995"])
    with pytest.raises(ValueError, match="model must be one of"):
        reconstruct_tables(study_set, printed, model="Peto")
    with pytest.raises(ValueError, match="statistics must be among"):
        reconstruct_tables(study_set, printed, statistics=("tau2",))
    with pytest.raises(ValueError, match="was not printed"):
        reconstruct_tables(study_set, printed_or(1.93, 1.32, 2.82), statistics=("z",))
    with pytest.raises(ValueError, match="p must be a P value as printed"):
        printed_or(1.93, 1.32, 2.82, p="about 0.05")
    with pytest.raises(ValueError, match="positive odds ratio"):
        reconstruct_tables(study_set, printed_or(0.0, 1.32, 2.82))
    with pytest.raises(ValueError, match="cannot be negative"):
        printed_or(-1.0, 1.32, 2.82)
    with pytest.raises(ValueError, match="not in the table"):
        hide(LIVE_BIRTH_7, ["Nobody 2000"])
    with pytest.raises(ValueError, match="only odds-ratio analyses"):
        reconstruct(data.load(FIXTURE), "birth_weight")


def test_cli_prints_sets_and_json_tables(tmp_path):
    # The fixture with its miscarriage row re-printed for Alpha 5/17 vs 9/17 plus Beta 4/15 vs
    # 8/16 (Beta's counts are not_found): random effects give OR 0.3672 [0.131, 1.029],
    # z -1.905, p 0.0567, I² 0, printed k=2, 32/33, 0.37 [0.13, 1.03], Z 1.91, P 0.06, I² 0%.
    folder = tmp_path / "data"
    shutil.copytree(FIXTURE, folder)
    reported = pd.read_csv(folder / "reported.csv", dtype=str, keep_default_na=False)
    row = reported["analysis"] == "miscarriage"
    for column, value in dict(k="2", n_total="65", n_t="32", n_c="33", estimate="0.37", ci_low="0.13",
                              ci_high="1.03", z="1.91", p="0.06", i2="0").items():
        reported.loc[row, column] = value
    reported.to_csv(folder / "reported.csv", index=False)
    run = [sys.executable, "-m", "metarmc", "reconstruct", "miscarriage", str(folder)]
    text = subprocess.run(run, capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "1. [1 departure] Alpha 2001 17/17 (events 5/9); Beta 2005 15/16" in text  # Gamma left out
    assert "EXHAUSTIVE" in text and "candidates 272, tested 272" in text  # Beta: 16 x 17 tables
    tables = json.loads(subprocess.run(run + ["--json"], capture_output=True, text=True, cwd=ROOT, check=True).stdout)
    beta = [[s["events_t"], s["total_t"], s["events_c"], s["total_c"]] for t in tables for s in t["studies"][1:]]
    assert [4, 15, 8, 16] in beta and all(t["n_survivors"] == len(tables) for t in tables)
    bad = subprocess.run(run + ["--event-totals", "26-10"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1 and "event totals must look like" in bad.stderr


def test_printed_values_that_contradict_each_other_need_no_search():
    # The paper's secondary-RM live births: OR 1.50 (0.98~2.30), Z 1.96, P 0.04. |Z| in
    # [1.955, 1.965] gives P in [0.0494, 0.0506], which rounds to 0.05; and the CI alone
    # gives |Z| = 1.96 (l + h)/(h - l) between 1.84 and 1.89 on the log scale.
    printed = printed_or(1.50, 0.98, 2.30, 1.96, "0.04", 0)
    assert "does not round to P = 0.04" in contradiction(printed, ("z", "p"))
    assert "implies |Z| between 1.844 and 1.890" in contradiction(printed, ("estimate", "ci", "z"))
    assert contradiction(printed, ("estimate", "ci")) == "" and contradiction(printed, ("z", "i2")) == ""
    result = reconstruct_tables(hide(LIVE_BIRTH_7, ["Christiansen 1995"]), printed, workers=1)
    assert result.exhaustive and result.n_tested == 0 and result.n_survivors == 0


@pytest.mark.parametrize("name", ["dat.bcg", "Fleiss1993 aspirin trials (meta::Fleiss1993bin / Fleiss1993.rm5)",
                                  "dat.collins1985b (pre-eclampsia: pre.xti/pre.nti vs pre.xci/pre.nci)"])
@pytest.mark.parametrize("model", ["fixed", "random"])
def test_values_printed_from_real_data_never_contradict_each_other(name, model):
    assert contradiction(PrintedResult.from_result(meta_binary(dataset(name), model=model))) == ""


def test_sampled_search_with_event_totals_keeps_to_them():
    # C and D hidden with their arms kept; their events must add up to 18 - 6 - 9 = 3 and
    # 14 - 3 - 10 = 1. Only 3 of the 8 candidates may be tested, so the search is sampled.
    table = pd.DataFrame({"study": ["A", "B", "C", "D"], "events_t": [6, 9, 2, 1], "total_t": [20, 25, 4, 3],
                          "events_c": [3, 10, 1, 0], "total_c": [21, 24, 4, 4]})
    printed = PrintedResult.from_result(meta_binary(table))
    sampled = reconstruct_tables(hide(table, ["C", "D"]), printed, ("estimate",), event_totals=(18, 14),
                                 max_candidates=3, workers=1)
    full = reconstruct_tables(hide(table, ["C", "D"]), printed, ("estimate",), event_totals=(18, 14), workers=1)
    # events_t of (C, D): (0,3), (1,2), (2,1), (3,0); events_c: (0,1), (1,0)
    assert full.exhaustive and full.n_candidates == 4 * 2
    assert not sampled.exhaustive and as_set(sampled.survivors) <= as_set(full.survivors)
    assert (sampled.survivors[:, :, 0].sum(axis=1) == 3).all()


def test_approximate_count_agrees_with_the_exact_one():
    table = pd.DataFrame({"study": ["A", "B", "C", "D"], "events_t": [6, 9, 3, 1], "total_t": [20, 25, 4, 3],
                          "events_c": [3, 10, 1, 3], "total_c": [21, 24, 4, 4]})
    study_set = hide(table, ["A", "C", "D"], free_split=True)
    exact = count_candidates(study_set)
    assert isinstance(exact, int)
    assert approximate_count(study_set.unknown, 27, 29) == pytest.approx(exact, rel=1e-9)


def test_sets_alike_but_for_the_study_are_grouped():
    # adverse reactions: 42/40 + 17/22 + 49/94 fits with either 39-patient study as the 17/22 one,
    # so the tables are identified but the study is not
    sets = fitting_study_sets(data.load(ROOT / "data"), "adverse_reaction")
    assert sets.alike() == [(1, 2)]
    first, second = sets[0], sets[1]
    assert first.signature == second.signature and first.studies != second.studies
    assert sets.interchangeable() == [("Jablonowska 1999", "Jørgensen 2020")]
