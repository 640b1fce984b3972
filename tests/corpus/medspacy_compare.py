"""Measure medspaCy ConText against the project's rule engine on the same corpus.

Not part of the test suite (medspaCy is not a project dependency). Run it from a throwaway venv:

    python3 -m venv /tmp/medspacy-venv && /tmp/medspacy-venv/bin/pip install medspacy==1.3.1
    cd /work/main && /tmp/medspacy-venv/bin/python tests/corpus/medspacy_compare.py

Fair comparison: both engines get the same Findings + Impression text (the project's section
splitter), the same target vocabulary (the project's target regular expressions, passed to
medspaCy's TargetMatcher as regex TargetRules, span-group output so that targets may overlap), and
the same downstream code for sizes, levels, lesion merging and class. What differs is the part
ConText decides: sentence splitting (PyRuSH vs regex), negation / uncertainty / historical
triggers and their scope (medspaCy's default ConText rules vs ours). Fields whose code is shared
(hedge words, interval, field strength, drop) are not compared.
"""

from __future__ import annotations

import importlib
import resource
import sys
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# Import fhir_mappers.* and logic.model without the packages' __init__ (which pull in Flask-side
# dependencies this venv does not have): register bare packages pointing at the folders.
for _name in ("fhir_mappers", "logic"):
    _pkg = types.ModuleType(_name)
    _pkg.__path__ = [str(ROOT / _name)]
    sys.modules[_name] = _pkg
_tests = types.ModuleType("tests")
_tests.__path__ = [str(ROOT / "tests")]
sys.modules["tests"] = _tests

ctx = importlib.import_module("fhir_mappers.context")
accuracy = importlib.import_module("tests.corpus.accuracy")
reading = importlib.import_module("tests.corpus.reading")
reports = importlib.import_module("tests.corpus.reports")
heldout = importlib.import_module("tests.corpus.heldout")
imaging = importlib.import_module("fhir_mappers.imaging")

COMPARED = ("cls", "count", "sizes", "levels", "worrisome", "benign", "negated")


def build_nlp() -> Any:
    import medspacy
    from medspacy.context import ConText
    from medspacy.ner import TargetRule

    nlp = medspacy.load(medspacy_enable=["medspacy_pyrush"])
    matcher = nlp.add_pipe(
        "medspacy_target_matcher", config={"result_type": "group", "prune": False}
    )
    rules = []
    for i, (kind, pattern, subtype) in enumerate(ctx._TARGETS):
        rules.append(
            TargetRule(f"t{i}", f"{kind.value}|{subtype}", pattern=f"(?i){pattern.pattern}")
        )
    rules.append(
        TargetRule("normal", "marrow-signal|normal", pattern=f"(?i){ctx._NORMAL_MARROW.pattern}")
    )
    for i, (kind, interval, pattern) in enumerate(ctx._INTERVAL):
        rules.append(
            TargetRule(
                f"i{i}", f"{kind.value}|interval:{interval.value}", pattern=f"(?i){pattern.pattern}"
            )
        )
    matcher.add(rules)
    nlp.add_pipe("medspacy_context", config={"input_span_type": "group", "rules": "default"})
    _ = ConText  # the default rule set ships with medspaCy
    return nlp


def medspacy_read(nlp: Any, case: Any) -> dict[str, Any]:
    (report,), _, _ = imaging.read_imaging_reports([reading.as_report(case)])
    text = report.text
    doc = nlp(text)
    hits: list[Any] = []
    for span in doc.spans.get("medspacy_spans", []):
        kind_value, _, subtype = span.label_.partition("|")
        interval = None
        if subtype.startswith("interval:"):
            interval = ctx.IntervalChange(subtype.split(":", 1)[1])
            subtype = ""
        try:
            kind: Any = ctx.FeatureKind(kind_value)
        except ValueError:
            kind = ctx._Kind(kind_value)
        sent = (span.sent.start_char, span.sent.end_char)
        hit = ctx._Hit(kind, span.start_char, span.end_char, sent, subtype, interval=interval)
        stops = ctx._terminators(text[sent[0] : sent[1]], sent[0])
        if (
            interval is None
            and subtype != "normal"
            and not ctx._keep_target(hit, text, sent, stops)
        ):
            continue
        hit.negated = bool(span._.is_negated) or subtype == "normal"
        hit.hedged = hit.possible = bool(span._.is_uncertain)
        hit.historical = bool(span._.is_historical)
        hits.append(hit)
    hits = ctx._dedupe(hits)
    for sentence in {h.sentence for h in hits}:
        ctx._add_multilevel(text, sentence, hits)
    mentions = ctx._lesion_mentions(text, hits)
    lesions = ctx._summarise_lesions(mentions)
    image_class, _ = ctx.classify(hits, lesions)
    levels: set[str] = set(lesions.levels)
    for h in hits:
        if h.kind in {ctx.FeatureKind.MARROW_SIGNAL, ctx.FeatureKind.DIFFUSE_PATTERN} and not (
            h.negated or h.historical or h.subtype == "normal"
        ):
            stops = ctx._terminators(text[h.sentence[0] : h.sentence[1]], h.sentence[0])
            c0, c1 = ctx._clause_of(h.start, h.sentence, stops)
            for _, lv in ctx._levels_in(text, c0, c1):
                levels.update(lv)
            for _, site in ctx._sites_in(text, c0, c1):
                levels.add(site)
    features = tuple(ctx._feature(text, h) for h in hits if isinstance(h.kind, ctx.FeatureKind))
    extraction = ctx.Extraction(
        image_class=image_class,
        features=features,
        field_strength_t=report.field_strength_t,
        signal_drop_pct=report.signal_drop_pct,
    )
    return {
        "cls": image_class.value,
        "count": lesions.count if mentions else None,
        "sizes": tuple(sorted(lesions.sizes_mm)),
        "levels": ctx._order_levels(levels),
        "worrisome": tuple(sorted(k.value for k in extraction.worrisome)),
        "benign": tuple(sorted(k.value for k in extraction.benign)),
        "negated": tuple(sorted(k.value for k in extraction.negated)),
    }


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    rss0 = rss_mb()
    t0 = time.perf_counter()
    import medspacy  # noqa: F401
    from loguru import logger

    logger.remove()  # PyRuSH logs every sentence at DEBUG: that would dominate the timing

    t1 = time.perf_counter()
    nlp = build_nlp()
    t2 = time.perf_counter()
    print(
        f"medspaCy import {t1 - t0:.2f} s; pipeline build {t2 - t1:.2f} s; "
        f"max RSS {rss0:.0f} -> {rss_mb():.0f} MB"
    )
    for title, cases in (("tuning corpus", reports.CASES), ("held-out", heldout.HELDOUT)):
        for name, reader in (
            ("rule engine", reading.read),
            ("medspaCy ConText", lambda c: medspacy_read(nlp, c)),
        ):
            right, exact, wrong = accuracy.score(cases, reader, COMPARED)
            for line in wrong:
                print("   ", line)
            accuracy.report(f"{name} / {title}", cases, right, exact)
    texts = [
        reading.read.__globals__["read_imaging_reports"]([reading.as_report(c)])[0][0].text
        for c in reports.CASES
    ]
    for name, fn in (("rule engine extract()", ctx.extract), ("medspaCy nlp()", nlp)):
        fn(texts[0])
        t = time.perf_counter()
        for _ in range(5):
            for text in texts:
                fn(text)
        per = (time.perf_counter() - t) / (5 * len(texts)) * 1000
        print(f"{name}: {per:.3f} ms per report (mean over {5 * len(texts)})")
    print(f"max RSS at end {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
