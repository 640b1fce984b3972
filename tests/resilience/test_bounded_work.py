"""Bounded work (issue 16): a deadline per hook call, and overload answered fast.

Structural promises only, never timed assertions of speed:

- the deadline answer is a 503 OperationOutcome (issue code ``timeout``, ``Retry-After``) and a
  log line with the hookInstance, whatever stage the budget runs out in (hypothesis: a clock that
  runs out after any number of readings);
- the work stops: a mapper that honours ``stop`` returns before the answer, no thread is left
  behind, and the evaluation slot is free again (the next call is served);
- the fallback fetch never gets more than what remains of the call;
- all slots busy: a quick 503 ``throttled`` with ``Retry-After``, probes and documentation still
  answer, and everything is free again afterwards.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fhir_mappers
from cds_hooks import hooks
from cds_hooks.admission import EvaluationSlots, is_limited
from cds_hooks.deadline import FETCH_RESERVE_S, Deadline
from cds_hooks.errors import DeadlineExceeded
from cds_hooks.settings import Settings, SettingsError
from tests.support.app import captured_logs, jwt_app
from tests.support.hooks import SERVICE_PATH, patient_view

OUTER_TIMEOUT_S = 60  # loose bound: a call finished at all (not a speed target)


class CountingClock:
    """A clock that advances one unit each time it is read: the deadline runs out after a
    chosen number of readings, i.e. at any checkpoint of the work."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            self.now += 1.0
            return self.now


# ------------------------------------------------------------------------------ Deadline


def test_deadline_counts_down_and_names_the_stage_it_stopped_in() -> None:
    clock = iter([0.0, 1.0, 2.0, 5.0, 5.0, 5.0]).__next__
    deadline = Deadline(3.0, clock=clock)  # expires at 3.0
    assert deadline.remaining() == 2.0
    deadline.check("mapping the record")  # 2.0 < 3.0: goes on
    with pytest.raises(DeadlineExceeded) as raised:
        deadline.check("applying the rules")  # 5.0
    assert raised.value.status == 503
    assert raised.value.code == "timeout"
    assert "Retry-After" in raised.value.headers()
    assert "applying the rules" in raised.value.diagnostics
    assert deadline.stop() is True
    assert deadline.remaining() == 0.0


def test_time_already_spent_counts() -> None:
    deadline = Deadline(1.0, elapsed=0.75, clock=lambda: 10.0)
    assert deadline.remaining() == pytest.approx(0.25)


@given(
    budget=st.floats(0.01, 60),
    elapsed=st.floats(0, 60),
    later=st.floats(0, 60),
    limit=st.floats(0.01, 60),
)
def test_the_fetch_never_gets_more_than_what_remains(budget, elapsed, later, limit) -> None:
    readings = itertools.chain([100.0], itertools.repeat(100.0 + later))
    deadline = Deadline(budget, elapsed=elapsed, clock=readings.__next__)
    granted = deadline.fetch_budget(limit)
    assert 0.0 <= granted <= limit
    assert granted <= deadline.remaining()
    if granted > 0:  # something is always left for mapping, rules and cards
        assert deadline.remaining() - granted >= min(FETCH_RESERVE_S, budget / 4) - 1e-9


# ------------------------------------------------------------------------------ settings


def test_deadline_and_slot_settings(tmp_path) -> None:
    base = {"MARROW_CDS_REQUIRE_JWT": "0", "MARROW_CDS_PATIENT_HASH_KEY": "k" * 32}
    defaults = Settings.from_env(base, instance_path=tmp_path)
    assert defaults.hook_deadline_s == 3.0
    assert defaults.hook_deadline_s > defaults.fetch_budget_s
    assert defaults.evaluation_slots >= 1
    assert defaults.slot_wait_s >= 0
    slow_ehr = Settings.from_env(
        {**base, "MARROW_CDS_FETCH_BUDGET_SECONDS": "10"}, instance_path=tmp_path
    )
    assert slow_ehr.hook_deadline_s == 11.0  # the default leaves the fetch its budget
    configured = Settings.from_env(
        {
            **base,
            "MARROW_CDS_HOOK_DEADLINE_SECONDS": "1.5",
            "MARROW_CDS_EVALUATION_SLOTS": "3",
            "MARROW_CDS_SLOT_WAIT_SECONDS": "0",
        },
        instance_path=tmp_path,
    )
    assert (configured.hook_deadline_s, configured.evaluation_slots) == (1.5, 3)
    assert configured.slot_wait_s == 0.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HOOK_DEADLINE_SECONDS", "0"),
        ("HOOK_DEADLINE_SECONDS", "-1"),
        ("HOOK_DEADLINE_SECONDS", "nan"),
        ("HOOK_DEADLINE_SECONDS", "inf"),
        ("HOOK_DEADLINE_SECONDS", "soon"),
        ("EVALUATION_SLOTS", "0"),
        ("EVALUATION_SLOTS", "2.5"),
        ("SLOT_WAIT_SECONDS", "-0.1"),
        ("SLOT_WAIT_SECONDS", "nan"),
    ],
)
def test_bad_limits_stop_start_up(tmp_path, name, value) -> None:
    env = {"MARROW_CDS_REQUIRE_JWT": "0", "MARROW_CDS_PATIENT_HASH_KEY": "k" * 32}
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({**env, f"MARROW_CDS_{name}": value}, instance_path=tmp_path)


# ------------------------------------------------------------------------------ slots


def test_slots_are_limited_to_work_never_to_probes_or_documentation() -> None:
    assert is_limited("/cds-services/heterogeneous-marrow", "POST")
    assert is_limited("/cds-services/heterogeneous-marrow/feedback", "POST")
    assert is_limited("/cds-services", "GET")
    for path in ("/healthz", "/readyz", "/healthz/db", "/openapi.json", "/rules"):
        assert not is_limited(path, "GET")
    assert not is_limited("/cds-services/heterogeneous-marrow", "OPTIONS")


@given(st.lists(st.booleans(), max_size=60), st.integers(1, 4))
def test_slots_never_exceed_their_number_and_all_come_back(operations, number) -> None:
    slots = EvaluationSlots(number, wait_s=0)
    held = 0
    for take in operations:
        if take:
            if slots.acquire():
                held += 1
            else:
                assert held == number  # refused only when all are busy
        elif held:
            slots.release()
            held -= 1
        assert slots.in_use == held <= number
    for _ in range(held):
        slots.release()
    assert slots.in_use == 0
    assert all(slots.acquire() for _ in range(number))


def test_waiters_are_bounded_so_other_threads_refuse_at_once() -> None:
    slots = EvaluationSlots(1, wait_s=30, max_waiting=1)
    assert slots.acquire()
    waiter_result: list[bool] = []
    waiter = threading.Thread(target=lambda: waiter_result.append(slots.acquire()))
    waiter.start()
    while slots._waiting == 0:  # the one allowed waiter is waiting
        threading.Event().wait(0.01)
    assert slots.acquire() is False  # no second waiter: refused without waiting 30 s
    assert slots.refused == 1
    slots.release()  # the waiter gets the slot
    waiter.join(OUTER_TIMEOUT_S)
    assert waiter_result == [True]
    slots.release()
    assert slots.in_use == 0


# ------------------------------------------------------------------------------ deadline via HTTP


@pytest.fixture
def app(tmp_path, monkeypatch):
    return jwt_app(tmp_path, monkeypatch, REQUIRE_JWT="0")


def _outcome(response) -> dict[str, Any]:
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"]
    assert body["issue"][0]["severity"] == "error"
    return body


def _post(app, body: dict[str, Any]):
    """POST from another thread; fail if it never finishes (a hung worker)."""
    result: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: result.update(response=app.test_client().post(SERVICE_PATH, json=body)),
        daemon=True,
    )
    thread.start()
    thread.join(OUTER_TIMEOUT_S)
    assert not thread.is_alive(), "the hook call never finished"
    return result["response"]


def _stubborn_mapper(monkeypatch, calls: list[str]) -> None:
    """A mapper that would read forever, except that it honours ``stop`` like the real one."""

    def read_forever(
        documents: Any, patient_id: str, *, gaps: Any = (), stop=None, selection: Any = None
    ):
        calls.append("started")
        while not stop():
            threading.Event().wait(0.005)
        calls.append("stopped")
        raise fhir_mappers.WorkStopped

    monkeypatch.setattr(fhir_mappers, "map_patient_record", read_forever)


def test_deadline_answer_is_an_operation_outcome_and_the_work_has_stopped(
    tmp_path, monkeypatch
) -> None:
    app = jwt_app(tmp_path, monkeypatch, REQUIRE_JWT="0", HOOK_DEADLINE_SECONDS="0.3")
    calls: list[str] = []
    _stubborn_mapper(monkeypatch, calls)
    threads_before = set(threading.enumerate())
    body = patient_view()
    with captured_logs() as logs:
        response = _post(app, body)
    assert response.status_code == 503
    outcome = _outcome(response)
    assert outcome["issue"][0]["code"] == "timeout"
    assert "0.3 s" in outcome["issue"][0]["diagnostics"]
    assert response.headers["Retry-After"].isdigit()
    # The work stopped before the answer left, and nothing was left running for the client.
    assert calls == ["started", "stopped"]
    assert set(threading.enumerate()) <= threads_before | {
        t for t in threading.enumerate() if t.name.startswith(("fhir-fetch", "card-recorder"))
    }
    assert app.extensions["marrow_slots"].in_use == 0
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    stopped = [line for line in lines if line.get("error") == "deadline_exceeded"]
    assert stopped
    assert stopped[0]["hookInstance"] == body["hookInstance"]
    assert "mapping the record" in stopped[0]["message"]
    request_line = [line for line in lines if line.get("message") == "request"][-1]
    assert (request_line["status"], request_line["hookInstance"]) == (503, body["hookInstance"])


def test_the_worker_serves_the_next_call_after_a_deadline_answer(tmp_path, monkeypatch) -> None:
    app = jwt_app(
        tmp_path, monkeypatch, REQUIRE_JWT="0", HOOK_DEADLINE_SECONDS="0.2", EVALUATION_SLOTS="1"
    )
    calls: list[str] = []
    with monkeypatch.context() as patch:
        _stubborn_mapper(patch, calls)
        assert _post(app, patient_view()).status_code == 503
    assert _post(app, patient_view()).status_code == 200  # the only slot is free again


@pytest.fixture
def counting_app(tmp_path, monkeypatch) -> Callable[[int], Any]:
    """An app whose deadline runs out after ``n`` clock readings (hypothesis picks ``n``)."""
    app = jwt_app(tmp_path, monkeypatch, REQUIRE_JWT="0")
    budget: dict[str, int] = {}

    def deadline(budget_s: float, *, elapsed: float = 0.0) -> Deadline:
        return Deadline(float(budget["n"]), clock=CountingClock())

    monkeypatch.setattr(hooks, "Deadline", deadline)

    def call(n: int) -> Any:
        budget["n"] = n
        return app.test_client().post(SERVICE_PATH, json=patient_view())

    return call


def test_the_counting_clock_reaches_both_answers(counting_app) -> None:
    assert counting_app(1).status_code == 503  # stopped before the work began
    assert counting_app(100_000).status_code == 200  # never ran out


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(readings=st.integers(0, 40))
def test_whatever_checkpoint_the_deadline_strikes_the_answer_is_cards_or_an_outcome(
    counting_app, readings
) -> None:
    response = counting_app(readings)
    assert response.status_code in (200, 503)
    if response.status_code == 503:
        assert _outcome(response)["issue"][0]["code"] == "timeout"
        assert response.headers["Retry-After"]
    else:
        assert "cards" in response.get_json()


def test_the_fallback_fetch_is_part_of_the_call_budget(tmp_path, monkeypatch, hanging_server):
    """A FHIR server that never answers, a fetch budget longer than the call's: the fetch is
    cut to what remains, so the call still answers with the data missing, not at the deadline."""
    app = jwt_app(
        tmp_path,
        monkeypatch,
        REQUIRE_JWT="0",
        FHIR_ALLOWLIST="http://127.0.0.1",
        FETCH_BUDGET_SECONDS="30",
        HOOK_DEADLINE_SECONDS="1",
    )
    body = patient_view(with_prefetch=True, fhir_server=hanging_server)
    body["prefetch"].pop("labs")  # fetched from the server that never answers
    response = _post(app, body)
    assert response.status_code == 200
    summaries = " ".join(card["summary"] for card in response.get_json()["cards"])
    assert "lab" in summaries.lower()  # the data-quality card names what is missing


# ------------------------------------------------------------------------------ overload


def test_all_slots_busy_is_a_quick_503_and_probes_still_answer(tmp_path, monkeypatch) -> None:
    app = jwt_app(
        tmp_path,
        monkeypatch,
        REQUIRE_JWT="0",
        EVALUATION_SLOTS="1",
        SLOT_WAIT_SECONDS="0",
        HOOK_DEADLINE_SECONDS="30",
    )
    entered, release = threading.Event(), threading.Event()
    real = fhir_mappers.map_patient_record

    def blocking(documents: Any, patient_id: str, **kwargs: Any):
        entered.set()
        release.wait(OUTER_TIMEOUT_S)
        return real(documents, patient_id, **kwargs)

    monkeypatch.setattr(fhir_mappers, "map_patient_record", blocking)
    first: dict[str, Any] = {}
    holder = threading.Thread(
        target=lambda: first.update(r=app.test_client().post(SERVICE_PATH, json=patient_view()))
    )
    holder.start()
    try:
        assert entered.wait(OUTER_TIMEOUT_S)
        client = app.test_client()
        refused = client.post(SERVICE_PATH, json=patient_view())
        assert refused.status_code == 503
        assert _outcome(refused)["issue"][0]["code"] == "throttled"
        assert refused.headers["Retry-After"] == "1"
        assert refused.headers["Access-Control-Allow-Origin"]  # a browser client can read it
        for probe in ("/healthz", "/readyz", "/openapi.json"):
            assert client.get(probe).status_code == 200, probe
    finally:
        release.set()
        holder.join(OUTER_TIMEOUT_S)
    assert first["r"].status_code == 200
    slots = app.extensions["marrow_slots"]
    assert slots.in_use == 0
    assert slots.refused == 1
    assert app.test_client().post(SERVICE_PATH, json=patient_view()).status_code == 200


# ------------------------------------------------------------------------------ through gunicorn


@pytest.mark.slow
def test_deadline_answer_and_bare_401_through_gunicorn(tmp_path) -> None:
    """The real server (JWT on): a call whose budget is spent before its work starts answers a
    503 OperationOutcome with Retry-After; a refused token is a bare 401 with WWW-Authenticate."""
    from tests.support.jwt import Client, jwks_of, new_ec_key

    from .server_kit import start_server

    signer = Client(new_ec_key("ec-deadline"), jku=None)
    issuers = tmp_path / "trusted-issuers.json"
    issuers.write_text(json.dumps({"issuers": [{"iss": signer.iss, "jwks": jwks_of(signer.key)}]}))
    server = start_server(
        tmp_path,
        {
            "MARROW_CDS_DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
            "MARROW_CDS_PATIENT_HASH_KEY": "served-test-hash-key-0123456789",
            "MARROW_CDS_TRUSTED_ISSUERS": str(issuers),
            "MARROW_CDS_HOOK_DEADLINE_SECONDS": "0.000001",
            "MARROW_CDS_LOG_LEVEL": "WARNING",
        },
        workers=1,
    )
    try:
        url = server.base_url + SERVICE_PATH
        body = patient_view()
        token = signer.sign(url)
        answer = requests.post(
            url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=(2, 30)
        )
        assert answer.status_code == 503
        assert answer.json()["resourceType"] == "OperationOutcome"
        assert answer.json()["issue"][0]["code"] == "timeout"
        assert answer.headers["Retry-After"].isdigit()
        refused = requests.post(url, json=body, timeout=(2, 30))  # no token
        assert refused.status_code == 401
        assert refused.content == b""
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert requests.get(server.base_url + "/healthz", timeout=(2, 30)).status_code == 200
    finally:
        server.stop()
    log = server.log_path.read_text()
    assert "deadline_exceeded" in log
    assert body["hookInstance"] in log


# ------------------------------------------------------------------------------ draft orders


def test_a_draft_order_bundle_beyond_the_limit_is_413(app) -> None:
    """Mapping draft orders costs about 1 ms each: a Bundle of thousands would outlast the
    deadline before its first checkpoint, so the count is bounded like the body size."""
    from pathlib import Path

    from cds_hooks.services.draft_order_review import MAX_DRAFT_ORDER_ENTRIES, SIGN_SERVICE_ID

    example = Path(__file__).resolve().parents[2] / "examples" / "order-sign-marrow-workup.json"
    body = json.loads(example.read_text())
    entries = body["context"]["draftOrders"]["entry"]
    padding = [
        {"resource": {**entries[0]["resource"], "id": f"pad-{i}"}}
        for i in range(MAX_DRAFT_ORDER_ENTRIES + 1 - len(entries))
    ]
    body["context"]["draftOrders"]["entry"] = entries + padding
    response = app.test_client().post(f"/cds-services/{SIGN_SERVICE_ID}", json=body)
    assert response.status_code == 413
    outcome = _outcome(response)
    assert outcome["issue"][0]["code"] == "too-costly"
    assert outcome["issue"][0]["expression"] == ["context.draftOrders.entry"]
    body["context"]["draftOrders"]["entry"] = (entries + padding)[:MAX_DRAFT_ORDER_ENTRIES]
    assert app.test_client().post(f"/cds-services/{SIGN_SERVICE_ID}", json=body).status_code in (
        200,
        503,  # the deadline on a slow machine: an answer all the same, never a 413
    )


def _drip(base_url: str, path: str) -> bytes:
    """Headers, then a body a few bytes at a time until an answer comes: the answer."""
    import socket

    host, port = base_url.removeprefix("http://").split(":")
    answered = threading.Event()
    with socket.create_connection((host, int(port)), timeout=OUTER_TIMEOUT_S) as conn:
        conn.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{".encode()
        )

        def drip() -> None:
            while not answered.wait(0.2):
                try:
                    conn.sendall(b" " * 4)
                except OSError:
                    return

        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()
        answer = conn.recv(65536)
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            more = conn.recv(65536)
            if not more:
                break
            answer += more
        answered.set()
        dripper.join(OUTER_TIMEOUT_S)
    return answer


@pytest.mark.slow
def test_a_client_dripping_its_body_is_answered_and_frees_the_slot(tmp_path):
    """Through gunicorn: headers, then a body a few bytes at a time for ever. A hook call answers
    503 timeout when its budget is spent (the read is cut); feedback is cut at the same bound
    (400: the body never came). The only slot serves the next call."""
    from tests.support.hooks import FEEDBACK_PATH

    from .server_kit import start_server

    server = start_server(
        tmp_path,
        {
            "MARROW_CDS_DATABASE_URL": f"sqlite:///{tmp_path / 'drip.sqlite3'}",
            "MARROW_CDS_PATIENT_HASH_KEY": "served-test-hash-key-0123456789",
            "MARROW_CDS_REQUIRE_JWT": "0",
            "MARROW_CDS_HOOK_DEADLINE_SECONDS": "1",
            "MARROW_CDS_EVALUATION_SLOTS": "1",
            "MARROW_CDS_LOG_LEVEL": "WARNING",
        },
        workers=1,
    )
    try:
        status_line, _, rest = _drip(server.base_url, SERVICE_PATH).partition(b"\r\n")
        assert b" 503 " in status_line
        assert b'"code":"timeout"' in rest
        assert b"Retry-After" in rest
        status_line, _, rest = _drip(server.base_url, FEEDBACK_PATH).partition(b"\r\n")
        assert b" 400 " in status_line
        assert b"OperationOutcome" in rest
        follow_up = requests.post(server.base_url + SERVICE_PATH, json=patient_view(), timeout=30)
        assert follow_up.status_code == 200  # the only slot is free again
    finally:
        server.stop()
    assert "while reading the request body" in server.log_path.read_text()
