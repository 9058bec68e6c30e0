"""metarmc: a RevMan-faithful meta-analysis engine for the IVIG living review.

Public names only; each lives in a module with one job (see the package README/DESIGN).
"""

from .api import leave_one_out, meta_binary, meta_continuous
from .pooling import Pooled, pool_binary, pool_effects
from .results import MetaResult

__all__ = ["meta_binary", "meta_continuous", "leave_one_out", "pool_binary", "pool_effects",
           "Pooled", "MetaResult"]
