"""What the methods-course chapters (``book/m*.md``) share: the R call beside the Python.

A course chapter shows the ``metarmc`` call that carries a lesson and, beside it, the R call
that does the same in metafor. That R is never typed into a chapter: it is the call stored
with a case of the pinned reference files in ``validation/metafor/`` (``reference.json``,
``methods_reference.json``, ``correction_reference.json``, ``bias_reference.json``), so the R a
student reads is the R that produced the numbers the tests compare ``metarmc`` against.

- :func:`r_case` finds one stored case; displayed in a notebook it is a collapsible R block
  naming the metafor version, the file and the data set (:meth:`RCase._repr_html_`);
  :attr:`RCase.data` is the case's input as a study table, :meth:`RCase.agreement` puts
  ``metarmc``'s values beside R's (and fails if they differ).

Tables are shown with :func:`metarmc.tables.table`, as in the review's chapters.

Chapters run with ``book/`` as the working directory, so they ``import course``. Nothing
here is read at import time; each :func:`r_case` call reads its JSON file (cached).

Examples
--------
>>> case = r_case("reference", "normand_MD_IV_fixed")
>>> case.dataset, case.metafor_version
('dat.normand1999', '3.8.1')
>>> print(case.code.splitlines()[1])
es <- escalc(measure = "MD", m1i = mean_t, sd1i = sd_t, n1i = n_t, m2i = mean_c, sd2i = sd_c, n2i = n_c)
>>> list(case.data.columns)
['study', 'mean_t', 'sd_t', 'n_t', 'mean_c', 'sd_c', 'n_c']
"""

from __future__ import annotations

import functools
import html
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: Where the pinned metafor reference files live (relative to this file, not the working directory).
VALIDATION = Path(__file__).resolve().parents[1] / "validation" / "metafor"
#: The reference files and the tests that compare ``metarmc`` with them.
SOURCES = {
    "reference": "tests/test_metafor_reference.py",
    "methods_reference": "tests/test_regression.py, test_influence.py, test_heterogeneity_ci.py",
    "correction_reference": "tests/test_corrections.py",
    "bias_reference": "tests/test_bias.py",
}
#: Relative tolerance of :meth:`RCase.agreement`: that of the pinned-reference tests.
RTOL = 1e-8
#: Differences below this are shown as such (the exact tiny value varies between machines).
SHOWN_BELOW = 1e-10


@functools.cache
def _reference(source: str) -> dict:
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}; got {source!r}")
    path = VALIDATION / f"{source}.json"
    try:
        return json.loads(path.read_text(encoding="utf8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: the pinned metafor reference file is missing") from None


@dataclass(frozen=True, repr=False)
class RCase:
    """One stored metafor case: the R call, its input, and what it computed.

    ``code`` is the R as it was run: the file's preamble (when the call does not start with
    it) and the call, evaluated in an environment holding the vectors of ``input``.
    """

    source: str
    id: str
    dataset: str
    code: str
    input: Mapping = field(compare=False)
    expected: Mapping = field(compare=False)
    options: Mapping = field(compare=False)
    r_version: str
    metafor_version: str
    subgroup: tuple | None = None

    @property
    def data(self) -> pd.DataFrame:
        """The case's per-study input vectors as a study table (one row per study), with a
        ``subgroup`` column for the subgroup cases (whose labels are stored beside the input)."""
        k = len(self.input["study"])
        frame = pd.DataFrame({name: values for name, values in self.input.items()
                              if isinstance(values, list) and len(values) == k})
        return frame if self.subgroup is None else frame.assign(subgroup=list(self.subgroup))

    @property
    def caption(self) -> str:
        return (f"R {self.r_version.split()[2]}, metafor {self.metafor_version}: case {self.id} "
                f"({self.dataset}) of validation/metafor/{self.source}.json")

    def agreement(self, ours: Mapping[str, object], rtol: float = RTOL) -> pd.DataFrame:
        """``metarmc``'s values beside the ones R stored; raises ``AssertionError`` if any differ.

        Parameters
        ----------
        ours : mapping
            Names of ``expected`` (e.g. ``"estimate"``, ``"tau2"``, ``"yi"``) to our value
            (a number, or an array for per-study values; R's ``null`` is NaN).
        rtol : float
            Largest relative difference accepted (that of the tests).

        Returns
        -------
        DataFrame
            ``quantity``, ``metarmc``, ``R``, ``difference`` (the largest relative one).
        """
        rows = []
        for name, value in ours.items():
            if name not in self.expected:
                raise KeyError(f"case {self.id} has no {name!r}; it stores {', '.join(self.expected)}")
            mine = np.atleast_1d(np.asarray(value, dtype=float))
            theirs = np.atleast_1d(np.array([np.nan if x is None else x for x in np.atleast_1d(self.expected[name])],
                                            dtype=float))
            if mine.shape != theirs.shape:
                raise ValueError(f"{name}: {mine.size} value(s) given, case {self.id} stores {theirs.size}")
            both = ~(np.isnan(mine) & np.isnan(theirs))
            scale = np.maximum(np.abs(theirs[both]), np.finfo(float).tiny)
            difference = float(np.max(np.abs(mine[both] - theirs[both]) / scale, initial=0.0))
            if not difference <= rtol:
                raise AssertionError(f"{name}: metarmc {mine} and metafor {theirs} differ by {difference:.1e} "
                                     f"(relative; tolerance {rtol:g})")
            rows.append({"quantity": name, "metarmc": _shown(mine), "R": _shown(theirs),
                         "difference": f"< {SHOWN_BELOW:g}" if difference < SHOWN_BELOW else f"{difference:.1e}"})
        return pd.DataFrame(rows, columns=["quantity", "metarmc", "R", "difference"])

    def compare(self, result) -> pd.DataFrame:
        """:meth:`agreement` for a pooled result: its estimate, CI, P, Q and I² (and τ² and the
        prediction interval where R stored them) beside R's.

        >>> from metarmc import meta_binary
        >>> case = r_case("reference", "bcg_OR_MH_fixed")
        >>> case.compare(meta_binary(case.data, measure="OR", method="MH"))["quantity"].tolist()
        ['estimate', 'ci_low', 'ci_high', 'p', 'q', 'i2']
        """
        names = ["estimate", "ci_low", "ci_high", "p", "q", "i2"]
        names += [name for name in ("tau2", "pi_low", "pi_high") if self.expected.get(name) is not None]
        return self.agreement({name: getattr(result, name) for name in names})

    @property
    def runnable(self) -> str:
        """The R to paste into a fresh session: the case's input vectors, then its call.

        >>> print(r_case("reference", "single_OR_MH_fixed").runnable.splitlines()[0])
        study <- c("Aronson 1948")
        """
        data = [f"{name} <- {_r_value(value)}" for name, value in self.input.items()]
        return "\n".join([*data, self.code])

    def __repr__(self) -> str:
        return f"# {self.caption}\n{self.runnable}"

    def _repr_html_(self) -> str:
        """A folded block drawn like myst-nb's ``hide-input`` toggles, with R syntax highlighting."""
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import SLexer

        code = highlight(self.runnable, SLexer(), HtmlFormatter(cssclass="highlight"))
        runs = ("Runs as written in a fresh R session with metafor installed" if self.subgroup is None else
                "The last lines say in comments how each subgroup is run and compared")
        note = f"{self.caption}. {runs}; {SOURCES[self.source]} check metarmc against what it computed."
        return ('<details class="admonition hide above-input r-call">'
                '<summary aria-label="Toggle hidden content">'
                f'<p class="collapsed admonition-title">Show the same in R (metafor: {html.escape(self.id)})</p>'
                f'<p class="expanded admonition-title">Hide the R of {html.escape(self.id)}</p></summary>'
                f'<div class="cell_input docutils container"><div class="highlight-r notranslate">{code}</div></div>'
                f"<p><small>{html.escape(note)}</small></p></details>")


def _r_value(value) -> str:
    """A JSON value as R source: a string, number, null (NA) or a list of them (``c(...)``)."""
    if isinstance(value, list):
        return f"c({', '.join(_r_value(item) for item in value)})"
    if value is None:
        return "NA"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _shown(values: np.ndarray) -> str:
    if values.size > 1:
        return f"{values.size} values"
    value = float(values[0])
    return "NaN" if math.isnan(value) else f"{value:.6g}"


def r_case(source: str, case_id: str, *, kind: str | None = None) -> RCase:
    """The stored case ``case_id`` of ``validation/metafor/<source>.json``.

    Parameters
    ----------
    source : {"reference", "methods_reference", "correction_reference", "bias_reference"}
    case_id : str
        The case's ``id``.
    kind : str, optional
        The case's ``kind``, where one file has two cases of the same id (in
        ``methods_reference``, e.g. ``"confint"`` and ``"gosh"``).

    Returns
    -------
    RCase
    """
    reference = _reference(source)
    found = [case for case in reference["cases"]
             if case["id"] == case_id and (kind is None or case.get("kind") == kind)]
    if not found:
        known = sorted({case["id"] for case in reference["cases"]})
        raise KeyError(f"no case {case_id!r}{f' of kind {kind!r}' if kind else ''} in {source}.json; "
                       f"its cases are {', '.join(known)}")
    if len(found) > 1:
        kinds = ", ".join(str(case.get("kind")) for case in found)
        raise KeyError(f"{source}.json has {len(found)} cases {case_id!r} (kinds {kinds}): pass kind=")
    (case,) = found
    preamble = reference.get("preamble") or "library(metafor)"
    code = case["call"] if not preamble or case["call"].startswith(preamble) else f"{preamble}\n{case['call']}"
    return RCase(source=source, id=case_id, dataset=case["dataset"], code=code.strip("\n"), input=case["input"],
                 expected=case["expected"], options=case.get("options", {}), r_version=reference["r_version"],
                 metafor_version=reference["metafor_version"],
                 subgroup=tuple(case["subgroup"]) if "subgroup" in case else None)
