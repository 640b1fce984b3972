"""Fallback fetch from the EHR's ``fhirServer`` (CDS-HOOKS.md "Missing data is fetched").

One ``FhirClient`` per app: one ``requests.Session`` (no cookies, no proxy/netrc from the
environment, no retries) shared by a small thread pool, so that the queries of one hook call run
concurrently. Rules, all enforced here:

- Only URLs under a MARROW_CDS_FHIR_ALLOWLIST prefix are contacted (``url_allowed``: parsed
  scheme, host, port and path prefix; no user-info, dot segments, ';' path parameters or
  fragments; ``fhirServer`` without a query). https is required except for loopback hosts.
- The bearer token is sent only to URLs under the call's ``fhirServer`` (which is allowlisted);
  redirects are not followed automatically; a redirect under ``fhirServer`` is followed by hand,
  anything else is an error. The token is never logged (``BearerToken`` masks its repr).
- Every call has (connect, read) timeouts cut to the remaining overall budget; a body is read in
  chunks and abandoned when the budget or MARROW_CDS_FETCH_MAX_BYTES is exceeded.
- One hook call's fetches share a ``CallBudget``: its deadline and MARROW_CDS_FETCH_MAX_TOTAL_BYTES
  (all pages of all queries together). When the time is up ``fetch_all`` returns without the
  unfinished queries and cancels the budget: their threads stop at the next chunk (or before the
  next page) and drop what they read, so a hook call cannot keep reading and parsing in the
  background. A connect that hangs in DNS resolution (not covered by the connect timeout) holds
  its pool thread, never the hook call, which returns at the deadline.
- Pagination follows ``next`` links under ``fhirServer`` only, up to MARROW_CDS_FETCH_MAX_PAGES,
  and stops on a loop.
- Report documents (Binary, issue 17) are read by ``fetch_documents`` under the same rules, in a
  second round sharing the call's ``CallBudget`` (``CallBudget.phase``: same deadline, same
  total byte allowance); their answer is kept as bytes with its Content-Type.
Failures are ``errors.FhirFetchError`` values in the outcome, never raised to the caller.
"""

from __future__ import annotations

import http.cookiejar
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urljoin

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from cds_hooks.ehr.allowlist import UrlPrefix, parse_allowlist, under_prefix
from cds_hooks.errors import (
    FhirAuthError,
    FhirBadResponse,
    FhirConnectionError,
    FhirFetchError,
    FhirNotAllowed,
    FhirServerError,
    FhirTimeout,
)
from cds_hooks.settings import Settings

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
CHUNK_BYTES = 64 * 1024
FHIR_JSON = "application/fhir+json"

_Outcome = TypeVar("_Outcome")


@dataclass(frozen=True)
class BearerToken:
    """An access token that cannot leak through repr/str/logging."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "BearerToken(***)"


@dataclass(frozen=True)
class FetchTask:
    key: str  # prefetch key the data stands in for
    url: str  # absolute URL under fhirServer


class CallBudget:
    """What one hook call may spend on fetching: a deadline (``time.monotonic``) and a byte
    allowance shared by all its queries; ``cancel`` stops every fetch of the call."""

    def __init__(self, deadline: float, max_total_bytes: int) -> None:
        self.deadline = deadline
        self.max_total_bytes = max_total_bytes
        self._used = [0]  # shared with the budget's phases
        self._lock = threading.Lock()
        self._cancelled = threading.Event()

    def phase(self) -> CallBudget:
        """One more round of fetches of the same call (the report documents after the prefetch
        queries: issue 17): the same deadline and byte allowance, counted together; its own
        ``cancel``, so that ending one round does not stop the next."""
        child = CallBudget(self.deadline, self.max_total_bytes)
        child._used = self._used
        child._lock = self._lock
        return child

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def used(self) -> int:
        with self._lock:
            return self._used[0]

    def check(self) -> None:
        """Raise ``FhirTimeout`` when the call was cancelled or its deadline has passed."""
        if self._cancelled.is_set() or time.monotonic() >= self.deadline:
            raise FhirTimeout()

    def take(self, size: int) -> None:
        """Count ``size`` more bytes read; ``FhirBadResponse`` past the call's allowance."""
        with self._lock:
            self._used[0] += size
            over = self._used[0] > self.max_total_bytes
        if over:
            raise FhirBadResponse(
                f"FHIR server answers exceeded {self.max_total_bytes} bytes in total for this "
                "call: the rest was not read"
            )


@dataclass
class FetchOutcome:
    key: str
    documents: list[dict[str, Any]] = field(default_factory=list)
    error: FhirFetchError | None = None  # set: the data is missing or incomplete
    pages: int = 0


@dataclass(frozen=True)
class DocumentTask:
    """A read of one document (a Binary) whose answer is kept as bytes (issue 17)."""

    key: str
    url: str  # absolute URL under fhirServer
    accept: str = ""  # the document's own media type; "" = the FHIR Binary resource


@dataclass
class DocumentOutcome:
    key: str
    body: bytes | None = None
    content_type: str = ""  # of the answer
    error: FhirFetchError | None = None


class FhirClient:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.allowlist: tuple[UrlPrefix, ...] = parse_allowlist(settings.fhir_allowlist)
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies, no ~/.netrc credentials
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        adapter = HTTPAdapter(
            pool_connections=4, pool_maxsize=settings.fetch_workers * 2, max_retries=0
        )
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self._pool = ThreadPoolExecutor(
            max_workers=settings.fetch_workers, thread_name_prefix="fhir-fetch"
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.session.close()

    # ------------------------------------------------------------------ policy

    def server_allowed(self, fhir_server: str | None) -> bool:
        """True when ``fhir_server`` may be contacted at all (under an allowlisted prefix)."""
        if not fhir_server:
            return False
        prefix = UrlPrefix.parse(fhir_server, allow_query=False)  # a base: no query, no fragment
        return prefix is not None and any(under_prefix(fhir_server, p) for p in self.allowlist)

    # ------------------------------------------------------------------ fetching

    def fetch_all(
        self,
        fhir_server: str,
        tasks: Sequence[FetchTask],
        *,
        token: BearerToken | None,
        budget_s: float | None = None,
        budget: CallBudget | None = None,
    ) -> list[FetchOutcome]:
        """Run ``tasks`` concurrently within the budget; one outcome per task, in order.

        ``budget``: the call's budget when it fetches in more than one round (its deadline and
        byte allowance are shared by the rounds); else a new one of ``budget_s`` seconds."""
        budget = self._phase(budget, budget_s)
        base = UrlPrefix.parse(fhir_server, allow_query=False)
        if base is None or not self.server_allowed(fhir_server):
            return [
                FetchOutcome(t.key, error=FhirNotAllowed("fhirServer is not on the allowlist"))
                for t in tasks
            ]
        return self._run(
            [partial(self._fetch_pages, base, t, token, budget) for t in tasks],
            budget,
            [partial(_failed_fetch, t.key) for t in tasks],
        )

    def new_budget(self, budget_s: float | None = None) -> CallBudget:
        """A call's fetch budget: ``budget_s`` (default MARROW_CDS_FETCH_BUDGET_SECONDS) from now
        and MARROW_CDS_FETCH_MAX_TOTAL_BYTES, for every round of fetches of the call."""
        seconds = self.settings.fetch_budget_s if budget_s is None else budget_s
        return CallBudget(time.monotonic() + seconds, self.settings.fetch_max_total_bytes)

    def _phase(self, budget: CallBudget | None, budget_s: float | None) -> CallBudget:
        return self.new_budget(budget_s) if budget is None else budget.phase()

    def _run(
        self,
        jobs: Sequence[Callable[[], _Outcome]],
        budget: CallBudget,
        failed: Sequence[Callable[[FhirFetchError], _Outcome]],
    ) -> list[_Outcome]:
        """Run ``jobs`` in the pool until the budget's deadline, then cancel the stragglers
        (they stop at their next chunk and drop what they read: a timeout outcome)."""
        futures = [self._pool.submit(job) for job in jobs]
        wait(futures, timeout=max(budget.deadline - time.monotonic(), 0) + 0.05)
        budget.cancel()  # threads still reading stop at their next chunk and drop the data
        outcomes = []
        for future, fail in zip(futures, failed, strict=True):
            if future.done() and future.exception() is None:
                outcomes.append(future.result())
            elif future.done():
                log.error(
                    "fetch task failed",
                    exc_info=future.exception(),
                    extra={"error": type(future.exception()).__name__},
                )
                outcomes.append(fail(FhirConnectionError()))
            else:
                future.cancel()
                outcomes.append(fail(FhirTimeout()))
        return outcomes

    def fetch_documents(
        self,
        fhir_server: str,
        tasks: Sequence[DocumentTask],
        *,
        token: BearerToken | None,
        budget: CallBudget | None = None,
    ) -> list[DocumentOutcome]:
        """Read documents (Binary) concurrently under the same rules as ``fetch_all``: the
        allowlist, the token only under ``fhirServer``, timeouts, the per-answer byte cap and the
        call's budget. The answer is kept as bytes with its Content-Type: the raw document, or
        the FHIR Binary resource (the caller reads both). Accept names the document's own type
        when known, else ``application/fhir+json``; a server refusing that type (406/415) is
        asked once more for the Binary resource (CDS-HOOKS.md "Where real EHRs put the
        radiology report")."""
        budget = self._phase(budget, None)
        base = UrlPrefix.parse(fhir_server, allow_query=False)
        if base is None or not self.server_allowed(fhir_server):
            return [
                DocumentOutcome(t.key, error=FhirNotAllowed("fhirServer is not on the allowlist"))
                for t in tasks
            ]
        return self._run(
            [partial(self._fetch_document, base, t, token, budget) for t in tasks],
            budget,
            [partial(_failed_document, t.key) for t in tasks],
        )

    def _fetch_document(
        self, base: UrlPrefix, task: DocumentTask, token: BearerToken | None, budget: CallBudget
    ) -> DocumentOutcome:
        outcome = DocumentOutcome(task.key)
        accepts = [task.accept, FHIR_JSON] if task.accept else [FHIR_JSON]
        for n, accept in enumerate(accepts):
            try:
                budget.check()
                body, content_type = self._get(base, task.url, token, budget, accept)
                outcome.body, outcome.content_type = body, content_type
                outcome.error = None
                break
            except FhirServerError as error:
                outcome.error = error
                if error.http_status not in (406, 415) or n + 1 == len(accepts):
                    break
            except FhirFetchError as error:
                outcome.error = error
                break
        log.info(
            "fhir document fetch",
            extra={
                "fhir_host": base.host,
                "error": outcome.error.reason if outcome.error else None,
            },
        )
        return outcome

    def _fetch_pages(
        self, base: UrlPrefix, task: FetchTask, token: BearerToken | None, budget: CallBudget
    ) -> FetchOutcome:
        outcome = FetchOutcome(task.key)
        url: str | None = task.url
        seen: set[str] = set()
        while url is not None:
            try:
                budget.check()  # queued behind other calls' fetches, or between pages
            except FhirFetchError as error:
                outcome.error = error
                break
            if url in seen:
                outcome.error = FhirBadResponse("FHIR server pagination looped")
                break
            if outcome.pages >= self.settings.fetch_max_pages:
                outcome.error = FhirBadResponse(
                    f"more than {self.settings.fetch_max_pages} pages: the rest was not read"
                )
                break
            seen.add(url)
            try:
                document = self._get_json(base, url, token, budget)
            except FhirFetchError as error:
                outcome.error = error
                break
            outcome.pages += 1
            outcome.documents.append(document)
            more = next_link(document)
            url = urljoin(url, more) if more is not None else None  # relative links too
            if url is not None and not under_prefix(url, base):
                outcome.error = FhirNotAllowed("FHIR server's next link leaves fhirServer")
                break
        log.info(
            "fhir fetch",
            extra={
                "fhir_host": base.host,
                "pages": outcome.pages,
                "error": outcome.error.reason if outcome.error else None,
            },
        )
        return outcome

    def _get_json(
        self, base: UrlPrefix, url: str, token: BearerToken | None, budget: CallBudget
    ) -> dict[str, Any]:
        body, _ = self._get(base, url, token, budget, "application/fhir+json, application/json")
        document = _parse(body)
        budget.check()  # parsing took the rest of the time: the call no longer waits
        return document

    def _get(
        self, base: UrlPrefix, url: str, token: BearerToken | None, budget: CallBudget, accept: str
    ) -> tuple[bytes, str]:
        """One GET under ``fhirServer``: the body and its Content-Type (module docstring)."""
        headers = {"Accept": accept}
        if token is not None:
            headers["Authorization"] = f"Bearer {token.value}"
        for _ in range(MAX_REDIRECTS + 1):
            if not under_prefix(url, base):
                raise FhirNotAllowed("URL is not under fhirServer")
            budget.check()
            remaining = budget.deadline - time.monotonic()
            timeout = (
                min(self.settings.connect_timeout_s, remaining),
                min(self.settings.read_timeout_s, remaining),
            )
            try:
                with self.session.get(
                    url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
                ) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("Location", ""))
                        continue
                    _check_status(response.status_code)
                    body = self._read_body(response, budget)
                    content_type = response.headers.get("Content-Type", "")
            except requests.Timeout:
                raise FhirTimeout() from None
            except requests.ConnectionError as exc:
                if _is_read_timeout(exc) or time.monotonic() >= budget.deadline:
                    raise FhirTimeout() from None
                raise FhirConnectionError() from None
            except requests.RequestException:
                raise FhirConnectionError() from None
            except ReadTimeoutError:  # raised by raw.read1 while reading the body
                raise FhirTimeout() from None
            except (Urllib3Error, OSError):
                raise FhirConnectionError() from None
            return body, content_type
        raise FhirServerError(310, " (too many redirects)")

    def _read_body(self, response: requests.Response, budget: CallBudget) -> bytes:
        """Read what has arrived, chunk by chunk (``read1``: no waiting for a full chunk), so
        that a server dripping bytes cannot hold the worker beyond the budget. Stops (and drops
        what it read) on the page cap, the call's byte allowance, the deadline or a cancel."""
        limit = self.settings.fetch_max_bytes
        declared = _content_length(response)
        if declared is not None and declared > limit:
            raise FhirBadResponse(f"FHIR server answer exceeded {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            budget.check()
            chunk = response.raw.read1(CHUNK_BYTES, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise FhirBadResponse(f"FHIR server answer exceeded {limit} bytes")
            budget.take(len(chunk))
            chunks.append(chunk)


def _failed_fetch(key: str, error: FhirFetchError) -> FetchOutcome:
    return FetchOutcome(key, error=error)


def _failed_document(key: str, error: FhirFetchError) -> DocumentOutcome:
    return DocumentOutcome(key, error=error)


def _content_length(response: requests.Response) -> int | None:
    try:
        return int(response.headers.get("Content-Length", ""))
    except ValueError:
        return None


def _check_status(status: int) -> None:
    if status in (401, 403):
        raise FhirAuthError(status)
    if status != 200:
        raise FhirServerError(status)


def _is_read_timeout(exc: requests.ConnectionError) -> bool:
    return any(isinstance(arg, ReadTimeoutError) for arg in exc.args)


def _parse(body: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise FhirBadResponse("FHIR server sent invalid JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
        raise FhirBadResponse("FHIR server sent JSON that is not a FHIR resource")
    if document["resourceType"] == "OperationOutcome":
        raise FhirServerError(200, " with an OperationOutcome")
    return document


def next_link(document: dict[str, Any]) -> str | None:
    """The ``next`` link of a Bundle, if any."""
    if document.get("resourceType") != "Bundle":
        return None
    links = document.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) and url else None
    return None
