"""The data-quality card never claims a recommendation was made when none was (issue 2)."""

from __future__ import annotations

from cds_hooks.cards.detail import data_quality_detail
from cds_hooks.cards.document import markdown
from logic.model import DataDomain, DataGap, MappingProblem

GAP = DataGap(DataDomain.LABS, "FHIR server timed out")


def test_undecided_card_says_no_recommendation_was_made() -> None:
    detail = markdown(data_quality_detail((), (GAP,), decided=False))
    assert detail.startswith("No recommendation was made")
    assert "recommendation was made with the data" not in detail
    assert "the EHR's FHIR server did not answer in time" in detail  # raw reason: in the log


def test_card_beside_a_recommendation_says_what_it_was_made_with() -> None:
    problem = MappingProblem("Observation/hb-2", "unit 'G/DL?' is not a UCUM unit")
    detail = markdown(data_quality_detail((problem,), ()))
    assert detail.startswith("The recommendation was made with the data that could be read")
    assert "- Lab result: unit 'G/DL?' is not a UCUM unit" in detail
    assert "Observation/hb-2" not in detail  # in the card's extension (CARDS.md)
