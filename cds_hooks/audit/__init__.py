"""``marrow-cds audit``: what the service would have said about a site's own patients (issue 18).

A FHIR Bulk Data ``$export`` folder (NDJSON per resource type, ``manifest.json``) is read in a
streaming pass and split into partitions by patient (``export.partition``: bounded memory,
whatever the export size); each partition is evaluated patient by patient through the hook's
own code path (``evaluate.evaluate_patient``: the patient-view handler on a prefetch built from
the export, the export's Binary resources served as the FHIR server would serve them), in
worker processes (``run``) or on a Dask cluster (``distributed``). The results are written as
``results.ndjson``, ``summary.csv`` and ``report.html`` (``report``). ``governance`` is the
committee's view of the feedback store after go-live.
"""
