"""The SMART on FHIR companion app (issue 13): trends and the report behind every card.

- `views`: the blueprint (``/app/launch``, ``/app/``, ``/app/static/...``, ``/app/api/...``);
- `links`: the ``smart`` link with ``appContext`` on each primary card;
- `reading`: lab trends, MRI timeline and report spans computed by the service's mappers;
- `identity`: the id_token check of the app's calls to the reader endpoints.

Nothing is imported here, so that the card modules can import `links` without loading Flask
views (no import cycle with `cds_hooks.cli.evaluate_offline`).
"""
