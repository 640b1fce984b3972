"""marrow-cds report governance on PostgreSQL (issue 18): the same figures as on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from cds_hooks.audit.governance import collect, write_governance
from cds_hooks.storage.records import make_engine
from tests.support.governance import check_page, fill

pytestmark = pytest.mark.postgres


def test_governance_reads_a_postgres_store(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    try:
        fill(engine)
        g = collect(engine, None)
    finally:
        engine.dispose()
    assert g.issued == {"R4": 18, "R8": 25, "data-quality": 4}
    assert g.outcomes[("R8", "overridden")] == 11
    assert [w.isoformat() for w in g.weeks] == ["2026-11-02", "2026-11-09", "2026-11-16"]
    out = tmp_path / "governance.html"
    write_governance(g, out)
    check_page(out.read_text())
