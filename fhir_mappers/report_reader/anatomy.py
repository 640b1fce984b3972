"""Which structure a finding belongs to: bone and marrow, or another organ (SPEC.md section 3).

"Anatomy: a finding counts only when it belongs to bone or marrow (vertebra, vertebral body,
sacrum, ilium/iliac bone, pelvis bones, femur, osseous, marrow). A lesion, mass, nodule, focus, cyst
or enhancement of another organ or tissue ... is not a marrow finding, and neither is 'enlarged' or
'worsening' said of one. 'Lateral mass' is anatomy."

`anchor(text, start, end, clause)` looks at the words of the finding's own clause and answers which
structure the finding is said of: a word just before the finding describes it ("adrenal nodule",
"vertebral lesion", "intradural extramedullary mass"); otherwise the nearest anatomical word of the
clause wins. The clause is cut into words once and each word is looked up in sets of words and
word stems (no regular-expression alternation per position): cost linear in the clause.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum
from functools import lru_cache

_F = re.IGNORECASE


class Anchor(Enum):
    BONE = "bone"
    ORGAN = "organ"
    NONE = "none"


# Bone and marrow words (whole words), and two-word names.
_BONE_WORDS = frozenset(
    [
        "marrow",
        "vertebra",
        "vertebrae",
        "vertebral",
        "osseous",
        "bony",
        "bone",
        "bones",
        "sacrum",
        "sacral",
        "ilium",
        "ilia",
        "iliac",
        "acetabulum",
        "acetabular",
        "femora",
        "femur",
        "femurs",
        "femoral",
        "pubic",
        "pubis",
        "ischium",
        "ischial",
        "pedicle",
        "pedicles",
        "lamina",
        "laminae",
        "skeleton",
        "skeletal",
        "coccyx",
        "clavicle",
        "clavicles",
        "rib",
        "ribs",
        "scapula",
        "scapulae",
        "sternum",
        "humerus",
        "humeri",
        "calvarium",
        "calvarial",
        "skull",
        "spinous",
    ]
)
# Other organs and tissues (whole words), stems (a word starting with one), and two-word names.
_ORGAN_WORDS = frozenset(
    [
        "kidney",
        "ureter",
        "ureters",
        "ureteric",
        "ureteral",
        "urethra",
        "kidneys",
        "renal",
        "hydronephrosis",
        "liver",
        "livers",
        "hepatic",
        "adrenal",
        "adrenals",
        "spleen",
        "splenic",
        "ovary",
        "ovaries",
        "ovarian",
        "uterus",
        "uterine",
        "uterinus",
        "torus",
        "soft-tissue",
        "cervix",
        # the pelvis of a gynaecology MRI ("T1 hyperintense foci in the posterior cul-de-sac")
        "cul-de-sac",
        "douglas",
        "uterosacral",
        "rectovaginal",
        "endometrioma",
        "endometriomas",
        "endometriosis",
        "endometriotic",
        "seminal",
        "bladder",
        "bowel",
        "colon",
        "colonic",
        "rectum",
        "rectal",
        "sigmoid",
        "caecum",
        "cecum",
        "stomach",
        "gastric",
        "biliary",
        "lung",
        "lungs",
        # lobes of the lung as reports abbreviate them ("FDG-avid LLL nodule")
        "lll",
        "lul",
        "rll",
        "rml",
        "rul",
        "pulmonary",
        "breast",
        "breasts",
        "thyroid",
        "parotid",
        "salivary",
        "scalp",
        "chest",
        "skin",
        "cutaneous",
        "subcutaneous",
        "lymph",
        "lymphatic",
        "node",
        "nodes",
        "nodal",
        "lymphadenopathy",
        "muscle",
        "muscles",
        "muscular",
        "musculature",
        "psoas",
        "paraspinal",
        "paraspinous",
        "gluteal",
        # an ultrasound's echoes are of soft tissue: bone marrow is not seen by ultrasound
        "hypoechoic",
        "hyperechoic",
        "anechoic",
        "isoechoic",
        "paravertebral",
        "prevertebral",
        "cns",
        "plexus",
        "sciatic",
        # the layers of the uterus ("a 7 cm intramural fibroid")
        "intramural",
        "submucosal",
        "subserosal",
        "myometrium",
        "myometrial",
        "umbilicus",
        "umbilical",
        # the canal and the neck ("Intraspinal lesion on MRI", "sestamibi focus at the right
        # inferior parathyroid")
        "intraspinal",
        "intracanalicular",
        "intrathecal",
        "parathyroid",
        "parathyroids",
        "tracer",
        # the abdomen on examination ("a pulsatile epigastric mass")
        "epigastric",
        "epigastrium",
        "hypogastric",
        "suprapubic",
        "periumbilical",
        "pulsatile",
        "buttock",
        "buttocks",
        "thigh",
        "thighs",
        "flank",
        "piriformis",
        # the brain of a head MRI ("right frontal mass")
        "frontal",
        "parietal",
        "occipital",
        "cerebral",
        "cerebellar",
        # white matter regions ("a 6 mm lesion in the left centrum semiovale")
        "semiovale",
        "periventricular",
        "juxtacortical",
        "subcortical",
        "callosum",
        "callosal",
        "peduncle",
        "peduncles",
        "supratentorial",
        "infratentorial",
        "thalamus",
        "thalamic",
        "pons",
        "pontine",
        "intracranial",
        "intra-axial",
        "extra-axial",
        # named muscles of thigh, pelvis and shoulder ("nodule in the vastus lateralis")
        "intramuscular",
        "gluteus",
        "vastus",
        "quadriceps",
        "hamstring",
        "hamstrings",
        "adductor",
        "adductors",
        "sartorius",
        "gracilis",
        "semimembranosus",
        "semitendinosus",
        "biceps",
        "triceps",
        "deltoid",
        "trapezius",
        "latissimus",
        "pectoralis",
        "gastrocnemius",
        "soleus",
        "multifidus",
        "erector",
        "cord",
        "hemicord",
        "conus",
        # the cord's columns ("lesions at C3 (dorsal columns)"); demyelination is the cord's or
        # the brain's
        "column",
        "columns",
        "demyelination",
        "demyelinating",
        "root",
        "roots",
        "nerve",
        "nerves",
        "epidural",
        "intradural",
        # tumours of the nerves, meninges and brain ("C2-3 dumbbell lesion, likely schwannoma")
        "dumbbell",
        "liposarcoma",
        "leiomyosarcoma",
        "schwannoma",
        "neuroma",
        "filum",
        "intermetatarsal",
        "neuromas",
        "schwannomas",
        "neurofibroma",
        "neurofibromas",
        "meningioma",
        "meningiomas",
        "ependymoma",
        "ependymomas",
        "glioma",
        "gliomas",
        "astrocytoma",
        "glioblastoma",
        "brain",
        "plaque",
        "plaques",
        "disc",
        "discs",
        "disk",
        "disks",
        "facet",
        "facets",
        "synovial",
        "ganglion",
        "tarlov",
        "perineural",
        "cyst",
        "cysts",
        "fluid",
        "collection",
        "collections",
        "seroma",
        "hematoma",
        "haematoma",
        "effusion",
        "effusions",
        "fibroid",
        "fibroids",
        "omentum",
        "aneurysm",
        "vessel",
        "vessels",
        "vascular",
        "vein",
        "venous",
        "scar",
        "gland",
        "glands",
        "tendon",
        "tendons",
        "labrum",
        "labral",
        # tendons and cartilage of shoulder and knee reports ("PASTA lesion", "SLAP lesion")
        "supraspinatus",
        "infraspinatus",
        "subscapularis",
        "cuff",
        "cruciate",
        "slap",
        "pasta",
        "cartilage",
        "ascites",
        "hydrosalpinx",
        "lobe",
        "lobes",
        "lobar",
        "hila",
        "hilar",
        "hilum",
        "stroma",
        "stromal",
        "foramen",
        "inguinal",
        "groin",
        "larynx",
        "tonsil",
        "tonsils",
        "extramedullary",
        "intramedullary",
        # organ scoring systems and prostate zones ("PI-RADS 4 left PZ lesion")
        "pz",
        "tz",
        "pi-rads",
        "bi-rads",
        "li-rads",
        "o-rads",
        "ti-rads",
        "lung-rads",
        "mid-gland",
        "rokitansky",
        "dermoid",
        "teratoma",
    ]
)
_ORGAN_STEMS = (
    "nephr",
    "pancrea",
    "adnex",
    "endometri",
    "myometri",
    "adenomyo",
    "menisc",
    "parametr",
    "vagin",
    "splen",
    "siderot",
    "pulmon",
    "intrapulmon",
    "fissur",
    "perifissur",
    "pancoast",
    # the brain and pituitary of a head MRI filed against the order
    "pituitar",
    "hypophys",
    "adenohypophys",
    "adenom",
    "microadenom",
    "macroadenom",
    "infundib",
    "chiasm",
    "parenchym",
    "sella",
    "suprasellar",
    "hypothalam",
    "cerebell",
    "ventric",
    "prostat",
    "duoden",
    "esophag",
    "oesophag",
    "append",
    "cerebr",
    "demyelinat",
    "dura",
    "meninge",
    "annul",
    "abscess",
    "leiomyom",
    "mesenter",
    "peritone",
    "retroperitone",
    "aort",
    "para-aort",
    "paraaort",
    "periaort",
    "arter",
    "testi",
    "scrot",
    "hernia",
    "ligament",
    "bursa",
    "mediastin",
    "foramin",
    "schwannom",
    "presacral",
    "retrorectal",
    "cystic",
    "neurofibrom",
    "meningiom",
    "axill",
    "nasopharyn",
    "oropharyn",
    "pharyn",
)
_ORGAN_PAIRS = frozenset(
    {
        ("soft", "tissue"),
        ("soft", "tissues"),
        ("spinal", "cord"),
        ("cauda", "equina"),
        ("thecal", "sac"),
        ("white", "matter"),
        ("nucleus", "pulposus"),
        ("gall", "bladder"),
        ("abdominal", "wall"),
        ("granulation", "tissue"),
        ("joint", "effusion"),
        ("transition", "zone"),
        ("junctional", "zone"),
        ("peripheral", "zone"),
        ("nerve", "sheath"),
        ("lateral", "mass"),
        ("lateral", "masses"),
        # the nerves and vessels a bone names ("along the sacral nerve roots")
        # soft tissue of the pelvis, not its bones ("pelvic mass" on ultrasound); the chemist's
        # mass is no mass ("AL lambda on mass spectrometry")
        ("pelvic", "mass"),
        ("pelvic", "masses"),
        ("mass", "spectrometry"),
        ("cervical", "cord"),
        ("thoracic", "cord"),
        ("sacral", "nerve"),
        ("sacral", "nerves"),
        ("sacral", "roots"),
        ("sacral", "root"),
        ("sacral", "plexus"),
        ("lumbar", "plexus"),
        ("lumbosacral", "plexus"),
    }
)
# A single vertebral level ("L3", "T12") is a bone; a disc level ("L4-5", "L5-S1"), a level that
# names a nerve root or disc ("S1 nerve root"), and a T1 / T2 sequence name are not.
_LEVEL = re.compile(r"[ctls](?:[1-9]|1[0-2])")
_SACRAL_SEGMENTS = re.compile(r"s[1-5]-s?[1-5]")  # "S3-S5" as one word: sacral segments
_SACRAL_RANGE = re.compile(r"\s*(?:-|–|to)\s*s[1-5]\b", re.IGNORECASE)
_DISC_LEVEL_AFTER = re.compile(r"\s*(?:-|–|to|/)\s*[ctls]?\d", _F)
_NOT_BONE_AFTER = frozenset(
    [
        "nerve",
        "nerves",
        "root",
        "roots",
        "dis",
        "disc",
        "disk",
        "foramen",
        "foramina",
        "foraminal",
        "neural",
        "weighted",
        "w",
        "hypo",
        "hyper",
        "iso",
        "hypointense",
        "hyperintense",
        "isointense",
        "signal",
        "image",
        "images",
        "sequence",
        "sequences",
        "fs",
        "flair",
        "fat",
        "post",
        "pre",
    ]
)
# After "T1" / "T2", words that make them sequence names ("T1 and T2 bright", "T2 high signal").
_SEQUENCE_NEXT = frozenset({"bright", "dark", "high", "low", "and", "or", "stir"})
# "T1" and "T2" name MRI sequences far more often than the vertebrae: a level only after a word
# that introduces one ("at T1", "the T2 vertebral body", "from T1").
_SEQUENCE_NAMES = frozenset({"t1", "t2"})
_SEQUENCE_WORD_STEMS = ("bright", "dark", "hyper", "hypo", "iso", "signal", "weight", "shorten")
_BEFORE_A_LEVEL = frozenset(
    {"at", "of", "the", "level", "levels", "from", "to", "involving", "including", "through"}
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z][A-Za-z0-9]*)*|\d+(?:\.\d+)?")


def _words(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0).lower()) for m in _WORD.finditer(text, start, end)]


_RUN_JOINERS = frozenset({"and", "or", "to", "through"})
_RUN_REACH = 8  # words a run of levels is followed ("L5, S1 and S2 roots")


def _names_roots(words: list[tuple[int, int, str]], i: int) -> bool:
    """The level opens a run of levels that names nerve roots or discs ("along the left L5, S1
    and S2 roots"): each level of it names a root, not a bone."""
    for _, _, word in words[i + 1 : i + 1 + _RUN_REACH]:
        if word in _RUN_JOINERS or _LEVEL.fullmatch(word):
            continue
        return word in _NOT_BONE_AFTER
    return False


def _kinds(text: str, words: list[tuple[int, int, str]]) -> list[tuple[int, int, Anchor]]:
    """Each anatomical word (or two-word name) of `words`, with its kind, in text order.

    A level that only locates another organ ("lesions in the thoracic cord at T4 and T8", "the
    T8 lesion" after it) is that organ's: it follows the organ word across nothing but "at",
    "and", "the", "level" and other levels."""
    out: list[tuple[int, int, Anchor]] = []
    last_kind: Anchor | None = None
    last_index = -10
    for i, (start, end, word) in enumerate(words):
        nxt = words[i + 1][2] if i + 1 < len(words) else ""
        kind: Anchor | None = None
        stop = end
        if word in _REFERENCE_TISSUES and _compared_with(words, i):
            continue  # "T1 hypointense relative to muscle": the reference, not where it is
        if (word, nxt) in _ORGAN_PAIRS or (word in _SEGMENT and nxt in _LIVER_SEGMENTS):
            kind, stop = Anchor.ORGAN, words[i + 1][1]
        elif word in _ORGAN_WORDS or word.startswith(_ORGAN_STEMS):
            kind = Anchor.ORGAN
        elif word in _BONE_WORDS or _SACRAL_SEGMENTS.fullmatch(word):
            kind = Anchor.BONE
        elif (
            _LEVEL.fullmatch(word)
            and (
                not _DISC_LEVEL_AFTER.match(text, end)
                # "S3-S5": sacral segments are bone (the sacrum has no discs)
                or (word.startswith("s") and _SACRAL_RANGE.match(text, end) is not None)
            )
            and nxt not in _NOT_BONE_AFTER
            and not _names_roots(words, i)
            and text[end : end + 1] != "-"
            and (
                word not in _SEQUENCE_NAMES
                or (
                    i > 0
                    and words[i - 1][2] in _BEFORE_A_LEVEL
                    and nxt not in _SEQUENCE_NEXT
                    and not nxt.startswith(_SEQUENCE_WORD_STEMS)
                )
            )
        ):
            between = {w for _, _, w in words[last_index + 1 : i]}
            locates_organ = last_kind is Anchor.ORGAN and all(
                w in _LOCATING_WORDS or _LEVEL.fullmatch(w) for w in between
            )
            kind = Anchor.ORGAN if locates_organ else Anchor.BONE
        if kind is not None:
            out.append((start, stop, kind))
            last_kind, last_index = kind, i
    return out


# "segment 7", "segment IVa": a liver (Couinaud) segment; a bare "segment" of the spine ("the L4-5
# motion segment") stays unanchored
_SEGMENT = frozenset({"segment", "segments"})
_LIVER_SEGMENTS = frozenset(
    {str(n) for n in range(1, 9)} | {"i", "ii", "iii", "iv", "iva", "ivb", "v", "vi", "vii", "viii"}
)


# The tissues a T1 signal is compared with (SPEC.md section 3 T1 comparisons): named after a
# comparison word they are the reference, not the site of the finding.
_REFERENCE_TISSUES = frozenset(
    {
        "muscle",
        "muscles",
        "musculature",
        "disc",
        "discs",
        "disk",
        "disks",
        "paraspinal",
        "paraspinous",
        "intervertebral",
        "gluteal",
        "psoas",
        "iliopsoas",
        "iliacus",
        "skeletal",
    }
)
_COMPARISON_WORDS = frozenset({"than", "versus", "vs"})
_COMPARED_TO = frozenset(
    {
        "relative",
        "compared",
        "similar",
        "equal",
        "isointense",
        "hypointense",
        "hyperintense",
        "iso",
        "hypo",
        "hyper",
        "identical",
        "comparable",
    }
)
_BETWEEN_COMPARISON = frozenset({"the", "adjacent", "normal", "that", "of", "those", "and"})


def _compared_with(words: list[tuple[int, int, str]], i: int) -> bool:
    """Whether words[i] follows a comparison ("than the discs", "relative to muscle", "similar
    to that of the adjacent disc"), across a few linking words."""
    j = i - 1
    while (
        j >= 0
        and i - j <= 5
        and (words[j][2] in _BETWEEN_COMPARISON or words[j][2] in _REFERENCE_TISSUES)
    ):
        j -= 1
    if j < 0:
        return False
    w = words[j][2]
    if w in _COMPARISON_WORDS:
        return True
    return w in {"to", "with"} and j > 0 and words[j - 1][2] in _COMPARED_TO


# Words that may stand between an organ and the levels that locate it.
_LOCATING_WORDS = frozenset(
    {
        "at",
        "and",
        "or",
        "the",
        "level",
        "levels",
        "from",
        "to",
        "of",
        "fat",
        "tissue",
        "tissues",
        "space",
        "region",
    }
)


def vertebral_levels(text: str, start: int, end: int) -> set[str]:
    """The single vertebral levels the stretch names ("L3", "T12"; not "L4-5", not a T1 image)."""
    words = _words(text, start, end)
    return {
        text[s:e].upper()
        for s, e, kind in _kinds(text, words)
        if kind is Anchor.BONE and _LEVEL.fullmatch(text[s:e].lower())
    }


def mentions_bone(text: str, start: int = 0, end: int | None = None) -> bool:
    """Whether the stretch names a bone, the marrow or a single vertebral level."""
    stop = len(text) if end is None else end
    # what follows the stretch decides a level ("L4-5", "L5 nerve root"): a few characters of it
    # go with the stretch into the cached reading
    return _bone_in(text[start:stop], text[stop : stop + _LOOK_AFTER])


# characters after a stretch that `_kinds` may look at (a disc level "-5", the next word)
_LOOK_AFTER = 24


@lru_cache(maxsize=4096)
def _bone_in(stretch: str, after: str) -> bool:
    text = stretch + after
    return any(kind is Anchor.BONE for *_, kind in _kinds(text, _words(text, 0, len(stretch))))


@lru_cache(maxsize=4096)
def _read_clause(
    clause: str, after: str
) -> tuple[tuple[tuple[int, int, str], ...], tuple[tuple[int, int, Anchor], ...]]:
    """The words of a clause and their kinds, offsets within the clause (read once per clause
    text: a report's clauses are looked at for each of their findings). Cached: immutable."""
    text = clause + after
    words = _words(text, 0, len(clause))
    return tuple(words), tuple(_kinds(text, words))


def anchor(text: str, start: int, end: int, clause: tuple[int, int]) -> Anchor:
    """The structure the finding at [start, end) is said of, read in its clause."""
    c0, c1 = clause
    clause_text = text[c0:c1]
    words, found = _read_clause(clause_text, text[c1 : c1 + _LOOK_AFTER])
    start, end = start - c0, end - c0
    inside = [kind for s, _, kind in found if start <= s < end]
    if Anchor.ORGAN in inside and Anchor.BONE not in inside:
        return Anchor.ORGAN  # "renal lesion", "adnexal mass": the organ is in the phrase itself
    # "In the spinal cord there are two lesions at T4 and T8": a clause framed by another organ
    # is that organ's, its levels only locate (a bone word would be the bone's)
    if _FRAME.match(clause_text) and found:
        first = min(found, key=lambda f: f[0])
        if (
            first[2] is Anchor.ORGAN
            and first[0] <= _FRAME_REACH
            and first[0] < start
            and not names_a_bone_word(clause_text, 0, len(clause_text))
        ):
            return Anchor.ORGAN
    if _organ_after_a_label(clause_text, start, found):
        return Anchor.ORGAN
    # the words just before the finding describe it; the nearest such word decides
    before = [w for w in words if w[1] <= start][-3:]
    for s, _e, _ in reversed(before):
        kind = next((k for ks, ke, k in found if ks <= s < ke), None)
        if kind is not None:
            return kind
    best: tuple[int, Anchor] | None = None
    for s, e, kind in found:
        if start <= s < end and kind is Anchor.ORGAN:
            continue
        if kind is Anchor.ORGAN and s >= end and _NEGATION_BETWEEN.search(clause_text, end, s):
            continue  # "a 15 mm enhancing lesion, no cord compression": a denied other finding
        distance = start - e if e <= start else max(0, s - end)
        # a word after the finding ("lesion in the left kidney") is as good as one before, but at
        # equal distance the one before wins ("vertebral lesion", "renal cyst")
        key = distance * 2 + (1 if s >= end else 0)
        if best is None or key < best[0]:
            best = (key, kind)
    return best[1] if best is not None else Anchor.NONE


def _organ_after_a_label(
    clause_text: str, start: int, found: Sequence[tuple[int, int, Anchor]]
) -> bool:
    """A finding after a label's colon that is another organ's: "multiple lesions in the
    cervical cord: an 8 mm lesion at C2, ..." (the items of a list opened by another organ's
    lesions), "Image 2 - axial T2 at L2: a 4 cm mass arising from the left kidney" (an image's
    label locates the slice, the text after it the finding)."""
    colon = clause_text.rfind(":", 0, start)
    if colon <= 0 or names_a_bone_word(clause_text, colon, len(clause_text)):
        return False
    head = {kind for s, _e, kind in found if s < colon}
    if head == {Anchor.ORGAN} and _LESION_HEAD.search(clause_text, 0, colon):
        return True
    after = [kind for s, _e, kind in found if s > colon]
    return bool(_SLICE_HEAD.search(clause_text, 0, colon)) and Anchor.ORGAN in after


_FRAME = re.compile(r"\W*(?:in|within)\s+(?:the\s+)?", re.IGNORECASE)
_SLICE_HEAD = re.compile(
    r"\b(?:image|images|axial|sagittal|coronal|slice|series|locali[sz]ers?|scout)\b", re.IGNORECASE
)
_LESION_HEAD = re.compile(r"\b(?:lesions|foci|nodules|masses|plaques)\b", re.IGNORECASE)
_FRAME_REACH = 30  # characters from the clause start to the organ word of a frame
_NEGATION_BETWEEN = re.compile(r"\b(?:no|without|not|nor)\b", re.IGNORECASE)


@lru_cache(maxsize=1024)
def names_only_organs(text: str) -> bool:
    """Whether a heading names other organs and no bone ("Liver:", "Uterus and adnexa:")."""
    kinds = {kind for *_, kind in _kinds(text, _words(text, 0, len(text)))}
    return Anchor.ORGAN in kinds and Anchor.BONE not in kinds


def names_a_bone_word(text: str, start: int, end: int) -> bool:
    """Whether the stretch has a bone or marrow word ("vertebral", "sacrum"), levels aside."""
    return any(w in _BONE_WORDS for _, _, w in _words(text, start, end))
