"""The cases of validation/metafor/methods_reference.json (written by make_methods_reference.R with
R's metafor; each case stores its R call) and how the tests rebuild their inputs here."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from metarmc import meta_binary, meta_continuous

REFERENCE = json.loads((Path(__file__).parents[1] / "validation/metafor/methods_reference.json").read_text())


def cases(kind: str) -> dict:
    """The cases of one kind (regression, influence, gosh, confint, ...), by id."""
    return {case["id"]: case for case in REFERENCE["cases"] if case["kind"] == kind}


def values(x) -> np.ndarray:
    """A JSON number or array as floats, null as NaN."""
    return np.array([np.nan if v is None else v for v in np.atleast_1d(np.array(x, dtype=object))], dtype=float)


def meta_result(case):
    """The MetaResult a case's R code fits: inverse variance, RevMan's zero-cell rule as escalc's add = 1/2."""
    opts = case["options"]
    df = pd.DataFrame(case["input"])
    model = dict(model=opts["model"], tau2=opts["tau2"] or "DL", hksj=opts.get("hksj", False))
    if opts["data"] == "binary":
        return meta_binary(df, measure=opts["measure"], method="IV", **model)
    return meta_continuous(df, measure=opts["measure"], **model)


def regression_data(case) -> pd.DataFrame:
    return pd.DataFrame(case["input"])
