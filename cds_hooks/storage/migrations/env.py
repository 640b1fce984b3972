"""Alembic environment of the Marrow CDS database (feedback, issued_card, jwt_replay).

Run through ``cds_hooks.storage.migrations.upgrade(url)`` (app start, ``marrow-cds db upgrade``);
the caller may pass an open connection in ``config.attributes["connection"]``. Logging is left to
the service (no ``fileConfig``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from cds_hooks.storage.records import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
