"""Score the report reader on the hospital corpus (issue 9 "Proof"): prints figures only.

    .venv/bin/python tests/corpus/hospital/score.py                 # the dev split
    .venv/bin/python tests/corpus/hospital/score.py --split heldout # once, by the lead, at the end
    .venv/bin/python tests/corpus/hospital/score.py --split all

The corpus: set_*.jsonl beside this file, one JSON object a line (id, split "dev" | "heldout",
style, kind, text, label {class, worrisome, uncertain}, rationale), and annotations_*.jsonl from
a second annotator (id with class / worrisome / uncertain, at the top level or under "label").

Every text goes through exactly what ``marrow-cds read-report`` does with a text file
(cds_hooks.cli.read_report): the presentedForm of a final lumbar spine MRI DiagnosticReport, read by
`read_imaging_reports` and evaluated by the real patient-view pipeline
(`cds_hooks.cli.evaluate_offline`) with a SYNTHETIC normal first-line panel dated as_of. "A card" is
a primary card (rule R1-R8); the reader's worrisome flag is `logic.imaging.worrisome_features` (what
H-IMAGING reads).

Printed: per-class precision and recall and the confusion matrix; the false-alarm rate on
NEGATIVE reports (a card raised) and the misses (an abnormal report with no card); worrisome-flag
(and uncertain-flag) agreement with the labels; inter-annotator agreement (class agreement and
Cohen's kappa between the writer's label and the second annotator's, where present); and the
disagreements by id (reader vs label, and writer vs second annotator). No report text is printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cds_hooks.cli import read_report as rr  # noqa: E402
from logic.model import ImagingClass  # noqa: E402

CLASSES: tuple[str, ...] = tuple(c.value for c in ImagingClass)
NEGATIVE = ImagingClass.NEGATIVE.value
# A fixed evaluation time: the figures do not depend on the day the script runs.
AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Label:
    image_class: str
    worrisome: bool | None
    uncertain: bool | None


@dataclass(frozen=True)
class Case:
    id: str
    split: str
    style: str
    kind: str
    text: str
    label: Label
    corpus: str  # the file it came from


@dataclass(frozen=True)
class Result:
    case: Case
    image_class: str
    rule: str | None
    raises_card: bool
    worrisome: bool
    uncertain: bool


# ------------------------------------------------------------------------------ loading


def _label(raw: Mapping[str, Any]) -> Label | None:
    """A label from {"class", "worrisome", "uncertain"} (a missing flag is None)."""
    image_class = raw.get("class")
    if not isinstance(image_class, str) or image_class not in CLASSES:
        return None
    worrisome = raw.get("worrisome")
    uncertain = raw.get("uncertain")
    return Label(
        image_class,
        worrisome if isinstance(worrisome, bool) else None,
        uncertain if isinstance(uncertain, bool) else None,
    )


def _lines(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                print(f"  {path.name}:{number}: not JSON: skipped", file=sys.stderr)
                continue
            if isinstance(value, dict):
                yield number, value


def load_cases(folder: Path = HERE) -> list[Case]:
    cases: list[Case] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("set_*.jsonl")):
        for number, raw in _lines(path):
            label = _label(raw.get("label") or {})
            cid, text = raw.get("id"), raw.get("text")
            if not isinstance(cid, str) or not isinstance(text, str) or label is None:
                print(
                    f"  {path.name}:{number}: no id, text or valid label: skipped", file=sys.stderr
                )
                continue
            if cid in seen:
                print(f"  {path.name}:{number}: duplicate id {cid}: skipped", file=sys.stderr)
                continue
            seen.add(cid)
            cases.append(
                Case(
                    id=cid,
                    split=str(raw.get("split", "dev")),
                    style=str(raw.get("style", "")),
                    kind=str(raw.get("kind", "")),
                    text=text,
                    label=label,
                    corpus=path.stem,
                )
            )
    return cases


def load_annotations(folder: Path = HERE) -> dict[str, Label]:
    """The second annotator's labels by id (the first file naming an id wins)."""
    found: dict[str, Label] = {}
    for path in sorted(folder.glob("annotations_*.jsonl")):
        for _, raw in _lines(path):
            cid = raw.get("id")
            label = _label(raw.get("label") if isinstance(raw.get("label"), dict) else raw)
            if isinstance(cid, str) and label is not None:
                found.setdefault(cid, label)
    return found


# ------------------------------------------------------------------------------ reading


def read_case(case: Case, as_of: datetime = AS_OF) -> Result:
    """The case through the read-report path: wrapped, read, evaluated with normal labs."""
    resource = rr.wrap_text(case.text, report_id=_fhir_id(case.id), effective=as_of)
    reading = rr.read_one(rr.Source(case.id, resource), as_of)
    return Result(
        case=case,
        image_class=reading.image_class,
        rule=reading.rule_id,
        raises_card=reading.raises_card,
        worrisome=bool(reading.worrisome),
        uncertain=reading.uncertain,
    )


def _fhir_id(cid: str) -> str:
    """A FHIR id ([A-Za-z0-9-.]{1,64}) for the case id."""
    cleaned = "".join(c if c.isalnum() or c in "-." else "-" for c in cid)
    return cleaned[:64] or "case"


# ------------------------------------------------------------------------------ figures


def cohen_kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's kappa of two raters over the same items; None with no items, or when both
    raters used one and the same category throughout (chance agreement 1: undefined)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in set(first) | set(second)) / (n * n)
    if expected >= 1.0:
        return None  # both raters used one and the same category: kappa is undefined
    return (observed - expected) / (1.0 - expected)


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else f"{part}/0 (-)"


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "  -  "


def _kappa(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def print_class_table(results: Sequence[Result]) -> None:
    predicted_classes = list(CLASSES) + sorted({r.image_class for r in results} - set(CLASSES))
    print("per class (label = the writer's label; reader = read-report's class)")
    head = ("class", "labelled", "read", "right", "precision", "recall")
    print("  {:16s} {:>8s} {:>6s} {:>6s} {:>9s} {:>7s}".format(*head))
    for name in CLASSES:
        labelled = sum(r.case.label.image_class == name for r in results)
        read = sum(r.image_class == name for r in results)
        right = sum(r.case.label.image_class == name == r.image_class for r in results)
        print(
            f"  {name:16s} {labelled:8d} {read:6d} {right:6d} "
            f"{_ratio(right, read):>9s} {_ratio(right, labelled):>7s}"
        )
    exact = sum(r.case.label.image_class == r.image_class for r in results)
    print(f"  class right overall: {_pct(exact, len(results))}")
    print("confusion (rows: label, columns: reader)")
    short = {c: c.replace("FOCAL_", "F_")[:11] for c in predicted_classes}
    print("  " + " " * 16 + " ".join(f"{short[c]:>11s}" for c in predicted_classes))
    for name in CLASSES:
        row = Counter(r.image_class for r in results if r.case.label.image_class == name)
        print(f"  {name:16s}" + " ".join(f"{row[c]:11d}" for c in predicted_classes))


def print_cards(results: Sequence[Result]) -> tuple[list[Result], list[Result]]:
    negatives = [r for r in results if r.case.label.image_class == NEGATIVE]
    abnormal = [r for r in results if r.case.label.image_class != NEGATIVE]
    false_alarms = [r for r in negatives if r.raises_card]
    misses = [r for r in abnormal if not r.raises_card]
    critical = [r for r in false_alarms if r.rule == "R2"]
    print("cards (synthetic normal labs)")
    alarm_line = "  false alarms on NEGATIVE reports (a card raised): "
    alarm_line += _pct(len(false_alarms), len(negatives))
    if critical:
        alarm_line += f", {len(critical)} of them critical (R2)"
    print(alarm_line)
    print(
        f"  misses (an abnormal report with no card):          {_pct(len(misses), len(abnormal))}"
    )
    rules = Counter(r.rule or "error" for r in results)
    print("  decisions: " + ", ".join(f"{k} {v}" for k, v in sorted(rules.items())))
    return false_alarms, misses


def print_flag_agreement(results: Sequence[Result], name: str) -> list[Result]:
    """Agreement of the reader's flag with the label's, where the label states it."""
    stated = [r for r in results if getattr(r.case.label, name) is not None]
    both = sum(getattr(r.case.label, name) and getattr(r, name) for r in stated)
    label_only = [r for r in stated if getattr(r.case.label, name) and not getattr(r, name)]
    reader_only = [r for r in stated if not getattr(r.case.label, name) and getattr(r, name)]
    agree = len(stated) - len(label_only) - len(reader_only)
    kappa = cohen_kappa([(bool(getattr(r.case.label, name)), getattr(r, name)) for r in stated])
    print(
        f"  {name:9s} agreement {_pct(agree, len(stated))}, kappa {_kappa(kappa)}; "
        f"both {both}, label only {len(label_only)}, reader only {len(reader_only)}"
    )
    return label_only + reader_only


def print_inter_annotator(cases: Sequence[Case], annotations: Mapping[str, Label]) -> list[str]:
    pairs = [(c, annotations[c.id]) for c in cases if c.id in annotations]
    print(f"inter-annotator (writer's label vs second annotator): {len(pairs)} of {len(cases)} "
          "texts double-annotated")  # fmt: skip
    lines: list[str] = []
    if not pairs:
        return lines
    class_pairs = [(c.label.image_class, a.image_class) for c, a in pairs]
    agree = sum(x == y for x, y in class_pairs)
    print(f"  class     agreement {_pct(agree, len(pairs))}, Cohen's kappa "
          f"{_kappa(cohen_kappa(class_pairs))}")  # fmt: skip
    for flag in ("worrisome", "uncertain"):
        flag_pairs = [
            (getattr(c.label, flag), getattr(a, flag))
            for c, a in pairs
            if getattr(c.label, flag) is not None and getattr(a, flag) is not None
        ]
        flag_agree = sum(x == y for x, y in flag_pairs)
        print(f"  {flag:9s} agreement {_pct(flag_agree, len(flag_pairs))}, Cohen's kappa "
              f"{_kappa(cohen_kappa(flag_pairs))}")  # fmt: skip
    for case, other in pairs:
        differences = []
        if case.label.image_class != other.image_class:
            differences.append(f"class {case.label.image_class} vs {other.image_class}")
        for flag in ("worrisome", "uncertain"):
            mine, theirs = getattr(case.label, flag), getattr(other, flag)
            if mine is not None and theirs is not None and mine != theirs:
                differences.append(f"{flag} {mine} vs {theirs}")
        if differences:
            lines.append(f"  {case.id:14s} ({case.style}): " + "; ".join(differences))
    return lines


def reader_disagreements(results: Sequence[Result]) -> list[str]:
    lines = []
    for r in results:
        label = r.case.label
        differences = []
        if label.image_class != r.image_class:
            differences.append(f"class {label.image_class} -> {r.image_class}")
        if label.image_class == NEGATIVE and r.raises_card:
            differences.append(f"FALSE ALARM (rule {r.rule})")
        if label.image_class != NEGATIVE and not r.raises_card:
            differences.append(f"MISSED (rule {r.rule})")
        if label.worrisome is not None and label.worrisome != r.worrisome:
            differences.append(f"worrisome {label.worrisome} -> {r.worrisome}")
        if label.uncertain is not None and label.uncertain != r.uncertain:
            differences.append(f"uncertain {label.uncertain} -> {r.uncertain}")
        if differences:
            lines.append(f"  {r.case.id:14s} ({r.case.style}): " + "; ".join(differences))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score the reader on the hospital corpus.")
    parser.add_argument("--split", choices=("dev", "heldout", "all"), default="dev")
    parser.add_argument("--folder", type=Path, default=HERE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    cases = load_cases(args.folder)
    chosen = [c for c in cases if args.split == "all" or c.split == args.split]
    annotations = load_annotations(args.folder)
    corpora = Counter(c.corpus for c in chosen)
    sets = ", ".join(f"{k} {v}" for k, v in sorted(corpora.items()))
    print(
        f"hospital corpus, split {args.split}: {len(chosen)} texts ({sets}); as_of {AS_OF.date()}"
    )
    if not chosen:
        print("nothing to score")
        return 1
    labels = Counter(c.label.image_class for c in chosen)
    print("  labels: " + ", ".join(f"{k} {labels[k]}" for k in CLASSES if labels[k]))

    started = time.perf_counter()
    results = [read_case(c) for c in chosen]
    elapsed = time.perf_counter() - started
    print(f"  read and evaluated in {elapsed:.1f} s ({1000 * elapsed / len(results):.1f} ms a "
          "text, whole pipeline)")  # fmt: skip
    print()
    print_class_table(results)
    print()
    print_cards(results)
    print()
    print("flags (reader vs the writer's label)")
    print_flag_agreement(results, "worrisome")
    print_flag_agreement(results, "uncertain")
    print()
    annotator_lines = print_inter_annotator(chosen, annotations)
    print()
    lines = reader_disagreements(results)
    print(f"reader vs label: {len(lines)} texts differ")
    for line in lines:
        print(line)
    print()
    print(f"writer vs second annotator: {len(annotator_lines)} texts differ")
    for line in annotator_lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
