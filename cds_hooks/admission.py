"""Overload answers fast (issue 16, README "Limits"): evaluation slots per process.

gunicorn runs more threads per worker (MARROW_CDS_THREADS, cds_hooks/cli/gunicorn_config.py;
``marrow-cds serve --threads``) than it evaluates calls at once: each call under ``/cds-services``
(discovery, services, feedback; not CORS preflights) must hold one of MARROW_CDS_EVALUATION_SLOTS
slots of its process. At most as many calls as there are slots wait for one, each at most
MARROW_CDS_SLOT_WAIT_SECONDS; any other call, or a waiting call whose wait is over, is answered at
once with 503 + ``Retry-After`` and an OperationOutcome (``errors.Overloaded``), before any work: no
token check, no body read. The spare threads exist to give those answers, so a burst is refused in
milliseconds instead of queueing for longer than an EHR waits. Probes (``/healthz``, ``/readyz``),
``/openapi.json`` and ``/rules`` are never limited.

The slot is taken before the token check (so refusing costs nothing) and released when the
request ends (``teardown_request``), whatever happened. A POST that still runs
MARROW_CDS_HOOK_DEADLINE_SECONDS after taking its slot has its socket shut for reading, so a client
dripping its body cannot keep the slot (``_guard_reading``). Refusals are logged as one WARNING line
per second at most, with their count, not one line each.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time

from flask import Flask, g, request

from .errors import Overloaded
from .settings import Settings

log = logging.getLogger(__name__)

LIMITED_PREFIX = "/cds-services"
LOG_INTERVAL_S = 1.0


def is_limited(path: str, method: str) -> bool:
    """Calls that do work (discovery, services, feedback); never preflights, probes or docs."""
    if method == "OPTIONS":
        return False
    return path == LIMITED_PREFIX or path.startswith(LIMITED_PREFIX + "/")


class EvaluationSlots:
    """A semaphore of ``slots``: taken at once, or after a wait of at most ``wait_s`` by at most
    ``max_waiting`` callers at a time (default: as many as the slots); counts refusals. Bounding
    the waiters keeps the other threads free to refuse in milliseconds."""

    def __init__(self, slots: int, wait_s: float, max_waiting: int | None = None) -> None:
        self.slots = slots
        self.wait_s = wait_s
        self.max_waiting = slots if max_waiting is None else max_waiting
        self._semaphore = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._in_use = 0
        self._waiting = 0
        self._refused = 0
        self._refused_unlogged = 0
        self._last_log = 0.0

    @property
    def in_use(self) -> int:
        with self._lock:
            return self._in_use

    @property
    def refused(self) -> int:
        with self._lock:
            return self._refused

    def acquire(self) -> bool:
        acquired = self._semaphore.acquire(blocking=False)
        if not acquired and self.wait_s > 0:
            with self._lock:
                may_wait = self._waiting < self.max_waiting
                self._waiting += may_wait
            if may_wait:
                try:
                    acquired = self._semaphore.acquire(timeout=self.wait_s)
                finally:
                    with self._lock:
                        self._waiting -= 1
        with self._lock:
            if acquired:
                self._in_use += 1
                return True
            self._refused += 1
            self._refused_unlogged += 1
            now = time.monotonic()
            if now - self._last_log < LOG_INTERVAL_S:
                return False
            count, self._refused_unlogged, self._last_log = self._refused_unlogged, 0, now
        log.warning(
            "overloaded: %d call(s) refused with 503 (all %d evaluation slots busy for %g s)",
            count,
            self.slots,
            self.wait_s,
        )
        return False

    def release(self) -> None:
        with self._lock:
            self._in_use -= 1
        self._semaphore.release()


def _guard_reading(seconds: float) -> threading.Timer | None:
    """Under gunicorn, a POST still running ``seconds`` (the hook deadline) after it took its
    slot has its client socket shut for reading: a body still dripping in ends at once (the read
    fails and the call is answered: 503 timeout for a hook call, hooks.read_body_within; 400 for
    feedback), so no client can hold a slot by sending slowly. Reading only: the answer is still
    written."""
    if request.method != "POST":
        return None
    sock = request.environ.get("gunicorn.socket")
    if sock is None:
        return None

    def cut() -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RD)

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    return timer


def init_app(app: Flask, settings: Settings) -> EvaluationSlots:
    """Install the slots on ``app``: the admission check runs before the token check."""
    slots = EvaluationSlots(settings.evaluation_slots, settings.slot_wait_s)
    app.extensions["marrow_slots"] = slots

    def _admit() -> None:
        if not is_limited(request.path, request.method):
            return
        if not slots.acquire():
            raise Overloaded()
        g.marrow_slot = True
        g.marrow_read_guard = _guard_reading(settings.hook_deadline_s)

    def _release(_error: BaseException | None) -> None:
        guard = g.pop("marrow_read_guard", None)
        if guard is not None:
            guard.cancel()
        if g.pop("marrow_slot", False):
            slots.release()

    # Before the JWT check (auth.py) but after the request log's start (cds_hooks/__init__):
    # a refused call costs no signature check and no database write, and is still logged.
    before = app.before_request_funcs.setdefault(None, [])
    position = next(
        (
            i
            for i, f in enumerate(before)
            if getattr(f, "__module__", "") == "cds_hooks.security.auth"
        ),
        len(before),
    )
    before.insert(position, _admit)
    app.teardown_request(_release)
    return slots


__all__ = ["EvaluationSlots", "init_app", "is_limited"]
