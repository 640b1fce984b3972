"""Records issued cards (``store.issued_card``) off the request path.

One background thread per app writes the rows; a hook call only queues them. The cards of the
calls that arrive within ``LINGER_S`` of each other are written in one transaction (a write per
call cost the process more CPU than a small call itself). When the database is slow or down the
write fails and is logged (card uuids and service only), the hook has already answered. At most
``MAX_PENDING`` calls' cards wait: beyond that new ones are dropped with a warning rather than
growing memory during an outage. ``drain`` writes what is queued at once and waits for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from cds_hooks.schemas import Card
from cds_hooks.storage.records import IssuedBatch, IssuedCard, patient_hash, record_issued_batches

log = logging.getLogger(__name__)

MAX_PENDING = 1000
LINGER_S = 0.05  # how long the writer waits for more calls' cards before one transaction


class CardRecorder:
    def __init__(self, engine: Engine, hash_key: bytes, *, linger_s: float = LINGER_S) -> None:
        self._engine = engine
        self._key = hash_key
        self._linger_s = linger_s
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="card-recorder")
        self._queued: list[IssuedBatch] = []  # waiting for the next write
        self._pending: set[Future[None]] = set()  # writes scheduled or running
        self._scheduled: Future[None] | None = None  # the write that will take `_queued`
        self._lock = threading.Lock()
        self._flush = threading.Event()  # drain: write now, do not linger

    def submit(
        self,
        *,
        service_id: str,
        hook_instance: str,
        patient_id: str,
        issued_at: datetime,
        cards: Sequence[Card],
        rule_ids: Mapping[str, str],
    ) -> None:
        issued = [IssuedCard(c.uuid, rule_ids.get(c.uuid)) for c in cards if c.uuid]
        if not issued:
            return
        hashed = patient_hash(self._key, patient_id)  # the id itself never leaves this frame
        batch = IssuedBatch(service_id, hook_instance, hashed, issued_at, tuple(issued))
        with self._lock:
            if len(self._queued) >= MAX_PENDING:
                log.warning(
                    "issued-card backlog full: cards not recorded",
                    extra={"service": service_id, "cards": len(issued)},
                )
                return
            self._queued.append(batch)
            if self._scheduled is not None:
                return  # the scheduled write takes this call's cards too
            future = self._scheduled = self._pool.submit(self._write_queued)
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _write_queued(self) -> None:
        if self._linger_s > 0:
            self._flush.wait(self._linger_s)
        with self._lock:
            batches, self._queued = self._queued, []
            self._scheduled = None
            self._flush.clear()  # a drain() from now on sets it again
        try:
            record_issued_batches(self._engine, batches)
        except SQLAlchemyError as exc:
            for batch in batches:
                log.warning(
                    "issued cards not recorded (database unavailable)",
                    extra={
                        "service": batch.service_id,
                        "hookInstance": batch.hook_instance[:100],
                        "cards": len(batch.cards),
                        "error": type(exc).__name__,
                    },
                )

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float = 10.0) -> None:
        """Write what is queued now and wait for it (tests, shutdown)."""
        with self._lock:
            pending = list(self._pending)
            self._flush.set()
        wait(pending, timeout=timeout)

    def close(self) -> None:
        self.drain()
        self._pool.shutdown(wait=True)
