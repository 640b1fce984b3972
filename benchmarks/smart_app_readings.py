"""How long the companion app's readings take on the service (issue 13).

For a patient with 100, 1,000 and 5,000 lab Observations (benchmarks/patient_data.py: SPEC.md
section 4 codes in the unit mix seen in practice, draws going back years) plus the MRI report, it
times `POST /app/api/record` in process (Flask test client, id_token check off) and, for
comparison, `orjson.loads` + `orjson.dumps` of the same body (the floor any service pays), and
`POST /app/api/read-report` with the benchmark's MRI report text and with a text at the reader's
65,536-character limit. It prints medians of several runs and the points drawn per chart.

    python benchmarks/smart_app_readings.py [--quick]

A script that prints figures: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import patient_data as data

from cds_hooks import create_app
from fhir_mappers.limits import REPORT_READING_LIMIT_CHARS


def timed(call: Any, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    runs = 3 if args.quick else 9
    as_of = data.now()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            database_url=f"sqlite:///{folder}/bench.sqlite3",
            patient_hash_key=b"bench-patient-hash-key-0123456789",
            require_jwt=False,
            hook_deadline_s=60.0,
            log_level="ERROR",
        )
        client = app.test_client()
        print(f"POST /app/api/record (median of {runs} runs, in process)")
        print(
            f"{'observations':>12} {'service ms':>11} {'floor ms':>9} {'ratio':>6}"
            "  points per chart"
        )
        for n in (100, 1000, 5000):
            body = {
                "patientId": data.PATIENT_ID,
                "patient": data.patient(),
                "observations": data.observations(n, as_of),
                "reports": [data.mri_report(as_of)],
                "asOf": as_of.isoformat(),
            }
            raw = orjson.dumps(body)

            def post(raw: bytes = raw) -> Any:
                response = client.post("/app/api/record", data=raw, content_type="application/json")
                assert response.status_code == 200, response.get_data(as_text=True)[:300]
                return response

            answer = post().get_json()
            service = timed(post, runs)
            floor = timed(lambda raw=raw: orjson.dumps(orjson.loads(raw)), runs)
            points = {
                c["key"]: sum(len(s["points"]) for s in c["series"]) for c in answer["series"]
            }
            print(f"{n:>12} {service:>11.1f} {floor:>9.2f} {service / floor:>6.0f}  {points}")

        print(f"\nPOST /app/api/read-report (median of {runs} runs)")
        sentence = "Diffusely heterogeneous marrow signal with T1 signal lower than disc. "
        for label, text in (
            ("benchmark MRI report", data.MRI_TEXT),
            (
                "text at the reading limit",
                (sentence * (REPORT_READING_LIMIT_CHARS // len(sentence) + 1))[
                    :REPORT_READING_LIMIT_CHARS
                ],
            ),
        ):

            def read(text: str = text) -> Any:
                response = client.post("/app/api/read-report", json={"text": text})
                assert response.status_code == 200
                return response

            spans = len(read().get_json()["reading"]["spans"])
            print(f"  {label:<28} {len(text):>6} chars {timed(read, runs):>8.1f} ms  {spans} spans")


if __name__ == "__main__":
    main()
