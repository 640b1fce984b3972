"""Chemical-shift signal drop: with one drop per level, the lowest decides (SPEC.md section 3)."""

from __future__ import annotations

import pytest

from logic.imaging import (
    chemical_shift_drop,
    chemical_shift_threshold,
    chemical_shift_threshold_at,
)
from logic.model import FeatureKind, ImagingClass
from tests.unit_logic.factories import feature, mri


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
    assert drop is not None
    assert drop[0] == 12.0


def test_negated_drop_is_not_a_measurement() -> None:
    report = mri(
        ImagingClass.DIFFUSE,
        features=(
            feature(FeatureKind.CHEMICAL_SHIFT_DROP, "drop of 10%", value=10.0, negated=True),
            feature(FeatureKind.CHEMICAL_SHIFT_DROP, "signal drop of 35%", value=35.0),
        ),
    )
    drop = chemical_shift_drop(report)
    assert drop is not None
    assert drop[0] == 35.0


@pytest.mark.parametrize(
    ("tesla", "threshold"),
    [
        pytest.param(1.0, 20.0, id="1.0T"),
        pytest.param(1.5, 20.0, id="1.5T"),
        pytest.param(2.0, 20.0, id="2.0T_below_the_switch"),
        pytest.param(2.99, 20.0, id="just_below_3T"),
        pytest.param(3.0, 25.0, id="3T_at_the_switch"),
        pytest.param(7.0, 25.0, id="7T"),
        pytest.param(None, 25.0, id="unknown_field_stricter"),
    ],
)
def test_chemical_shift_threshold_switches_to_the_3t_value_at_3_tesla(
    tesla: float | None, threshold: float
) -> None:
    """SPEC.md section 3: below 20 % at 1.5 T, below 25 % at 3 T. One switch, at 3.0 T
    (`thresholds.CHEMICAL_SHIFT_3T_FROM_TESLA`), for the rules and the report reader alike."""
    assert chemical_shift_threshold_at(tesla) == threshold
    report = mri(ImagingClass.DIFFUSE, field_strength_t=tesla)
    assert chemical_shift_threshold(report) == threshold
