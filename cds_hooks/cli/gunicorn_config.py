"""The one gunicorn configuration of Marrow CDS.

Every place that runs the service under gunicorn does it through ``marrow-cds serve``, which
runs gunicorn with these settings: a laptop (``make serve``), the tests and benchmarks that start
a real server, and the container (deploy/entrypoint.sh). Sizing (deploy/README.md):

- workers: ``--workers``, default MARROW_CDS_WORKERS or 2 (in Kubernetes, scale out with
  replicas, not workers);
- threads: ``--threads``, default MARROW_CDS_THREADS or 16 per worker (gthread). Only
  MARROW_CDS_EVALUATION_SLOTS (default 2) of them evaluate calls at once (cds_hooks/admission.py);
  the spare threads exist to answer 503 + Retry-After at once when those are busy, instead of
  letting requests queue for longer than an EHR waits. Each call is bounded by
  MARROW_CDS_HOOK_DEADLINE_SECONDS (3 s);
- timeout: a worker silent for 30 s is killed and replaced (a hung worker never lingers);
- max_requests (+ jitter): workers are recycled now and then, which bounds slow memory growth;
- an idle keep-alive connection is closed after 5 s, not gunicorn's 2 s, which busy clients
  reusing it would race.
"""

from __future__ import annotations

import os
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_WORKERS = 2
#: gunicorn threads per worker: the evaluation slots (2 by default) plus spare threads that
#: answer 503 at once under overload instead of letting requests queue.
DEFAULT_THREADS = 16


def env_int(name: str, default: int) -> int:
    """An integer environment variable; unset or empty means `default`."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def gunicorn_settings(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """The gunicorn settings of ``marrow-cds serve`` (gunicorn setting name -> value)."""
    return {
        "bind": f"{host}:{port}",
        "workers": max(1, workers),
        "worker_class": "gthread",
        "threads": max(1, threads),
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        "max_requests": 5000,
        "max_requests_jitter": 500,
        # The app is created in each worker after the fork: every worker has its own database
        # pool and outbound HTTP sessions (sockets must not be shared across processes).
        "preload_app": False,
        # Request limits in front of the app's own (MARROW_CDS_MAX_BODY_BYTES): headers must
        # hold a JWT.
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 16384,
        # The app writes one structured JSON line per request (cds_hooks/logs.py): no gunicorn
        # access log, which would duplicate it without the redaction. Errors go to stderr.
        "accesslog": None,
        "errorlog": "-",
        "loglevel": os.environ.get("MARROW_CDS_GUNICORN_LOG_LEVEL", "info"),
        # No control socket (gunicorn 25+, issue 10): its default path is per user
        # (~/.gunicorn/gunicorn.ctl), shared by every instance on a host, so one instance could
        # delete another's; the service does not use gunicornc.
        "control_socket_disable": True,
        # Heartbeat files in memory where there is /dev/shm: a container's overlay filesystem
        # can stall them (gunicorn docs).
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,  # noqa: S108
        # Behind an ingress the client's URL (for the JWT `aud`) comes from
        # MARROW_CDS_PUBLIC_BASE_URL, not from forwarded headers; trust X-Forwarded-* only from
        # the addresses listed here.
        "forwarded_allow_ips": os.environ.get("MARROW_CDS_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    }
