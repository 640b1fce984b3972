"""The time budget of one hook call (issue 16 "Bounded work", README "Limits").

Every hook call (patient-view, order-select, order-sign) gets a ``Deadline`` when it starts:
MARROW_CDS_HOOK_DEADLINE_SECONDS counted from the moment the request reached the app (the wait
for an evaluation slot, the token check and reading the body are part of it). The work of the call
runs in the request's own thread and stops cooperatively:

- ``stop`` is the callable the mappers receive (``fhir_mappers.limits``): they call it between
  resources and every few sentences of report text, and raise ``WorkStopped`` when it answers
  True;
- ``check(stage)`` is a checkpoint of the shell between the stages (fetch, mapping, rules,
  cards): past the deadline it raises ``DeadlineExceeded``;
- reading the body is bounded too: under gunicorn the slot's read guard (admission.py) shuts
  the client socket for reading at the deadline, and ``hooks.read_body_within`` answers 503;
- ``fetch_budget(limit)`` is what the fallback fetch may spend: never more than its own budget
  (MARROW_CDS_FETCH_BUDGET_SECONDS), nor more than what remains of the call less a reserve for
  mapping, rules and cards. The fetch threads are cancelled at their budget (fhir_client).

``DeadlineExceeded`` (errors.py) is answered as a 503 OperationOutcome (issue type ``timeout``,
``Retry-After``) and logged with the hookInstance. Because the work runs in the request thread
and stops at the next checkpoint, the thread is free when the answer leaves: no thread keeps
reading for a client that has gone. 503 rather than 504: the service is not a gateway waiting on
another server (a slow FHIR server only makes data gaps), it gave up its own work.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .errors import DeadlineExceeded

#: What the fetch leaves for mapping, rules and cards (at most a quarter of the whole budget).
FETCH_RESERVE_S = 0.5

Clock = Callable[[], float]


class Deadline:
    """``budget_s`` seconds from ``time.monotonic()`` (less ``elapsed`` already spent)."""

    def __init__(
        self, budget_s: float, *, elapsed: float = 0.0, clock: Clock = time.monotonic
    ) -> None:
        self.budget_s = budget_s
        self._clock = clock
        self.expires_at = clock() - max(elapsed, 0.0) + budget_s
        self.stage = "starting"

    def remaining(self) -> float:
        """Seconds left (0.0 once spent)."""
        return max(self.expires_at - self._clock(), 0.0)

    def expired(self) -> bool:
        return self._clock() >= self.expires_at

    def stop(self) -> bool:
        """The mappers' ``stop`` callable: True once the call's budget is spent."""
        return self.expired()

    def check(self, stage: str) -> None:
        """A checkpoint before ``stage``: raise ``DeadlineExceeded`` when the budget is spent."""
        self.stage = stage
        if self.expired():
            raise self.exceeded()

    def exceeded(self) -> DeadlineExceeded:
        """The error answered for this call (naming the stage it was stopped in)."""
        return DeadlineExceeded(self.budget_s, self.stage)

    def fetch_budget(self, limit_s: float) -> float:
        """Seconds the fallback fetch may take: ``limit_s`` at most, and never past what remains
        of the call less a reserve for the rest of the work."""
        reserve = min(FETCH_RESERVE_S, self.budget_s / 4)
        return max(min(limit_s, self.remaining() - reserve), 0.0)


__all__ = ["FETCH_RESERVE_S", "Deadline"]
