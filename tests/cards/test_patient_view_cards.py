"""Patient-view cards rendered from hand-built Assessments (CARDS.md contract)."""

from __future__ import annotations

import html
import os
import re
import uuid
from dataclasses import replace
from datetime import date

import markdown_it
import pytest
from fhir.resources.R4B import servicerequest

from cds_hooks.cards import parts
from cds_hooks.cards.assessment_cards import (
    issued_rule_ids,
    render_patient_view,
    render_patient_view_cards,
)
from cds_hooks.cards.parts import OVERRIDE_REASON_SYSTEM, TOPIC_SYSTEM
from cds_hooks.schemas import Card, HookResponse
from logic.model import (
    Advisory,
    Assessment,
    Check,
    Evidence,
    FeatureKind,
    Flag,
    ImagingFeature,
    NoCard,
    TextSpan,
    Tier,
)
from logic.order_catalogue import CPT, LOINC, ORDER_KEY_SYSTEM, SNOMED

from . import assessments as a

EXPECTED = {
    # rule: (topic, indicator)
    "R1": ("goals-of-care", "warning"),
    "R2": ("myeloma-defining-event", "critical"),
    "R3": ("cancer-history-staging", "warning"),
    "R4": ("marrow-biopsy-indicated", "warning"),
    "R5": ("initial-lab-workup", "warning"),
    "R6": ("hematology-econsult", "info"),
    "R7": ("surveillance", "info"),
    "R8": ("surveillance", "info"),
}

EXPECTED_ORDER_KEYS = {
    "R1": {"hematology-referral"},
    "R2": {
        "hematology-referral",
        "bone-marrow-biopsy",
        "flow-cytometry",
        "cytogenetics-fish",
        "whole-body-imaging",
        "spep-ife",
        "serum-flc",
    },
    "R3": {"oncology-referral", "whole-body-imaging"},
    "R4": {
        "hematology-referral",
        "bone-marrow-biopsy",
        "flow-cytometry",
        "cytogenetics-fish",
        "upep-ife-24h",
        "whole-body-imaging",
    },
    "R5": {"cbc-diff", "cmp", "spep-ife", "serum-flc", "quant-ig", "b2m", "ldh", "mri-followup"},
    "R6": {"hematology-referral", "upep-ife-24h"},
    "R7": {"mri-followup", "cbc-diff", "cmp", "spep-ife", "serum-flc"},
    "R8": {"mri-followup", "cbc-diff", "cmp", "spep-ife", "serum-flc"},
}

RULES = sorted(EXPECTED)


def render(assessment: Assessment, **kw: object) -> list[Card]:
    return render_patient_view_cards(
        assessment, patient_id=a.PATIENT_ID, as_of=a.AS_OF, rules_url=a.RULES_URL, **kw
    )


def primary(rule: str) -> Card:
    cards = render(a.BY_RULE[rule]())
    assert len(cards) == 1
    return cards[0]


def service_requests(card: Card) -> list[dict]:
    return [
        action.resource
        for suggestion in card.suggestions or []
        for action in suggestion.actions or []
        if action.resource is not None
    ]


def order_key(resource: dict) -> str:
    (key,) = [c["code"] for c in resource["code"]["coding"] if c["system"] == ORDER_KEY_SYSTEM]
    return key


def requests_by_key(card: Card) -> dict[str, dict]:
    return {order_key(r): r for r in service_requests(card)}


# ------------------------------------------------------------------------------ per rule


@pytest.mark.parametrize("rule", RULES)
def test_one_primary_card_with_the_rules_topic_and_indicator(rule):
    card = primary(rule)
    topic, indicator = EXPECTED[rule]
    assert card.source.topic is not None
    assert card.source.topic.system == TOPIC_SYSTEM
    assert card.source.topic.code == topic
    assert card.source.topic.display
    assert card.indicator == indicator


@pytest.mark.parametrize("rule", RULES)
def test_source_names_service_and_rule_set_and_points_at_the_rule(rule):
    card = primary(rule)
    assert card.source.label == f"Marrow CDS rules 2026.1, Rule {rule}"
    assert card.source.url == f"{a.RULES_URL}#{rule}"
    assert card.links is not None
    absolute = [link for link in card.links if link.type == "absolute"]
    assert absolute
    assert all(link.url.startswith("https://cds.example.org/rules") for link in absolute)
    # issue 13: one `smart` link to the companion app, beside the rule catalogue
    [app] = [link for link in card.links if link.type == "smart"]
    assert app.url == "https://cds.example.org/app/launch"
    assert app.appContext


@pytest.mark.parametrize("rule", RULES)
def test_summary_is_short_and_free_of_bare_abbreviations(rule):
    summary = primary(rule).summary
    assert 0 < len(summary) < 140
    for jargon in ("Hb ", "FLC", "WBC", "LDH", "M-protein", "CBC", "SPEP", "IFE"):
        assert jargon not in summary, summary
    if "eGFR" in summary:
        assert "kidney" in summary


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("R2", ["Urgent haematology referral", "calcium 2.9 mmol/L", "lytic bone lesion"]),
        ("R4", ["haemoglobin 11.2 g/dL", "monoclonal protein 0.8 g/dL", "biopsy"]),
        ("R6", ["e-consult", "free light chain ratio 2.1"]),
        ("R1", ["goals of care", "haemoglobin 11.2 g/dL"]),
        ("R3", ["Cancer history", "lumbar spine MRI", "staging"]),
        ("R5", ["lumbar spine MRI", "repeat", "to confirm", "first-line tests"]),
        ("R7", ["no biopsy now", "MRI in 3-6 months"]),
        ("R8", ["lumbar spine MRI", "repeat MRI in 3-6 months"]),
    ],
)
def test_summary_is_specific(rule, words):
    summary = primary(rule).summary
    for word in words:
        assert word in summary, summary


@pytest.mark.parametrize("rule", RULES)
def test_suggestions_carry_the_order_keys_of_the_recommendation(rule):
    card = primary(rule)
    assert set(requests_by_key(card)) == EXPECTED_ORDER_KEYS[rule]


@pytest.mark.parametrize("rule", RULES)
def test_suggestions_have_selection_behaviour_one_recommended_set_and_override_reasons(rule):
    card = primary(rule)
    assert card.suggestions
    assert card.selectionBehavior == "any"
    assert [s.isRecommended for s in card.suggestions].count(True) == 1
    assert card.overrideReasons is not None
    assert {(c.system, c.code, c.display) for c in card.overrideReasons} == {
        (OVERRIDE_REASON_SYSTEM, "already-done", "Already done"),
        (OVERRIDE_REASON_SYSTEM, "patient-declined", "Patient declined"),
        (OVERRIDE_REASON_SYSTEM, "not-clinically-appropriate", "Not clinically appropriate"),
        (OVERRIDE_REASON_SYSTEM, "managed-elsewhere", "Managed elsewhere"),
    }


def test_main_set_is_the_one_the_logic_recommends():
    card = primary("R2")
    assert card.suggestions is not None
    # CARDS.md: the label says what one click does
    assert card.suggestions[0].label.startswith("Order the urgent haematology work-up")
    assert card.suggestions[0].isRecommended is True
    assert card.suggestions[1].isRecommended is None


def test_first_set_is_main_when_the_logic_marks_none():
    card = primary("R1")  # its only order set is not marked recommended
    assert card.suggestions is not None
    assert card.suggestions[0].isRecommended is True


@pytest.mark.parametrize("rule", RULES)
def test_every_service_request_is_a_draft_proposal_for_the_patient_about_the_mri(rule):
    for resource in service_requests(primary(rule)):
        assert resource["resourceType"] == "ServiceRequest"
        assert resource["status"] == "draft"
        assert resource["intent"] == "proposal"
        assert resource["subject"] == {"reference": "Patient/pat-42"}
        assert resource["reasonReference"][0]["reference"] == a.MRI_REF
        assert resource["priority"] in ("routine", "urgent", "stat")


def test_r2_orders_are_urgent_and_missing_labs_stat():
    by_key = requests_by_key(primary("R2"))
    assert by_key["hematology-referral"]["priority"] == "urgent"
    assert by_key["bone-marrow-biopsy"]["priority"] == "urgent"
    assert by_key["whole-body-imaging"]["priority"] == "urgent"
    assert by_key["spep-ife"]["priority"] == "stat"
    assert by_key["serum-flc"]["priority"] == "stat"


def test_r4_orders_are_routine_with_standard_codes():
    by_key = requests_by_key(primary("R4"))
    assert {r["priority"] for r in by_key.values()} == {"routine"}
    biopsy = {(c["system"], c["code"]) for c in by_key["bone-marrow-biopsy"]["code"]["coding"]}
    assert (CPT, "38222") in biopsy
    assert (SNOMED, "234326005") in biopsy
    assert (SNOMED, "86273004") not in biopsy  # generic biopsy: SPEC.md section 7 says not
    assert by_key["cytogenetics-fish"]["note"] == [
        {"text": "FISH panel when a plasma-cell disorder"}
    ]


@pytest.mark.parametrize("rule", ["R5", "R7", "R8"])
def test_scheduled_mri_has_occurrence_period_and_lumbar_codes(rule):
    mri = requests_by_key(primary(rule))["mri-followup"]
    assert mri["occurrencePeriod"] == {"start": "2027-02-23", "end": "2027-05-23"}
    codes = {(c["system"], c["code"]) for c in mri["code"]["coding"]}
    assert {(LOINC, "24967-2"), (CPT, "72158")} <= codes
    assert "lumbar spine" in mri["code"]["text"]


def test_unscheduled_orders_have_no_occurrence_period():
    for resource in service_requests(primary("R4")):
        assert "occurrencePeriod" not in resource


def test_service_requests_are_valid_fhir_r4():
    for rule in RULES:
        for resource in service_requests(primary(rule)):
            servicerequest.ServiceRequest.model_validate(resource)


def test_action_descriptions_say_what_and_when():
    card = primary("R8")
    assert card.suggestions is not None
    (action,) = card.suggestions[0].actions or []
    assert action.type == "create"
    assert "MRI" in action.description
    assert "2027-02-23" in action.description
    assert "2027-05-23" in action.description


# ------------------------------------------------------------------------------ detail


def test_detail_has_decision_evidence_table_rule_and_citations():
    detail = primary("R2").detail
    assert detail is not None
    assert "**Recommendation:** Urgent haematology referral" in detail
    assert "| Item | Value | Unit | Date |" in detail
    assert "| Calcium | 2.9 | mmol/L | 2026-11-18 |" in detail
    # FHIR references, flag ids and the rule id are not clinician text (CARDS.md, 2026-12-07)
    assert "Observation/ca-1" not in detail
    assert "DiagnosticReport/ct-3" not in detail
    assert "Rule R2" not in detail
    assert "https://" not in detail
    assert "Lancet Oncol 2014" in detail
    card = primary("R2")
    assert card.extension is not None
    evidence = card.extension["org.marrow-cds.evidence"]
    assert {
        "reference": "Observation/ca-1",
        "code": "Calcium",
        "value": "2.9",
        "unit": "mmol/L",
        "date": "2026-11-18",
        "flags": ["U-C"],
    } in evidence
    assert "DiagnosticReport/ct-3" in {i.get("reference") for i in evidence}


def test_detail_quotes_the_report_sentence_from_the_evidence():
    detail = primary("R2").detail or ""
    assert "> A 12 mm lytic lesion in the right iliac bone." in detail


def test_detail_quotes_the_index_report_when_no_flag_has_a_quote():
    detail = primary("R8").detail or ""
    assert "> Mildly heterogeneous marrow signal, likely red marrow." in detail
    assert "No focal lesion" not in detail  # a negated finding is not quoted as a finding


def test_shared_evidence_appears_once_with_both_flag_ids():
    base = a.r2()
    rec = base.recommendation
    assert rec is not None
    flags = (
        Flag(id="U-A", tier=Tier.URGENT, criterion="Hb below 10 g/dL", evidence=(a.HB_LOW,)),
        Flag(id="H-ANAEMIA", tier=Tier.HIGH, criterion="Hb below 12 g/dL", evidence=(a.HB_LOW,)),
    )
    assessment = Assessment(
        rule_id="R2", reason="U-A", recommendation=replace(rec, flags=flags), flags=flags
    )
    card = render(assessment)[0]
    detail = card.detail or ""
    assert detail.count("| Haemoglobin | 9.1 | g/dL | 2026-11-18 |") == 1
    assert card.extension is not None
    (item,) = [
        i for i in card.extension["org.marrow-cds.evidence"] if i["reference"] == "Observation/hb-1"
    ]
    assert item["flags"] == ["U-A", "H-ANAEMIA"]
    assert card.summary == "Urgent haematology referral: haemoglobin 9.1 g/dL"


@pytest.mark.parametrize("rule", ["R7", "R8"])
def test_surveillance_cards_show_what_was_checked_and_normal(rule):
    detail = primary(rule).detail or ""
    assert "**Checked and normal**" in detail
    calcium = "| Calcium | normal | Calcium | 2.35 | mmol/L | 2026-11-02 |"
    assert calcium in detail
    platelets = "| Platelets | normal | Platelets | 240 | ×10⁹/L | 2026-11-02 |"
    assert platelets in detail
    assert "| Worrisome MRI features | not present |" in detail


def test_r5_without_stale_results_asks_for_the_first_line_tests():
    base = a.r5()
    rec = base.recommendation
    assert rec is not None
    plain_sets = tuple(
        replace(s, orders=tuple(replace(o, note=None, repeat_to_confirm=False) for o in s.orders))
        for s in rec.order_sets
    )
    assessment = replace(base, recommendation=replace(rec, order_sets=plain_sets))
    summary = render(assessment)[0].summary
    assert summary == (
        "Marrow change on lumbar spine MRI: first-line blood tests needed before deciding on biopsy"
    )


def test_notes_are_listed():
    detail = primary("R5").detail or ""
    assert "**Notes**" in detail
    assert "repeat to confirm" in detail


def _rendered_html(markdown: str) -> str:
    # html=True: render as the CDS Hooks sandbox does, raw HTML allowed
    return markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_report_text_cannot_inject_html_or_markdown():
    card = render(a.r8(sentence=a.HOSTILE_SENTENCE))[0]
    detail = card.detail or ""
    assert "<img" not in detail
    assert "<script" not in detail
    rendered = _rendered_html(detail)
    assert "<img" not in rendered
    assert "<script" not in rendered
    assert 'href="http://evil.example"' not in rendered
    assert "<em>" not in rendered
    # ... and the clinician still reads the sentence as the radiologist wrote it
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert a.HOSTILE_SENTENCE in text


def test_markdown_tables_render_as_tables():
    rendered = _rendered_html(primary("R7").detail or "")
    assert rendered.count("<table>") == 2  # evidence, checked and normal
    assert "<td>2.35</td>" in rendered


# ------------------------------------------------------------------------------ secondary


def test_secondary_cards_imaging_protocol_and_data_quality():
    cards = render(a.r4_with_secondary())
    assert [c.source.topic.code for c in cards if c.source.topic] == [
        "marrow-biopsy-indicated",
        "imaging-protocol",
        "data-quality",
    ]
    for card in cards[1:]:
        assert card.indicator == "info"
        assert len(card.summary) < 140
        assert card.suggestions is None
        assert card.selectionBehavior is None
        assert card.source.url == f"{a.RULES_URL}#{card.source.topic.code}"  # type: ignore[union-attr]
    protocol, quality = cards[1], cards[2]
    assert protocol.summary == a.ADVISORY.summary
    assert "ask for T1 sequences without contrast" in (protocol.detail or "")
    assert "lab results could not be fetched" in quality.summary
    assert "2 items could not be read as sent" in quality.summary
    assert quality.extension is not None
    assert "Observation/hb-x" in {
        i.get("reference") for i in quality.extension["org.marrow-cds.evidence"]
    }
    assert "g/L?" in (quality.detail or "")
    assert "did not answer in time" in (quality.detail or "")


def test_only_problems_gives_a_data_quality_card_without_fetch_words():
    base = a.r8()
    assessment = Assessment(
        rule_id=base.rule_id,
        reason=base.reason,
        recommendation=base.recommendation,
        problems=(a.PROBLEM,),
    )
    cards = render(assessment)
    assert len(cards) == 2
    assert "fetched" not in cards[1].summary


def test_several_advisories_share_one_card():
    base = a.r8()
    second = a.ADVISORY.__class__(
        code="chemical-shift",
        summary="Chemical-shift imaging can tell red marrow from infiltration",
        detail="Consider in- and opposed-phase sequences.",
    )
    assessment = Assessment(
        rule_id=base.rule_id,
        reason=base.reason,
        recommendation=base.recommendation,
        advisories=(a.ADVISORY, second),
    )
    cards = render(assessment)
    assert len(cards) == 2
    assert cards[1].summary.startswith("MRI protocol advice")
    assert len(cards[1].summary) < 140


# ------------------------------------------------------------------------------ R0


@pytest.mark.parametrize(
    ("cause", "reason"),
    [
        (NoCard.NO_INDEX, "no index MRI report"),
        (NoCard.NEGATIVE, "class NEGATIVE"),
        (NoCard.SUPPRESSED, "suppressed: multiple myeloma"),
    ],
)
def test_no_card_for_r0(cause, reason):
    r0 = Assessment(rule_id="R0", reason=reason, problems=(a.PROBLEM,), no_card=cause)
    assert render(r0) == []


def test_r0_suppression_is_said_only_when_verbose():
    assessment = Assessment(
        rule_id="R0",
        reason="suppressed: active multiple myeloma (Condition/c-1)",
        no_card=NoCard.SUPPRESSED,
    )
    (card,) = render(assessment, verbose=True)
    assert card.indicator == "info"
    assert "already under specialist care" in card.summary
    assert "active multiple myeloma" in (card.detail or "")
    assert "Condition/c" not in (card.detail or "")  # FHIR references are not clinician text
    assert card.source.label.endswith(", Rule R0")
    no_index = Assessment(rule_id="R0", reason="no index MRI report", no_card=NoCard.NO_INDEX)
    assert render(no_index, verbose=True) == []


def test_r0_card_comes_from_the_suppressed_state_not_the_reason_words():
    """The verbose R0 card reads `Assessment.no_card`, not the words of the reason."""
    worded = Assessment(rule_id="R0", reason="suppressed: worded so", no_card=NoCard.NO_INDEX)
    assert render(worded, verbose=True) == []
    plain = Assessment(rule_id="R0", reason="under care", no_card=NoCard.SUPPRESSED)
    assert len(render(plain, verbose=True)) == 1


# ------------------------------------------------------------------------------ hygiene


def _empty_values(value: object, path: str = "") -> list[str]:
    if value in ("", [], {}) or value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _empty_values(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _empty_values(v, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize("rule", RULES)
def test_no_empty_optional_fields(rule):
    cards = render(a.BY_RULE[rule]())
    dumped = HookResponse(cards=cards).model_dump(mode="json", exclude_none=True)
    assert _empty_values(dumped) == []


def test_no_empty_optional_fields_on_secondary_cards():
    dumped = HookResponse(cards=render(a.r4_with_secondary())).model_dump(
        mode="json", exclude_none=True
    )
    assert _empty_values(dumped) == []


def test_every_card_and_suggestion_has_a_unique_uuid():
    ids: list[str | None] = []
    for rule in RULES:
        for card in render(a.BY_RULE[rule]()):
            ids.append(card.uuid)
            ids.extend(s.uuid for s in card.suggestions or [])
    ids.extend(c.uuid for c in render(a.r4_with_secondary()))
    assert None not in ids
    assert len(ids) == len(set(ids))


def test_new_uuid_is_the_uuid4_text_of_its_random_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """`new_uuid` writes the text itself (speed): the same text as `uuid.UUID(bytes=...,
    version=4)` for the same 16 random bytes, every version and variant digit included."""
    samples = [bytes(16), b"\xff" * 16, bytes(range(16)), *(os.urandom(16) for _ in range(3000))]
    samples += [bytes([0] * 8 + [b] + [0] * 7) for b in range(256)]  # every variant byte
    for raw in samples:
        monkeypatch.setattr(parts.os, "urandom", lambda n, raw=raw: raw[:n])
        text = parts.new_uuid()
        assert text == str(uuid.UUID(bytes=raw, version=4))
        assert uuid.UUID(text).version == 4


def issued(assessment: Assessment) -> dict[str, str]:
    return issued_rule_ids(
        render_patient_view(
            assessment, patient_id=a.PATIENT_ID, as_of=a.AS_OF, rules_url=a.RULES_URL
        )
    )


def test_issued_rule_ids_maps_card_uuid_to_rule_or_topic():
    ids = issued(a.r4_with_secondary())
    assert sorted(ids.values()) == ["R4", "data-quality", "imaging-protocol"]
    both = {**issued(a.BY_RULE["R7"]()), **issued(a.BY_RULE["R8"]())}  # same topic
    assert sorted(both.values()) == ["R7", "R8"]  # told apart by rule id


def test_the_rule_id_is_carried_as_data_not_read_from_the_url(monkeypatch):
    """The rule a card was issued under does not depend on how its catalogue URL is spelled
    (the old `R[0-8]` fragment regex would have missed a tenth rule)."""
    monkeypatch.setattr("cds_hooks.cards.parts.anchored", lambda url, anchor: f"{url}#x-{anchor}")
    issued_cards = render_patient_view(
        a.BY_RULE["R4"](), patient_id=a.PATIENT_ID, as_of=a.AS_OF, rules_url=a.RULES_URL
    )
    assert [i.issued_as for i in issued_cards] == ["R4"]
    assert issued_cards[0].card.source.url == f"{a.RULES_URL}#x-R4"
    assert issued_cards[0].card.source.label.endswith(", Rule R4")


@pytest.mark.parametrize("url", ["/rules", "rules", "ftp://x/rules", ""])
def test_rules_url_must_be_absolute(url):
    with pytest.raises(ValueError, match="absolute"):
        render_patient_view_cards(a.r8(), patient_id="p", as_of=a.AS_OF, rules_url=url)


@pytest.mark.parametrize("patient_id", ["", "a b", "x" * 65, "<script>"])
def test_patient_id_must_be_a_fhir_id(patient_id):
    with pytest.raises(ValueError, match="not a valid FHIR id"):
        render_patient_view_cards(
            a.r8(), patient_id=patient_id, as_of=a.AS_OF, rules_url=a.RULES_URL
        )


def test_patient_reference_form_is_accepted():
    card = render_patient_view_cards(
        a.r8(), patient_id="Patient/pat-42", as_of=a.AS_OF, rules_url=a.RULES_URL
    )[0]
    assert service_requests(card)[0]["subject"] == {"reference": "Patient/pat-42"}


def test_dates_in_the_evidence_table_are_iso_dates():
    detail = primary("R2").detail or ""
    assert date(2026, 11, 18).isoformat() in detail


def _r4_with_evidence(*items: Evidence) -> Card:
    base = a.r4()
    rec = base.recommendation
    assert rec is not None
    flags = (Flag(id="H-MPROTEIN", tier=Tier.HIGH, criterion="M-protein", evidence=items),)
    assessment = replace(base, recommendation=replace(rec, flags=flags), flags=flags)
    return render(assessment)[0]


def test_lab_value_as_sent_in_other_units_is_shown_beside_the_converted_value():
    converted = Evidence(
        label="Haemoglobin",
        reference="Observation/hb-5",
        value="9.5",
        unit="g/dL",
        date=date(2026, 11, 18),
        as_sent="95 g/L",
    )
    same = replace(converted, reference="Observation/hb-6", as_sent="9.50 g/dL")
    detail = _r4_with_evidence(converted, same).detail or ""
    assert "| 9.5 (as sent: 95 g/L) | g/dL | 2026-11-18 |" in detail
    assert "| 9.5 | g/dL | 2026-11-18 |" in detail
    assert "> as sent" not in detail  # a lab echo is not a report sentence


def test_text_a_lab_finding_was_read_from_is_quoted():
    spep = Evidence(
        label="Serum immunofixation",
        reference="Observation/ife-1",
        date=date(2026, 11, 12),
        quote="IgG kappa monoclonal band <b>detected</b>",
    )
    detail = _r4_with_evidence(spep).detail or ""
    assert "Serum immunofixation, 2026-11-12:" in detail
    assert "> IgG kappa monoclonal band &lt;b&gt;detected&lt;/b&gt;" in detail


def test_quotes_of_one_report_share_one_caption():
    first = replace(a.LYTIC, label="CT chest: lytic lesion")
    second = replace(a.LYTIC, label="CT chest: lytic lesion", quote="Second lesion in T9.")
    detail = _r4_with_evidence(first, second).detail or ""
    assert detail.count("CT chest, 2026-11-01:") == 1
    assert "> A 12 mm lytic lesion in the right iliac bone." in detail
    assert "> Second lesion in T9." in detail


def _flag(flag_id: str, *items: Evidence) -> Flag:
    return Flag(id=flag_id, tier=Tier.URGENT, criterion=flag_id, evidence=items)


@pytest.mark.parametrize(
    ("label", "value", "unit", "as_sent", "phrase"),
    [
        ("Calcium, total", "3.019", "mmol/L", "12.1 mg/dL", "calcium 12.1 mg/dL"),
        ("Calcium, total", "2.9", "mmol/L", None, "calcium 2.9 mmol/L"),
        (
            "Calcium, albumin-corrected (computed from Observation/ca, Observation/alb)",
            "2.979",
            "mmol/L",
            None,
            "albumin-corrected calcium 2.979 mmol/L",
        ),
        ("eGFR", "35", "mL/min/{1.73_m2}", None, "eGFR (kidney function) 35 mL/min/1.73 m²"),
        ("Platelets", "95", "10*9/L", "95 10*3/uL", "platelets 95 ×10³/µL"),
        ("FLC ratio", "2.168", "1", None, "free light chain ratio 2.168"),
        # an analyte's words come from its row of the analyte table (logic.analytes)
        ("Free light chain kappa/lambda ratio", "9.1", "1", None, "free light chain ratio 9.1"),
        ("IgG", "1800", "mg/dL", None, "IgG 1800 mg/dL"),
        ("Urine M-protein, 24 h", "300", "mg/(24.h)", None, "24 h urine M-protein 300 mg/24 h"),
    ],
)
def test_summary_phrase_of_a_value_flag(label, value, unit, as_sent, phrase):
    from cds_hooks.cards.summary import flag_phrase

    item = Evidence(label=label, reference="Observation/x", value=value, unit=unit, as_sent=as_sent)
    assert flag_phrase(_flag("U-C", item)) == phrase


def test_flags_without_a_value_use_plain_words():
    from cds_hooks.cards.summary import flag_phrase

    assert flag_phrase(_flag("U-B")) == "lytic bone lesion"
    assert flag_phrase(_flag("H-CANCER")) == "history of cancer"


def test_long_flag_lists_are_cut_with_a_count():
    from cds_hooks.cards.summary import fit_summary

    phrases = [f"finding number {n} with a long description" for n in range(8)]
    summary = fit_summary("Urgent haematology referral", phrases)
    assert len(summary) < 140
    assert summary.endswith("more findings")


def test_several_advisories_are_counted_in_points():
    from cds_hooks.cards.summary import imaging_protocol_summary

    long = Advisory(code="x", summary="Consider " + "a very long piece of advice " * 4, detail="d")
    short = Advisory(code="y", summary="Ask for pre-contrast T1", detail="d")
    summary = imaging_protocol_summary([short, long])
    assert summary == "MRI protocol advice: ask for pre-contrast T1 and 1 more point"


def test_advisory_evidence_rows_are_not_repeated():
    base = a.r8()
    item = Evidence(label="MRI: hedged as benign", reference=a.MRI_REF, date=date(2026, 11, 10))
    advisory = Advisory(code="benign", summary="Benign look", detail="d", evidence=(item,) * 3)
    cards = render(replace(base, advisories=(advisory,)))
    assert (cards[1].detail or "").count("MRI: hedged as benign") == 1


def test_checked_and_normal_only_on_surveillance_and_deferral_cards():
    base = a.r6()
    rec = base.recommendation
    assert rec is not None
    detail = render(replace(base, recommendation=replace(rec, checks=a.NORMAL_CHECKS)))[0].detail
    assert "**Also checked**" in (detail or "")
    assert "Checked and normal" not in (detail or "")


def test_order_due_on_one_day_says_due():
    from cds_hooks.cards.suggested_orders import action_description
    from logic.model import OrderSuggestion

    order = OrderSuggestion(key="cbc-diff", start=a.IN_3_MONTHS, end=a.IN_3_MONTHS)
    assert action_description(order) == (
        "Order complete blood count with differential, due 2027-02-23"
    )


def test_index_report_quote_puts_the_marrow_finding_first_and_skips_technique():
    base = a.r8()
    rec = base.recommendation
    assert rec is not None
    assert rec.index_report is not None
    report = rec.index_report
    tech = TextSpan(start=0, end=5, text="Images obtained at 1.5 T.")
    t1 = TextSpan(start=0, end=5, text="T1 signal is brighter than disc.")
    features = (
        ImagingFeature(kind=FeatureKind.FIELD_STRENGTH, span=tech, sentence=tech, value=1.5),
        ImagingFeature(kind=FeatureKind.T1_BRIGHTER_THAN_DISC_AND_MUSCLE, span=t1, sentence=t1),
        *report.features,
    )
    detail = (
        render(
            replace(
                base, recommendation=replace(rec, index_report=replace(report, features=features))
            )
        )[0].detail
        or ""
    )
    assert "1.5 T" not in detail
    marrow = detail.index("> Mildly heterogeneous marrow signal")
    assert marrow < detail.index("> T1 signal is brighter than disc.")


def test_a_new_rule_row_renders_its_card_from_the_row(monkeypatch):
    """Adding a rule is its row (logic.rules, with its CardSpec) and its plan: the renderer
    reads the indicator, topic, summary head and checks title from the row."""
    from logic.rules import RULE_BY_ID, CardSpec, Rule

    spec = CardSpec(
        "hematology-econsult",
        "Haematology e-consult",
        "critical",
        summary="A ninth rule's head",
        checks_title="Checked for the ninth rule",
        checks_why="why so",
    )
    row = Rule("R9", "Ninth", "never", "nothing", (), lambda sit: False, None, spec)
    monkeypatch.setitem(RULE_BY_ID, "R9", row)
    base = a.r4()
    assert base.recommendation is not None
    recommendation = replace(
        base.recommendation, rule_id="R9", checks=(Check("Something", "normal"),)
    )
    issued_cards = render_patient_view(
        replace(base, rule_id="R9", recommendation=recommendation),
        patient_id=a.PATIENT_ID,
        as_of=a.AS_OF,
        rules_url=a.RULES_URL,
    )
    card = issued_cards[0].card
    assert issued_cards[0].issued_as == "R9"
    assert card.indicator == "critical"
    assert card.summary.startswith("A ninth rule's head: ")
    assert card.source.label.endswith(", Rule R9")
    assert card.source.url == f"{a.RULES_URL}#R9"
    assert card.source.topic is not None
    assert card.source.topic.code == "hematology-econsult"
    assert "**Checked for the ninth rule** (why so)" in (card.detail or "")


def test_an_unknown_rule_id_is_refused():
    base = a.r4()
    with pytest.raises(ValueError, match="unknown rule id"):
        render(replace(base, rule_id="R99"))


def test_the_button_of_an_order_set_follows_its_fields_not_its_label() -> None:
    # The first-line panel and STAT are data of the order set (logic.orders), not read back
    # out of its label: any label, the same button; a label that merely reads like the panel
    # is named as it is.
    from cds_hooks.cards.assessment_cards import action_label
    from logic.model import OrderSet, OrderSuggestion

    three = tuple(OrderSuggestion(key) for key in ("cbc-diff", "cmp", "serum-flc"))
    panel = OrderSet("Missing labs", three, first_line_labs=True)
    assert action_label(panel) == "Order 3 first-line blood tests"
    assert action_label(replace(panel, stat=True)) == "Order 3 first-line blood tests STAT"
    assert action_label(replace(panel, orders=three[:1])) == "Order 1 first-line blood test"
    named = OrderSet("First-line laboratory panel", three)
    assert action_label(named) == "Order: First-line laboratory panel (3 orders)"
    urgent = OrderSet("Urgent myeloma work-up", three, recommended=True)
    assert action_label(urgent) == "Order the urgent myeloma work-up (3 orders)"
