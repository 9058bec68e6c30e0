"""Bad input gets a ValueError naming the study and the column, never a silent NaN."""

import pandas as pd
import pytest

from metarmc import meta_binary, meta_continuous, meta_regression

BINARY = pd.DataFrame({"study": ["A", "B"], "events_t": [3, 5], "total_t": [10, 12],
                       "events_c": [2, 4], "total_c": [11, 12]})
CONTINUOUS = pd.DataFrame({"study": ["A", "B"], "mean_t": [3.0, 3.2], "sd_t": [0.5, 0.6], "n_t": [20, 25],
                           "mean_c": [3.1, 3.0], "sd_c": [0.5, 0.4], "n_c": [21, 22]})


@pytest.mark.parametrize("column, value, message", [
    ("events_t", -1, r"study 'B': events_t must be a non-negative integer; got -1"),
    ("total_c", 12.5, r"study 'B': total_c must be a non-negative integer; got 12.5"),
    ("events_c", 13, r"study 'B': events_c \(13\) exceeds total_c \(12\)"),
    ("events_t", None, r"study 'B': events_t is missing"),
    ("total_t", "abc", r"study 'B': total_t must be a number; got 'abc'"),
    ("total_t", 0, r"study 'B': total_t must be at least 1"),
])
def test_bad_binary_values_name_study_and_column(column, value, message):
    df = BINARY.astype(object)
    df.loc[1, column] = value
    with pytest.raises(ValueError, match=message):
        meta_binary(df)


@pytest.mark.parametrize("column, value, message", [
    ("sd_t", 0.0, r"study 'B': sd_t must be positive; got 0"),
    ("sd_c", -1.0, r"study 'B': sd_c must be positive; got -1"),
    ("n_c", 0, r"study 'B': n_c must be a positive integer; got 0"),
    ("mean_t", float("nan"), r"study 'B': mean_t is missing"),
])
def test_bad_continuous_values_name_study_and_column(column, value, message):
    df = CONTINUOUS.astype(object)
    df.loc[1, column] = value
    with pytest.raises(ValueError, match=message):
        meta_continuous(df)


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="missing column.*total_c"):
        meta_binary(BINARY.drop(columns="total_c"))


def test_missing_subgroup_column_is_named():
    with pytest.raises(ValueError, match="missing column.*rm_type"):
        meta_binary(BINARY, subgroup="rm_type")


def test_duplicate_study_is_rejected():
    with pytest.raises(ValueError, match="study 'A' appears twice"):
        meta_binary(pd.concat([BINARY, BINARY.iloc[[0]]]))


def test_empty_table_is_rejected():
    with pytest.raises(ValueError, match="no studies"):
        meta_binary(BINARY.iloc[0:0])


def test_no_estimable_study_is_rejected():
    df = BINARY.assign(events_t=0, events_c=0)
    with pytest.raises(ValueError, match="no estimable study"):
        meta_binary(df)


@pytest.mark.parametrize("options, message", [
    (dict(measure="HR"), "measure must be one of OR, RR, RD; got 'HR'"),
    (dict(method="GLMM"), "method must be one of MH, IV, Peto; got 'GLMM'"),
    (dict(model="mixed"), "model must be one of fixed, random; got 'mixed'"),
    (dict(model="random", tau2="SJ"), "tau2 must be one of DL, REML, PM; got 'SJ'"),
    (dict(hksj=True), "hksj and prediction need model='random'"),
    (dict(model="random", hksj="knha"), "hksj must be one of False, True, 'adhoc'; got 'knha'"),
    (dict(method="Peto", measure="RR"), "Peto's method pools odds ratios only"),
    (dict(method="Peto", model="random"), "Peto's method is fixed-effect only"),
])
def test_unknown_or_inconsistent_options_are_rejected(options, message):
    with pytest.raises(ValueError, match=message):
        meta_binary(BINARY, **options)


def test_unknown_continuous_measure_is_rejected():
    with pytest.raises(ValueError, match="measure must be one of MD, SMD; got 'OR'"):
        meta_continuous(CONTINUOUS, measure="OR")


def test_meta_regression_refuses_the_adhoc_correction_it_does_not_implement():
    data = pd.DataFrame({"yi": [0.1, 0.4, 0.2], "vi": [0.04, 0.05, 0.03], "dose": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="do not implement the ad hoc correction; got 'adhoc'"):
        meta_regression(data, ["dose"], hksj="adhoc")


def test_hksj_needs_two_studies():
    with pytest.raises(ValueError, match="hksj needs at least 2 estimable studies"):
        meta_binary(BINARY.iloc[[0]], model="random", hksj=True)
