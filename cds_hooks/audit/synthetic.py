"""Realistic synthetic FHIR Bulk Data exports for the audit's tests and benchmark.

    python -m cds_hooks.audit.synthetic OUT_DIR --patients 1000 [--seed 7] [--bad]

Every text and value here is made up for this generator (no report of the project's corpora is
copied): lumbar spine / sacrum / pelvis MRI reports assembled from sentence banks in several
house styles (headed sections, run-on dictation, HTML), one report class per patient in the
proportions of a general MRI archive (mostly normal); first-line laboratory results with LOINC
codes and the UCUM units labs send, normal or abnormal (anaemia, hypercalcaemia, raised
creatinine, abnormal light-chain ratio); some Conditions (hypertension, breast cancer history,
myeloma) and some follow-up MRI orders. Reports arrive in the three shapes EHRs use: a
DiagnosticReport with its text inline (presentedForm.data), a DiagnosticReport whose
presentedForm points to a Binary, and a DocumentReference whose attachment points to a Binary.
Dates are relative to the export's ``transactionTime`` (some surveillance MRIs are overdue).

``bad=True`` adds the bad input the audit must report by file and line: a malformed line, a line
that is not a resource, a resource without a patient, a report whose Binary is missing, and an
ignored resource type (Encounter).
"""

from __future__ import annotations

import argparse
import base64
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson

from cds_hooks.cli.synthetic_fhir import lab_observation

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
TRANSACTION_TIME = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
TYPES = (
    "Patient",
    "Observation",
    "Condition",
    "ServiceRequest",
    "DiagnosticReport",
    "DocumentReference",
    "Binary",
)

# (class, share of the archive)
CLASS_MIX = (
    ("NEGATIVE", 0.62),
    ("NONSPECIFIC", 0.14),
    ("DIFFUSE", 0.10),
    ("FOCAL_EQUIVOCAL", 0.08),
    ("FOCAL_MULTIPLE", 0.06),
)

EXAMS = (
    ("30679-5", "MR Lumbar spine WO contrast", "LUMBAR SPINE", "lumbar vertebral bodies"),
    ("24968-0", "MR Lumbar spine", "LUMBAR SPINE", "lumbar vertebrae"),
    ("30700-9", "MR Pelvis WO contrast", "PELVIS", "pelvic bones"),
    ("36540-3", "MR Sacrum WO contrast", "SACRUM", "sacrum"),
)

HISTORY = (
    "Low back pain for two months, no trauma.",
    "Chronic lumbar pain radiating to the left leg.",
    "Right sciatica, failed physiotherapy.",
    "Back pain after lifting. Evaluate for disc herniation.",
    "Buttock pain, query sacroiliitis.",
    "Worsening axial back pain in a patient over sixty.",
)
TECHNIQUE = (
    "Sagittal T1, T2 and STIR; axial T2 through L3 to S1 at 1.5 T.",
    "Multiplanar multisequence imaging without contrast at 3 T.",
    "Sagittal T1-weighted, T2-weighted and fat-suppressed images; axial T2-weighted images.",
)
DISCS = (
    "Mild disc desiccation at L4-L5 with a small central protrusion, no nerve root compression.",
    "Broad-based disc bulge at L5-S1 narrowing the left lateral recess.",
    "Facet arthropathy at L4-L5 and L5-S1. The canal is capacious.",
    "No disc herniation. The conus ends normally at L1.",
)
FINDINGS = {
    "NEGATIVE": (
        "The bone marrow signal is normal throughout.",
        "Normal marrow signal in the {where}. Vertebral body heights are preserved.",
        "Marrow signal is within normal limits. No suspicious osseous lesion.",
        "No marrow replacing process. Alignment is normal.",
    ),
    "NONSPECIFIC": (
        "Mildly heterogeneous marrow signal in the {where}, likely red marrow reconversion.",
        "Slightly patchy marrow signal in the {where}, nonspecific, probably hematopoietic marrow.",
        "The marrow signal is mildly heterogeneous without a focal lesion.",
    ),
    "DIFFUSE": (
        "Diffusely heterogeneous marrow signal throughout the {where}, with T1 marrow signal "
        "lower than the intervertebral discs.",
        "Diffuse low T1 marrow signal in the {where}, darker than the adjacent discs and "
        "muscle, suggesting marrow infiltration or reconversion.",
        "There is diffuse abnormal marrow signal: T1 hypointense relative to disc throughout "
        "the {where}.",
    ),
    "FOCAL_EQUIVOCAL": (
        "A single {size} mm T1 hypointense focus in the {level} vertebral body, indeterminate.",
        "Indeterminate {size} mm focal marrow lesion at {level}, low on T1 and bright on STIR.",
        "One {size} mm lesion in the {level} vertebral body which does not follow fat on T1; "
        "nonspecific.",
    ),
    "FOCAL_MULTIPLE": (
        "Multiple T1 hypointense marrow lesions at {level}, {level2} and {level3}, the largest "
        "{size} mm.",
        "Several focal marrow lesions throughout the {where}, up to {size} mm, low on T1 and "
        "bright on STIR.",
        "Innumerable small T1 dark foci in the {where}, the largest {size} mm at {level}.",
    ),
}
IMPRESSION = {
    "NEGATIVE": ("Degenerative change as above. Normal marrow.", "No marrow abnormality."),
    "NONSPECIFIC": (
        "Mildly heterogeneous marrow, likely physiological red marrow.",
        "Nonspecific marrow heterogeneity.",
    ),
    "DIFFUSE": (
        "Diffuse marrow signal abnormality. Correlate with blood counts.",
        "Diffusely abnormal marrow signal, differential includes infiltrative process.",
    ),
    "FOCAL_EQUIVOCAL": (
        "Solitary indeterminate marrow lesion at {level}.",
        "Indeterminate {size} mm focal lesion, follow-up suggested.",
    ),
    "FOCAL_MULTIPLE": (
        "Multiple focal marrow lesions, concerning for a marrow-replacing process.",
        "Several marrow lesions; consider myeloma or metastatic disease.",
    ),
}
LEVELS = ("L1", "L2", "L3", "L4", "L5", "S1")

# (key, LOINC, display, unit, normal range, abnormal value)
LABS = (
    ("hb", "718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", (12.2, 15.8), 9.6),
    (
        "wbc",
        "6690-2",
        "Leukocytes [#/volume] in Blood by Automated count",
        "10*3/uL",
        (4.2, 10.5),
        2.9,
    ),
    ("plt", "777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", (160, 390), 92),
    (
        "neut",
        "751-8",
        "Neutrophils [#/volume] in Blood by Automated count",
        "10*3/uL",
        (1.9, 7.2),
        1.1,
    ),
    ("crea", "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", (0.6, 1.05), 2.3),
    (
        "egfr",
        "98979-8",
        "Glomerular filtration rate/1.73 sq M.predicted by CKD-EPI 2021",
        "mL/min/{1.73_m2}",
        (70, 105),
        38,
    ),
    ("ca", "17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL", (8.7, 10.1), 11.9),
    ("alb", "1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", (3.6, 4.8), 3.4),
    (
        "kappa",
        "36916-5",
        "Kappa light chains.free [Mass/volume] in Serum",
        "mg/L",
        (5.0, 17.0),
        88.0,
    ),
    (
        "lambda",
        "33944-0",
        "Lambda light chains.free [Mass/volume] in Serum",
        "mg/L",
        (8.0, 24.0),
        12.0,
    ),
)
SPEP_NORMAL = (
    "No monoclonal protein detected.",
    "Normal electrophoretic pattern, no paraprotein band seen.",
)
SPEP_ABNORMAL = "Monoclonal band in the gamma region, 1.4 g/dL, IgG kappa on immunofixation."


@dataclass
class Options:
    patients: int
    seed: int = 7
    bad: bool = False
    transaction_time: datetime = TRANSACTION_TIME


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _pick_class(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for name, share in CLASS_MIX:
        total += share
        if roll < total:
            return name
    return CLASS_MIX[-1][0]


def report_text(rng: random.Random, image_class: str, exam: tuple[str, str, str, str]) -> str:
    """One made-up MRI report of the given class, in one of several house styles."""
    level = rng.choice(LEVELS)
    fill = {
        "where": exam[3],
        "size": rng.choice((6, 8, 9, 11, 12, 14, 17, 22)),
        "level": level,
        "level2": rng.choice([x for x in LEVELS if x != level]),
        "level3": rng.choice(LEVELS),
    }
    findings = rng.choice(FINDINGS[image_class]).format(**fill)
    impression = rng.choice(IMPRESSION[image_class]).format(**fill)
    discs = rng.choice(DISCS)
    style = rng.randrange(3)
    if style == 0:
        return (
            f"EXAM: MRI {exam[2]} WITHOUT CONTRAST\n\nCLINICAL HISTORY: {rng.choice(HISTORY)}\n\n"
            f"TECHNIQUE: {rng.choice(TECHNIQUE)}\n\nCOMPARISON: None.\n\n"
            f"FINDINGS:\n{findings} {discs} Paraspinal soft tissues are unremarkable.\n\n"
            f"IMPRESSION:\n1. {impression}\n"
        )
    if style == 1:
        return (
            f"MRI {exam[2].lower()}. Indication: {rng.choice(HISTORY)} "
            f"Findings: {discs} {findings} Impression: {impression}\n"
        )
    return (
        f"<html><body><h3>MRI {exam[2].title()}</h3><p><b>History:</b> {rng.choice(HISTORY)}</p>"
        f"<p><b>Findings:</b><br>{findings}<br>{discs}</p>"
        f"<p><b>Impression:</b><br>{impression}</p></body></html>"
    )


def _lab(
    rng: random.Random, pid: str, n: int, spec: tuple[Any, ...], abnormal: bool, when: datetime
) -> dict[str, Any]:
    key, code, display, unit, (low, high), bad_value = spec
    value = bad_value if abnormal else round(rng.uniform(low, high), 1)
    limits = (None, None) if key == "egfr" else (low, high)
    return lab_observation(f"{pid}-{key}-{n}", pid, code, display, value, unit, _iso(when), *limits)


def _spep(pid: str, n: int, text: str, when: datetime) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"{pid}-spep-{n}",
        "status": "final",
        "code": {
            "coding": [
                {
                    "system": LOINC,
                    "code": "12851-2",
                    "display": "Protein electrophoresis panel - Serum or Plasma",
                }
            ]
        },
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": _iso(when),
        "valueString": text,
    }


def _condition(pid: str, code: str, display: str, status: str = "active") -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": f"{pid}-{code.replace('.', '')}",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": status,
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "confirmed",
                }
            ]
        },
        "code": {"coding": [{"system": ICD10, "code": code, "display": display}]},
        "subject": {"reference": f"Patient/{pid}"},
    }


def patient_resources(
    rng: random.Random, n: int, options: Options
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(resource type, resource) of one synthetic patient."""
    pid = f"syn{n:07d}"
    now = options.transaction_time
    yield (
        "Patient",
        {
            "resourceType": "Patient",
            "id": pid,
            "gender": rng.choice(("female", "male")),
            "birthDate": f"{now.year - rng.randint(35, 88)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d}",
        },
    )
    image_class = _pick_class(rng)
    exam = rng.choice(EXAMS)
    mri_day = now - timedelta(days=rng.randint(5, 700))
    text = report_text(rng, image_class, exam)
    content_type = "text/html" if text.startswith("<html>") else "text/plain"
    data = base64.b64encode(text.encode()).decode()
    report_id = f"mri{n:07d}"  # a report id (the page names reports, never patients)
    code = {"coding": [{"system": LOINC, "code": exam[0], "display": exam[1]}], "text": exam[1]}
    shape = rng.random()
    if shape < 0.6:  # DiagnosticReport with the text inline
        forms = [{"contentType": content_type, "data": data, "title": "Report"}]
    else:
        forms = [{"contentType": content_type, "url": f"Binary/{report_id}-text"}]
        yield (
            "Binary",
            {
                "resourceType": "Binary",
                "id": f"{report_id}-text",
                "contentType": content_type,
                "data": data,
            },
        )
    if shape < 0.85:
        yield (
            "DiagnosticReport",
            {
                "resourceType": "DiagnosticReport",
                "id": report_id,
                "status": "final",
                "category": [
                    {"coding": [{"system": LOINC, "code": "LP29684-5", "display": "Radiology"}]}
                ],
                "code": code,
                "subject": {"reference": f"Patient/{pid}"},
                "effectiveDateTime": _iso(mri_day),
                "issued": _iso(mri_day + timedelta(hours=5)),
                "presentedForm": forms,
            },
        )
    else:  # a DocumentReference only
        yield (
            "DocumentReference",
            {
                "resourceType": "DocumentReference",
                "id": report_id,
                "status": "current",
                "docStatus": "final",
                "type": code,
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://hl7.org/fhir/us/core/CodeSystem/"
                                "us-core-documentreference-category",
                                "code": "clinical-note",
                            }
                        ]
                    }
                ],
                "subject": {"reference": f"Patient/{pid}"},
                "date": _iso(mri_day + timedelta(hours=5)),
                "context": {"period": {"start": _iso(mri_day)}},
                "content": [{"attachment": forms[0]}],
            },
        )
    # labs: most patients have a recent panel; some none; some old; some abnormal
    lab_roll = rng.random()
    if lab_roll > 0.15:
        when = now - timedelta(days=rng.randint(3, 60) if lab_roll > 0.3 else rng.randint(120, 400))
        abnormal = rng.random() < 0.18
        which = rng.choice(("hb", "ca", "crea", "kappa", "plt")) if abnormal else None
        count = len(LABS) if rng.random() < 0.7 else 5
        for spec in LABS[:count]:
            yield "Observation", _lab(rng, pid, 1, spec, spec[0] == which, when)
        if count == len(LABS):
            spep = SPEP_ABNORMAL if abnormal and rng.random() < 0.2 else rng.choice(SPEP_NORMAL)
            yield "Observation", _spep(pid, 1, spep, when)
    cond_roll = rng.random()
    if cond_roll < 0.25:
        yield "Condition", _condition(pid, "I10", "Essential (primary) hypertension")
    elif cond_roll < 0.29:
        yield (
            "Condition",
            _condition(pid, "Z85.3", "Personal history of malignant neoplasm of breast"),
        )
    elif cond_roll < 0.31:
        yield (
            "Condition",
            _condition(pid, "C90.00", "Multiple myeloma not having achieved remission"),
        )
    if image_class in ("NONSPECIFIC", "DIFFUSE") and rng.random() < 0.3:
        yield (
            "ServiceRequest",
            {
                "resourceType": "ServiceRequest",
                "id": f"fu{n:07d}",
                "status": "active",
                "intent": "order",
                "code": {"coding": [{"system": LOINC, "code": "30679-5", "display": exam[1]}]},
                "subject": {"reference": f"Patient/{pid}"},
                "authoredOn": _iso(mri_day + timedelta(days=3)),
            },
        )


def write_export(out_dir: Path, options: Options) -> dict[str, int]:
    """Write the export (NDJSON per type and manifest.json); resources written by type."""
    rng = random.Random(options.seed)  # noqa: S311 (test data, not security)
    out_dir.mkdir(parents=True, exist_ok=True)
    handles: dict[str, IO[bytes]] = {t: (out_dir / f"{t}.ndjson").open("wb") for t in TYPES}
    counts = dict.fromkeys(TYPES, 0)
    try:
        for n in range(options.patients):
            for rtype, resource in patient_resources(rng, n, options):
                handles[rtype].write(orjson.dumps(resource) + b"\n")
                counts[rtype] += 1
        if options.bad:
            _write_bad(handles, out_dir, counts)
    finally:
        for handle in handles.values():
            handle.close()
    files = [*TYPES, *(["Encounter"] if options.bad else [])]
    manifest = {
        "transactionTime": _iso(options.transaction_time),
        "request": "https://ehr.example.org/fhir/$export?_type=" + ",".join(files),
        "requiresAccessToken": True,
        "output": [
            {"type": t, "url": f"https://ehr.example.org/bulk/files/{t}.ndjson"} for t in files
        ],
        "error": [],
    }
    (out_dir / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return counts


def _write_bad(handles: dict[str, IO[bytes]], out_dir: Path, counts: dict[str, int]) -> None:
    handles["Observation"].write(b'{"resourceType": "Observation", "id": "broken", \n')
    handles["Observation"].write(b'["not", "a", "resource"]\n')
    handles["Condition"].write(
        orjson.dumps({"resourceType": "Condition", "id": "no-subject", "code": {"text": "x"}})
        + b"\n"
    )
    handles["DiagnosticReport"].write(
        orjson.dumps(
            {
                "resourceType": "DiagnosticReport",
                "id": "bad-missing-binary",
                "status": "final",
                "category": [{"coding": [{"system": LOINC, "code": "LP29684-5"}]}],
                "code": {"coding": [{"system": LOINC, "code": "30679-5"}]},
                "subject": {"reference": "Patient/syn0000000"},
                "effectiveDateTime": _iso(TRANSACTION_TIME - timedelta(days=3)),
                "presentedForm": [{"contentType": "text/plain", "url": "Binary/not-exported"}],
            }
        )
        + b"\n"
    )
    counts["DiagnosticReport"] += 1
    (out_dir / "Encounter.ndjson").write_bytes(
        orjson.dumps(
            {"resourceType": "Encounter", "id": "e1", "subject": {"reference": "Patient/x"}}
        )
        + b"\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bad", action="store_true", help="add bad lines (see the docstring)")
    args = parser.parse_args(argv)
    counts = write_export(args.out, Options(args.patients, args.seed, args.bad))
    print(", ".join(f"{t} {n}" for t, n in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
