"""ConText-style extractor (SPEC.md section 3): scope, pseudo-negation, hedges, values, spans."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappers.report_reader import reader, scope, vocabulary
from fhir_mappers.report_reader.reader import (
    Extraction,
    chemical_shift_worrisome,
    extract,
    technique_facts,
)
from logic.model import FeatureKind, ImagingClass, ImagingFeature, IntervalChange

K = FeatureKind


def kinds(e: Extraction, *, negated: bool | None = None) -> set[FeatureKind]:
    return {f.kind for f in e.features if negated is None or f.negated is negated}


def feature(e: Extraction, kind: FeatureKind) -> ImagingFeature:
    return next(f for f in e.features if f.kind is kind)


# ------------------------------------------------------------------ negation scope


@pytest.mark.parametrize(
    ("text", "present", "negated"),
    [
        pytest.param(
            "Diffuse heterogeneity without a discrete focal lesion.",
            {K.DIFFUSE_PATTERN},
            {K.FOCAL_LESION},
            id="without_negates_only_what_follows",
        ),
        pytest.param(
            "No focal lesion, but heterogeneous marrow signal.",
            {K.MARROW_SIGNAL},
            {K.FOCAL_LESION},
            id="but_ends_scope",
        ),
        pytest.param(
            "No focal lesion; heterogeneous marrow signal.",
            {K.MARROW_SIGNAL},
            {K.FOCAL_LESION},
            id="semicolon_ends_scope",
        ),
        pytest.param(
            "No focal lesion. Heterogeneous marrow signal.",
            {K.MARROW_SIGNAL},
            {K.FOCAL_LESION},
            id="sentence_end_ends_scope",
        ),
        pytest.param(
            "No focal lesion although the marrow is heterogeneous.",
            {K.MARROW_SIGNAL},
            {K.FOCAL_LESION},
            id="although_ends_scope",
        ),
        pytest.param(
            "No abnormal marrow signal or marrow-replacing lesion.",
            set(),
            {K.MARROW_SIGNAL, K.FOCAL_LESION},
            id="no_covers_a_list",
        ),
        pytest.param(
            "A focal lesion is not identified.",
            set(),
            {K.FOCAL_LESION},
            id="not_identified_backward",
        ),
        pytest.param(
            "Negative for abnormal marrow signal.", set(), {K.MARROW_SIGNAL}, id="negative_for"
        ),
        pytest.param("Free of focal lesions.", set(), {K.FOCAL_LESION}, id="free_of"),
        pytest.param("Normal marrow signal.", set(), {K.MARROW_SIGNAL}, id="normal_marrow_signal"),
        pytest.param(
            "A 6 mm non-enhancing lesion at L2.",
            {K.FOCAL_LESION},
            {K.ENHANCEMENT},
            id="non_enhancing_negates_enhancement_only",
        ),
        pytest.param(
            "A 7 mm lesion at L4, not seen on the prior study.",
            {K.FOCAL_LESION, K.NEW_LESION},
            set(),
            id="not_seen_on_prior_means_new",
        ),
    ],
)
def test_negation_scope(text: str, present: set[FeatureKind], negated: set[FeatureKind]) -> None:
    e = extract(text)
    targets = {K.MARROW_SIGNAL, K.DIFFUSE_PATTERN, K.FOCAL_LESION, K.ENHANCEMENT, K.NEW_LESION}
    assert kinds(e, negated=False) & targets == present
    assert kinds(e, negated=True) & targets == negated


# ------------------------------------------------------------------ pseudo-negation, history


def test_no_change_in_keeps_the_finding_and_means_stable() -> None:
    e = extract("No change in the heterogeneous marrow signal.")
    assert K.MARROW_SIGNAL in kinds(e, negated=False)
    assert e.interval_change is IntervalChange.STABLE
    assert e.image_class is ImagingClass.NONSPECIFIC


def test_no_new_negates_only_newness() -> None:
    e = extract("Stable 8 mm lesion at L2. No new lesion.")
    assert feature(e, K.NEW_LESION).negated
    assert K.NEW_LESION not in e.worrisome
    assert e.lesion_count == 1  # "no new lesion" neither adds nor removes the known lesion
    assert e.interval_change is IntervalChange.STABLE


def test_not_significantly_changed_is_stable_not_negated() -> None:
    e = extract("Patchy marrow heterogeneity, not significantly changed.")
    assert K.MARROW_SIGNAL in kinds(e, negated=False)
    assert e.interval_change is IntervalChange.STABLE


def test_no_longer_seen_is_historical_and_resolved() -> None:
    e = extract("The previously seen 7 mm L3 lesion is no longer seen.")
    lesion = feature(e, K.FOCAL_LESION)
    assert lesion.historical
    assert not lesion.negated
    assert e.image_class is ImagingClass.NEGATIVE
    assert e.interval_change is IntervalChange.RESOLVED


def test_history_of_is_historical() -> None:
    e = extract("History of heterogeneous marrow signal on an outside study.")
    assert feature(e, K.MARROW_SIGNAL).historical
    assert e.image_class is ImagingClass.NEGATIVE


# ------------------------------------------------------------------ hedges, British/American


@pytest.mark.parametrize(
    ("text", "hedge"),
    [
        ("Slightly heterogeneous marrow.", "slight"),
        ("Mildly heterogeneous marrow.", "mild"),
        ("Subtle marrow heterogeneity.", "subtle"),
        ("Minimal marrow heterogeneity.", "minimal"),
        ("Nonspecific heterogeneous marrow.", "nonspecific"),
        ("Non-specific heterogeneous marrow.", "nonspecific"),
        ("Heterogeneous marrow which may represent reconversion.", "may represent"),
        ("Heterogeneous marrow, likely red marrow reconversion.", "likely"),
        ("Heterogeneous marrow, favoured to be haematopoietic marrow.", "favored"),
        ("Heterogeneous marrow, favored to be hematopoietic marrow.", "favored"),
        ("Heterogeneous marrow, probably hyperplasia.", "probably"),
        ("Heterogeneous marrow that could reflect marrow reconversion.", "could reflect"),
    ],
)
def test_hedges(text: str, hedge: str) -> None:
    assert hedge in extract(text).hedges


@pytest.mark.parametrize(
    "phrase",
    [
        "red marrow reconversion",
        "haematopoietic marrow hyperplasia",
        "hematopoietic marrow hyperplasia",
        "haemopoietic marrow",
        "atypical haemangioma",
        "atypical hemangioma",
    ],
)
def test_benign_hedges_both_spellings(phrase: str) -> None:
    e = extract(f"Heterogeneous marrow, likely {phrase}.")
    assert K.BENIGN_HEDGE in e.benign


def test_distribution_beats_mild() -> None:
    assert extract("Mild diffuse marrow heterogeneity.").image_class is ImagingClass.DIFFUSE


def test_cannot_exclude_infiltration_is_worrisome_not_a_pattern() -> None:
    e = extract("Mildly heterogeneous marrow. An infiltrative process cannot be excluded.")
    assert e.image_class is ImagingClass.NONSPECIFIC
    assert K.CANNOT_EXCLUDE_INFILTRATION in e.worrisome


def test_cannot_exclude_span_reaches_the_process() -> None:
    e = extract("Heterogeneous marrow, concerning for myeloma.")
    assert feature(e, K.CANNOT_EXCLUDE_INFILTRATION).span.text == "concerning for myeloma"


def test_cannot_exclude_needs_a_malignancy_word() -> None:
    e = extract("Heterogeneous marrow. A small disc herniation cannot be excluded.")
    assert K.CANNOT_EXCLUDE_INFILTRATION not in kinds(e)


# ------------------------------------------------------------------ counts, sizes, levels


@pytest.mark.parametrize(
    ("text", "count", "sizes", "cls"),
    [
        ("A 7 mm lesion at L3.", 1, (7.0,), ImagingClass.FOCAL_EQUIVOCAL),
        ("Two lesions at L2 (8 mm) and L4 (1.1 cm).", 2, (8.0, 11.0), ImagingClass.FOCAL_MULTIPLE),
        ("A 1.2 x 0.8 cm lesion in the sacrum.", 1, (12.0,), ImagingClass.FOCAL_EQUIVOCAL),
        # conservative reading (team decision pending clinical sign-off): several lesions, the
        # largest >= 5 mm and none stated smaller -> FOCAL_MULTIPLE (was FOCAL_EQUIVOCAL)
        ("Multiple lesions up to 8 mm.", 2, (8.0,), ImagingClass.FOCAL_MULTIPLE),
        ("Multiple lesions measuring 6-12 mm.", 2, (6.0, 12.0), ImagingClass.FOCAL_MULTIPLE),
        ("Three lesions, each measuring 6 mm.", 3, (6.0,), ImagingClass.FOCAL_MULTIPLE),
        ("Two focal lesions >5 mm.", 2, (), ImagingClass.FOCAL_MULTIPLE),
        ("Two foci, 3 mm and 4 mm.", 2, (3.0, 4.0), ImagingClass.FOCAL_EQUIVOCAL),
        ("Several lesions in the spine.", 3, (), ImagingClass.FOCAL_EQUIVOCAL),
        ("Innumerable lesions.", 3, (), ImagingClass.FOCAL_EQUIVOCAL),
        ("12 lesions in the pelvis, each 5 mm or larger.", 12, (), ImagingClass.FOCAL_MULTIPLE),
        ("The L2 lesion increased from 8 to 12 mm.", 1, (12.0,), ImagingClass.FOCAL_EQUIVOCAL),
        ("L2 lesion, now 9 mm (previously 6 mm).", 1, (9.0,), ImagingClass.FOCAL_EQUIVOCAL),
        ("Lesions ranging from 6 to 12 mm.", 2, (6.0, 12.0), ImagingClass.FOCAL_MULTIPLE),
    ],
)
def test_counts_and_sizes(
    text: str, count: int, sizes: tuple[float, ...], cls: ImagingClass
) -> None:
    e = extract(text)
    assert (e.lesion_count, e.lesion_sizes_mm, e.image_class) == (count, sizes, cls)


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        pytest.param(
            "Numerous focal marrow lesions at L1, L2, L4 and S1 measuring up to 9 mm.",
            ImagingClass.FOCAL_MULTIPLE,
            id="numerous-up-to-9mm-is-focal-multiple",
        ),
        pytest.param(
            "Multiple focal lesions throughout the lumbar spine, largest 12 mm.",
            ImagingClass.FOCAL_MULTIPLE,
            id="multiple-largest-12mm-is-focal-multiple",
        ),
        pytest.param(
            "Two lesions at L2 and L4, the larger 6 mm.",
            ImagingClass.FOCAL_MULTIPLE,
            id="two-lesions-larger-6mm-is-focal-multiple",
        ),
        pytest.param(
            "Multiple lesions up to 9 mm, the others less than 5 mm.",
            ImagingClass.FOCAL_EQUIVOCAL,
            id="a-stated-size-below-5mm-keeps-equivocal",
        ),
        pytest.param(
            "Two lesions, 3 mm and 9 mm.",
            ImagingClass.FOCAL_EQUIVOCAL,
            id="one-lesion-3mm-keeps-equivocal",
        ),
        pytest.param(
            "Multiple lesions, the largest 4 mm.",
            ImagingClass.FOCAL_EQUIVOCAL,
            id="largest-4mm-all-below-5-equivocal",
        ),
        pytest.param(
            "Multiple small lesions, largest 4 mm; typical haemangiomas up to 15 mm.",
            ImagingClass.FOCAL_EQUIVOCAL,
            id="haemangioma-size-is-not-a-lesion-size",
        ),
        # SPEC.md section 3 "Benign attribution": hedged, at most FOCAL_EQUIVOCAL (never U-L)
        pytest.param(
            "Multiple lesions measuring up to 9 mm, likely typical haemangiomas.",
            ImagingClass.FOCAL_EQUIVOCAL,
            id="hedged-haemangiomas-up-to-9mm-at-most-equivocal",
        ),
        pytest.param(
            "Multiple lesions measuring up to 9 mm, typical haemangiomas.",
            ImagingClass.NEGATIVE,
            id="typical-haemangiomas-up-to-9mm-not-lesions",
        ),
        # a size that belongs to another structure must not make lesions FOCAL_MULTIPLE
        pytest.param(
            "Multiple small foci in the sacrum; 6 mm disc protrusion at L4-5.",
            ImagingClass.FOCAL_EQUIVOCAL,
            id="disc-protrusion-size-is-not-a-lesion-size",
        ),
        pytest.param(
            "Scattered tiny foci, and an enlarged 15 mm iliac lymph node.",
            ImagingClass.FOCAL_EQUIVOCAL,
            id="lymph-node-size-is-not-a-lesion-size",
        ),
        pytest.param(
            "Multiple tiny foci at L2 and L3, with 8 mm of anterolisthesis at L4-5.",
            ImagingClass.FOCAL_EQUIVOCAL,
            id="listhesis-size-is-not-a-lesion-size",
        ),
        pytest.param(
            "Multiple foci, the spinal canal measures 9 mm.",
            ImagingClass.FOCAL_EQUIVOCAL,
            id="canal-size-is-not-a-lesion-size",
        ),
        pytest.param("Several focal lesions.", ImagingClass.FOCAL_EQUIVOCAL, id="no-size"),
        pytest.param("No focal lesions up to 9 mm are seen.", ImagingClass.NEGATIVE, id="negated"),
        pytest.param(
            "Multiple lesions up to 9 mm, no longer seen.", ImagingClass.NEGATIVE, id="resolved"
        ),
        pytest.param(
            "Innumerable lesions throughout the spine.",
            ImagingClass.DIFFUSE,
            id="innumerable-throughout-is-diffuse",
        ),
        pytest.param(
            "Numerous focal lesions throughout the visualized skeleton.",
            ImagingClass.DIFFUSE,
            id="numerous-throughout-is-diffuse",
        ),
        pytest.param(
            "Diffuse lesions throughout the spine.",
            ImagingClass.DIFFUSE,
            id="diffuse-lesions-throughout-is-diffuse",
        ),
        pytest.param(
            # SPEC.md section 3: "Innumerable tiny foci 'throughout' are DIFFUSE" (the more
            # specific rule than "lesions all < 5 mm" for FOCAL_EQUIVOCAL)
            "Innumerable lesions throughout the spine, all under 5 mm.",
            ImagingClass.DIFFUSE,
            id="innumerable-lesions-throughout-all-below-5mm-are-diffuse",
        ),
        pytest.param(
            "Multiple lesions throughout the pelvis.",
            ImagingClass.FOCAL_EQUIVOCAL,
            id="count-word-throughout-stays-focal",
        ),
    ],
)
def test_several_lesions_sized_by_the_largest(text: str, cls: ImagingClass) -> None:
    """Conservative FOCAL_MULTIPLE reading and lesion spread (SPEC.md section 3, U-L)."""
    assert extract(text).image_class is cls


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("Heterogeneous marrow at L2-L4.", ("L2", "L3", "L4")),
        ("Heterogeneous marrow from T11 to L1.", ("T11", "T12", "L1")),
        ("Heterogeneous marrow at L4-S1.", ("L4", "L5", "S1")),
        ("A 6 mm T1 hypointense lesion at C7.", ("C7",)),
        ("Heterogeneous marrow in the sacral ala and iliac wings.", ("sacral ala", "iliac")),
        ("Heterogeneous marrow throughout the pelvis.", ("pelvis",)),
        ("A 7 mm lesion in the T2 vertebral body.", ("T2",)),
    ],
)
def test_levels(text: str, levels: tuple[str, ...]) -> None:
    assert extract(text).levels == levels


def test_t1_and_t2_sequences_are_not_levels() -> None:
    e = extract("Heterogeneous marrow, T1 hypointense and T2 hyperintense.")
    assert e.levels == ()


def test_disc_levels_are_not_marrow_levels() -> None:
    e = extract("Mildly heterogeneous marrow and a diffuse disc bulge at L4-5.")
    assert e.levels == ()
    assert e.image_class is ImagingClass.NONSPECIFIC


def test_diffuse_heterogeneity_of_another_organ_is_not_marrow() -> None:
    e = extract("Diffusely heterogeneous uterus with fibroids.")
    assert e.image_class is ImagingClass.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        "A 6 mm sclerotic focus at L2, a bone island.",
        "A 9 mm T1-hyperintense focus at L3, consistent with a hemangioma.",
        "Typical vertebral haemangiomas at T12 and L3.",
        "Focal fatty marrow deposition at L2.",
        "Schmorl node at L3.",
        "Postradiation fatty marrow replacement from L4 to S1.",
    ],
)
def test_benign_entities_are_not_marrow_lesions(text: str) -> None:
    """SPEC.md section 3 "Benign attribution" (unhedged) and "Other causes of marrow signal"."""
    assert extract(text).image_class is ImagingClass.NEGATIVE


def test_a_lesion_beside_a_haemangioma_still_counts() -> None:
    e = extract("A 7 mm T1-hypointense lesion at L2 and a typical hemangioma at L4.")
    assert (e.lesion_count, e.levels) == (1, ("L2",))


def test_patchy_areas_of_low_t1_signal_are_marrow_signal() -> None:
    e = extract("Patchy areas of decreased T1 signal in the pelvis.")
    assert e.image_class is ImagingClass.NONSPECIFIC


def test_three_levels_of_abnormal_marrow_is_diffuse() -> None:
    assert extract("Heterogeneous marrow at L1, L2 and L3.").image_class is ImagingClass.DIFFUSE


# ------------------------------------------------------------------ field strength, chemical shift


@pytest.mark.parametrize(
    ("text", "tesla"),
    [("at 1.5 T.", 1.5), ("on a 3T magnet.", 3.0), ("3.0 Tesla scanner.", 3.0), ("1.5-T", 1.5)],
)
def test_field_strength(text: str, tesla: float) -> None:
    assert extract("Heterogeneous marrow " + text).field_strength_t == tesla


@pytest.mark.parametrize(
    ("text", "drop"),
    [
        ("signal drop of 12% on opposed-phase images", 12.0),
        ("signal loss of approximately 35 % on out-of-phase imaging", 35.0),
        ("40% signal loss on opposed-phase", 40.0),
        ("no signal loss on opposed-phase imaging", 0.0),
        ("without significant signal drop on the Dixon images", 0.0),
    ],
)
def test_signal_drop(text: str, drop: float) -> None:
    e = extract(f"Heterogeneous marrow with {text}.")
    assert e.signal_drop_pct == drop
    assert e.chemical_shift_done
    assert not feature(e, K.CHEMICAL_SHIFT_DROP).negated


@pytest.mark.parametrize(
    ("drop", "tesla", "worrisome"),
    [
        pytest.param(19.9, 1.5, True, id="below_20_at_1.5T"),
        pytest.param(20.0, 1.5, False, id="20_at_1.5T_benign"),
        pytest.param(24.9, 3.0, True, id="below_25_at_3T"),
        pytest.param(25.0, 3.0, False, id="25_at_3T_benign"),
        pytest.param(22.0, None, True, id="22_unknown_field_conservative"),
        pytest.param(25.0, None, False, id="25_unknown_field_benign"),
    ],
)
def test_chemical_shift_thresholds(drop: float, tesla: float | None, worrisome: bool) -> None:
    assert chemical_shift_worrisome(drop, tesla) is worrisome


def test_field_strength_from_technique_decides_chemical_shift() -> None:
    text = "Mottled marrow with a signal drop of 22%."
    assert K.CHEMICAL_SHIFT_DROP in extract(text).worrisome
    assert K.CHEMICAL_SHIFT_DROP in extract(text, field_strength_t=1.5).benign


def test_technique_facts() -> None:
    assert technique_facts("Sagittal T1, STIR at 3T; in- and opposed-phase.") == (3.0, True)
    assert technique_facts("Sagittal T1 and T2.") == (None, False)


# ------------------------------------------------------------------ worrisome / benign features


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Marrow is hypointense to the intervertebral discs on T1.", K.T1_LOW_VS_MUSCLE_OR_DISC),
        ("T1 marrow signal isointense to skeletal muscle.", K.T1_LOW_VS_MUSCLE_OR_DISC),
        ("Diffusely and homogeneously decreased T1 marrow signal.", K.DIFFUSE_HOMOGENEOUS),
        ("A sharply marginated lesion at L2.", K.SHARP_MARGIN),
        ("An avidly enhancing lesion at L2.", K.ENHANCEMENT),
        ("A lesion at L2, hyperintense on STIR.", K.FAT_SAT_HIGH_SIGNAL),
        ("The lesion at L2 has increased in size.", K.INTERVAL_INCREASE),
        ("New lesion at L2.", K.NEW_LESION),
        ("Marrow abnormality, suspicious for myeloma.", K.CANNOT_EXCLUDE_INFILTRATION),
    ],
)
def test_worrisome_features(text: str, kind: FeatureKind) -> None:
    assert kind in extract(text).worrisome


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "On T1 the marrow is hyperintense to the discs and muscle.",
            K.T1_BRIGHTER_THAN_DISC_AND_MUSCLE,
        ),
        ("The L2 focus suppresses completely on STIR.", K.COMPLETE_FAT_SUPPRESSION),
    ],
)
def test_benign_modifiers(text: str, kind: FeatureKind) -> None:
    assert kind in extract(text).benign


def test_brighter_than_disc_alone_is_not_the_benign_modifier() -> None:
    e = extract("On T1 the marrow is hyperintense to the discs.")
    assert K.T1_BRIGHTER_THAN_DISC_AND_MUSCLE not in e.benign


def test_contrast_enhanced_images_are_not_enhancement() -> None:
    e = extract("No abnormal enhancement on contrast-enhanced images.")
    assert K.ENHANCEMENT not in e.worrisome


def test_endplate_enhancement_is_not_a_marrow_feature() -> None:
    e = extract("Modic type 1 endplate enhancement at L4-5.")
    assert K.ENHANCEMENT not in e.worrisome


@pytest.mark.parametrize(
    ("text", "change"),
    [
        ("The marrow heterogeneity is now diffuse.", IntervalChange.EVOLVED_DIFFUSE),
        ("The L2 lesion has decreased in size.", IntervalChange.DECREASED),
        ("The L2 lesion has resolved.", IntervalChange.RESOLVED),
        ("Heterogeneous marrow, unchanged.", IntervalChange.STABLE),
        ("The L2 lesion has increased in size; a new L4 lesion.", IntervalChange.NEW_LESION),
    ],
)
def test_interval_change(text: str, change: IntervalChange) -> None:
    assert extract(text).interval_change is change


def test_larger_than_a_size_is_not_an_interval_increase() -> None:
    e = extract("Two focal lesions, one larger than 5 mm.")
    assert e.interval_change is None
    assert e.image_class is ImagingClass.FOCAL_EQUIVOCAL


def test_degenerative_progression_is_not_marrow_progression() -> None:
    e = extract("Progressive degenerative disc disease at L4-5.")
    assert e.interval_change is None


# ------------------------------------------------------------------ lytic lesions (CT, XR, PET)


@pytest.mark.parametrize(
    ("text", "lytic"),
    [
        ("Multiple lytic lesions in the pelvis.", True),
        ("Punched-out lesions in the skull.", True),
        ("No lytic or blastic lesion.", False),
        ("Periprosthetic lucency around the femoral component.", False),
    ],
)
def test_lytic(text: str, lytic: bool) -> None:
    assert extract(text).lytic is lytic


# ------------------------------------------------------------------ spans quote the text


SPAN_TEXT = (
    "FINDINGS:\nMildly heterogeneous marrow signal. A 9 mm T1-hypointense lesion at L4, "
    "not seen on the prior study. No abnormal enhancement. Signal drop of 12% on "
    "opposed-phase images at 3T.\n\nIMPRESSION:\nNew L4 lesion; infiltrative process cannot be "
    "excluded."
)


@pytest.mark.parametrize(
    ("kind", "quote"),
    [
        (K.MARROW_SIGNAL, "heterogeneous marrow signal"),
        (K.FOCAL_LESION, "9 mm T1-hypointense lesion"),
        (K.NEW_LESION, "not seen on the prior"),
        (K.ENHANCEMENT, "enhancement"),
        (K.CHEMICAL_SHIFT_DROP, "Signal drop of 12%"),
        (K.FIELD_STRENGTH, "3T"),
        (K.CANNOT_EXCLUDE_INFILTRATION, "infiltrative process cannot be excluded"),
    ],
)
def test_span_quotes_the_phrase(kind: FeatureKind, quote: str) -> None:
    e = extract(SPAN_TEXT)
    f = feature(e, kind)
    assert SPAN_TEXT[f.span.start : f.span.end] == f.span.text == quote


def test_every_span_and_sentence_indexes_into_the_text() -> None:
    e = extract(SPAN_TEXT)
    assert e.features
    for f in e.features:
        assert SPAN_TEXT[f.span.start : f.span.end] == f.span.text
        assert f.sentence is not None
        assert SPAN_TEXT[f.sentence.start : f.sentence.end] == f.sentence.text
        assert f.sentence.start <= f.span.start
        assert f.span.end <= f.sentence.end


def test_sentence_quote_is_the_whole_sentence() -> None:
    f = feature(extract(SPAN_TEXT), K.NEW_LESION)
    assert f.sentence is not None
    assert f.sentence.text == ("A 9 mm T1-hypointense lesion at L4, not seen on the prior study.")


# ------------------------------------------------------------------ robustness


# the hospital corpus (10,100 texts) read twice is about a minute and a half: in six parts, so
# that each stays well inside the per-test timeout on a loaded machine; together they read every
# text
_PREFILTER_PARTS = 6


@pytest.mark.parametrize("part", range(_PREFILTER_PARTS))
def test_keyword_prefilter_changes_nothing(monkeypatch: pytest.MonkeyPatch, part: int) -> None:
    from tests.corpus.heldout import HELDOUT
    from tests.corpus.hospital.score import load_cases
    from tests.corpus.reports import CASES

    # every split, labels unread: only that the prefilter decides nothing
    hospital = [c.text for c in load_cases()][part::_PREFILTER_PARTS]
    texts = hospital + ([c.text for c in CASES + HELDOUT] + [SPAN_TEXT] if part == 0 else [])
    fast = [extract(t) for t in texts]
    monkeypatch.setattr(reader, "_USE_PREFILTER", False)
    scope._terminators.cache_clear()
    slow = [extract(t) for t in texts]
    scope._terminators.cache_clear()
    assert fast == slow


def test_prefilter_tables_cover_every_pattern() -> None:
    assert len(vocabulary._KW_TARGETS) == len(vocabulary._TARGETS)
    assert len(vocabulary._KW_INTERVAL) == len(vocabulary._INTERVAL)
    assert len(vocabulary._KW_PSEUDO) == len(vocabulary._PSEUDO)
    assert len(vocabulary._KW_MODIFIERS) == len(vocabulary._MODIFIERS)


@pytest.mark.parametrize("text", ["", " ", "\n\n", ".", "No.", "T1", "L", "5 mm", "%", "é" * 50])
def test_degenerate_text(text: str) -> None:
    e = extract(text)
    assert e.image_class is ImagingClass.NEGATIVE


_VOCAB = st.sampled_from(
    [
        "no",
        "not",
        "seen",
        "without",
        "mild",
        "diffuse",
        "heterogeneous",
        "marrow",
        "signal",
        "lesion",
        "lesions",
        "focal",
        "two",
        "multiple",
        "7",
        "mm",
        "1.2",
        "cm",
        "L2",
        "L4-S1",
        "T1",
        "3T",
        "1.5",
        "T",
        "drop",
        "of",
        "12%",
        "%",
        "new",
        "no new",
        "stable",
        "resolved",
        "no longer",
        "cannot",
        "be",
        "excluded",
        "infiltrative",
        "process",
        ";",
        ",",
        ".",
        "but",
        "\n",
        "IMPRESSION:",
        "enhancing",
        "hypointense",
        "to",
        "muscle",
        "disc",
        "up to",
        "x",
        "each",
        ">",
        "<",
        "-",
        "likely",
        "red",
        "reconversion",
        "sacral ala",
        "iliac",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_VOCAB, max_size=40).map(" ".join))
def test_radiology_word_salad_never_raises_and_spans_hold(text: str) -> None:
    e = extract(text)
    assert e.image_class in ImagingClass
    for f in e.features:
        assert text[f.span.start : f.span.end] == f.span.text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    e = extract(text)
    assert isinstance(e, Extraction)
    for f in e.features:
        assert text[f.span.start : f.span.end] == f.span.text


@pytest.mark.parametrize(
    "text",
    [
        "A 6 mm sclerotic focus at L2, likely a bone island.",
        "A 9 mm T1-hyperintense focus at L3, likely a hemangioma.",
        "Two 8 mm lesions at L2 and L4, probably haemangiomas.",
    ],
)
def test_hedged_benign_attribution_is_at_most_equivocal(text: str) -> None:
    """SPEC.md section 3: a lesion attributed to a benign entity, even hedged, is not a focal
    lesion for U-L; hedged, it is at most FOCAL_EQUIVOCAL (I-FOCAL)."""
    assert extract(text).image_class is ImagingClass.FOCAL_EQUIVOCAL
