"""Alembic migrations, run programmatically (no alembic.ini needed).

``upgrade(engine)`` brings the database to head; ``current_revision`` / ``head_revision`` let
/readyz check that the schema is current. Run at app start (MARROW_CDS_MIGRATE_ON_START=1, the
default) or once per deployment with ``marrow-cds db upgrade``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

SCRIPT_LOCATION = str(Path(__file__).parent)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


#: PostgreSQL advisory lock key held while migrating: replicas starting at once migrate one
#: after the other (the second finds the schema at head) instead of racing to create tables.
MIGRATION_LOCK_KEY = 7243110


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
