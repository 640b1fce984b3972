"""Limits on the work one hook call causes in the mappers (issue 16, bounded work).

- `REPORT_READING_LIMIT_CHARS`: the report reader reads at most this many characters of one report's
  text (the text assembled from every source of the report). Real radiology reports are far shorter
  (a full lumbar spine MRI report is 1.5-4 kB; the longest public report texts we measured are about
  30 kB), so the limit only bounds hostile or broken input; text past it is not read and the
  report carries a problem that the cards turn into a data-quality card naming the report and how
  much was read.
- `stop`: a callable the imperative shell passes in (built from the hook call's deadline). The
  mappers call it between resources and every few sentences of report reading; when it answers
  True they
  raise `WorkStopped` and do no further work for that call. `map_patient_record` and
  `read_imaging_reports`, which otherwise never raise, let `WorkStopped` through.
"""

from __future__ import annotations

from collections.abc import Callable

# 64 KiB of characters: twice the longest real report text measured, far below anything a request
# body limit lets through in bulk. Documented in README ("Limits") and the OpenAPI description.
REPORT_READING_LIMIT_CHARS = 65_536
# ... and at most this many sentences of it (the reader cuts sentences at 400 characters). A long
# real report has a few hundred; this bounds hostile text made of many tiny sentences, whose
# reading costs more per character. Past it the text is not read, and the report says so.
REPORT_READING_LIMIT_SENTENCES = 2_000

Stop = Callable[[], bool]


class WorkStopped(Exception):
    """The caller's `stop()` answered True: the work for this call was abandoned."""


def never() -> bool:
    """The default `stop`: the work is never cut short."""
    return False


def check(stop: Stop) -> None:
    """Raise `WorkStopped` when `stop()` says the call's budget is spent."""
    if stop():
        raise WorkStopped
