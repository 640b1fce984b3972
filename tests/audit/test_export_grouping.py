"""Reading a Bulk Data export: grouping by patient and bad input (issue 18)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import pytest

from cds_hooks.audit.export import (
    export_files,
    partition,
    partition_count,
    patient_of,
    read_partition,
)


def line(resource: dict[str, Any]) -> bytes:
    return orjson.dumps(resource) + b"\n"


def report(rid: str, pid: str, *, url: str | None = None) -> dict[str, Any]:
    form: dict[str, Any] = {"contentType": "text/plain"}
    if url:
        form["url"] = url
    else:
        form["data"] = base64.b64encode(b"Normal marrow signal.").decode()
    return {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": "final",
        "subject": {"reference": f"Patient/{pid}"},
        "presentedForm": [form],
    }


def obs(oid: str, pid: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "subject": {"reference": f"Patient/{pid}"}}


def write(folder: Path, name: str, *lines: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"".join(lines))


def groups(tmp_path: Path, **kwargs: Any) -> tuple[Any, dict[str, list[Any]]]:
    result = partition(tmp_path / "export", tmp_path / "work", progress=False, **kwargs)
    merged: dict[str, list[Any]] = {}
    for path in result.partitions:
        for pid, entries in read_partition(path).items():
            assert pid not in merged, "a patient is in one partition only"
            merged[pid] = entries
    return result, merged


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ({"resourceType": "Patient", "id": "p1"}, "p1"),
        (obs("o", "p2"), "p2"),
        (
            {
                "resourceType": "Observation",
                "subject": {"reference": "https://x.org/fhir/Patient/p3"},
            },
            "p3",
        ),
        ({"resourceType": "Observation", "subject": {"reference": "Patient/p4/_history/2"}}, "p4"),
        ({"resourceType": "Condition", "patient": {"reference": "Patient/p5"}}, "p5"),
        ({"resourceType": "Observation", "subject": {"reference": "Group/g1"}}, None),
        ({"resourceType": "Observation"}, None),
        ({"resourceType": "Patient", "id": "not a valid id!"}, None),
    ],
)
def test_patient_of(resource: dict[str, Any], expected: str | None) -> None:
    assert patient_of(resource) == expected


def test_every_resource_of_a_patient_is_grouped_with_its_binary(tmp_path: Path) -> None:
    export = tmp_path / "export"
    write(
        export,
        "Patient.ndjson",
        *(line({"resourceType": "Patient", "id": f"p{i}"}) for i in range(40)),
    )
    write(
        export,
        "Observation.ndjson",
        *(line(obs(f"o{i}-{k}", f"p{i}")) for i in range(40) for k in range(3)),
    )
    write(
        export,
        "DiagnosticReport.ndjson",
        *(line(report(f"r{i}", f"p{i}", url=f"Binary/b{i}" if i % 2 else None)) for i in range(40)),
    )
    write(
        export,
        "Binary.ndjson",
        *(
            line({"resourceType": "Binary", "id": f"b{i}", "contentType": "text/plain", "data": ""})
            for i in range(1, 40, 2)
        ),
        line({"resourceType": "Binary", "id": "orphan", "contentType": "text/plain"}),
    )
    result, merged = groups(tmp_path, partitions=7)
    assert len(result.partitions) == 7
    assert sorted(merged) == sorted(f"p{i}" for i in range(40))
    for i in range(40):
        types = sorted(e.resource["resourceType"] for e in merged[f"p{i}"])
        expected = ["DiagnosticReport", "Observation", "Observation", "Observation", "Patient"]
        if i % 2:
            expected = sorted([*expected, "Binary"])
        assert types == expected
    # where each came from: file index and 1-based line number
    first = next(e for e in merged["p0"] if e.resource["resourceType"] == "Observation")
    assert (result.files[first.file], first.line) == ("Observation.ndjson", 1)
    assert result.ignored["Binary (no report refers to it)"] == 1
    assert result.problem_counts == {}


def test_bad_lines_are_counted_by_file_and_line_and_never_fatal(tmp_path: Path) -> None:
    export = tmp_path / "export"
    write(
        export,
        "Observation.ndjson",
        line(obs("o1", "p1")),
        b'{"resourceType": "Observation", "id": "cut\n',  # line 2: malformed
        b"\n",  # line 3: blank, not a problem
        b'["a list"]\n',  # line 4
        line({"resourceType": "Observation", "id": "o2", "subject": {"reference": "Group/1"}}),
        line({"resourceType": "Encounter", "id": "e1", "subject": {"reference": "Patient/p1"}}),
        line(obs("o3", "p1")),
    )
    write(
        export,
        "Patient.ndjson",
        line({"resourceType": "Patient", "id": "p1"}),
        line({"resourceType": "Patient", "id": "p2"}),
    )
    write(
        export,
        "DiagnosticReport.ndjson",
        line(report("r1", "p1", url="Binary/shared")),
        line(report("r2", "p2", url="Binary/shared")),
    )
    write(
        export,
        "Binary.ndjson",
        line({"resourceType": "Binary", "id": "shared", "contentType": "text/plain"}),
    )
    result, merged = groups(tmp_path)
    found = {(p.kind, p.file, p.line) for p in result.problems}
    assert found == {
        ("malformed-line", "Observation.ndjson", 2),
        ("not-a-resource", "Observation.ndjson", 4),
        ("no-patient", "Observation.ndjson", 5),
        ("binary-of-several-patients", "Binary.ndjson", 1),
    }
    assert result.ignored["Encounter"] == 1
    assert sorted(
        e.resource["id"] for e in merged["p1"] if e.resource["resourceType"] == "Observation"
    ) == ["o1", "o3"]
    # the shared Binary is read for both patients (and said)
    assert any(e.resource["resourceType"] == "Binary" for e in merged["p2"])
    problems = [
        orjson.loads(x) for x in (tmp_path / "work" / "problems.ndjson").read_bytes().splitlines()
    ]
    assert len(problems) == 4


def test_the_manifest_names_the_files_and_the_transaction_time(tmp_path: Path) -> None:
    export = tmp_path / "export"
    write(export, "patients-001.ndjson", line({"resourceType": "Patient", "id": "p1"}))
    write(export, "leftover.ndjson", line({"resourceType": "Patient", "id": "p9"}))
    write(export, "Encounter.ndjson", b"not even json\n")
    manifest = {
        "transactionTime": "2026-11-30T18:00:00Z",
        "output": [
            {"type": "Patient", "url": "https://ehr.example.org/files/patients-001.ndjson"},
            {"type": "Encounter", "url": "https://ehr.example.org/files/Encounter.ndjson"},
        ],
    }
    (export / "manifest.json").write_bytes(orjson.dumps(manifest))
    files, when, warnings = export_files(export)
    assert [f.name for f in files] == ["patients-001.ndjson", "Encounter.ndjson"]
    assert when is not None
    assert when.isoformat() == "2026-11-30T18:00:00+00:00"
    assert warnings == []
    result, merged = groups(tmp_path)
    assert sorted(merged) == ["p1"]  # leftover.ndjson is not in the manifest
    assert result.problem_counts == {}  # a file of another type is not opened
    assert result.ignored["Encounter"] == 1


def test_without_a_manifest_every_ndjson_is_read(tmp_path: Path) -> None:
    export = tmp_path / "export"
    write(export, "a.ndjson", line({"resourceType": "Patient", "id": "p1"}), line(obs("o1", "p1")))
    write(export, "Binary.ndjson", b"")
    _, merged = groups(tmp_path)
    assert [e.resource["id"] for e in merged["p1"]] == ["p1", "o1"]


def test_partitions_depend_on_the_export_size_only() -> None:
    assert partition_count(0) == 16
    assert partition_count(10 * 1024**3) == 321
    assert partition_count(10**15) == 512


def test_a_partition_grown_too_large_is_read_in_parts(tmp_path: Path, monkeypatch) -> None:
    from cds_hooks.audit import export as export_module

    folder = tmp_path / "export"
    write(
        folder,
        "Patient.ndjson",
        *(line({"resourceType": "Patient", "id": f"p{i}"}) for i in range(60)),
    )
    write(
        folder,
        "Observation.ndjson",
        *(line(obs(f"o{i}-{k}", f"p{i}")) for i in range(60) for k in range(4)),
    )
    result = partition(folder, tmp_path / "work", partitions=1, progress=False)
    [path] = result.partitions
    monkeypatch.setattr(export_module, "PARTITION_TARGET_BYTES", path.stat().st_size // 5)
    parts = list(export_module.patient_groups(path))
    assert len(parts) > 2
    seen = [pid for part in parts for pid in part]
    assert sorted(seen) == sorted(f"p{i}" for i in range(60))  # each patient once, whole
    assert all(len(part[pid]) == 5 for part in parts for pid in part)
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith("part-")) == [
        path.name
    ]


def test_crlf_lines_and_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    write(
        folder,
        "Patient.ndjson",
        b"\xef\xbb\xbf" + orjson.dumps({"resourceType": "Patient", "id": "p1"}) + b"\r\n",
        orjson.dumps({"resourceType": "Patient", "id": "p2"}) + b"\r\n",
    )
    result, merged = groups(tmp_path)
    assert sorted(merged) == ["p1", "p2"]
    assert result.problem_counts == {}
