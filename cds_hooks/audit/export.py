"""Read a FHIR Bulk Data export and split it into partitions by patient, streaming.

The export folder holds one NDJSON file (or several) per resource type and, when the server
wrote it, ``manifest.json`` (the ``$export`` status response: ``transactionTime`` and
``output[].type/url``). With a manifest, the files it lists are read (by the last segment of
each ``url``, in the folder); without one, every ``*.ndjson`` in the folder.

Only Patient, DiagnosticReport, DocumentReference, Binary, Observation, Condition and
ServiceRequest are read; other types are counted and skipped (a file the manifest types as
another resource is not opened at all).

Two streaming passes, memory bounded whatever the export size (one line at a time, plus the
write buffers of the partitions):

1. every file except the Binary files: each resource goes to partition
   ``crc32(patient id) % n`` (a file ``part-00017.tsv`` of lines ``file \\t line \\t patient \\t
   resource JSON``); the Binary references of the imaging reports (``presentedForm.url``,
   ``DocumentReference.content.attachment.url``) are written to an on-disk SQLite table with the
   patient who refers to them;
2. the Binary files (and Binary lines found in other files, kept aside in pass 1): each Binary
   goes to the partition of the patient whose report refers to it.

Bad input is never fatal and never silent: a malformed line, a line that is not a FHIR
resource, a resource outside every patient's compartment (no ``subject`` / ``patient``
reference to a Patient), a Binary that reports of two patients refer to, a Binary no report
refers to, are each a ``Problem`` naming the file and the line (``problems.ndjson`` in the work
folder, counted by kind).
"""

from __future__ import annotations

import re
import sqlite3
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from fhir_mappers.fhir_id import FHIR_ID_PATTERN, is_fhir_id

WANTED_TYPES = frozenset(
    {
        "Patient",
        "DiagnosticReport",
        "DocumentReference",
        "Binary",
        "Observation",
        "Condition",
        "ServiceRequest",
    }
)
MANIFEST_NAMES = ("manifest.json", "$export.json", "export-manifest.json")
MAX_LINE_BYTES = 64 * 1024 * 1024  # one resource (a Binary with a PDF report fits easily)
PARTITION_TARGET_BYTES = 32 * 1024 * 1024  # a partition is read into memory by one worker
MAX_PARTITIONS = 512  # open files during pass 1
MAX_PROBLEMS_KEPT = 2000  # in memory, for the report; all of them are in problems.ndjson

_PATIENT_REF = re.compile(rf"(?:^|/)Patient/({FHIR_ID_PATTERN})(?:/_history/[^/]*)?$")
_TYPE_FROM_NAME = re.compile(r"^([A-Z][A-Za-z]+)(?:[._-]|$)")


@dataclass(frozen=True)
class Problem:
    """One piece of bad input, where it is (file name relative to the export, 1-based line)."""

    kind: str  # "malformed-line", "not-a-resource", "no-patient", "missing-binary", ...
    file: str
    line: int
    message: str
    patient: str | None = None  # the export's patient id, when known (never on the HTML page)

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class ExportFile:
    name: str  # relative to the export folder
    path: Path
    declared_type: str | None  # from the manifest or the file name


@dataclass
class Partitioned:
    """Pass 1 and 2 done: the partition files and what was read."""

    export_dir: Path
    work_dir: Path
    files: list[str]  # index -> file name (the partitions name files by index)
    partitions: list[Path]
    transaction_time: datetime | None
    read: Counter[str] = field(default_factory=Counter)  # resources by type
    ignored: Counter[str] = field(default_factory=Counter)  # other types, by type
    problem_counts: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS_KEPT
    bytes_read: int = 0
    # Resource types the export holds: the files' declared types (an empty file of a type means
    # "exported, none") and the types read. A type the export lacks is data not obtained.
    types: set[str] = field(default_factory=set)

    def add_problem(self, problem: Problem, sink: IO[bytes] | None) -> None:
        self.problem_counts[problem.kind] += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)
        if sink is not None:
            sink.write(orjson.dumps(problem.as_json()) + b"\n")


# --------------------------------------------------------------------------- the files


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def export_files(export_dir: Path) -> tuple[list[ExportFile], datetime | None, list[str]]:
    """(the files to read, the manifest's transactionTime, warnings about the manifest)."""
    warnings: list[str] = []
    for name in MANIFEST_NAMES:
        manifest_path = export_dir / name
        if not manifest_path.is_file():
            continue
        try:
            manifest = orjson.loads(manifest_path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            warnings.append(f"{name}: not readable JSON ({exc}); reading every *.ndjson instead")
            break
        if not isinstance(manifest, dict) or not isinstance(manifest.get("output"), list):
            warnings.append(f"{name}: no 'output' list; reading every *.ndjson instead")
            break
        files: list[ExportFile] = []
        for item in manifest["output"]:
            if not isinstance(item, dict) or not isinstance(item.get("url"), str):
                warnings.append(f"{name}: an output item without a url was skipped")
                continue
            file_name = item["url"].rstrip("/").rsplit("/", 1)[-1]
            path = export_dir / file_name
            if not path.is_file():
                warnings.append(f"{name}: {file_name} is listed but not in the folder")
                continue
            declared = item.get("type") if isinstance(item.get("type"), str) else None
            files.append(ExportFile(file_name, path, declared))
        return files, _parse_time(manifest.get("transactionTime")), warnings
    files = []
    for path in sorted(export_dir.glob("*.ndjson")):
        match = _TYPE_FROM_NAME.match(path.name)
        files.append(ExportFile(path.name, path, match.group(1) if match else None))
    return files, None, warnings


def patient_reference_id(reference: Any) -> str | None:
    if not isinstance(reference, dict):
        return None
    ref = reference.get("reference")
    if not isinstance(ref, str):
        return None
    match = _PATIENT_REF.search(ref.strip())
    return match.group(1) if match else None


def patient_of(resource: dict[str, Any]) -> str | None:
    """The patient whose compartment holds the resource (its id), or None."""
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) and is_fhir_id(rid) else None
    for name in ("subject", "patient"):
        found = patient_reference_id(resource.get(name))
        if found is not None:
            return found
    return None


def binary_refs(resource: dict[str, Any]) -> list[str]:
    """ "Binary/id" of every attachment of an imaging report that points to a Binary."""
    from fhir_mappers.report_documents import binary_key

    forms: list[Any] = []
    if resource.get("resourceType") == "DiagnosticReport":
        value = resource.get("presentedForm")
        forms = value if isinstance(value, list) else []
    elif resource.get("resourceType") == "DocumentReference":
        content = resource.get("content")
        for item in content if isinstance(content, list) else []:
            if isinstance(item, dict):
                forms.append(item.get("attachment"))
    keys = []
    for form in forms:
        if isinstance(form, dict) and not form.get("data"):
            key = binary_key(form.get("url"))
            if key is not None:
                keys.append(key)
    return keys


def partition_of(patient: str, n: int) -> int:
    return zlib.crc32(patient.encode()) % n


MIN_PARTITIONS = 16  # enough tasks to keep a few workers busy on a small export


def partition_count(total_bytes: int) -> int:
    """From the export's size only, never from the number of workers: the same partitions,
    hence the same results.ndjson byte for byte, on any number of workers or any engine."""
    by_size = total_bytes // PARTITION_TARGET_BYTES + 1
    return int(min(MAX_PARTITIONS, max(by_size, MIN_PARTITIONS)))


# --------------------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar on stderr when it is a terminal; nothing in a pipe."""

    def __init__(self, label: str, total: int, enabled: bool | None = None) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._shown = 0.0

    def advance(self, amount: int) -> None:
        self.done += amount
        if not self.enabled:  # in a pipe: called for every line read, so nothing more
            return
        now = time.monotonic()
        if now - self._shown > 0.2:
            self._shown = now
            share = min(self.done / self.total, 1.0)
            bar = "#" * int(share * 30)
            sys.stderr.write(f"\r{self.label:<22} [{bar:<30}] {share * 100:5.1f}%")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write(f"\r{self.label:<22} [{'#' * 30}] 100.0%\n")
            sys.stderr.flush()


# --------------------------------------------------------------------------- partitioning


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            # a UTF-8 byte order mark some writers put at the start of the file
            yield number, line[3:] if number == 1 and line.startswith(b"\xef\xbb\xbf") else line


def partition(
    export_dir: Path,
    work_dir: Path,
    *,
    partitions: int | None = None,
    progress: bool | None = None,
) -> Partitioned:
    """Split the export into partitions by patient (module docstring)."""
    files, transaction_time, warnings = export_files(export_dir)
    for warning in warnings:
        print(f"marrow-cds audit: {warning}", file=sys.stderr)
    work_dir.mkdir(parents=True, exist_ok=True)
    total = sum(f.path.stat().st_size for f in files)
    n = partitions or partition_count(total)
    result = Partitioned(
        export_dir=export_dir,
        work_dir=work_dir,
        files=[f.name for f in files],
        partitions=[work_dir / f"part-{i:05d}.tsv" for i in range(n)],
        transaction_time=transaction_time,
    )
    result.types.update(f.declared_type for f in files if f.declared_type is not None)
    bar = Progress("reading the export", total, progress)
    outs: list[IO[bytes]] = [p.open("wb", buffering=256 * 1024) for p in result.partitions]
    refs_db = sqlite3.connect(work_dir / "binary-refs.sqlite")
    refs_db.execute("CREATE TABLE ref (binary TEXT, patient TEXT)")
    spill_path = work_dir / "binaries-elsewhere.tsv"
    try:
        with (
            (work_dir / "problems.ndjson").open("wb") as sink,
            spill_path.open("wb") as spill,
        ):
            binary_files: list[tuple[int, ExportFile]] = []
            for index, export_file in enumerate(files):
                if export_file.declared_type == "Binary":
                    binary_files.append((index, export_file))
                    continue
                if export_file.declared_type is not None and (
                    export_file.declared_type not in WANTED_TYPES
                ):
                    result.ignored[export_file.declared_type] += 1  # files, not resources
                    bar.advance(export_file.path.stat().st_size)
                    continue
                _pass_one(index, export_file, outs, refs_db, spill, sink, result, bar)
            refs_db.execute("CREATE INDEX ref_binary ON ref (binary)")
            refs_db.commit()
            for index, export_file in binary_files:
                _pass_binaries(
                    ((index, n_, raw) for n_, raw in _lines(export_file.path)),
                    outs,
                    refs_db,
                    sink,
                    result,
                    bar,
                )
            spill.close()
            _pass_binaries(_spilled(spill_path), outs, refs_db, sink, result, None)
    finally:
        for out in outs:
            out.close()
        refs_db.close()
        bar.close()
    result.types.update(result.read)
    return result


def _spilled(path: Path) -> Iterator[tuple[int, int, bytes]]:
    with path.open("rb") as handle:
        for line in handle:
            file_index, number, raw = line.split(b"\t", 2)
            yield int(file_index), int(number), raw


def _read_line(
    index: int, number: int, raw: bytes, sink: IO[bytes], result: Partitioned
) -> dict[str, Any] | None:
    if not raw or raw.isspace():  # (as `not raw.strip()`, without copying the line)
        return None  # a blank line (a trailing newline) is not a resource
    name = result.files[index]
    if len(raw) > MAX_LINE_BYTES:
        result.add_problem(
            Problem("line-too-long", name, number, f"over {MAX_LINE_BYTES} bytes: not read"), sink
        )
        return None
    try:
        resource = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        result.add_problem(Problem("malformed-line", name, number, f"not JSON: {exc}"), sink)
        return None
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        result.add_problem(
            Problem("not-a-resource", name, number, "not a FHIR resource (no resourceType)"), sink
        )
        return None
    return resource


def _pass_one(
    index: int,
    export_file: ExportFile,
    outs: Sequence[IO[bytes]],
    refs_db: sqlite3.Connection,
    spill: IO[bytes],
    sink: IO[bytes],
    result: Partitioned,
    bar: Progress,
) -> None:
    n = len(outs)
    refs: list[tuple[str, str]] = []
    for number, raw in _lines(export_file.path):
        bar.advance(len(raw))
        result.bytes_read += len(raw)
        resource = _read_line(index, number, raw, sink, result)
        if resource is None:
            continue
        rtype = resource["resourceType"]
        if rtype == "Binary":
            spill.write(b"%d\t%d\t" % (index, number) + raw.rstrip(b"\r\n") + b"\n")
            continue
        if rtype not in WANTED_TYPES:
            result.ignored[rtype] += 1
            continue
        patient = patient_of(resource)
        if patient is None:
            kind = "no-patient" if rtype != "Patient" else "bad-patient-id"
            message = (
                f"{rtype} is in no patient's compartment (no subject/patient reference to a "
                "Patient): not used"
                if rtype != "Patient"
                else "Patient without a valid id: not used"
            )
            result.add_problem(Problem(kind, export_file.name, number, message), sink)
            continue
        result.read[rtype] += 1
        outs[partition_of(patient, n)].write(
            b"%d\t%d\t%s\t" % (index, number, patient.encode()) + raw.rstrip(b"\r\n") + b"\n"
        )
        if rtype in ("DiagnosticReport", "DocumentReference"):
            refs.extend((key, patient) for key in binary_refs(resource))
            if len(refs) > 10_000:
                refs_db.executemany("INSERT INTO ref VALUES (?, ?)", refs)
                refs.clear()
    if refs:
        refs_db.executemany("INSERT INTO ref VALUES (?, ?)", refs)


def _pass_binaries(
    lines: Iterator[tuple[int, int, bytes]],
    outs: Sequence[IO[bytes]],
    refs_db: sqlite3.Connection,
    sink: IO[bytes],
    result: Partitioned,
    bar: Progress | None,
) -> None:
    n = len(outs)
    for index, number, raw in lines:
        if bar is not None:
            bar.advance(len(raw))
        result.bytes_read += len(raw)
        resource = _read_line(index, number, raw, sink, result)
        if resource is None:
            continue
        name = result.files[index]
        if resource["resourceType"] != "Binary":
            result.ignored[resource["resourceType"]] += 1  # another type in a Binary file
            continue
        rid = resource.get("id")
        if not isinstance(rid, str) or not rid:
            result.add_problem(
                Problem("no-id", name, number, "Binary without an id: not used"), sink
            )
            continue
        owners = [
            row[0]
            for row in refs_db.execute(
                "SELECT DISTINCT patient FROM ref WHERE binary = ? ORDER BY patient",
                (f"Binary/{rid}",),
            )
        ]
        if not owners:
            result.ignored["Binary (no report refers to it)"] += 1
            continue
        result.read["Binary"] += 1
        if len(owners) > 1:
            result.add_problem(
                Problem(
                    "binary-of-several-patients",
                    name,
                    number,
                    f"Binary/{rid} is referred to by the reports of {len(owners)} patients "
                    "(another patient's compartment): read for each of them",
                ),
                sink,
            )
        body = raw.rstrip(b"\r\n")
        for owner in owners:
            outs[partition_of(owner, n)].write(
                b"%d\t%d\t%s\t" % (index, number, owner.encode()) + body + b"\n"
            )


# --------------------------------------------------------------------------- a partition


@dataclass
class Entry:
    file: int
    line: int
    resource: dict[str, Any]


def read_partition_lines(path: Path) -> dict[str, list[bytes]]:
    """The partition's lines by patient, in file order, as read (one partition in memory, as
    bytes: a resource is parsed only when its patient is evaluated, `parse_entries`). Parsed
    whole, a partition took 5 to 10 times its size in memory, millions of small objects that
    each full collection of the cyclic GC walked."""
    groups: dict[bytes, list[bytes]] = {}
    with path.open("rb") as handle:
        for line in handle:
            patient = line.split(b"\t", 3)[2]
            lines = groups.get(patient)
            if lines is None:
                lines = groups[patient] = []
            lines.append(line)
    return {patient.decode(): lines for patient, lines in groups.items()}


def parse_entries(lines: Sequence[bytes]) -> list[Entry]:
    """One patient's partition lines (`read_partition_lines`) parsed."""
    found = []
    for line in lines:
        file_index, number, _patient, raw = line.split(b"\t", 3)
        found.append(Entry(int(file_index), int(number), orjson.loads(raw)))
    return found


def read_partition(path: Path) -> dict[str, list[Entry]]:
    """The partition's resources by patient, in file order (one partition in memory)."""
    return {patient: parse_entries(lines) for patient, lines in read_partition_lines(path).items()}


def patient_groups(path: Path) -> Iterator[dict[str, list[bytes]]]:
    """The partition's patients (their lines, `read_partition_lines`), a part of at most about
    PARTITION_TARGET_BYTES in memory at a time: a partition grown larger (an export past
    MAX_PARTITIONS x PARTITION_TARGET_BYTES) is split again by patient (another hash) into
    sub-partitions beside it, read one after the other. The same parts, hence the same order of
    patients, on any engine."""
    size = path.stat().st_size
    if size <= 2 * PARTITION_TARGET_BYTES:
        yield read_partition_lines(path)
        return
    parts = int(size // PARTITION_TARGET_BYTES + 1)
    sub_paths = [path.with_name(f"{path.stem}.{i:03d}{path.suffix}") for i in range(parts)]
    outs = [p.open("wb", buffering=256 * 1024) for p in sub_paths]
    try:
        with path.open("rb") as handle:
            for line in handle:
                patient = line.split(b"\t", 3)[2]
                outs[zlib.crc32(b"sub:" + patient) % parts].write(line)
    finally:
        for out in outs:
            out.close()
    try:
        for sub_path in sub_paths:
            yield read_partition_lines(sub_path)
    finally:
        for sub_path in sub_paths:
            sub_path.unlink(missing_ok=True)
