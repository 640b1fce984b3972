"""The audit's hookInstance (`evaluate.hook_instance`) is ``uuid.uuid5`` of the patient's id in
the audit's namespace, built without a ``uuid.UUID``: the same string over 10,000 generated
ids (FHIR ids, empty, long, non-ASCII)."""

from __future__ import annotations

import random
import string
import uuid

from cds_hooks.audit.evaluate import _NAMESPACE, hook_instance


def test_hook_instance_is_uuid5_of_the_patient_id() -> None:
    rng = random.Random(18)
    alphabet = string.ascii_letters + string.digits + "-.é𝄞 /"
    for _ in range(10_000):
        patient = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 70)))
        expected = uuid.uuid5(_NAMESPACE, patient)
        assert hook_instance(patient) == str(expected), patient
        assert uuid.UUID(hook_instance(patient)).version == 5
