"""tests/corpus/hospital/score.py: its arithmetic and loading, on a small corpus made here (the
real corpus is scored by running the script; its held-out split only once, by the lead)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCORE = Path(__file__).resolve().parents[1] / "corpus" / "hospital" / "score.py"


@pytest.fixture(scope="module")
def score() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hospital_score", SCORE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["hospital_score"] = module
    spec.loader.exec_module(module)
    return module


def test_cohen_kappa(score: ModuleType) -> None:
    assert score.cohen_kappa([]) is None
    assert score.cohen_kappa([("a", "a"), ("b", "b")]) == pytest.approx(1.0)
    # 2x2 table a/a 20, a/b 5, b/a 10, b/b 15: po 0.7, pe 0.5 -> kappa 0.4
    pairs = [("a", "a")] * 20 + [("a", "b")] * 5 + [("b", "a")] * 10 + [("b", "b")] * 15
    assert score.cohen_kappa(pairs) == pytest.approx(0.4)
    # one category used by both raters throughout: chance agreement 1, kappa undefined
    assert score.cohen_kappa([(False, False)] * 4) is None


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def test_scores_a_small_corpus(
    score: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    negative = {"class": "NEGATIVE", "worrisome": False, "uncertain": False}
    diffuse = {"class": "DIFFUSE", "worrisome": True, "uncertain": False}
    _write(
        tmp_path / "set_x.jsonl",
        [
            {"id": "x-1", "split": "dev", "style": "s", "kind": "MRI", "label": negative,
             "text": "FINDINGS:\nNormal marrow signal. No focal lesion.\n"},
            {"id": "x-2", "split": "dev", "style": "s", "kind": "MRI", "label": diffuse,
             "text": "FINDINGS:\nDiffusely heterogeneous marrow signal, T1 signal lower than "
                     "the intervertebral discs.\n"},
            {"id": "x-3", "split": "heldout", "style": "s", "kind": "MRI", "label": negative,
             "text": "FINDINGS:\nNo fracture.\n"},
            {"id": "x-4", "split": "dev", "style": "s", "kind": "MRI", "text": "no label"},
        ],
    )  # fmt: skip
    _write(
        tmp_path / "annotations_y_on_x.jsonl",
        [{"id": "x-1", **negative}, {"id": "x-2", "class": "FOCAL_EQUIVOCAL", "worrisome": True}],
    )
    assert score.main(["--split", "dev", "--folder", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "split dev: 2 texts" in out
    assert "x-3" not in out  # held out: not scored on dev
    assert "no id, text or valid label" in err
    assert "false alarms on NEGATIVE reports (a card raised): 0/1" in out
    assert "misses (an abnormal report with no card):          0/1" in out
    assert "2 of 2 texts double-annotated" in out
    assert "class     agreement 1/2 (50.0%)" in out
    assert "x-2            (s): class DIFFUSE vs FOCAL_EQUIVOCAL" in out
    assert "Normal marrow signal" not in out  # no report text printed
