"""Readings remembered between calls (fhir_mappers.imaging.RememberedReadings and the reader's
whole-text memo): the same report read again gives the same outcome without reading it again;
anything else is read afresh."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_mappers import imaging
from fhir_mappers.imaging import RememberedReadings, read_imaging_reports
from fhir_mappers.limits import WorkStopped
from fhir_mappers.report_reader import reader
from logic.model import ImagingClass
from tests.mappers.test_imaging import mri

NORMAL = "FINDINGS: Normal marrow signal. Mild disc bulge at L4-5.\nIMPRESSION: No acute finding."


class _Counted:
    """A spy on `imaging._read_report`: how many reports were really read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self._real = imaging._read_report
        monkeypatch.setattr(imaging, "_read_report", self)

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        return self._real(*args)


def test_the_same_report_again_is_not_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Counted(monkeypatch)
    first = read_imaging_reports([mri()])
    second = read_imaging_reports([mri()])
    assert spy.calls == 1
    assert second == first
    assert first[0][0].image_class is ImagingClass.DIFFUSE


def test_a_changed_report_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Counted(monkeypatch)
    (diffuse,), _, _ = read_imaging_reports([mri()])
    (amended,), _, _ = read_imaging_reports([mri(text=NORMAL, status="amended")])
    assert spy.calls == 2
    assert diffuse.image_class is ImagingClass.DIFFUSE
    assert amended.image_class is ImagingClass.NEGATIVE
    assert amended.status == "amended"


def test_the_least_recently_used_outcome_is_dropped_at_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memo = RememberedReadings(limit=2)
    monkeypatch.setattr(imaging, "REMEMBERED_READINGS", memo)
    spy = _Counted(monkeypatch)
    read_imaging_reports([mri("a")])
    read_imaging_reports([mri("b")])
    read_imaging_reports([mri("a")])  # remembered: "a" is now the most recently used
    read_imaging_reports([mri("c")])  # "b" is dropped
    assert len(memo) == 2
    assert spy.calls == 3
    read_imaging_reports([mri("a")])
    assert spy.calls == 3
    read_imaging_reports([mri("b")])
    assert spy.calls == 4


def test_a_report_over_the_size_limit_is_read_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    memo = RememberedReadings(max_bytes=500)
    monkeypatch.setattr(imaging, "REMEMBERED_READINGS", memo)
    spy = _Counted(monkeypatch)
    read_imaging_reports([mri()])
    read_imaging_reports([mri()])
    assert spy.calls == 2
    assert len(memo) == 0


def test_a_stopped_reading_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped(*_args: object, **_kwargs: object) -> None:
        raise WorkStopped

    monkeypatch.setattr(reader, "_extract", stopped)
    with pytest.raises(WorkStopped):
        read_imaging_reports([mri()])
    monkeypatch.undo()
    (report,), _, _ = read_imaging_reports([mri()])
    assert report.image_class is ImagingClass.DIFFUSE


def test_a_reader_fault_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("a fault")

    monkeypatch.setattr(reader, "_extract", broken)
    _, _, problems = read_imaging_reports([mri()])
    assert any("could not be analysed" in p.message for p in problems)
    monkeypatch.undo()
    (report,), _, problems = read_imaging_reports([mri()])
    assert report.image_class is ImagingClass.DIFFUSE
    assert not any("could not be analysed" in p.message for p in problems)


def test_the_reader_remembers_a_text_but_not_across_the_prefilter_switch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[bool | None] = []
    real = reader._extract

    def counted(*args: Any, **kwargs: Any) -> reader.Extraction:
        calls.append(kwargs.get("prefilter"))
        return real(*args, **kwargs)

    monkeypatch.setattr(reader, "_extract", counted)
    text = "Patchy heterogeneous marrow signal at L3."
    first = reader.extract(text)
    assert reader.extract(text) == first
    assert calls == [True]
    monkeypatch.setattr(reader, "_USE_PREFILTER", False)
    assert reader.extract(text) == first  # read again, without the prefilter, to the same end
    assert calls == [True, False]


def test_a_text_over_the_reader_memo_limit_is_read_each_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    real = reader._extract

    def counted(*args: Any, **kwargs: Any) -> reader.Extraction:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(reader, "_extract", counted)
    text = "Normal marrow signal. " * (reader.READING_MEMO_MAX_CHARS // 20)
    reader.extract(text)
    reader.extract(text)
    assert len(calls) == 2
