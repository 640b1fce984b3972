"""The first hour of a new user (issue 10): precise messages, --help and --version, no shared
gunicorn control socket, example requests that work today and feedback on a real card."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from cds_hooks.cli import main as cli
from cds_hooks.cli.evaluate_offline import evaluate
from cds_hooks.cli.examples import EXAMPLE_DAY, feedback_for, patient_view_today
from cds_hooks.cli.gunicorn_config import gunicorn_settings
from tests.support.service import EXAMPLE, SERVICE_URL, post_hook


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MARROW_CDS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("MARROW_CDS_PATIENT_HASH_KEY", "cli-test-hash-key-0123456789")
    monkeypatch.setenv("MARROW_CDS_REQUIRE_JWT", "0")


NOT_A_HOOK: list[Any] = [
    {"resourceType": "Bundle", "type": "searchset"},
    {"hook": 7, "hookInstance": "x", "context": {}},
]


@pytest.mark.parametrize("body", NOT_A_HOOK)
def test_evaluate_says_what_the_http_path_says_for_json_that_is_not_a_hook_request(
    client: FlaskClient, body: Any
) -> None:
    offline = evaluate(body, datetime(2026, 11, 23, tzinfo=UTC))
    response = post_hook(client, body)
    assert offline.status == response.status_code == 400
    said = offline.response["issue"][0]["diagnostics"]
    assert said == response.get_json()["issue"][0]["diagnostics"]
    assert "hook None" not in said
    assert "hook" in said


def test_evaluate_names_the_hooks_it_answers_for_an_unknown_hook() -> None:
    body = json.loads(EXAMPLE.read_text())
    body["hook"] = "encounter-start"
    said = evaluate(body, datetime(2026, 11, 23, tzinfo=UTC)).response["issue"][0]["diagnostics"]
    assert "'encounter-start'" in said
    assert "patient-view" in said
    assert "order-sign" in said


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("marrow-cds ")
    assert "rule set 2026.1" in out


def test_help_states_defaults_and_the_settings_they_depend_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: 127.0.0.1)" in out
    assert "(default: 8080)" in out
    assert "(default: 16)" in out
    assert "MARROW_CDS_DATABASE_URL" in out
    assert "PORT" in out
    with pytest.raises(SystemExit):
        cli.main(["evaluate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: json)" in out
    assert "MARROW_CDS_PUBLIC_BASE_URL" in out


def test_serve_port_defaults_to_the_port_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT", "9123")
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    assert "(default: 9123)" in capsys.readouterr().out


def test_no_gunicorn_control_socket_shared_between_instances() -> None:
    settings = gunicorn_settings("127.0.0.1", 8080, 2, 16)  # serve's, and so the container's
    assert settings["control_socket_disable"] is True
    assert settings["bind"] == "127.0.0.1:8080"


def test_the_example_dated_relative_to_today_gives_the_same_card_today() -> None:
    today = date(2027, 6, 1)
    body = patient_view_today(today)
    as_of = datetime(2027, 6, 1, 23, 59, tzinfo=UTC)
    moved = evaluate(body, as_of)
    original = evaluate(json.loads(EXAMPLE.read_text()), datetime(2026, 11, 23, 23, 59, tzinfo=UTC))
    assert moved.rule_id == original.rule_id == "R4"
    assert [c["summary"] for c in moved.response["cards"]] == [
        c["summary"] for c in original.response["cards"]
    ]
    text = json.dumps(body)
    assert "2026-11-02" not in text  # the haemoglobin's date moved ...
    shift = today - EXAMPLE_DAY
    assert (date(2026, 11, 2) + shift).isoformat() in text
    birth = [v for v in _values(body, "birthDate")]
    assert birth
    assert birth == list(_values(json.loads(EXAMPLE.read_text()), "birthDate"))


def _values(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                yield v
            yield from _values(v, key)
    elif isinstance(value, list):
        for v in value:
            yield from _values(v, key)


def test_feedback_example_on_a_real_card_is_accepted(
    client: FlaskClient, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = patient_view_today(datetime.now(UTC).date())
    answer = post_hook(client, body)
    assert answer.status_code == 200
    saved = tmp_path / "answer.json"
    saved.write_text(answer.get_data(as_text=True), encoding="utf-8")
    assert cli.main(["example", "feedback", str(saved)]) == 0
    feedback = json.loads(capsys.readouterr().out)
    assert feedback["feedback"][0]["card"] == answer.get_json()["cards"][0]["uuid"]
    response = client.post(
        f"{SERVICE_URL}/feedback", data=json.dumps(feedback), content_type="application/json"
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_feedback_example_says_why_it_cannot_use_an_answer() -> None:
    with pytest.raises(Exception, match="no cards"):
        feedback_for({"cards": []}, 1, datetime.now(UTC))
