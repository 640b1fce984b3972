"""The audit's ``report.html`` in a real browser (issue 18), with no network.

The same set-up as test_read_report_page.py (Debian's Chromium driven by Playwright, no browser
download; skips with the reason when either is missing). The page of an audit of a synthetic
export is opened from a file: URL with every request recorded: it must draw its four plots (SVG
bars of the right counts, with a size on screen) and the review sample, and request nothing but
itself. A screenshot is left at /tmp/marrow-audit-report.png for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cds_hooks.audit.run import AuditRun, run_audit
from cds_hooks.audit.synthetic import Options, write_export
from tests.support.chromium import chromium_browser

SCREENSHOT = Path("/tmp/marrow-audit-report.png")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium_browser()


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, AuditRun]:
    export = tmp_path_factory.mktemp("export")
    write_export(export, Options(patients=120, seed=5, bad=True))
    out = tmp_path_factory.mktemp("audit")
    return out / "report.html", run_audit(export, out, workers=1, progress=False)


def test_report_page_draws_its_plots_and_sample_with_no_network(
    browser: Any, audit: tuple[Path, AuditRun]
) -> None:
    path, run = audit
    url = path.resolve().as_uri()
    context = browser.new_context(viewport={"width": 1200, "height": 1400})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(url, wait_until="load", timeout=30_000)
        assert page.title() == "Marrow CDS: audit of an export"
        for plot in ("plot-classes", "plot-cards-per-rule", "plot-overdue", "plot-problems"):
            svg = page.locator(f"#{plot} svg")
            assert svg.count() == 1, plot
            box = svg.bounding_box()
            assert box is not None, plot
            assert box["width"] > 300, plot
            assert box["height"] > 20, plot
        # the class plot's bars are the audit's counts, drawn with a width
        for image_class, count in run.aggregate.by_class.items():
            bar = page.locator(f"#plot-classes g.bar[data-label='{image_class}']")
            assert bar.get_attribute("data-count") == str(count)
            rect = bar.locator("rect").bounding_box()
            assert rect is not None
            assert rect["width"] >= 1
        # the review sample: highlighted report texts, per class
        assert page.locator("section.sample").count() >= 5
        assert page.locator("section.sample mark.hl").count() >= 5
        # bad input is listed by file and line
        assert page.locator("#bad-input td", has_text="Observation.ndjson").count() >= 1
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    finally:
        context.close()
    assert errors == []
    assert requests == [url], f"the page made requests beyond itself: {requests}"
