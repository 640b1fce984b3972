"""The CDS services: the registry and handler types (`registry`), patient-view
(`patient_view`), order-select / order-sign (`draft_order_review`), the placed-orders prefetch."""
