"""Chemical-shift signal drop: with one drop per level, the lowest decides (SPEC.md section 3)."""

from __future__ import annotations

from factories import feature, mri

from logic.imaging import chemical_shift_drop
from logic.model import FeatureKind, ImagingClass


def test_lowest_of_several_measured_drops_decides() -> None:
    report = mri(
        ImagingClass.DIFFUSE,
        features=(
            feature(FeatureKind.CHEMICAL_SHIFT_DROP, "signal drop of 40% at L2", value=40.0),
            feature(FeatureKind.CHEMICAL_SHIFT_DROP, "signal drop of 12% at L4", value=12.0),
        ),
        field_strength_t=1.5,
    )
    drop = chemical_shift_drop(report)
    assert drop is not None and drop[0] == 12.0


def test_negated_drop_is_not_a_measurement() -> None:
    report = mri(
        ImagingClass.DIFFUSE,
        features=(
            feature(FeatureKind.CHEMICAL_SHIFT_DROP, "drop of 10%", value=10.0, negated=True),
            feature(FeatureKind.CHEMICAL_SHIFT_DROP, "signal drop of 35%", value=35.0),
        ),
    )
    drop = chemical_shift_drop(report)
    assert drop is not None and drop[0] == 35.0
