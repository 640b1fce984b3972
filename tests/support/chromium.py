"""One way to start the browser for every page test: Debian's Chromium driven by playwright with
its executable path (no browser download). A test that cannot start it skips and says why.

    from tests.support.chromium import chromium_browser

    @pytest.fixture(scope="module")
    def browser() -> Iterator[Any]:
        yield from chromium_browser()
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Headless, and none of the background calls a closed network refuses (machine notes).
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("MARROW_CDS_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


def chromium_browser() -> Iterator[Any]:
    """A started Chromium (playwright `Browser`), closed afterwards; skips when it cannot start."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium not found at /usr/bin/chromium (make test-servers installs it)")
    try:
        manager = sync_api.sync_playwright().start()
    except Exception as exc:  # noqa: BLE001 - whatever stops playwright starting is a skip with its reason
        pytest.skip(f"playwright could not start: {type(exc).__name__}: {exc}")
    try:
        try:
            instance = manager.chromium.launch(
                executable_path=executable, args=LAUNCH_ARGS, timeout=30_000
            )
        except Exception as exc:  # noqa: BLE001 - whatever stops Chromium starting is a skip with its reason
            pytest.skip(f"Chromium at {executable} could not start: {type(exc).__name__}: {exc}")
        yield instance
        instance.close()
    finally:
        manager.stop()
