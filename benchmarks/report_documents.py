"""Report documents (issue 17): how long reading each format takes, and what a Binary read adds
to a patient-view call. Prints figures; asserts nothing (speed targets live here, not in tests).

    .venv/bin/python benchmarks/report_documents.py [--runs 20]

1. Decoding (fhir_mappers.attachments.decode_bytes) of the example MRI report as HTML, RTF and a
   PDF written by fpdf2 (1, 4, 30 and 60 pages: the page cap is 30), median of the runs.
2. The HTTP path: the example patient-view request with its report inline, and with the report
   as a Binary by url (HTML, RTF, PDF; raw bytes and FHIR Binary resource) served by a FHIR
   stand-in on 127.0.0.1 (http.server), through the Flask test client; median and worst.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fhir_mappers.attachments import decode_bytes  # noqa: E402
from tests.support.report_documents import REPORT_TEXT, to_html, to_pdf, to_rtf  # noqa: E402


def median_ms(fn: Any, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def decoding(runs: int) -> None:
    print("decode_bytes (median / worst ms)")
    cases = [
        ("text/html", to_html(REPORT_TEXT).encode(), "HTML"),
        ("text/rtf", to_rtf(REPORT_TEXT), "RTF"),
        ("application/pdf", to_pdf(REPORT_TEXT), "PDF 1 page"),
        ("application/pdf", to_pdf(REPORT_TEXT, lines_per_page=3), "PDF 4 pages"),
    ]
    long_text = "\n".join([REPORT_TEXT] * 8)
    cases.append(("application/pdf", to_pdf(long_text, lines_per_page=2), "PDF many pages"))
    cases.append(("application/pdf", to_pdf(long_text * 2, lines_per_page=1), "PDF over cap"))
    for content_type, data, name in cases:
        decoded = decode_bytes(data, content_type)
        med, worst = median_ms(lambda d=data, c=content_type: decode_bytes(d, c), runs)
        pages = data.count(b"/Type /Page\n") or data.count(b"/Type /Page")
        print(
            f"  {name:16s} {len(data):>8,d} bytes {pages:>3d} pages  {med:7.1f} / {worst:7.1f}"
            f"  text {len(decoded.text or ''):>6,d} chars  {decoded.problem or ''}"
        )


class _Binary(BaseHTTPRequestHandler):
    documents: ClassVar[dict[str, tuple[str, bytes]]] = {}

    def do_GET(self) -> None:
        bid = self.path.rsplit("/", 1)[-1]
        content_type, data = self.documents[bid]
        if "fhir+json" in self.headers.get("Accept", ""):
            body = json.dumps(
                {
                    "resourceType": "Binary",
                    "id": bid,
                    "contentType": content_type,
                    "data": base64.b64encode(data).decode(),
                }
            ).encode()
            content_type = "application/fhir+json"
        else:
            body = data
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def http_path(runs: int) -> None:
    import os

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Binary)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/fhir"
    os.environ.update(
        MARROW_CDS_REQUIRE_JWT="0",
        MARROW_CDS_FHIR_ALLOWLIST=base,
        MARROW_CDS_DATABASE_URL="sqlite://",
        MARROW_CDS_PATIENT_HASH_KEY="benchmark-patient-hash-key-0123",
        MARROW_CDS_LOG_LEVEL="WARNING",
    )
    from cds_hooks import create_app

    client = create_app().test_client()
    example = json.loads((ROOT / "examples/patient-view-heterogeneous-marrow.json").read_text())
    example["fhirServer"] = base
    _Binary.documents = {
        "html": ("text/html", to_html(REPORT_TEXT).encode()),
        "rtf": ("text/rtf", to_rtf(REPORT_TEXT)),
        "pdf": ("application/pdf", to_pdf(REPORT_TEXT, lines_per_page=4)),
    }

    def call(body: dict[str, Any]) -> None:
        response = client.post("/cds-services/heterogeneous-marrow", json=body)
        assert response.status_code == 200

    print("patient-view through the Flask test client (median / worst ms)")
    med, worst = median_ms(lambda: call(example), runs)
    print(f"  inline text/plain              {med:7.1f} / {worst:7.1f}")
    for bid, (content_type, _) in _Binary.documents.items():
        for accept, label in ((content_type, "raw bytes"), ("", "Binary resource")):
            body = copy.deepcopy(example)
            report = body["prefetch"]["imaging"]["entry"][0]["resource"]
            report["presentedForm"] = [{"contentType": accept, "url": f"Binary/{bid}"}]
            if not accept:
                report["presentedForm"][0].pop("contentType")
            med, worst = median_ms(lambda b=body: call(b), runs)
            print(f"  {bid.upper():4s} by url, {label:16s} {med:7.1f} / {worst:7.1f}")
    server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    decoding(args.runs)
    http_path(args.runs)


if __name__ == "__main__":
    main()
