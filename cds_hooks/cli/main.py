"""The ``marrow-cds`` command.

- ``marrow-cds serve [--host H] [--port P] [--workers N] [--threads T]``: migrate the database
  once, then run the app under gunicorn (the production WSGI server; never Flask's development
  server) with the one gunicorn configuration (cds_hooks/cli/gunicorn_config.py): N gthread
  workers of T threads. Each worker evaluates at most
  MARROW_CDS_EVALUATION_SLOTS calls at once; the spare threads answer a quick 503 when those are
  busy (admission.py), so T should exceed the slots.
- ``marrow-cds evaluate REQUEST.json [--as-of DATE] [--format json|text]``: print the CDS Hooks
  response for a hook request file, offline: prefetch only, nothing is fetched or stored.
- ``marrow-cds read-report PATH... [--html OUT.html] [--as-of DATE] [--format text|json]``: how
  the service reads report texts (cds_hooks/cli/read_report.py).
- ``marrow-cds audit EXPORT_DIR --out OUT_DIR [--as-of DATE] [--workers N] [--engine dask]``:
  what the service would say about every patient of a FHIR Bulk Data export (cds_hooks/audit/).
- ``marrow-cds report governance --out FILE.html [--since DATE]``: the cards' feedback per
  rule, for a CDS committee (cds_hooks/audit/governance.py).
- ``marrow-cds example patient-view|feedback``: an example request dated relative to today, or
  feedback on a real card of a saved answer (cds_hooks/cli/examples.py).
- ``marrow-cds db upgrade``: apply the Alembic migrations (deployments that start replicas with
  MARROW_CDS_MIGRATE_ON_START=0).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import orjson

from cds_hooks.cli.gunicorn_config import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_THREADS,
    DEFAULT_WORKERS,
    env_int,
    gunicorn_settings,
)
from cds_hooks.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return _run(args)
    except SettingsError as exc:
        print(f"marrow-cds: configuration error: {exc}", file=sys.stderr)
        return 2


def parser() -> argparse.ArgumentParser:
    """The command line; option defaults that depend on the environment are read now."""
    parser = argparse.ArgumentParser(
        prog="marrow-cds",
        description=__doc__.splitlines()[0],
        epilog="Settings come from MARROW_CDS_* environment variables (README, Configuration).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    _add_serve(commands)
    _add_evaluate(commands)
    _add_example(commands)
    _add_db(commands)
    _add_read_report(commands)
    _add_audit(commands)
    _add_report(commands)
    return parser


#: --help shows each option's default.
_DEFAULTS = argparse.ArgumentDefaultsHelpFormatter


def _add_serve(commands: Any) -> None:
    """``serve``: gunicorn with the one configuration (gunicorn_config)."""
    serve = commands.add_parser(
        "serve",
        help="run the service under gunicorn",
        formatter_class=_DEFAULTS,
        description="Migrate the database once (MARROW_CDS_MIGRATE_ON_START, default on), then "
        "run the service under gunicorn. Database: MARROW_CDS_DATABASE_URL (default SQLite in "
        "the instance folder); tokens: MARROW_CDS_REQUIRE_JWT (default 1); links in cards: "
        "MARROW_CDS_PUBLIC_BASE_URL. No gunicorn control socket is opened.",
    )
    serve.add_argument(
        "--host",
        default=os.environ.get("MARROW_CDS_BIND_HOST") or DEFAULT_HOST,
        help="address to listen on (env MARROW_CDS_BIND_HOST)",
    )
    serve.add_argument(
        "--port", type=int, default=env_int("PORT", DEFAULT_PORT), help="port (env PORT)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=env_int("MARROW_CDS_WORKERS", DEFAULT_WORKERS),
        help="gunicorn worker processes (env MARROW_CDS_WORKERS)",
    )
    serve.add_argument(
        "--threads",
        type=int,
        default=env_int("MARROW_CDS_THREADS", DEFAULT_THREADS),
        help="threads per worker (env MARROW_CDS_THREADS); MARROW_CDS_EVALUATION_SLOTS of them "
        "evaluate at once",
    )


def _add_evaluate(commands: Any) -> None:
    """``evaluate``: the response for a hook request file, offline."""
    evaluate = commands.add_parser(
        "evaluate",
        help="print the response for a hook request file",
        formatter_class=_DEFAULTS,
        description="Print the CDS Hooks response for a hook request file, offline: the "
        "prefetch only, nothing fetched or stored. Card links use MARROW_CDS_PUBLIC_BASE_URL "
        "(default http://127.0.0.1:8080).",
    )
    evaluate.add_argument("request", type=Path, help="CDS Hooks request JSON (with prefetch)")
    evaluate.add_argument(
        "--as-of",
        type=parse_as_of,
        default=None,
        help="evaluation time: YYYY-MM-DD (end of that day, UTC) or an "
        "ISO date-time with offset; default now",
    )
    evaluate.add_argument(
        "--format", choices=("json", "text"), default="json", help="output format"
    )


def _add_example(commands: Any) -> None:
    """``example``: requests a new user can send as they are."""
    example = commands.add_parser(
        "example",
        help="print an example request dated relative to today, or feedback on a real card",
        formatter_class=_DEFAULTS,
        description="patient-view: the bundled patient-view example with its dates moved so "
        "that its results are current today (or on --as-of). feedback: the feedback example for "
        "a card of a saved answer of the service (- reads the answer from standard input).",
    )
    example.add_argument("kind", choices=("patient-view", "feedback"))
    example.add_argument("answer", nargs="?", default=None, help="feedback: the answer JSON")
    example.add_argument("--card", type=int, default=1, help="feedback: which card (1 = first)")
    example.add_argument(
        "--as-of", type=parse_as_of, default=None, help="patient-view: the day (default today)"
    )


def _add_db(commands: Any) -> None:
    """``db upgrade``: the Alembic migrations."""
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=("upgrade",))


def _add_read_report(commands: Any) -> None:
    """``read-report``: how the service reads report texts."""
    read_report = commands.add_parser(
        "read-report", help="show how the service reads report texts (class, features, card)"
    )
    read_report.add_argument(
        "paths", type=Path, nargs="+", help=".txt/.html files, folders, NDJSON"
    )
    read_report.add_argument("--html", type=Path, default=None, help="also write this HTML page")
    read_report.add_argument("--as-of", type=parse_as_of, default=None, help="as for evaluate")
    read_report.add_argument("--format", choices=("text", "json"), default="text")


def _add_audit(commands: Any) -> None:
    """``audit``: every patient of a FHIR Bulk Data export."""
    audit = commands.add_parser(
        "audit", help="what the service would say about every patient of a Bulk Data export"
    )
    audit.add_argument("export_dir", type=Path, help="FHIR Bulk Data export folder (NDJSON)")
    audit.add_argument("--out", type=Path, required=True, help="folder for the results")
    audit.add_argument("--as-of", type=parse_as_of, default=None, help="default: transactionTime")
    audit.add_argument("--workers", type=int, default=None, help="processes (default: CPUs)")
    audit.add_argument("--engine", choices=("processes", "dask"), default="processes")
    audit.add_argument("--scheduler", default=None, help="a Dask scheduler address (cluster)")


def _add_report(commands: Any) -> None:
    """``report governance``: the cards' feedback per rule."""
    report = commands.add_parser("report", help="reports for a CDS committee")
    report.add_argument("kind", choices=("governance",))
    report.add_argument("--out", type=Path, required=True, help="the HTML page (CSV beside it)")
    report.add_argument("--since", type=parse_as_of, default=None, help="from this date on")
    report.add_argument("--database-url", default=None, help="default: MARROW_CDS_DATABASE_URL")


def _run(args: argparse.Namespace) -> int:
    """The subcommand `args` names."""
    if args.command == "serve":
        return serve_command(args.host, args.port, args.workers, args.threads)
    if args.command == "evaluate":
        return evaluate_command(args.request, args.as_of, args.format)
    if args.command == "audit":
        from cds_hooks.audit.run import audit_command

        return audit_command(
            args.export_dir, args.out, args.as_of, args.workers, args.engine, args.scheduler
        )
    if args.command == "report":
        from cds_hooks.audit.governance import governance_command

        return governance_command(args.out, args.since, args.database_url)
    if args.command == "example":
        from cds_hooks.cli.examples import example_command

        return example_command(args.kind, args.answer, args.card, args.as_of)
    if args.command == "read-report":
        from cds_hooks.cli.read_report import read_report_command

        return read_report_command(args.paths, args.as_of, args.format, args.html)
    return db_upgrade_command()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from logic.catalogue import RULE_SET_VERSION

    try:
        package = version("marrow-cds")
    except PackageNotFoundError:
        package = "unknown"
    return f"{package} (rule set {RULE_SET_VERSION})"


def parse_as_of(value: str) -> datetime:
    """``YYYY-MM-DD`` -> the end of that day in UTC (results of that day count as current);
    a date-time must carry its offset."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.max, tzinfo=UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date or date-time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError("a date-time needs a time zone offset, e.g. Z")
    return parsed.astimezone(UTC)


# ------------------------------------------------------------------------------ db upgrade


def db_upgrade_command() -> int:
    from cds_hooks.logs import configure_logging
    from cds_hooks.storage.migrations import current_revision, upgrade
    from cds_hooks.storage.records import make_engine

    settings = Settings.from_env(instance_path=_instance_path())
    configure_logging(settings.log_level)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    print(f"database at revision {current_revision(engine)}")
    engine.dispose()
    return 0


# ------------------------------------------------------------------------------ serve


def serve_command(host: str, port: int, workers: int, threads: int = DEFAULT_THREADS) -> int:
    from gunicorn.app.base import BaseApplication

    settings = Settings.from_env(instance_path=_instance_path())  # fail early on bad config
    if settings.migrate_on_start:
        db_upgrade_command()
        # Migrated once here: workers must not race each other doing it again.
        os.environ["MARROW_CDS_MIGRATE_ON_START"] = "0"

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for name, value in gunicorn_settings(host, port, workers, threads).items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            from cds_hooks import create_app

            return create_app()

    _Gunicorn().run()
    return 0


def _instance_path() -> str:
    """Flask's instance folder for ``cds_hooks`` (so serve and create_app agree)."""
    from flask import Flask

    return Flask("cds_hooks", instance_relative_config=True).instance_path


# ------------------------------------------------------------------------------ evaluate


def evaluate_command(path: Path, as_of: datetime | None, output: str) -> int:
    from cds_hooks.cli.evaluate_offline import evaluate, render_text

    try:
        body = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        print(f"marrow-cds: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    evaluation = evaluate(body, as_of or datetime.now(UTC))
    status, response = evaluation.status, evaluation.response
    if output == "json" or status != 200:
        stream = sys.stdout if status == 200 else sys.stderr
        stream.write(orjson.dumps(response, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        sys.stdout.write(render_text(evaluation))
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
