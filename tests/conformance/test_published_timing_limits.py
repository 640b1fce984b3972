"""CDS-HOOKS.md "Published timing": what the service's limits promise against it (issue 16).

Speed itself is measured by the benchmarks (benchmarks/load/run_load.py, request_handling.py);
these tests check the promises a configuration makes, never how fast something ran.

- Da Vinci CRD: respond within 5 s: the default total budget of a hook call is below that, and
  longer than the fallback fetch's (the fetch is part of the call and leaves time for the rest).
- EHR windows of 500 ms to 2 s: an overloaded service must say so at once rather than queue; the
  default wait for an evaluation slot is a fraction of the shortest window, and a refusal carries
  Retry-After so that the EHR knows when to come back.
"""

from __future__ import annotations

from pathlib import Path

from cds_hooks.errors import DeadlineExceeded, Overloaded
from cds_hooks.settings import Settings

CRD_RESPONSE_S = 5.0
SHORTEST_EHR_WINDOW_S = 0.5


def _defaults(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {"MARROW_CDS_PATIENT_HASH_KEY": "k" * 32, "MARROW_CDS_REQUIRE_JWT": "0"},
        instance_path=tmp_path,
    )


def test_the_default_call_budget_fits_the_crd_window_and_holds_the_fetch(tmp_path: Path) -> None:
    settings = _defaults(tmp_path)
    assert settings.fetch_budget_s < settings.hook_deadline_s < CRD_RESPONSE_S


def test_overload_is_answered_within_the_shortest_ehr_window(tmp_path: Path) -> None:
    settings = _defaults(tmp_path)
    assert settings.slot_wait_s < SHORTEST_EHR_WINDOW_S
    assert settings.evaluation_slots >= 1


def test_both_bounded_work_answers_are_503_outcomes_with_retry_after() -> None:
    for error in (Overloaded(), DeadlineExceeded(3.0, "mapping the record")):
        assert error.status == 503
        assert int(error.headers()["Retry-After"]) >= 1
    assert Overloaded().code == "throttled"
    assert DeadlineExceeded(3.0, "mapping the record").code == "timeout"
