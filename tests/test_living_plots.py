"""The PRISMA 2020 update diagram draws every count of the flow it is given."""

from metarmc.living.flow import UpdateFlow
from metarmc.plots import prisma_update_flow

FLOW = UpdateFlow(previous_studies=11, identified={"pubmed": 3, "embase": 4, "central": 1, "ctgov": 2},
                  duplicates=6, screened=4, excluded=1, sought=3, not_retrieved=0, assessed=3,
                  reasons={"conference abstract": 1, "ongoing trial": 1}, new_studies=1, new_reports=1,
                  total_studies=12, awaiting=0)


def texts(figure) -> str:
    return " ".join(t.get_text() for t in figure.axes[0].texts).replace("\n", " ")  # wrapped lines joined


def test_update_diagram_shows_each_count():
    drawn = texts(prisma_update_flow(FLOW))
    for line in ("Studies included in previous version of review (n = 11)", "Embase (n = 4)",
                 "ClinicalTrials.gov (n = 2)", "registers (n = 2)", "Duplicate records removed before",
                 "Records screened (n = 4)", "Records excluded (n = 1)", "Reports sought for retrieval (n = 3)",
                 "Reports not retrieved (n = 0)", "Reports assessed for eligibility (n = 3)",
                 "conference abstract (n = 1)", "New studies included in review (n = 1)",
                 "Total studies included in review (n = 12)"):
        assert line in drawn, line
    assert "databases (n = 8)" in drawn  # 3 + 4 + 1, registers apart
    assert "awaiting" not in drawn  # shown only when records await a decision


def test_update_diagram_has_one_box_per_step():
    figure = prisma_update_flow(FLOW)
    boxes = [p for p in figure.axes[0].patches if p.get_gid() == "prisma box"]
    assert len(boxes) == 1 + 6 + 4  # previous version; six main-column boxes; four side boxes
