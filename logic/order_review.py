"""Order review at order-select / order-sign: the work-up pitfalls caught while orders are drafted.

Pure: `review_orders(record, drafts, as_of)` reads the patient record (the same as patient-view)
and the draft orders, and returns findings. Each check is one small predicate plus a builder:

- biopsy-before-first-line-labs (warning): a marrow biopsy is drafted while a part of the
  first-line panel (SPEC.md section 5) has no current result and is not drafted either.
  Suggests: add the missing labs.
- contrast-only-mri (warning): MRI of spine, sacrum or pelvis drafted with contrast only, for a
  marrow question. Suggests: the same exam without and with contrast (update of the draft).
- skeletal-survey-alone (info): skeletal survey drafted for a marrow work-up with no whole-body
  CT, MRI or PET drafted. Suggests: whole-body low-dose CT or whole-body MRI.
- duplicate-current-lab (info): a lab of the panel drafted for a marrow work-up although a
  current result exists. Suggests: remove the draft.
- duplicate-follow-up-mri (info): a follow-up MRI drafted while an identical one is already
  ordered and not done (SPEC.md section 5, follow-up status). Suggests: remove the draft.

"Current" is SPEC.md section 2: effective within 90 days before `as_of`, and usable (evaluable).
A marrow question (SPEC.md section 2, R0) is: an index MRI report whose class is not NEGATIVE, a
marrow biopsy among the drafts, or a draft whose reason names the marrow or a plasma-cell
disorder. A draft whose own reasons name something else is not taken for the marrow question.
Suppression (SPEC.md section 2: active myeloma, haematological malignancy, bone metastasis):
no findings at all, as on patient-view.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Final

from logic.context import Facts, suppressing_conditions
from logic.follow_up import pending_orders
from logic.labs import LabView, latest_current
from logic.labs import evidence as lab_evidence
from logic.model import (
    Analyte,
    Contrast,
    DataDomain,
    Evidence,
    ImagingClass,
    LabResult,
    OrderSuggestion,
    PatientRecord,
    PlacedOrder,
    Priority,
    Region,
)
from logic.order_catalogue import CPT, LOINC, codings_for, order_definition
from logic.order_model import (
    DraftKind,
    DraftOrder,
    MriSite,
    OrderCheck,
    OrderCode,
    OrderFinding,
    Replacement,
)
from logic.panel import FIRST_LINE, STATUS_WORDS, PanelItem, Status, item_state, panel_state

CITE_PITFALLS: Final = "SPEC.md section 5, pitfalls the service should voice"
CITE_PANEL: Final = "SPEC.md section 5, first-line panel"
CITE_CURRENT: Final = "SPEC.md section 2, current result (within 90 days)"
CITE_FOLLOW_UP: Final = "SPEC.md section 5, follow-up status (closing the loop)"

# ------------------------------------------------------------------------------ labs


# The first-line panel and its states are the decision logic's (`logic.panel`, SPEC.md section
# 5): the same items gate R7/R8 on patient-view and the biopsy check here. What a drafted lab
# order repeats: the panel items of its order key, all current; plus the 24-h urine studies.
UPEP_ITEM: Final = PanelItem(
    "24-hour urine protein electrophoresis with immunofixation",
    "upep-ife-24h",
    False,
    ((Analyte.URINE_M_PROTEIN_24H,),),
)


def items_of_order(key: str) -> tuple[PanelItem, ...]:
    """The panel items a lab order key covers ("cmp": renal function and calcium with
    albumin)."""
    items = tuple(item for item in (*FIRST_LINE, UPEP_ITEM) if item.order_key == key)
    return items


def current_results_of_order(view: LabView, key: str) -> tuple[LabResult, ...] | None:
    """The current results a drafted lab order would repeat, or None when any item it covers
    is not current (then the order is not a duplicate)."""
    items = items_of_order(key)
    if not items:
        return None
    found: dict[tuple[str, Analyte], LabResult] = {}
    for item in items:
        state = item_state(view, item)
        if state.status is not Status.CURRENT:
            return None
        # The results of the current alternative first, read here by analyte: a computed value
        # (FLC ratio) carries the reference of its first source, so a list keyed by reference
        # alone can lose the measured kappa behind it.
        for alternative in item.alternatives:
            current = [latest_current(view, analyte) for analyte in alternative]
            if all(r is not None for r in current):
                for result in current:
                    if result is not None:
                        found.setdefault((result.reference, result.analyte), result)
                break
        for result in state.results:
            found.setdefault((result.reference, result.analyte), result)
    return tuple(found.values())


# ------------------------------------------------------------------------------ context


_MARROW_WORDS: Final = re.compile(
    r"marrow|myeloma|plasma[\s-]*cell|plasmacytoma|monoclonal|paraprotein|\bmgus\b"
    r"|light[\s-]*chain|\bm[\s-]*(?:spike|protein)\b",
    re.IGNORECASE,
)


def under_specialist_care(record: PatientRecord) -> bool:
    """SPEC.md section 2, suppression: an active myeloma, lymphoma / leukaemia / MDS / MPN or
    secondary malignant neoplasm of bone/marrow. Default is silence."""
    return bool(suppressing_conditions(record))


def index_report_shows_marrow_change(record: PatientRecord, as_of: datetime) -> bool:
    """SPEC.md sections 2 and 5 (R0): an index MRI report whose class is not NEGATIVE."""
    report = Facts.of(record, as_of).index
    return report is not None and report.image_class is not ImagingClass.NEGATIVE


def reason_names_marrow(draft: DraftOrder) -> bool:
    """The draft's own reason names the marrow or a plasma-cell disorder."""
    return any(_MARROW_WORDS.search(reason) for reason in draft.reasons)


def marrow_workup_in_progress(
    record: PatientRecord, drafts: Sequence[DraftOrder], as_of: datetime
) -> bool:
    """A marrow question is open: index MRI with marrow change, a marrow biopsy drafted, or a
    draft whose reason names the marrow (SPEC.md section 2, R0)."""
    return (
        index_report_shows_marrow_change(record, as_of)
        or any(d.kind is DraftKind.MARROW_BIOPSY for d in drafts)
        or any(reason_names_marrow(d) for d in drafts)
    )


def draft_is_for_marrow_question(draft: DraftOrder, workup: bool) -> bool:
    """A draft serves the marrow question: its reason says so, or it gives no reason (the PAMA
    screen sends `reasonCode: []`) while a marrow work-up is in progress."""
    if reason_names_marrow(draft):
        return True
    return workup and not draft.reasons


def _context_evidence(record: PatientRecord, as_of: datetime) -> tuple[Evidence, ...]:
    report = Facts.of(record, as_of).index
    if report is None or report.image_class is ImagingClass.NEGATIVE:
        return ()
    return (
        Evidence(
            label=report.title or "MRI report",
            reference=report.reference,
            value=report.image_class.value.lower().replace("_", " "),
            date=report.effective.date(),
        ),
    )


# ------------------------------------------------------------------------------ checks


def _priority_of(draft: DraftOrder) -> Priority:
    if draft.priority == "stat":
        return "stat"
    if draft.priority in ("urgent", "asap"):
        return "urgent"
    return "routine"


def check_biopsy_before_labs(
    record: PatientRecord,
    targets: Sequence[DraftOrder],
    all_drafts: Sequence[DraftOrder],
    as_of: datetime,
) -> OrderFinding | None:
    """Marrow biopsy drafted while a part of the first-line panel (SPEC.md section 5) has no
    current result (SPEC.md section 2) and is not drafted either: warning, add the missing labs.
    Pitfall: biopsy before the first-line labs (R4/R5 order the panel with or before biopsy)."""
    biopsies = [d for d in targets if d.kind is DraftKind.MARROW_BIOPSY]
    if not biopsies:
        return None
    drafted_keys = {d.order_key for d in all_drafts if d.order_key}
    panel = panel_state(LabView(record.labs, as_of))
    to_order = [s for s in panel.incomplete if s.item.order_key not in drafted_keys]
    missing = [s for s in to_order if s.item.gating]
    if not missing:
        return None
    priority = max((_priority_of(b) for b in biopsies), key=("routine", "urgent", "stat").index)
    notes: dict[str, list[str]] = {}
    for state in to_order:  # gating items decide; the non-gating ones are ordered with them
        notes.setdefault(state.item.order_key, []).append(state.note or "")
    add = tuple(
        OrderSuggestion(key=key, priority=priority, note="; ".join(n for n in parts if n) or None)
        for key, parts in notes.items()
    )
    evidence = [lab_evidence(result) for state in missing for result in state.results]
    labels = [f"{s.item.label} ({STATUS_WORDS[s.status]})" for s in missing]
    # issue 10: the text says every test the suggestion drafts (the gating ones that are missing,
    # and the ones ordered with the panel), and the label counts them
    with_them = [s.item.label for s in to_order if not s.item.gating]
    also = f" Ordered with them: {'; '.join(with_them)}." if with_them else ""
    tests = "blood test" if len(add) == 1 else "blood tests"
    return OrderFinding(
        check=OrderCheck.BIOPSY_BEFORE_FIRST_LINE_LABS,
        indicator="warning",
        summary=(
            f"Bone marrow biopsy drafted before the first-line blood tests: {len(missing)} "
            f"{'test is' if len(missing) == 1 else 'tests are'} missing or out of date"
            + (f"; {len(add)} {tests} to order" if len(add) != len(missing) else "")
        ),
        detail=(
            "The first-line panel should be current (within 90 days) when a marrow biopsy is "
            "decided: it can explain the MRI finding, shapes the biopsy bundle (flow cytometry, "
            "FISH when a plasma-cell disorder is suspected) and is needed to stage a "
            "myeloma. Not current: " + "; ".join(labels) + "." + also
        ),
        drafts=tuple(b.reference for b in biopsies),
        add=add,
        evidence=tuple(dict.fromkeys(evidence)),
        citation=f"{CITE_PANEL}; {CITE_CURRENT}",
        suggestion_label=f"Order {len(add)} first-line {tests}",
    )


# Without-and-with exam per site. Catalogue (mri-followup) for lumbar spine, sacrum and pelvis;
# extended here with CPT 72197 (pelvis), 72157 (thoracic), 72156 (cervical) and LOINC 36400-0
# (MR spine without and with, SPEC.md section 6).
_SITE_REGION: Final[dict[MriSite, Region]] = {
    MriSite.LUMBAR: Region.LUMBAR_SPINE,
    MriSite.SACRUM: Region.SACRUM,
    MriSite.PELVIS: Region.PELVIS,
}
_EXTRA_WITHOUT_AND_WITH: Final[dict[MriSite, tuple[OrderCode, ...]]] = {
    MriSite.PELVIS: (OrderCode(CPT, "72197", "MRI pelvis without and with contrast"),),
    MriSite.THORACIC: (OrderCode(CPT, "72157", "MRI thoracic spine without and with contrast"),),
    MriSite.CERVICAL: (OrderCode(CPT, "72156", "MRI cervical spine without and with contrast"),),
    MriSite.SPINE: (OrderCode(LOINC, "36400-0", "MR Spine without and with contrast"),),
}
SITE_WORDS: Final[dict[MriSite, str]] = {
    MriSite.LUMBAR: "lumbar spine",
    MriSite.THORACIC: "thoracic spine",
    MriSite.CERVICAL: "cervical spine",
    MriSite.SPINE: "spine",
    MriSite.SACRUM: "sacrum",
    MriSite.PELVIS: "pelvis",
}


def without_and_with_exam(site: MriSite, prefer_system: str | None = None) -> tuple[OrderCode, ...]:
    """Standard codes of the without-and-with MRI of a site; `prefer_system` first (the CDS Hooks
    sandbox reads the first coding of an updated draft)."""
    codes: list[OrderCode] = []
    region = _SITE_REGION.get(site)
    if region is not None:
        codes.extend(
            OrderCode(c.system, c.code, c.display) for c in codings_for("mri-followup", region)
        )
    codes.extend(_EXTRA_WITHOUT_AND_WITH.get(site, ()))
    if prefer_system:
        codes.sort(key=lambda c: c.system != prefer_system)
    return tuple(codes)


def _pre_contrast_drafted(draft: DraftOrder, all_drafts: Sequence[DraftOrder]) -> bool:
    """Another draft of the same site brings the pre-contrast sequences (the clinician split
    the exam into a without and a with order)."""
    return any(
        other.kind is DraftKind.MRI_MARROW_REGION
        and other.site is draft.site
        and other.contrast in (Contrast.WITHOUT, Contrast.WITHOUT_AND_WITH)
        for other in all_drafts
    )


def check_contrast_only_mri(
    record: PatientRecord,
    targets: Sequence[DraftOrder],
    all_drafts: Sequence[DraftOrder],
    workup: bool,
    as_of: datetime,
) -> tuple[OrderFinding, ...]:
    """MRI of spine, sacrum or pelvis drafted with contrast only, for a marrow question: warning,
    replace by the without-and-with exam (not when a without-contrast MRI of the same site is
    drafted too). Pitfall (SPEC.md section 5): a contrast-only MRI has no
    pre-contrast sequences, and the marrow is read on them (section 3: T1 signal against muscle
    and disc, fat saturation, chemical shift; enhancement only against pre-contrast images)."""
    findings: list[OrderFinding] = []
    for draft in targets:
        if draft.kind is not DraftKind.MRI_MARROW_REGION or draft.contrast is not Contrast.WITH:
            continue
        if draft.site is None or not draft_is_for_marrow_question(draft, workup):
            continue
        if _pre_contrast_drafted(draft, all_drafts):
            continue
        prefer = draft.codes[0].system if draft.codes else None
        codes = without_and_with_exam(draft.site, prefer)
        site = SITE_WORDS[draft.site]
        replacement = Replacement(
            draft=draft.reference,
            order_key="mri-followup",
            codes=codes,
            text=f"MRI {site} without and with contrast",
        )
        findings.append(
            OrderFinding(
                check=OrderCheck.CONTRAST_ONLY_MRI,
                indicator="warning",
                summary=(
                    f"MRI {site} drafted with contrast only: the marrow needs pre-contrast "
                    "sequences; order it without and with contrast"
                ),
                detail=(
                    f'The draft "{draft.text}" ({draft.recognised_by}) has no pre-contrast '
                    "sequences. Marrow is assessed on unenhanced T1 (signal against muscle and "
                    "disc), fat-suppressed and chemical-shift (in/opposed-phase) images, and "
                    "enhancement can only be judged against the pre-contrast images. Order the "
                    "same region without and with contrast."
                ),
                drafts=(draft.reference,),
                replace=(replacement,),
                evidence=_context_evidence(record, as_of),
                citation=f"{CITE_PITFALLS}; SPEC.md section 3, worrisome features",
                suggestion_label=f"Change to MRI {site} without and with contrast",
            )
        )
    return tuple(findings)


def check_skeletal_survey_alone(
    record: PatientRecord,
    targets: Sequence[DraftOrder],
    all_drafts: Sequence[DraftOrder],
    workup: bool,
    as_of: datetime,
) -> OrderFinding | None:
    """Skeletal survey drafted for a marrow work-up with no whole-body CT, MRI or PET among the
    drafts: info, radiographs are insensitive; suggest whole-body low-dose CT or whole-body MRI
    (SPEC.md section 5 pitfalls; R2/R4 whole-body imaging)."""
    if any(d.kind is DraftKind.WHOLE_BODY_IMAGING for d in all_drafts):
        return None
    surveys = [
        d
        for d in targets
        if d.kind is DraftKind.SKELETAL_SURVEY and draft_is_for_marrow_question(d, workup)
    ]
    if not surveys:
        return None
    label = order_definition("whole-body-imaging").label
    return OrderFinding(
        check=OrderCheck.SKELETAL_SURVEY_ALONE,
        indicator="info",
        summary=(
            "Skeletal survey alone misses marrow disease: whole-body low-dose CT or whole-body "
            "MRI is preferred"
        ),
        detail=(
            "Radiographs show bone destruction only late (after a large part of the trabecular "
            "bone is lost) and do not show the marrow. For a marrow work-up, whole-body "
            "low-dose CT, whole-body MRI or FDG PET/CT is the imaging that can find lytic or "
            f"focal lesions. Suggested: {label}."
        ),
        drafts=tuple(s.reference for s in surveys),
        add=(OrderSuggestion(key="whole-body-imaging", priority=_priority_of(surveys[0])),),
        remove=tuple(s.reference for s in surveys if s.reference),
        evidence=_context_evidence(record, as_of),
        citation=f"{CITE_PITFALLS}; SPEC.md section 5, R2 and R4 (whole-body imaging)",
        suggestion_label="Replace the skeletal survey by whole-body imaging",
    )


def check_duplicate_labs(
    record: PatientRecord, targets: Sequence[DraftOrder], workup: bool, as_of: datetime
) -> OrderFinding | None:
    """A lab of the panel drafted during a marrow work-up although a current result exists
    (SPEC.md section 2, within 90 days): info with the date and value, suggest removing it."""
    if not workup:
        return None
    view = LabView(record.labs, as_of)
    duplicates: list[tuple[DraftOrder, tuple[LabResult, ...]]] = []
    for draft in targets:
        if draft.kind is not DraftKind.LAB or draft.order_key is None:
            continue
        results = current_results_of_order(view, draft.order_key)
        if results is not None:
            duplicates.append((draft, results))
    if not duplicates:
        return None
    names = [order_definition(d.order_key or "").label for d, _ in duplicates]
    lines: list[str] = []
    evidence: list[Evidence] = []
    for draft, results in duplicates:
        shown = [lab_evidence(r) for r in results]
        evidence.extend(shown)
        drawn = max(e.date for e in shown if e.date is not None)
        lines.append(f"{draft.text or names[len(lines)]}: result of {drawn.isoformat()}")
    if len(duplicates) == 1:
        first = evidence[0]
        value = (
            f"{first.value} {first.unit or ''} on {first.date}".replace("  ", " ")
            if len(evidence) == 1
            else f"{first.date}"
        )
        summary = f"{names[0]} drafted, but a current result exists ({value}): avoid repeating it"
    else:
        summary = (
            f"{len(duplicates)} drafted blood tests already have a current result: "
            "avoid repeating them"
        )
    return OrderFinding(
        check=OrderCheck.DUPLICATE_CURRENT_LAB,
        indicator="info",
        summary=summary,
        detail=(
            "A result within the last 90 days counts as current for the marrow work-up, and "
            "these drafted tests have one (values in the table): "
            + "; ".join(lines)
            + ". Keep the order if it is repeated on purpose (to confirm an abnormal value or "
            "follow a trend)."
        ),
        drafts=tuple(d.reference for d, _ in duplicates),
        remove=tuple(d.reference for d, _ in duplicates if d.reference),
        evidence=tuple(evidence),
        citation=CITE_CURRENT,
        suggestion_label="Remove the repeat order",
    )


# MRI site -> region, to compare a drafted MRI with an order already placed.
_REGION_OF_SITE: Final[dict[MriSite, Region]] = {
    MriSite.LUMBAR: Region.LUMBAR_SPINE,
    MriSite.SACRUM: Region.SACRUM,
    MriSite.PELVIS: Region.PELVIS,
    MriSite.THORACIC: Region.SPINE,
    MriSite.CERVICAL: Region.SPINE,
    MriSite.SPINE: Region.SPINE,
}


def same_follow_up_mri(draft: DraftOrder, placed: PlacedOrder, index_region: Region | None) -> bool:
    """The draft is the MRI already ordered: the same site (an order by our key alone is the
    MRI of the index region) and the same contrast mode where both state it."""
    if draft.site is not None and placed.site is not None:
        same_site = draft.site.value == placed.site
    else:
        drafted = _REGION_OF_SITE[draft.site] if draft.site is not None else index_region
        ordered = placed.region or index_region
        same_site = drafted is None or ordered is None or drafted is ordered
    contrasts = (draft.contrast, placed.contrast)
    same_contrast = Contrast.UNKNOWN in contrasts or draft.contrast is placed.contrast
    return same_site and same_contrast


def check_duplicate_follow_up_mri(
    record: PatientRecord, targets: Sequence[DraftOrder], workup: bool, as_of: datetime
) -> OrderFinding | None:
    """A follow-up MRI (order key mri-followup, or an MRI of spine, sacrum or pelvis for the
    marrow question) drafted while an identical one is already ordered and not done: an active
    or on-hold order authored after the index MRI, with no newer MRI of the region (SPEC.md
    section 5, follow-up status): info with the order and its date, suggest removing the
    draft."""
    facts = Facts.of(record, as_of)
    placed = pending_orders(facts.index, record.mri_reports, record.orders, as_of)
    if not placed:
        return None
    index_region = facts.index.region if facts.index is not None else None
    drafted = {t.reference for t in targets}
    duplicates: list[tuple[DraftOrder, PlacedOrder]] = []
    for draft in targets:
        if draft.kind is not DraftKind.MRI_MARROW_REGION:
            continue
        if draft.order_key != "mri-followup" and not draft_is_for_marrow_question(draft, workup):
            continue
        match = next(
            (
                p
                for p in placed
                if p.reference not in drafted and same_follow_up_mri(draft, p, index_region)
            ),
            None,
        )
        if match is not None:
            duplicates.append((draft, match))
    if not duplicates:
        return None
    draft, order = duplicates[0]
    when = order.authored.date().isoformat() if order.authored is not None else "earlier"
    evidence = [
        Evidence(
            label=f"{p.text or 'MRI'} (already ordered)",
            reference=p.reference,
            value=p.status,
            date=p.authored.date() if p.authored is not None else None,
        )
        for p in dict.fromkeys(p for _, p in duplicates)
    ]
    evidence.extend(_context_evidence(record, as_of))
    lines = [
        f'"{d.text}" is already ordered as "{p.text}" ({p.reference}, {p.status}, ordered on '
        f"{p.authored.date().isoformat() if p.authored is not None else 'an unknown date'})"
        for d, p in duplicates
    ]
    return OrderFinding(
        check=OrderCheck.DUPLICATE_FOLLOW_UP_MRI,
        indicator="info",
        summary=(
            f"Follow-up MRI drafted, but the same MRI was ordered on {when} and is not yet "
            "done: avoid a duplicate"
        ),
        detail=(
            "The follow-up MRI of the marrow finding is already ordered and has not been done "
            "(no newer MRI of the region): "
            + "; ".join(lines)
            + ". Remove the draft, or keep it if a second study is intended."
        ),
        drafts=tuple(d.reference for d, _ in duplicates),
        remove=tuple(d.reference for d, _ in duplicates if d.reference),
        evidence=tuple(evidence),
        citation=CITE_FOLLOW_UP,
        suggestion_label="Remove the duplicate MRI order",
    )


# ------------------------------------------------------------------------------ review


# Kinds some check can concern: drafts of any other kind never need the patient record.
REVIEWED_KINDS: Final = frozenset(
    {
        DraftKind.MARROW_BIOPSY,
        DraftKind.MRI_MARROW_REGION,
        DraftKind.SKELETAL_SURVEY,
        DraftKind.LAB,
    }
)

# The checks as the rule catalogue lists them: id, indicator, criterion, source.
CHECK_CATALOGUE: Final[tuple[tuple[OrderCheck, str, str, str], ...]] = (
    (
        OrderCheck.BIOPSY_BEFORE_FIRST_LINE_LABS,
        "warning",
        "Marrow biopsy drafted while a part of the first-line panel has no result within 90 "
        "days and is not drafted either; suggests the missing tests",
        f"{CITE_PANEL}; {CITE_CURRENT}",
    ),
    (
        OrderCheck.CONTRAST_ONLY_MRI,
        "warning",
        "MRI of spine, sacrum or pelvis drafted with contrast only for a marrow question; "
        "suggests the same exam without and with contrast",
        f"{CITE_PITFALLS}; SPEC.md section 3",
    ),
    (
        OrderCheck.SKELETAL_SURVEY_ALONE,
        "info",
        "Skeletal survey drafted for a marrow work-up without whole-body CT, MRI or PET; "
        "suggests whole-body low-dose CT or whole-body MRI",
        CITE_PITFALLS,
    ),
    (
        OrderCheck.DUPLICATE_CURRENT_LAB,
        "info",
        "A test of the work-up drafted although a result within 90 days exists; shows it and "
        "suggests removing the draft",
        CITE_CURRENT,
    ),
    (
        OrderCheck.DUPLICATE_FOLLOW_UP_MRI,
        "info",
        "A follow-up MRI of spine, sacrum or pelvis drafted while the same MRI is already "
        "ordered (active or on hold, after the index MRI) and not done; shows the order and "
        "suggests removing the draft",
        CITE_FOLLOW_UP,
    ),
)


def drafts_in_scope(
    drafts: Sequence[DraftOrder], selected: Collection[str] | None
) -> list[DraftOrder]:
    """The drafts to review: those of `selected`, else all. A selection is a relative reference
    ("ServiceRequest/abc"); a bare id or an absolute URL ending in one is accepted too."""
    if selected is None:
        return list(drafts)
    wanted = {"/".join(s.strip().rstrip("/").split("/")[-2:]) for s in selected}
    return [d for d in drafts if d.reference in wanted or d.resource_id in wanted]


def lab_checks_not_done(
    record: PatientRecord,
    drafts: Sequence[DraftOrder],
    as_of: datetime,
    *,
    selected: Collection[str] | None = None,
) -> bool:
    """Lab results could not be fetched (a `DataGap`) while a draft in scope would have been
    checked against them: a marrow biopsy, or a lab during a marrow work-up. Not for a patient
    under specialist care (silence, SPEC.md section 2)."""
    if under_specialist_care(record) or not any(
        gap.domain is DataDomain.LABS for gap in record.gaps
    ):
        return False
    targets = drafts_in_scope(drafts, selected)
    if any(d.kind is DraftKind.MARROW_BIOPSY for d in targets):
        return True
    workup = marrow_workup_in_progress(record, drafts, as_of)
    return workup and any(d.kind is DraftKind.LAB for d in targets)


def needs_patient_record(
    drafts: Sequence[DraftOrder], selected: Collection[str] | None = None
) -> bool:
    """Whether any draft in scope is of a kind a check can concern (else: no card, no fetch)."""
    return any(d.kind in REVIEWED_KINDS for d in drafts_in_scope(drafts, selected))


def _dedupe(findings: Iterable[OrderFinding]) -> tuple[OrderFinding, ...]:
    """Nothing said twice: one finding per check and draft."""
    seen: set[tuple[OrderCheck, str]] = set()
    kept: list[OrderFinding] = []
    for finding in findings:
        slots = {(finding.check, ref) for ref in finding.drafts}
        if slots and slots <= seen:
            continue
        seen |= slots
        kept.append(finding)
    return tuple(kept)


def review_orders(
    record: PatientRecord,
    drafts: Sequence[DraftOrder],
    as_of: datetime,
    *,
    selected: Collection[str] | None = None,
) -> tuple[OrderFinding, ...]:
    """Review the draft orders of one ordering session against the patient record.

    `selected` (order-select `selections`, "ServiceRequest/abc"): only those drafts are reviewed;
    the other drafts are still the context (labs drafted alongside a biopsy, a whole-body CT next
    to a skeletal survey). None (order-sign): every draft is reviewed.
    Lab checks are skipped when the lab results could not be fetched (a `DataGap`): the service
    cannot tell missing from not fetched.
    """
    if under_specialist_care(record):
        return ()
    targets = drafts_in_scope(drafts, selected)
    if not targets:
        return ()
    workup = marrow_workup_in_progress(record, drafts, as_of)
    labs_known = not any(gap.domain is DataDomain.LABS for gap in record.gaps)
    findings: list[OrderFinding | None] = []
    if labs_known:
        findings.append(check_biopsy_before_labs(record, targets, drafts, as_of))
    findings.extend(check_contrast_only_mri(record, targets, drafts, workup, as_of))
    findings.append(check_skeletal_survey_alone(record, targets, drafts, workup, as_of))
    if labs_known:
        findings.append(check_duplicate_labs(record, targets, workup, as_of))
    findings.append(check_duplicate_follow_up_mri(record, targets, workup, as_of))
    return _dedupe(f for f in findings if f is not None)
