"""gunicorn configuration of Marrow CDS in a container (deploy/Containerfile).

Every value can be overridden with an environment variable so that the same image runs on a
laptop and in Kubernetes (deploy/k8s/configmap.yaml). Sizing (deploy/README.md):

- workers: MARROW_CDS_WORKERS, default 2 per pod (scale out with replicas, not workers);
- threads: MARROW_CDS_THREADS, default 16 per worker (gthread). Only MARROW_CDS_EVALUATION_SLOTS
  (default 2) of them evaluate calls at once (cds_hooks/admission.py); the spare threads exist to
  answer 503 + Retry-After at once when those are busy, instead of letting requests queue for
  longer than an EHR waits. Each call is bounded by MARROW_CDS_HOOK_DEADLINE_SECONDS (3 s);
- timeout: a worker silent for 30 s is killed and replaced (a hung worker never lingers);
- max_requests (+ jitter): workers are recycled now and then, which bounds slow memory growth.
"""

from __future__ import annotations

import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = f"{os.environ.get('MARROW_CDS_BIND_HOST', '0.0.0.0')}:{_env_int('PORT', 8080)}"  # noqa: S104
workers = _env_int("MARROW_CDS_WORKERS", 2)
worker_class = "gthread"
threads = _env_int("MARROW_CDS_THREADS", 16)
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500

# The app is created in each worker after the fork: every worker has its own database pool and
# outbound HTTP sessions (sockets must not be shared across processes).
preload_app = False
wsgi_app = "cds_hooks:create_app()"

# Request limits in front of the app's own (MARROW_CDS_MAX_BODY_BYTES): headers must hold a JWT.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 16384

# The app writes one structured JSON line per request (cds_hooks/logs.py): no gunicorn access
# log, which would duplicate it without the redaction. Errors go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("MARROW_CDS_GUNICORN_LOG_LEVEL", "info")

# No control socket (gunicorn 25+): its default path is per user, shared by every instance on a
# host (one instance could delete another's); the service does not use gunicornc.
control_socket_disable = True

# Heartbeat files in memory: a container's overlay filesystem can stall them (gunicorn docs).
worker_tmp_dir = "/dev/shm"  # noqa: S108

# Behind an ingress the client's URL (for the JWT `aud`) comes from MARROW_CDS_PUBLIC_BASE_URL,
# not from forwarded headers; trust X-Forwarded-* only from the addresses listed here.
forwarded_allow_ips = os.environ.get("MARROW_CDS_FORWARDED_ALLOW_IPS", "127.0.0.1")
