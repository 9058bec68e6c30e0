"""Small published datasets used by the engine tests (each with its source)."""

import pandas as pd

#: Seven aspirin-after-myocardial-infarction trials (Fleiss 1993, Stat Methods Med Res 2:121-145),
#: as stored in R package meta's ``Fleiss1993bin`` and its RevMan 5 file ``Fleiss1993.rm5``.
FLEISS1993 = pd.DataFrame({
    "study": ["MRC-1", "CDP", "MRC-2", "GASP", "PARIS", "AMIS", "ISIS-2"],
    "events_t": [49, 44, 102, 32, 85, 246, 1570],
    "total_t": [615, 758, 832, 317, 810, 2267, 8587],
    "events_c": [67, 64, 126, 38, 52, 219, 1720],
    "total_c": [624, 771, 850, 309, 406, 2257, 8600],
})
