"""What the companion app shows, computed by the service's own mappers and rules (issue 13).

The app fetches the patient's FHIR resources in the browser with its own SMART token and sends
them here; nothing is fetched, logged or stored by the service. Three readings:

- `lab_series`: haemoglobin, calcium (total, albumin-corrected as the lab reported it or as
  computed from a total calcium and an albumin of the same collection day), creatinine, eGFR,
  the free light chain ratio (reported, or computed by the mappers from a same-day kappa and
  lambda) and the serum M-protein, over the last three years: every Observation read by
  `fhir_mappers.labs.read_labs` (the service's own UCUM normalisation to the canonical units of
  `logic.analytes.CANONICAL_UNIT`), with its reference range and the SPEC.md section 5 thresholds
  (`logic.thresholds`) that the rules compare it with. No unit is converted in the browser.
- `imaging_timeline`: the spine / sacrum / pelvis MRIs with the class the reader gave each
  (`fhir_mappers.imaging.read_imaging_reports`).
- `report_reading`: a report's text as the reader read it, with its features as spans
  (`cds_hooks.cli.read_report.feature_json`: kind, category target / worrisome / benign /
  descriptor, negated, hedged, historical, uncertain, value) and the lesion sizes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cds_hooks.cli.read_report import _size_marks, category, feature_json, wrap_text
from fhir_mappers.imaging import read_imaging_reports
from fhir_mappers.labs import read_labs
from fhir_mappers.limits import REPORT_READING_LIMIT_CHARS, Stop, check, never
from fhir_mappers.select import LabCandidate, collect, patient_key
from logic import thresholds as t
from logic.analytes import CANONICAL_UNIT, DEFAULT_LIMITS, LABEL
from logic.imaging import worrisome_features
from logic.labs import (
    calcium_uln,
    collection_day,
    computed_corrected_calcium,
    haemoglobin_lln,
    shown_value,
    who_anaemia_cutoff,
)
from logic.model import Analyte, ImagingReport, LabResult, Region, Sex
from logic.units import display_unit

TREND_YEARS = 3
TREND_WINDOW = timedelta(days=round(365.25 * TREND_YEARS))
MAX_RESOURCES = 5000  # per request: a bound on the work, far above three years of these labs
MARROW_REGIONS = frozenset({Region.LUMBAR_SPINE, Region.SACRUM, Region.PELVIS, Region.SPINE})


@dataclass(frozen=True)
class Chart:
    key: str
    label: str
    analytes: tuple[Analyte, ...]  # the series drawn on this chart


CHARTS: tuple[Chart, ...] = (
    Chart("haemoglobin", "Haemoglobin", (Analyte.HAEMOGLOBIN,)),
    Chart(
        "calcium",
        "Calcium (albumin-corrected where computable)",
        (Analyte.CALCIUM_ALBUMIN_CORRECTED, Analyte.CALCIUM_TOTAL),
    ),
    Chart("creatinine", "Creatinine", (Analyte.CREATININE,)),
    Chart("egfr", "eGFR", (Analyte.EGFR,)),
    Chart("flc-ratio", "Free light chain kappa/lambda ratio", (Analyte.FLC_RATIO,)),
    Chart("m-protein", "Serum M-protein (M-spike)", (Analyte.M_PROTEIN,)),
)

FETCHED_ANALYTES = frozenset(
    {a for chart in CHARTS for a in chart.analytes}
    | {Analyte.ALBUMIN, Analyte.FLC_KAPPA, Analyte.FLC_LAMBDA}
)


def _thresholds(
    analyte: Analyte, sex: Sex, newest: LabResult | None = None
) -> list[dict[str, Any]]:
    """The SPEC.md section 5 decision thresholds drawn on a chart (canonical units). Those
    derived from a reference limit use the newest result's own limit, else the default."""
    if analyte is Analyte.HAEMOGLOBIN:
        who = who_anaemia_cutoff(sex)
        lln = haemoglobin_lln(newest, sex) if newest is not None else who
        return [
            {"value": who, "label": f"H-ANAEMIA: WHO cut-off {who:g}"},
            {"value": t.U_A_HB_G_DL, "label": f"U-A: below {t.U_A_HB_G_DL:g}"},
            {
                "value": lln - t.U_A_BELOW_LLN_G_DL,
                "label": f"U-A: more than {t.U_A_BELOW_LLN_G_DL:g} below the LLN",
            },
        ]
    if analyte in (Analyte.CALCIUM_TOTAL, Analyte.CALCIUM_ALBUMIN_CORRECTED):
        uln = calcium_uln(newest) if newest is not None else t.CALCIUM_TOTAL_HIGH_MMOL_L
        return [
            {"value": uln, "label": f"H-CALCIUM: above the ULN {uln:.3g}"},
            {"value": t.U_C_ABSOLUTE_MMOL_L, "label": f"U-C: above {t.U_C_ABSOLUTE_MMOL_L:g}"},
            {
                "value": uln + t.U_C_ABOVE_ULN_MMOL_L,
                "label": f"U-C: more than {t.U_C_ABOVE_ULN_MMOL_L:g} above the ULN",
            },
        ]
    if analyte is Analyte.CREATININE:
        uln = t.CREATININE_HIGH_UMOL_L
        if newest is not None and newest.high is not None:
            uln = newest.high  # the lab's ULN (SPEC.md section 4: from the lab, default 1.2 mg/dL)
        return [
            {"value": uln, "label": f"H-RENAL: above the ULN {uln:.4g}"},
            {"value": t.U_R_CREATININE_UMOL_L, "label": f"U-R: above {t.U_R_CREATININE_UMOL_L:g}"},
        ]
    if analyte is Analyte.EGFR:
        return [
            {"value": t.EGFR_LOW, "label": f"H-RENAL / renal FLC range: below {t.EGFR_LOW:g}"},
            {"value": t.U_R_EGFR, "label": f"U-R: below {t.U_R_EGFR:g}"},
        ]
    if analyte is Analyte.FLC_RATIO:
        involved = t.U_LI_INVOLVED_MG_L
        renal = f"I-FLC renal range (eGFR <{t.EGFR_LOW:g}):"
        return [
            {"value": t.H_FLC_RATIO_LOW, "label": f"H-FLC: below {t.H_FLC_RATIO_LOW:g}"},
            {"value": t.H_FLC_RATIO_HIGH, "label": f"H-FLC: above {t.H_FLC_RATIO_HIGH:g}"},
            {
                "value": t.U_LI_RATIO,
                "label": f"U-Li: ratio >={t.U_LI_RATIO:g} (and kappa >={involved:g} mg/L)",
            },
            {
                "value": 1 / t.U_LI_RATIO,
                "label": f"U-Li: ratio <=1/{t.U_LI_RATIO:g} (and lambda >={involved:g} mg/L)",
            },
            {"value": t.FLC_RATIO_RENAL_LOW, "label": f"{renal} low"},
            {"value": t.FLC_RATIO_RENAL_HIGH, "label": f"{renal} high"},
        ]
    if analyte is Analyte.M_PROTEIN:
        return [
            {
                "value": t.M_PROTEIN_HIGH_G_DL,
                "label": f"H-MPROTEIN: any spike above {t.M_PROTEIN_HIGH_G_DL:g}",
            }
        ]
    return []


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _point(result: LabResult) -> dict[str, Any]:
    assert result.value is not None
    return {
        "date": _iso(result.effective),
        "value": result.value,
        "shown": shown_value(result),
        "reference": result.reference,
        "derivedFrom": list(result.derived_from),
        "asSent": result.as_sent or None,
        "low": result.low,
        "high": result.high,
        "computed": bool(result.derived_from),
    }


def resources_of(documents: Iterable[Any]) -> list[Mapping[str, Any]]:
    """Resources from a list of resources and/or Bundles (entry[].resource), bounded."""
    out: list[Mapping[str, Any]] = []
    for doc in documents:
        if not isinstance(doc, Mapping):
            continue
        if doc.get("resourceType") == "Bundle":
            entries = doc.get("entry")
            for entry in entries if isinstance(entries, list) else []:
                resource = entry.get("resource") if isinstance(entry, Mapping) else None
                if isinstance(resource, Mapping):
                    out.append(resource)
        else:
            out.append(doc)
        if len(out) > MAX_RESOURCES:
            raise ValueError(f"more than {MAX_RESOURCES} resources in one request")
    return out


def _candidates(observations: Sequence[Mapping[str, Any]], pid: str) -> list[LabCandidate]:
    """Every recognised lab value of every Observation (the mappers' own recognition; one
    Observation at a time, so that no history is dropped by the hook's bounded selection)."""
    candidates: list[LabCandidate] = []
    for observation in observations:
        if observation.get("resourceType") != "Observation":
            continue
        selection = collect([observation], pid)
        for found in selection.labs.values():
            candidates.extend(found)
    return candidates


def lab_series(
    observations: Sequence[Mapping[str, Any]],
    patient_id: str,
    as_of: datetime,
    sex: Sex = Sex.UNKNOWN,
    stop: Stop = never,
) -> list[dict[str, Any]]:
    """One entry per chart of `CHARTS`, oldest point first."""
    pid = patient_key(patient_id)
    labs, _problems = read_labs(_candidates(observations, pid), sex)
    check(stop)
    since = as_of - TREND_WINDOW
    usable = [
        lab
        for lab in labs
        if lab.value is not None and lab.evaluable and since <= lab.effective <= as_of
    ]
    usable += _computed_corrected_calcium(usable)
    charts = []
    for chart in CHARTS:
        series = []
        for analyte in chart.analytes:
            points = sorted(
                (lab for lab in usable if lab.analyte is analyte), key=lambda lab: lab.effective
            )
            low, high = DEFAULT_LIMITS.get(analyte, (None, None))
            if analyte is Analyte.HAEMOGLOBIN:
                low = who_anaemia_cutoff(sex)
            series.append(
                {
                    "analyte": analyte.value,
                    "label": LABEL[analyte],
                    "unit": display_unit(_unit(analyte)),
                    "defaultRange": {"low": low, "high": high},
                    "points": [_point(p) for p in points],
                }
            )
        first = [lab for lab in usable if lab.analyte is chart.analytes[0]]
        newest = max(first, key=lambda lab: lab.effective) if first else None
        charts.append(
            {
                "key": chart.key,
                "label": chart.label,
                # ratios spread over orders of magnitude (0.01 to 100): drawn on a log scale
                "scale": "log" if chart.key == "flc-ratio" else "linear",
                "unit": series[0]["unit"],
                "series": series,
                "thresholds": _thresholds(chart.analytes[0], sex, newest),
            }
        )
    return charts


def _unit(analyte: Analyte) -> str:
    return CANONICAL_UNIT[analyte]


def _computed_corrected_calcium(labs: Sequence[LabResult]) -> list[LabResult]:
    """Corrected calcium from each total calcium and an albumin of its collection day, where the
    lab did not report a corrected calcium that day (SPEC.md section 4 formula, logic.labs)."""
    reported = {
        collection_day(lab.effective)
        for lab in labs
        if lab.analyte is Analyte.CALCIUM_ALBUMIN_CORRECTED
    }
    albumin = {
        collection_day(lab.effective): lab
        for lab in sorted(
            (lab for lab in labs if lab.analyte is Analyte.ALBUMIN), key=lambda x: x.effective
        )
    }
    out = []
    for lab in labs:
        day = collection_day(lab.effective)
        if lab.analyte is not Analyte.CALCIUM_TOTAL or day in reported or day not in albumin:
            continue
        corrected = computed_corrected_calcium(lab, albumin[day])
        if corrected is not None:
            out.append(corrected)
    return out


def _report_summary(report: ImagingReport) -> dict[str, Any]:
    return {
        "reference": report.reference,
        "date": _iso(report.effective),
        "title": report.title,
        "region": report.region.value,
        "status": report.status,
        "class": report.image_class.value,
    }


def imaging_timeline(
    reports: Sequence[Mapping[str, Any]], stop: Stop = never
) -> tuple[list[dict[str, Any]], list[ImagingReport]]:
    """The spine / sacrum / pelvis MRIs, oldest first, and the reports as read."""
    mri, _other, _problems = read_imaging_reports(list(reports), stop=stop)
    marrow = [r for r in mri if r.region in MARROW_REGIONS]
    marrow.sort(key=lambda r: r.effective)
    return [_report_summary(r) for r in marrow], marrow


def report_reading(report: ImagingReport) -> dict[str, Any]:
    """The text the reader read and every feature as a span of it."""
    features = sorted(report.features, key=lambda f: (f.span.start, -f.span.end))
    return {
        **_report_summary(report),
        "text": report.text,
        "spans": [feature_json(f, report) for f in features],
        # sizes as the report writes them, each said to be counted as a lesion size or not
        "sizes": [{"start": m.start, "end": m.end, "title": m.title} for m in _size_marks(report)],
        "categories": sorted({category(f, report) for f in report.features}),
        "lesionCount": report.lesion_count,
        "lesionSizesMm": list(report.lesion_sizes_mm),
        "levels": list(report.levels),
        "worrisome": list(dict.fromkeys(f.label for f in worrisome_features(report))),
        "unreadChars": report.unread_chars,
        "readingLimitChars": REPORT_READING_LIMIT_CHARS,
    }


def read_text(
    text: str, as_of: datetime, media_type: str = "text/plain", stop: Stop = never
) -> dict[str, Any] | None:
    """A report text read as the service reads it (`read_report.wrap_text`: the presentedForm
    of a final lumbar spine MRI report): the reading, or None when the reader found no report."""
    resource = wrap_text(text, report_id="app-reading", effective=as_of, media_type=media_type)
    mri, other, _problems = read_imaging_reports([resource], stop=stop)
    found = mri or other
    return report_reading(found[0]) if found else None
