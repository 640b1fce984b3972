"""marrow-cds report governance on a SQLite feedback store (issue 18)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from cds_hooks.audit.governance import collect
from cds_hooks.cli.main import main
from cds_hooks.storage.records import make_engine
from tests.support.governance import REASON, check_page, fill


def test_per_rule_counts_reasons_and_weekly_trends(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    engine = make_engine(url)
    fill(engine)
    g = collect(engine, None)
    engine.dispose()
    assert g.issued == {"R4": 18, "R8": 25, "data-quality": 4}
    assert g.outcomes[("R4", "accepted")] == 9
    assert g.outcomes[("R4", "overridden")] == 6
    assert g.outcomes[("R8", "overridden")] == 11
    assert g.outcomes[("unknown", "overridden")] == 1
    assert g.reasons[("R8", f"{REASON}|patient-declined")] == 10
    assert g.reasons[("unknown", "(no reason given)")] == 1
    assert g.override_rate("R8") == 11 / 25
    assert [w.isoformat() for w in g.weeks] == ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert g.rules == ["R4", "R8", "data-quality", "unknown"]

    out = tmp_path / "governance.html"
    assert main(["report", "governance", "--out", str(out), "--database-url", url]) == 0
    html = out.read_text()
    check_page(html)
    assert "patient-declined" in html
    rows = list(csv.reader((tmp_path / "governance.csv").read_text().splitlines()))
    assert rows[0] == ["section", "rule", "key", "count"]
    assert ["per rule", "R8", "overridden", "11"] in rows
    assert ["week issued", "R8", "2026-11-16", "5"] in rows
    assert ["override reason", "R4", f"{REASON}|not-indicated", "3"] in rows


def test_since_counts_only_later_cards_and_feedback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    engine = make_engine(url)
    fill(engine)
    g = collect(engine, datetime(2026, 11, 9, tzinfo=UTC))
    engine.dispose()
    assert g.issued == {"R4": 8, "R8": 5, "data-quality": 4}
    assert g.outcomes[("R8", "overridden")] == 1
    assert ("unknown", "overridden") not in g.outcomes  # before --since


def test_an_unreachable_store_is_said_not_a_traceback(tmp_path: Path, capsys) -> None:
    out = tmp_path / "g.html"
    code = main(
        [
            "report",
            "governance",
            "--out",
            str(out),
            "--database-url",
            f"sqlite:///{tmp_path}/none/x.db",
        ]
    )
    assert code == 2
    assert "cannot read the store" in capsys.readouterr().err
    assert not out.exists()
