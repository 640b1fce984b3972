"""The audit's answer is the hook's answer, patient by patient (issue 18 proof).

Every vignette the project has is written into one Bulk Data export and audited; for each
patient, the audit's ``cards`` (topic codes, in order) must equal the cards of the hook's own
answer to the same patient data:

- the bundled patient-view example and every hospital corpus report (sets A, B and C, each as
  ``read-report`` evaluates it: a lumbar spine MRI report of a patient with normal labs)
  through the prefetch path (``marrow-cds evaluate``: no network);
- the report-delivery examples (issue 17: the text in a Binary, as HTML / RTF / PDF, by relative
  or absolute url, a DocumentReference only, narrative result Observations) through HTTP, the
  Binaries served by a mocked FHIR server, against the audit reading the same Binaries from
  Binary.ndjson.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import responses
from flask import Flask

from cds_hooks.audit.run import run_audit
from cds_hooks.cli.evaluate_offline import evaluate
from tests.support.app import build_app

from .vignettes import ROOT, corpus_requests, write_export

AS_OF = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
EXAMPLES = ROOT / "examples"
DELIVERY = EXAMPLES / "report-delivery"
FHIR = "https://ehr.example.org/fhir"


def topics(response: dict[str, Any]) -> list[str]:
    return [
        c["source"]["topic"]["code"] for c in response.get("cards", []) if c["source"].get("topic")
    ]


def audit_lines(export: Path, out: Path, as_of: datetime, workers: int = 1) -> dict[str, Any]:
    run_audit(export, out, as_of=as_of, workers=workers, progress=False)
    lines = [orjson.loads(x) for x in (out / "results.ndjson").read_bytes().splitlines()]
    return {line["patient"]: line for line in lines}


@pytest.mark.slow  # every corpus report through the audit and the hook: ~40 s
def test_audit_cards_equal_the_hook_on_the_example_and_every_corpus_report(tmp_path: Path) -> None:
    example = json.loads((EXAMPLES / "patient-view-heterogeneous-marrow.json").read_text())
    as_of = AS_OF
    bodies = [example, *corpus_requests(as_of - timedelta(days=9))]
    renamed = write_export(bodies, tmp_path / "export")
    results = audit_lines(tmp_path / "export", tmp_path / "out", as_of, workers=2)
    assert len(bodies) > 400
    mismatches = []
    for body in renamed:
        pid = body["context"]["patientId"]
        evaluation = evaluate(body, as_of)
        assert evaluation.status == 200, evaluation.response
        line = results.get(pid)
        assert line is not None, f"{pid}: no audit line (every vignette has a lumbar MRI)"
        if line["cards"] != topics(evaluation.response):
            mismatches.append((pid, line["cards"], topics(evaluation.response)))
        assert line["decision"] == evaluation.rule_id, pid
    assert mismatches == []
    # the decisions are not all alike: the comparison covers several rules and classes
    assert len({line["decision"] for line in results.values()}) >= 3
    assert len({line["class"] for line in results.values()}) == 5


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return build_app(tmp_path, FHIR_ALLOWLIST=FHIR)


def test_audit_reads_report_documents_from_binary_ndjson_as_the_hook_fetches_them(
    app: Any, tmp_path: Path
) -> None:
    binaries = [json.loads(p.read_text()) for p in sorted(DELIVERY.glob("Binary-*.json"))]
    bodies = [
        json.loads(p.read_text())
        for p in sorted(DELIVERY.glob("*.json"))
        if not p.name.startswith("Binary-")
    ]
    assert len(bodies) >= 5
    assert binaries
    renamed = write_export(bodies, tmp_path / "export", binaries)
    answers = {}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fhir:
        for binary in binaries:
            fhir.get(
                f"{FHIR}/Binary/{binary['id']}", json=binary, content_type="application/fhir+json"
            )
        client = app.test_client()
        for body in renamed:
            response = client.post("/cds-services/heterogeneous-marrow", json=body)
            assert response.status_code == 200, response.get_data(as_text=True)
            answers[body["context"]["patientId"]] = topics(response.get_json())
    as_of = datetime.now(UTC)  # the HTTP shell evaluates now
    results = audit_lines(tmp_path / "export", tmp_path / "out", as_of)
    for pid, hook_cards in answers.items():
        assert pid in results, pid
        assert results[pid]["cards"] == hook_cards, pid
        # the text was read: no report ended on "could not be read"
        assert not any(p["kind"] == "missing-binary" for p in results[pid]["problems"]), pid


def rule_vignettes() -> list[dict[str, Any]]:
    """The R0-R8 patient-view requests of tests/e2e_rules (realistic FHIR R4, dated from now)."""
    from tests.support import fhir_requests as f
    from tests.support.fhir_requests import DIFFUSE_BENIGN, NEGATIVE, NONSPECIFIC, hb, panel

    def lab(key: str, code: str, display: str, value: float, unit: str, low: float, high: float):
        return f.lab(key, code, display, value, unit, low=low, high=high)

    calcium = lab(
        "ca", "17861-6", "Calcium [Mass/volume] in Serum or Plasma", 12.1, "mg/dL", 8.6, 10.3
    )
    kappa = lab(
        "kappa",
        "36916-5",
        "Kappa light chains.free [Mass/volume] in Serum",
        31.0,
        "mg/L",
        3.3,
        19.4,
    )
    odd = f.lab("hb", "718-7", "Hemoglobin [Mass/volume] in Blood", 11.0, "gm/dl?")
    myeloma = f.condition("cond-mm", "C90.00", "Multiple myeloma not having achieved remission")
    palliative = f.condition("cond-pall", "Z51.5", "Encounter for palliative care")
    breast = f.condition("cond-bc", "Z85.3", "Personal history of malignant neoplasm of breast")
    nonspecific = [f.mri_report(*NONSPECIFIC)]
    return [
        f.patient_view(labs=panel(), reports=[f.mri_report(*NEGATIVE)]),
        f.patient_view(labs=panel(hb=hb(9.0)), reports=nonspecific, conditions=[myeloma]),
        f.patient_view(labs=panel(hb=hb(11.0)), reports=nonspecific, conditions=[palliative]),
        f.patient_view(labs=panel(hb=hb(9.2), ca=calcium), reports=nonspecific),
        f.patient_view(labs=panel(), reports=nonspecific, conditions=[f.HYPERTENSION, breast]),
        f.patient_view(labs=panel(hb=hb(11.1)), reports=nonspecific),
        f.patient_view(labs=[], reports=nonspecific),
        f.patient_view(labs=panel(kappa=kappa), reports=nonspecific),
        f.patient_view(labs=panel(), reports=[f.mri_report(*DIFFUSE_BENIGN)]),
        f.patient_view(labs=panel(), reports=nonspecific),
        f.patient_view(labs=panel(hb=odd), reports=nonspecific),
        f.patient_view(labs=panel(), reports=nonspecific, sex="male"),
    ]


def test_audit_cards_equal_the_hook_on_the_rule_vignettes(tmp_path: Path) -> None:
    as_of = datetime.now(UTC)  # the vignettes are dated from now
    renamed = write_export(rule_vignettes(), tmp_path / "export")
    results = audit_lines(tmp_path / "export", tmp_path / "out", as_of)
    decisions = set()
    for body in renamed:
        pid = body["context"]["patientId"]
        evaluation = evaluate(body, as_of)
        assert evaluation.status == 200
        assert results[pid]["cards"] == topics(evaluation.response), pid
        assert results[pid]["decision"] == evaluation.rule_id, pid
        decisions.add(evaluation.rule_id)
    assert decisions >= {"R0", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"}
