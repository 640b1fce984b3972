#!/bin/sh
# Container entrypoint: bring the database schema to head, then serve with gunicorn.
# Set MARROW_CDS_SKIP_DB_UPGRADE=1 when migrations run elsewhere (the Kubernetes Job).
set -eu
if [ "${MARROW_CDS_SKIP_DB_UPGRADE:-0}" != "1" ]; then
    marrow-cds db upgrade
fi
# The schema is current: workers must not race to migrate it again.
export MARROW_CDS_MIGRATE_ON_START=0
exec gunicorn --config /etc/marrow-cds/gunicorn.conf.py "$@"
