#!/bin/sh
# Container entrypoint: bring the database schema to head, then serve with gunicorn through
# `marrow-cds serve` (the one gunicorn configuration: cds_hooks/cli/gunicorn_config.py; workers,
# threads, host and port from MARROW_CDS_WORKERS, MARROW_CDS_THREADS, MARROW_CDS_BIND_HOST, PORT).
# Set MARROW_CDS_SKIP_DB_UPGRADE=1 when migrations run elsewhere (the Kubernetes Job).
set -eu
if [ "${MARROW_CDS_SKIP_DB_UPGRADE:-0}" != "1" ]; then
    marrow-cds db upgrade
fi
# The schema is current: workers must not race to migrate it again.
export MARROW_CDS_MIGRATE_ON_START=0
exec marrow-cds serve "$@"
