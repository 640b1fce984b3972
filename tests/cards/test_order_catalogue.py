"""The order catalogue (SPEC.md section 7): keys, codings, verify marks, reverse lookup."""

import pytest

from logic.model import Region
from logic.order_catalogue import (
    CPT,
    LOINC,
    ORDER_KEY_SYSTEM,
    ORDER_KEYS,
    ORDERS,
    SNOMED,
    codings_for,
    order_key_for_coding,
)

SPEC_KEYS = {
    "bone-marrow-biopsy",
    "flow-cytometry",
    "cytogenetics-fish",
    "cbc-diff",
    "cmp",
    "spep-ife",
    "serum-flc",
    "quant-ig",
    "b2m",
    "ldh",
    "upep-ife-24h",
    "mri-followup",
    "whole-body-imaging",
    "hematology-referral",
    "oncology-referral",
}


def test_every_section_7_key_is_present_and_no_other():
    assert ORDER_KEYS == SPEC_KEYS


@pytest.mark.parametrize(
    ("system", "code", "key"),
    [
        (CPT, "38222", "bone-marrow-biopsy"),
        (SNOMED, "234326005", "bone-marrow-biopsy"),
        (CPT, "88184", "flow-cytometry"),
        (LOINC, "101119-6", "flow-cytometry"),
        (SNOMED, "426329006", "cytogenetics-fish"),
        (CPT, "88237", "cytogenetics-fish"),
        (LOINC, "57021-8", "cbc-diff"),
        (CPT, "80053", "cmp"),
        (CPT, "86334", "spep-ife"),
        (LOINC, "48378-4", "serum-flc"),
        (CPT, "82784", "quant-ig"),
        (LOINC, "1952-1", "b2m"),
        (LOINC, "2532-0", "ldh"),
        (CPT, "86335", "upep-ife-24h"),
        (LOINC, "24967-2", "mri-followup"),
        (CPT, "72158", "mri-followup"),
        (LOINC, "36391-1", "mri-followup"),
        (LOINC, "30674-6", "mri-followup"),
        (CPT, "78815", "whole-body-imaging"),
        (LOINC, "46358-8", "whole-body-imaging"),
        (SNOMED, "183567007", "hematology-referral"),
        (ORDER_KEY_SYSTEM, "oncology-referral", "oncology-referral"),
        ("urn:oid:2.16.840.1.113883.6.12", "38222", "bone-marrow-biopsy"),
        ("urn:oid:2.16.840.1.113883.6.1", " 48378-4 ", "serum-flc"),
    ],
)
def test_order_key_for_coding_finds_the_key(system, code, key):
    assert order_key_for_coding(system, code) == key


@pytest.mark.parametrize(
    ("system", "code"),
    [
        (SNOMED, "86273004"),  # generic biopsy: explicitly not the marrow biopsy code
        (LOINC, "72158"),  # right code, wrong system
        (ORDER_KEY_SYSTEM, "not-a-key"),
        (None, "38222"),
        (CPT, None),
        (CPT, ""),
    ],
)
def test_order_key_for_coding_rejects_unknown(system, code):
    assert order_key_for_coding(system, code) is None


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("cytogenetics-fish", "88237"),
        ("cytogenetics-fish", "88271"),
        ("cbc-diff", "57021-8"),
        ("cbc-diff", "85025"),
        ("cmp", "24323-8"),
        ("cmp", "80053"),
        ("hematology-referral", "183567007"),
    ],
)
def test_codes_marked_verify_in_spec_are_unverified(key, code):
    (coding,) = [c for c in ORDERS[key].codings if c.code == code]
    assert coding.verified is False


def test_codes_without_verify_mark_are_verified():
    assert all(c.verified for c in ORDERS["bone-marrow-biopsy"].codings)
    assert all(c.verified for c in ORDERS["serum-flc"].codings)


def test_mri_followup_codings_follow_the_index_region():
    assert {c.code for c in codings_for("mri-followup", Region.LUMBAR_SPINE)} == {
        "24967-2",
        "72158",
    }
    assert [c.code for c in codings_for("mri-followup", Region.SACRUM)] == ["36391-1"]
    assert [c.code for c in codings_for("mri-followup", Region.PELVIS)] == ["30674-6"]
    assert codings_for("mri-followup", Region.SACROILIAC) == ()
    assert codings_for("mri-followup") == ()


def test_oncology_referral_has_no_invented_code():
    assert codings_for("oncology-referral") == ()


def test_every_coding_has_a_display():
    for definition in ORDERS.values():
        codings = list(definition.codings)
        for region_codings in definition.codings_by_region.values():
            codings.extend(region_codings)
        assert all(c.display and c.system and c.code for c in codings), definition.key
