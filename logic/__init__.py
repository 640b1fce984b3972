"""Marrow CDS clinical logic: pure rules of SPEC.md section 5, no I/O, no clock.

`assess(record, as_of)` is the one entry point; `logic.catalogue` describes every rule and
flag as data (rendered by `cds_hooks.rules_page` and `python -m cds_hooks.rules_markdown >
docs/rules.md`).
"""

from logic.decide import assess

__all__ = ["assess"]
