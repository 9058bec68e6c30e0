"""Posterior densities of Bayesian random-effects meta-analyses, side by side with their priors.

References
----------
Röver C (2020). Bayesian random-effects meta-analysis using the bayesmeta R package.
J Stat Softw 93(6):1-51 (the same displays: posterior of τ with its prior, of μ and of the effect
in a new study).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from ..bayes import PARAMETERS, BayesMeta
from .style import OKABE_ITO, SMALL_FONT_SIZE, ReviewFigure, nice_ticks, style_effect_axis

#: Line colours, in the order of the fits.
COLOURS = (OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"], OKABE_ITO["reddish_purple"],
           OKABE_ITO["orange"], OKABE_ITO["black"])
#: Axis labels of the three parameters (on the scale of the fits' ``yi``).
LABELS = {"tau": "τ, between-study standard deviation", "mu": "μ, mean effect",
          "prediction": "effect in a new study"}


def posterior_plot(fits: Mapping[str, BayesMeta], parameter: str = "tau", *, ratio: str | None = None,
                   prior: bool = True, ax=None) -> Figure:
    """The posterior densities of ``parameter`` of each fit (and, for τ, its prior, dashed).

    Parameters
    ----------
    fits : mapping of str to BayesMeta
        Legend label -> fit; at most six.
    parameter : {"tau", "mu", "prediction"}
    ratio : str, optional
        For μ and the prediction of log ratios: the ratio's name (e.g. ``"OR"``); the x axis is
        then the ratio on a log scale (the density stays that of the log ratio).
    prior : bool
        Draw each fit's prior for τ (dashed, same colour).
    ax : Axes, optional
        Draw into this axes; by default a new 6 x 3.5 inch figure.

    Returns
    -------
    Figure

    Notes
    -----
    The x range runs from the smallest 0.5% quantile to the largest 99.5% quantile of the fits
    (from 0 for τ). Each curve has the gid ``"posterior <label>"`` (priors ``"prior <label>"``).

    Examples
    --------
    >>> from metarmc.bayes import bayes_meta
    >>> fit = bayes_meta([0.1, 0.3, -0.2], [0.04, 0.09, 0.05])
    >>> fig = posterior_plot({"half-normal(0.5)": fit}, "tau")
    """
    if parameter not in PARAMETERS:
        raise ValueError(f"parameter must be one of {', '.join(PARAMETERS)}; got {parameter!r}")
    if not fits or len(fits) > len(COLOURS):
        raise ValueError(f"fits must hold 1 to {len(COLOURS)} fits; got {len(fits)}")
    ax = ax if ax is not None else ReviewFigure(figsize=(6, 3.5), layout="constrained").add_subplot()
    low = 0.0 if parameter == "tau" else min(fit.quantile(parameter, 0.005) for fit in fits.values())
    high = max(fit.quantile(parameter, 0.995) for fit in fits.values())
    x = np.linspace(low, high, 400)
    shown = np.exp(x) if ratio and parameter != "tau" else x
    for (label, fit), colour in zip(fits.items(), COLOURS):
        ax.plot(shown, fit.density(parameter, x), color=colour, lw=1.5, label=label, gid=f"posterior {label}")
        if prior and parameter == "tau":
            ax.plot(x, fit.prior_density(x), color=colour, lw=1, ls="--", label=f"prior: {fit.tau_prior}"
                    f"({fit.tau_scale:g})", gid=f"prior {label}")
    if ratio and parameter != "tau":
        limits = (float(shown[0]), float(shown[-1]))
        style_effect_axis(ax, limits, nice_ticks(*limits, log=True), True)
        ax.set_xlabel(f"{LABELS[parameter]} ({ratio}, log scale)")
    else:
        ax.set_xlim(low, high)
        ax.set_xlabel(LABELS[parameter] + (" (log scale of the ratio)" if parameter == "tau" and ratio else ""))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("density")
    ax.tick_params(labelsize=SMALL_FONT_SIZE)
    ax.legend(fontsize=SMALL_FONT_SIZE, frameon=False)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    return ax.figure
