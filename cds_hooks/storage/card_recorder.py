"""Records issued cards (``store.issued_card``) off the request path.

One background thread per app writes the rows; a hook call only queues them. When the
database is slow or down the write fails and is logged (card uuids and service only), the hook
has already answered. At most ``MAX_PENDING`` batches wait: beyond that new batches are dropped
with a warning rather than growing memory during an outage.
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
from cds_hooks.storage.records import IssuedCard, patient_hash, record_issued_cards

log = logging.getLogger(__name__)

MAX_PENDING = 1000


class CardRecorder:
    def __init__(self, engine: Engine, hash_key: bytes) -> None:
        self._engine = engine
        self._key = hash_key
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="card-recorder")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

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
        with self._lock:
            if len(self._pending) >= MAX_PENDING:
                log.warning(
                    "issued-card backlog full: cards not recorded",
                    extra={"service": service_id, "cards": len(issued)},
                )
                return
            future = self._pool.submit(
                self._write, service_id, hook_instance, hashed, issued_at, issued
            )
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _write(
        self,
        service_id: str,
        hook_instance: str,
        hashed: str,
        issued_at: datetime,
        issued: list[IssuedCard],
    ) -> None:
        try:
            record_issued_cards(
                self._engine,
                service_id=service_id,
                hook_instance=hook_instance,
                patient_hash_value=hashed,
                issued_at=issued_at,
                cards=issued,
            )
        except SQLAlchemyError as exc:
            log.warning(
                "issued cards not recorded (database unavailable)",
                extra={
                    "service": service_id,
                    "hookInstance": hook_instance[:100],
                    "cards": len(issued),
                    "error": type(exc).__name__,
                },
            )

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait for queued writes (tests, shutdown)."""
        with self._lock:
            pending = list(self._pending)
        wait(pending, timeout=timeout)

    def close(self) -> None:
        self.drain()
        self._pool.shutdown(wait=True)
