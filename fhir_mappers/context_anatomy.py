"""Which structure a finding belongs to: bone and marrow, or another organ (SPEC.md section 3).

"Anatomy: a finding counts only when it belongs to bone or marrow (vertebra, vertebral body,
sacrum, ilium/iliac bone, pelvis bones, femur, osseous, marrow). A lesion, mass, nodule, focus, cyst
or enhancement of another organ or tissue ... is not a marrow finding, and neither is 'enlarged' or
'worsening' said of one. 'Lateral mass' is anatomy."

`anchor(text, start, end, clause)` looks at the words of the finding's own clause and answers which
structure the finding is said of: the nearest anatomical word wins (an organ word inside the
finding's own phrase -- "renal lesion" -- wins outright). Bounded work: one scan of one clause.
"""

from __future__ import annotations

import re
from enum import Enum

_F = re.IGNORECASE


class Anchor(Enum):
    BONE = "bone"
    ORGAN = "organ"
    NONE = "none"


# Bone and marrow. A single vertebral level ("L3", "T12 vertebra") is a bone; a disc level
# ("L4-5", "L5-S1") is not.
BONE = re.compile(
    r"\b(?:(?:bone\s+)?marrow|vertebra[el]?|vertebral(?:\s+bod(?:y|ies))?|osseous|bony|bones?|"
    r"sacrum|sacral|sacral\s+alae?|ilium|ilia|iliac(?:\s+(?:bones?|wings?|crests?))?|"
    r"acetabul\w*|femora|femoral\s+(?:heads?|necks?|shafts?)|femurs?|proximal\s+femora|pubic|"
    r"pubis|ischi(?:um|al)|pedicles?|laminae?|spinous\s+process\w*|posterior\s+elements|"
    r"skeleton|skeletal|coccyx|clavicles?|ribs?|scapulae?|sternum|humer(?:us|i)|calvari\w*|"
    r"skull)\b"
    r"|(?<![\w-])[CTLS](?:[1-9]|1[0-2])(?![\w-])(?!\s*(?:-|–|to|/)\s*[CTLS]?\d)"
    r"(?!\s+(?:nerve|root|dis[ck]|foram\w*|neural|level\s+dis[ck]))"
    r"(?![\s-]*(?:weighted|w\b|hypo|hyper|iso|signal|images?|sequences?|fs\b|flair|fat|post|pre))",
    _F,
)
# Other organs and tissues, and the non-marrow parts of the spine.
ORGAN = re.compile(
    r"\b(?:kidneys?|renal|nephr\w*|hydronephrosis|livers?|hepatic|adrenals?|pancrea\w*|spleen|"
    r"splenic|adnex\w*|ovar(?:y|ies|ian)|uter(?:us|ine)|endometri\w*|myometri\w*|cervix|"
    r"prostat\w*|seminal|bladder|bowel|colon(?:ic)?|rect(?:um|al)|sigmoid|caecum|cecum|"
    r"append\w*|stomach|gastric|duoden\w*|esophag\w*|oesophag\w*|gall\s*bladder|biliary|"
    r"lungs?|pulmonary|pleura\w*|breasts?|thyroid|parotid|salivary|scalp|skin|cutaneous|"
    r"subcutaneous|lymph(?:atic)?|nodes?|nodal|lymphadenopathy|soft[\s-]+tissues?|"
    r"muscles?|muscular|musculature|psoas|paraspinal|paraspinous|gluteal|piriformis|"
    r"(?:spinal\s+)?cord|conus|cauda\s+equina|nerve\s+roots?|roots?|nerves?|thecal\s+sac|"
    r"dura\w*|epidural|intradural|meninge\w*|cerebr\w*|brain|white\s+matter|demyelinat\w*|"
    r"plaques?|dis[ck]s?|annul\w*|nucleus\s+pulposus|facets?|synovial|ganglion|tarlov|"
    r"perineural|cysts?|fluid|collections?|abscess\w*|seroma|h(?:a)?ematoma|effusions?|"
    r"fibroids?|leiomyom\w*|mesenter\w*|peritone\w*|retroperitone\w*|omentum|aort\w*|"
    r"aneurysm\w*|vessels?|vascular|ve(?:in|nous)|arter\w*|testi\w*|scrot\w*|abdominal\s+wall|"
    r"hernia\w*|granulation\s+tissue|scar|gland|glands|ligament\w*|tendons?|bursa\w*|"
    r"labr(?:um|al)|cartilage|joint\s+effusion|hydrosalpinx|ascites|"
    r"lateral\s+mass(?:es)?|lobes?|lobar|mediastin\w*|hila|hilar|hilum|transition\s+zone|"
    r"peripheral\s+zone|pi-?rads|stroma\w*|foramin\w*|foramen|nerve[\s-]+sheath|schwannoma\w*|"
    r"neurofibroma\w*|meningioma\w*|axill\w*|inguinal|groin|breast|nasopharyn\w*|larynx|"
    r"oropharyn\w*|tonsil\w*|pharyn\w*|extramedullary|intramedullary)\b",
    _F,
)


def anchor(text: str, start: int, end: int, clause: tuple[int, int]) -> Anchor:
    """The structure the finding at [start, end) is said of, read in its clause."""
    c0, c1 = clause
    inside = ORGAN.search(text, start, end)
    if inside is not None and BONE.search(text, start, end) is None:
        return Anchor.ORGAN  # "renal lesion", "adnexal mass": the organ is in the phrase itself
    # the words just before the finding describe it: "adrenal nodule", "vertebral lesion",
    # "intradural extramedullary mass"; the nearest such word decides
    before = text[max(c0, start - 40) : start]
    for word in reversed(re.findall(r"[\w-]+", before)[-3:]):
        if ORGAN.fullmatch(word) or ORGAN.search(word):
            return Anchor.ORGAN
        if BONE.fullmatch(word):
            return Anchor.BONE
    best: tuple[int, Anchor] | None = None
    for pattern, kind in ((BONE, Anchor.BONE), (ORGAN, Anchor.ORGAN)):
        for m in pattern.finditer(text, c0, c1):
            if start <= m.start() < end and kind is Anchor.ORGAN:
                continue
            distance = start - m.end() if m.end() <= start else max(0, m.start() - end)
            # a word after the finding ("lesion in the left kidney") is as good as one before,
            # but at equal distance the one before wins ("vertebral lesion", "renal cyst")
            key = distance * 2 + (1 if m.start() >= end else 0)
            if best is None or key < best[0]:
                best = (key, kind)
    return best[1] if best is not None else Anchor.NONE
