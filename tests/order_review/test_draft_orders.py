"""draftOrders Bundle -> DraftOrder: recognition by CPT, LOINC, SNOMED CT, order key and text."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappers.draft_orders import (
    canonical_system,
    contrast_from_text,
    map_draft_order,
    map_draft_orders,
)
from logic.model import Contrast
from logic.order_model import DraftKind, MriSite

from .builders import CPT, LOINC, SNOMED, bundle, service_request

W, WO, WWO, UNK = Contrast.WITH, Contrast.WITHOUT, Contrast.WITHOUT_AND_WITH, Contrast.UNKNOWN
MRI = DraftKind.MRI_MARROW_REGION


@pytest.mark.parametrize(
    ("system", "code", "kind", "site", "contrast"),
    [
        pytest.param(CPT, "72149", MRI, MriSite.LUMBAR, W, id="cpt-72149-lumbar-with"),
        pytest.param(CPT, "72148", MRI, MriSite.LUMBAR, WO, id="cpt-72148-lumbar-without"),
        pytest.param(CPT, "72158", MRI, MriSite.LUMBAR, WWO, id="cpt-72158-lumbar-both"),
        pytest.param(CPT, "72196", MRI, MriSite.PELVIS, W, id="cpt-72196-pelvis-with"),
        pytest.param(CPT, "72195", MRI, MriSite.PELVIS, WO, id="cpt-72195-pelvis-without"),
        pytest.param(CPT, "72197", MRI, MriSite.PELVIS, WWO, id="cpt-72197-pelvis-both"),
        pytest.param(CPT, "72147", MRI, MriSite.THORACIC, W, id="cpt-72147-thoracic-with"),
        pytest.param(CPT, "72142", MRI, MriSite.CERVICAL, W, id="cpt-72142-cervical-with"),
        pytest.param(LOINC, "30678-7", MRI, MriSite.LUMBAR, W, id="loinc-30678-7-lumbar-with"),
        pytest.param(LOINC, "30679-5", MRI, MriSite.LUMBAR, WO, id="loinc-30679-5-lumbar-without"),
        pytest.param(LOINC, "24967-2", MRI, MriSite.LUMBAR, WWO, id="loinc-24967-2-lumbar-both"),
        pytest.param(LOINC, "36391-1", MRI, MriSite.SACRUM, WWO, id="loinc-36391-1-sacrum-both"),
        pytest.param(LOINC, "30674-6", MRI, MriSite.PELVIS, WWO, id="loinc-30674-6-pelvis-both"),
        pytest.param(CPT, "77075", DraftKind.SKELETAL_SURVEY, None, UNK, id="cpt-77075-survey"),
        pytest.param(CPT, "77074", DraftKind.SKELETAL_SURVEY, None, UNK, id="cpt-77074-limited"),
        pytest.param(CPT, "38222", DraftKind.MARROW_BIOPSY, None, UNK, id="cpt-38222-biopsy"),
        pytest.param(CPT, "38221", DraftKind.MARROW_BIOPSY, None, UNK, id="cpt-38221-biopsy"),
        pytest.param(SNOMED, "234326005", DraftKind.MARROW_BIOPSY, None, UNK, id="snomed-biopsy"),
        pytest.param(LOINC, "46305-9", DraftKind.WHOLE_BODY_IMAGING, None, UNK, id="ct-wb"),
        pytest.param(LOINC, "44139-4", DraftKind.WHOLE_BODY_IMAGING, None, UNK, id="pet-wb"),
        pytest.param(CPT, "78815", DraftKind.WHOLE_BODY_IMAGING, None, UNK, id="pet-ct-78815"),
        pytest.param(CPT, "83521", DraftKind.LAB, None, UNK, id="cpt-83521-flc"),
        pytest.param(CPT, "84165", DraftKind.LAB, None, UNK, id="cpt-84165-spep"),
        pytest.param(LOINC, "1952-1", DraftKind.LAB, None, UNK, id="loinc-b2m"),
        pytest.param(
            SNOMED, "86273004", DraftKind.OTHER, None, UNK, id="generic-biopsy-not-marrow"
        ),
        pytest.param(CPT, "72133", DraftKind.OTHER, None, UNK, id="ct-lumbar-is-not-mri"),
        pytest.param(CPT, "70553", DraftKind.OTHER, None, UNK, id="mri-brain-is-other"),
    ],
)
def test_recognised_by_code(
    system: str, code: str, kind: DraftKind, site: MriSite | None, contrast: Contrast
) -> None:
    draft = map_draft_order(service_request("a", (system, code, None)))
    assert (draft.kind, draft.site, draft.contrast) == (kind, site, contrast)
    assert draft.recognised_by.endswith(code) if kind is not DraftKind.OTHER else True


@pytest.mark.parametrize(
    ("text", "kind", "site", "contrast", "key"),
    [
        ("MRI lumbar spine with contrast", MRI, MriSite.LUMBAR, W, None),
        ("MRI L-spine w/ contrast", MRI, MriSite.LUMBAR, W, None),
        ("MRI L spine w contrast", MRI, MriSite.LUMBAR, W, None),
        ("MRI sacrum with gadolinium", MRI, MriSite.SACRUM, W, None),
        ("MRI pelvis post-contrast only", MRI, MriSite.PELVIS, W, None),
        ("MRI lumbar spine WO", MRI, MriSite.LUMBAR, WO, None),
        ("MRI lumbar spine without contrast", MRI, MriSite.LUMBAR, WO, None),
        ("MRI L-spine w/o and w contrast", MRI, MriSite.LUMBAR, WWO, None),
        ("MR Lumbar spine WO and W contrast IV", MRI, MriSite.LUMBAR, WWO, None),
        ("MRI pelvis with and without contrast", MRI, MriSite.PELVIS, WWO, None),
        ("MRI T-spine", MRI, MriSite.THORACIC, UNK, None),
        ("MRA pelvis with contrast", DraftKind.OTHER, None, UNK, None),
        ("MRI sacroiliac joints with contrast", DraftKind.OTHER, None, UNK, None),
        ("MRI brain with contrast", DraftKind.OTHER, None, UNK, None),
        ("Skeletal survey", DraftKind.SKELETAL_SURVEY, None, UNK, None),
        ("XR bone survey complete", DraftKind.SKELETAL_SURVEY, None, UNK, None),
        ("Whole body low dose CT", DraftKind.WHOLE_BODY_IMAGING, None, UNK, "whole-body-imaging"),
        ("MRI whole body", DraftKind.WHOLE_BODY_IMAGING, None, UNK, "whole-body-imaging"),
        (
            "FDG PET/CT skull base to mid-thigh",
            DraftKind.WHOLE_BODY_IMAGING,
            None,
            UNK,
            "whole-body-imaging",
        ),
        (
            "Bone marrow aspiration and biopsy",
            DraftKind.MARROW_BIOPSY,
            None,
            UNK,
            "bone-marrow-biopsy",
        ),
        (
            "Biopsy, bone marrow, posterior iliac crest",
            DraftKind.MARROW_BIOPSY,
            None,
            UNK,
            "bone-marrow-biopsy",
        ),
        ("Bone marrow imaging; whole body", DraftKind.OTHER, None, UNK, None),
        ("CBC with differential", DraftKind.LAB, None, UNK, "cbc-diff"),
        ("Free light chains, serum", DraftKind.LAB, None, UNK, "serum-flc"),
        ("SPEP with immunofixation", DraftKind.LAB, None, UNK, "spep-ife"),
        ("Urine protein electrophoresis 24 h", DraftKind.LAB, None, UNK, "upep-ife-24h"),
        ("Comprehensive metabolic panel", DraftKind.LAB, None, UNK, "cmp"),
        ("Beta-2 microglobulin", DraftKind.LAB, None, UNK, "b2m"),
        ("Chest X-ray 2 views", DraftKind.OTHER, None, UNK, None),
    ],
)
def test_recognised_by_text(
    text: str, kind: DraftKind, site: MriSite | None, contrast: Contrast, key: str | None
) -> None:
    draft = map_draft_order(service_request("a", ("urn:oid:1.2.3.4.5", "LOCAL-1", None), text=text))
    assert (draft.kind, draft.site, draft.contrast, draft.order_key) == (kind, site, contrast, key)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("with contrast", W),
        ("w/ contrast", W),
        ("W contrast IV", W),
        ("WO", WO),
        ("without", WO),
        ("non-contrast", WO),
        ("w/o and w", WWO),
        ("WO and W contrast IV", WWO),
        ("without contrast material, followed by contrast material(s)", WWO),
        ("with and without contrast", WWO),
        ("pre- and post-contrast", WWO),
        ("", UNK),
    ],
)
def test_contrast_mode_from_text(text: str, expected: Contrast) -> None:
    assert contrast_from_text(text) is expected


def test_loinc_code_without_contrast_mode_reads_the_text() -> None:
    draft = map_draft_order(
        service_request("a", (LOINC, "24968-0", "MR Lumbar spine"), text="MRI L-spine w/ contrast")
    )
    assert (draft.kind, draft.site, draft.contrast) == (MRI, MriSite.LUMBAR, W)
    assert draft.recognised_by == "LOINC 24968-0"


def test_code_beats_text() -> None:
    draft = map_draft_order(
        service_request("a", (CPT, "72158", None), text="MRI L-spine w contrast")
    )
    assert draft.contrast is WWO


def test_our_own_order_key_is_recognised() -> None:
    draft = map_draft_order(
        service_request("a", ("urn:marrow-cds:order", "serum-flc", None), text="FLC")
    )
    assert (draft.kind, draft.order_key, draft.recognised_by) == (
        DraftKind.LAB,
        "serum-flc",
        "order key serum-flc",
    )


@pytest.mark.parametrize(
    ("sent", "canonical"),
    [
        ("urn:oid:2.16.840.1.113883.6.12", CPT),
        ("http://www.ama-assn.org/go/cpt/", CPT),
        ("CPT", CPT),
        ("urn:oid:2.16.840.1.113883.6.1", LOINC),
        ("urn:oid:2.16.840.1.113883.6.96", SNOMED),
        (LOINC, LOINC),
    ],
)
def test_code_system_aliases(sent: str, canonical: str) -> None:
    assert canonical_system(sent) == canonical
    draft = map_draft_order(
        service_request("a", (sent, "72149" if canonical == CPT else "x", None))
    )
    if canonical == CPT:
        assert draft.contrast is W


def pama(code: dict[str, Any]) -> dict[str, Any]:
    """The CDS Hooks sandbox's PAMA imaging screen (order-select), as its source builds it."""
    return {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "resourceType": "ServiceRequest",
                    "id": "example-request-id",
                    "status": "draft",
                    "intent": "plan",
                    "code": code,
                    "subject": {"reference": "Patient/smart-1288992"},
                    "reasonCode": [],
                }
            }
        ],
    }


def test_pama_screen_cpt_draft_with_empty_reason_code() -> None:
    study = {"system": CPT, "code": "72149", "display": "MRI lumbar spine with contrast"}
    mapped = map_draft_orders(pama({"coding": [study], "text": study["display"]}))
    (draft,) = mapped.orders
    assert draft.reference == "ServiceRequest/example-request-id"
    assert (draft.kind, draft.site, draft.contrast, draft.reasons) == (MRI, MriSite.LUMBAR, W, ())
    assert draft.intent == "plan"
    assert mapped.problems == ()


def test_pama_screen_before_a_study_is_chosen() -> None:
    mapped = map_draft_orders(pama({"coding": [{}]}))
    (draft,) = mapped.orders
    assert draft.kind is DraftKind.OTHER
    assert draft.codes == ()
    assert mapped.problems == ()


def test_bundle_keeps_only_service_requests() -> None:
    mapped = map_draft_orders(
        bundle(
            {"resourceType": "MedicationRequest", "id": "m1", "status": "draft"},
            service_request("s1", (CPT, "38222", None)),
            {"resourceType": "NutritionOrder", "id": "n1"},
        )
    )
    assert [d.reference for d in mapped.orders] == ["ServiceRequest/s1"]
    assert set(mapped.resources) == {"ServiceRequest/s1"}


def test_reasons_are_read_from_reason_code_and_reference() -> None:
    resource = service_request(
        "s1",
        (CPT, "72149", None),
        reasons=[{"coding": [{"system": SNOMED, "code": "279039007", "display": "Low back pain"}]}],
    )
    resource["reasonReference"] = [
        {"reference": "Condition/c1", "display": "Abnormal marrow signal"}
    ]
    assert map_draft_order(resource).reasons == ("Low back pain", "Abnormal marrow signal")


@pytest.mark.parametrize(
    "bad",
    [None, [], "Bundle", {"resourceType": "Parameters"}, {"resourceType": "Bundle", "entry": {}}],
    ids=["null", "list", "string", "not-a-bundle", "entry-not-a-list"],
)
def test_not_a_bundle_is_a_problem_not_an_exception(bad: Any) -> None:
    mapped = map_draft_orders(bad)
    assert mapped.orders == ()
    assert mapped.problems
    assert mapped.problems[0].severity == "error"


def test_odd_entries_never_raise() -> None:
    mapped = map_draft_orders(
        {
            "resourceType": "Bundle",
            "entry": [
                None,
                {},
                {"resource": None},
                {"resource": {"resourceType": "ServiceRequest"}},  # no id
                {"resource": {"resourceType": "ServiceRequest", "id": "x", "code": "CBC"}},
                {
                    "resource": {
                        "resourceType": "ServiceRequest",
                        "id": "y",
                        "code": {"coding": "z"},
                    }
                },
            ],
        }
    )
    assert [d.reference for d in mapped.orders] == ["", "ServiceRequest/x", "ServiceRequest/y"]
    assert len(mapped.problems) == 1


def test_same_draft_sent_twice_is_reviewed_once() -> None:
    resource = service_request("s1", (CPT, "77075", None))
    mapped = map_draft_orders(bundle(resource, resource))
    assert len(mapped.orders) == 1


def test_closed_orders_are_not_reviewed() -> None:
    mapped = map_draft_orders(
        bundle(service_request("s1", (CPT, "77075", None), status="entered-in-error"))
    )
    assert mapped.orders == ()


# ------------------------------------------------------------------------------ any JSON

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "resourceType",
                    "id",
                    "code",
                    "coding",
                    "text",
                    "system",
                    "display",
                    "reasonCode",
                    "status",
                    "entry",
                    "resource",
                    "priority",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(JSON, max_size=4), JSON)
def test_any_json_in_draft_orders_never_raises(entries: list[Any], code: Any) -> None:
    resource = {"resourceType": "ServiceRequest", "id": "a", "code": code}
    mapped = map_draft_orders(
        {"resourceType": "Bundle", "entry": [*entries, {"resource": resource}]}
    )
    assert all(
        d.reference.startswith("ServiceRequest/") or d.reference == "" for d in mapped.orders
    )
    assert "ServiceRequest/a" in mapped.resources


def test_mapping_draft_orders_stops_when_the_call_deadline_is_spent() -> None:
    """Issue 16: the order-review mapping checks the call's deadline before every entry."""
    import pytest

    from fhir_mappers.draft_orders import map_draft_orders
    from fhir_mappers.limits import WorkStopped

    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "ServiceRequest", "id": f"sr{n}", "status": "draft"}}
            for n in range(3)
        ],
    }
    calls = iter([False, True, True])
    with pytest.raises(WorkStopped):
        map_draft_orders(bundle, stop=lambda: next(calls))
    assert len(map_draft_orders(bundle).orders) == 3
