"""The ``read-report --html`` page in a real browser (issue 9).

Debian's Chromium (/usr/bin/chromium, installed by tests/servers/install.sh) driven by Playwright
with its executable path: no browser is downloaded (never ``playwright install``). The page is
opened from a file: URL; every request the browser makes is recorded, and the only one allowed
is the page itself. Skips with the reason when Playwright or Chromium is missing or cannot start.
A screenshot is left at /tmp/marrow-read-report-page.png for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cds_hooks.cli import read_report as rr
from tests.support.chromium import chromium_browser

AS_OF = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
SCREENSHOT = Path("/tmp/marrow-read-report-page.png")

REPORTS = {
    "01-diffuse.txt": (
        "EXAM: MRI LUMBAR SPINE\nCLINICAL HISTORY: Back pain.\n"
        "FINDINGS:\nDiffusely heterogeneous marrow signal in the lumbar spine, with T1 signal "
        "lower than the intervertebral discs. A 9 mm lesion at L2.\n"
        'IMPRESSION:\nDiffuse marrow signal abnormality. <script>document.title="pwned"</script>\n'
    ),
    "02-normal.txt": "FINDINGS:\nNormal marrow signal. No focal lesion.\nIMPRESSION:\nNormal.\n",
    "03-normal.txt": "FINDINGS:\nNo fracture. No marrow lesion.\nIMPRESSION:\nNo abnormality.\n",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium_browser()


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, rr.Summary]:
    folder = tmp_path_factory.mktemp("reports")
    for name, text in REPORTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    inputs = rr.collect([folder], AS_OF)
    readings = rr.read_all(inputs.sources, AS_OF)
    out = folder.parent / "page.html"
    out.write_text(rr.render_html(readings, inputs, AS_OF), encoding="utf-8")
    return out, rr.summarise(readings)


def test_the_page_renders_with_highlights_and_counts_and_makes_no_request(
    browser: Any, page_file: tuple[Path, rr.Summary]
) -> None:
    path, summary = page_file
    url = path.resolve().as_uri()
    context = browser.new_context(viewport={"width": 1200, "height": 1400})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(url, wait_until="load", timeout=30_000)

        # renders: the title and one section per report
        assert page.title() == "Marrow CDS: how the service reads these reports"
        assert page.locator("section.report").count() == len(REPORTS)

        # a known finding is highlighted: the heterogeneous marrow signal of report 1, as a
        # target, inside the rendered report text (visible, with a background colour)
        first = page.locator("#report-1")
        assert first.get_attribute("data-class") == "DIFFUSE"
        target = first.locator("pre.read-text mark[data-kinds~='marrow-signal']").first
        assert target.is_visible()
        assert "heterogeneous marrow" in target.inner_text()
        colour = target.evaluate("el => getComputedStyle(el).backgroundColor")
        assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
        worrisome = first.locator("pre.read-text mark.cat-worrisome")
        assert worrisome.count() >= 1
        assert first.locator("pre.read-text mark.size").count() >= 1
        # the report's own markup is text, never run
        assert "<script>" in first.locator("pre.read-text").inner_text()
        # negated findings of a normal report are marked as such
        assert page.locator("#report-2 mark.mod-negated").count() >= 1

        # the summary table's counts are the summary's
        for name, count in summary.per_class.items():
            row = page.locator(f"#summary-table tr[data-class='{name}']")
            assert row.locator("td.count").inner_text() == str(count)
            raising = summary.raising_per_class[name]
            assert row.locator("td.raising").inner_text() == str(raising)
        total = page.locator("#summary-total")
        assert total.locator("td.count").inner_text() == str(len(REPORTS))
        assert total.locator("td.raising").inner_text().startswith(f"{summary.raising} (")
        assert summary.per_class == {"NEGATIVE": 2, "DIFFUSE": 1}
        assert page.locator("section.report[data-raises-card='yes']").count() == summary.raising

        page.screenshot(path=str(SCREENSHOT), full_page=True)
    finally:
        context.close()

    assert errors == []
    assert requests == [url], f"the page made requests beyond itself: {requests}"
    assert SCREENSHOT.stat().st_size > 10_000
