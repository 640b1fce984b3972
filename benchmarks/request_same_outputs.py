"""Do two versions of the code answer the same hook calls with the same bytes? (issue 11: speed
work on the request path must not change a card.)

    .venv/bin/python benchmarks/request_same_outputs.py REFERENCE_TREE [--texts N] [--keep DIR]

Builds one set of patient-view calls (below), sends each in process (Flask test client, JWT
off, SQLite in a temporary folder) to the app of this tree and to the app of REFERENCE_TREE
(another checkout at the commit before a change, e.g. ``git worktree add /tmp/ref COMMIT``),
both run by this tree's Python with the tree first on ``sys.path``, and compares status,
Content-Type and body byte for byte. The clock the hook reads (``as_of``) is the same fixed
moment for both; card and suggestion uuids are random, so each is replaced by its number of
first appearance in its body before comparing. Exit 1 on any difference (the first ones are
printed).

The calls:
- the benchmark patient (benchmarks/patient_data.py) with 0, 1, 3, 10, 30, 100, 300 and 1,000
  lab Observations, and with 10 Observations under five lab profiles (below);
- every text of `tests/corpus/hospital/set_*.jsonl` as the patient's MRI report (presentedForm),
  with 10 Observations, the lab profile chosen by the text's position: normal, anaemic,
  hypercalcaemic, with a monoclonal protein, no labs at all, the verbose extension, flawed
  data (times and a unit strict R4B refuses, an Observation without status, a Patient gender
  that is no FHIR code: data-quality cards);
- the requests of `examples/` that are patient-view calls;
- bad input: malformed JSON, wrong media type, missing context.patientId / userId, a patientId
  that is not a FHIR id, a prefetch value that is not an object, a hook of another service.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import patient_data  # noqa: E402
import request_handling  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "hospital"
PROFILES = ("normal", "anaemic", "hypercalcaemic", "m-spike", "no-labs", "verbose", "flawed")

_WORKER = r"""
import json, re, sys, tempfile
from datetime import datetime
from pathlib import Path
tree = Path(sys.argv[1])
sys.path.insert(0, sys.argv[4])  # this script's benchmarks folder (configure_env)
import request_handling  # puts this script's tree first on sys.path: the tree goes before it
sys.path.insert(0, str(tree))
request_handling.configure_env(Path(tempfile.mkdtemp(prefix="marrow-same-outputs-")))
import cds_hooks, cds_hooks.hooks as hooks
assert Path(cds_hooks.__file__).resolve().is_relative_to(tree.resolve()), cds_hooks.__file__
as_of = datetime.fromisoformat(sys.argv[3])

class _Clock(datetime):
    @classmethod
    def now(cls, tz=None):
        return as_of

hooks.datetime = _Clock
client = cds_hooks.create_app().test_client()
uuid = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

def numbered(data):
    seen = {}
    return uuid.sub(lambda m: b"uuid-%d" % seen.setdefault(m.group(0), len(seen)), data)

with open(sys.argv[2], encoding="utf-8") as calls, open(sys.argv[5], "wb") as out:
    for line in calls:
        call = json.loads(line)
        response = client.post(call["path"], data=call["body"].encode("utf-8"),
                               content_type=call["content_type"])
        head = f"{call['name']}\t{response.status_code}\t{response.headers.get('Content-Type')}\t"
        out.write(head.encode() + numbered(response.get_data()) + b"\n")
"""


def _texts(limit: int | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for path in sorted(CORPUS.glob("set_*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                item = json.loads(line)
                out.append((f"{path.stem}:{item.get('id', number)}", item["text"]))
    return out[:limit] if limit is not None else out


def _set_value(observations: list[dict[str, Any]], code: str, value: float, unit: str) -> None:
    """The newest Observation of `code` gets `value` `unit` (the profile's abnormal result)."""
    for obs in observations:
        if any(c.get("code") == code for c in obs["code"]["coding"]):
            obs["valueQuantity"] = {
                "value": value,
                "unit": unit,
                "system": patient_data.UCUM,
                "code": unit,
            }
            return


def _prefetch(
    templates: dict[str, str],
    observations: list[dict[str, Any]],
    report: dict[str, Any],
    patient: dict[str, Any],
) -> dict[str, Any]:
    by_type: dict[str, list[dict[str, Any]]] = {
        "Observation": observations,
        "DiagnosticReport": [report],
        "Condition": patient_data.conditions(),
    }
    return request_handling.prefetch_from(templates, by_type, patient)


def _call(name: str, body: Any, *, content_type: str = "application/json") -> dict[str, str]:
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "name": name,
        "path": request_handling.SERVICE_PATH,
        "content_type": content_type,
        "body": text,
    }


def _templates() -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    from cds_hooks.services.patient_view import PATIENT_VIEW

    return {key: template.query for key, template in PATIENT_VIEW.prefetch.items()}


def _with_profile(observations: list[dict[str, Any]], profile: str) -> list[dict[str, Any]]:
    observations = copy.deepcopy(observations)
    if profile == "anaemic":
        _set_value(observations, "718-7", 9.4, "g/dL")
    elif profile == "hypercalcaemic":
        _set_value(observations, "17861-6", 11.9, "mg/dL")
        _set_value(observations, "49765-1", 11.9, "mg/dL")
        _set_value(observations, "2000-8", 2.98, "mmol/L")
    elif profile == "m-spike":
        _set_value(observations, "33358-3", 1.4, "g/dL")
    elif profile == "no-labs":
        observations = []
    elif profile == "flawed":
        observations[0]["effectiveDateTime"] = "2026-11-20T10:00:00+0100"
        observations[1]["valueQuantity"]["code"] = "g/dl "
        observations[2]["issued"] = "yesterday"
        del observations[3]["status"]
        observations[4]["referenceRange"] = [{"low": {"value": "4"}}]
    return observations


def _request(
    templates: dict[str, str],
    observations: list[dict[str, Any]],
    report: dict[str, Any],
    profile: str,
) -> dict[str, Any]:
    patient = patient_data.patient()
    if profile == "flawed":
        patient["gender"] = "F"
    body = request_handling.hook_request(_prefetch(templates, observations, report, patient))
    if profile == "verbose":
        body["extension"] = {"org.marrow-cds.verbose": True}
    return body


def _bad_input(good: dict[str, Any]) -> list[dict[str, str]]:
    out = [
        _call("malformed JSON", json.dumps(good)[:-3]),
        _call("text/plain body", good, content_type="text/plain"),
    ]
    changes: dict[str, tuple[str, ...]] = {
        "no context.patientId": ("context", "patientId"),
        "no context.userId": ("context", "userId"),
    }
    for name, (member, field) in changes.items():
        bad = copy.deepcopy(good)
        del bad[member][field]
        out.append(_call(name, bad))
    replaced: dict[str, tuple[str, str | None, Any]] = {
        "patientId not a FHIR id": ("context", "patientId", "not a FHIR id!"),
        "prefetch value not an object": ("prefetch", "labs", ["not", "an", "object"]),
        "another service's hook": ("hook", None, "order-sign"),
        "hookInstance refused": ("hookInstance", None, "has spaces and ; semicolons"),
    }
    for name, (member, field, value) in replaced.items():
        bad = copy.deepcopy(good)
        if field is None:
            bad[member] = value
        else:
            bad[member][field] = value
        out.append(_call(name, bad))
    return out


def calls(as_of: datetime, texts: int | None) -> list[dict[str, str]]:
    templates = _templates()
    report = patient_data.mri_report(as_of)
    out: list[dict[str, str]] = []
    for n in (0, 1, 3, 10, 30, 100, 300, 1_000):
        body = _request(templates, patient_data.observations(n, as_of), report, "normal")
        out.append(_call(f"benchmark patient, {n} Observations", body))
    forty = patient_data.observations(40, as_of)  # 40: the myeloma screen is among them
    profiled = {profile: _with_profile(forty, profile) for profile in PROFILES}
    for profile in PROFILES:
        body = _request(templates, profiled[profile], report, profile)
        out.append(_call(f"benchmark patient, profile {profile}", body))
    for number, (name, text) in enumerate(_texts(texts)):
        profile = PROFILES[number % len(PROFILES)]
        rep = copy.deepcopy(report)
        rep["presentedForm"] = [
            {"contentType": "text/plain", "data": base64.b64encode(text.encode()).decode()}
        ]
        rep.pop("conclusion", None)
        body = _request(templates, profiled[profile], rep, profile)
        out.append(_call(f"{name} ({profile})", body))
    for path in sorted((ROOT / "examples").glob("*.json")):
        example = json.loads(path.read_text(encoding="utf-8"))
        if example.get("hook") == "patient-view" and "prefetch" in example:
            example.pop("fhirServer", None)
            example.pop("fhirAuthorization", None)
            out.append(_call(f"examples/{path.name}", example))
    good = _request(templates, patient_data.observations(10, as_of), report, "normal")
    return out + _bad_input(good)


def run(tree: Path, calls_file: Path, as_of: datetime, out: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-c",
            _WORKER,
            str(tree.resolve()),
            str(calls_file),
            as_of.isoformat(),
            str(ROOT / "benchmarks"),
            str(out),
        ],
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", type=Path, help="another checkout (git worktree)")
    parser.add_argument("--texts", type=int, default=None, help="only the first N corpus texts")
    parser.add_argument("--keep", type=Path, default=None, help="keep the calls and answers here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="marrow-same-outputs-"))
    folder.mkdir(parents=True, exist_ok=True)
    # The data's dates hang off the real clock; the hook's clock is this moment in both trees.
    as_of = (datetime.now(UTC) + timedelta(minutes=1)).replace(microsecond=0)
    made = calls(as_of, args.texts)
    calls_file = folder / "calls.jsonl"
    calls_file.write_text("".join(json.dumps(c) + "\n" for c in made), encoding="utf-8")
    answers = {}
    for name, tree in (("this tree", ROOT), ("reference", args.reference)):
        answers[name] = folder / f"answers-{'this' if name == 'this tree' else 'reference'}.txt"
        run(tree, calls_file, as_of, answers[name])
    new = answers["this tree"].read_bytes().split(b"\n")
    old = answers["reference"].read_bytes().split(b"\n")
    statuses: dict[str, int] = {}
    for line in new:
        if line:
            status = line.split(b"\t")[1].decode()
            statuses[status] = statuses.get(status, 0) + 1
    differing = [(a, b) for a, b in zip(new, old, strict=False) if a != b]
    print(
        f"{len(made)} calls (statuses {dict(sorted(statuses.items()))}); answers of this tree "
        f"and of {args.reference}: {len(differing)} differ"
        + ("" if len(new) == len(old) else f"; {len(new)} against {len(old)} lines")
    )
    for a, b in differing[:3]:
        print(f"  this tree: {a[:300]!r}\n  reference: {b[:300]!r}")
    if differing or len(new) != len(old):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
