"""Plots: forest, funnel, risk of bias, PRISMA, TSA, Baujat, GOSH, meta-regression bubbles, Bayesian posteriors,
and teaching plots.

Every function takes results or DataFrames (never file paths), draws with matplotlib only,
and returns the :class:`~matplotlib.figure.Figure` it drew on. Pass ``ax=`` to draw into an
existing axes; otherwise each function makes a new figure of the right size, created
without pyplot (so it is shown once when it ends a notebook cell, can be ``glue``-d, and
never needs closing). Nothing here calls ``plt.show()``.
"""

from .baujat import baujat_plot
from .bayes import posterior_plot
from .forest import forest_plot, summary_forest
from .funnel import funnel_plot
from .gosh import gosh_plot
from .heterogeneity import heterogeneity_by_size_plot
from .measures import implied_effects_plot
from .prisma import prisma_flow, prisma_update_flow
from .regression import bubble_plot
from .rob import rob_summary, rob_traffic_light
from .sequential import tsa_plot

__all__ = ["forest_plot", "summary_forest", "funnel_plot", "rob_traffic_light", "rob_summary", "prisma_flow",
           "prisma_update_flow", "tsa_plot", "baujat_plot", "gosh_plot",
           "implied_effects_plot", "heterogeneity_by_size_plot", "bubble_plot", "posterior_plot"]
