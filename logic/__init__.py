"""Marrow CDS clinical logic: pure rules of SPEC.md section 5, no I/O, no clock.

`assess(record, as_of)` is the one entry point; `logic.catalogue` describes every rule and
flag, generated from the code (`python -m logic.catalogue > docs/rules.md`).
"""

from logic.decide import assess

__all__ = ["assess"]
