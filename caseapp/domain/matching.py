"""Is this the same person? A pure, explainable score for two person records.

The same person is often registered twice: at a border post in Latin script ("Muhammad Ali",
born 1994) and at a shelter in Urdu script ("محمد علی", born 1995). A score from 0 to 1 is
built from independent pieces of evidence, each kept as a ``Reason`` (a machine code, its
parameters and how much it moved the score) so a caseworker can see *why* two records were
put side by side. Parameters hold similarities and differences only, never a name or number.

An identical identity document (same type family and number) is very strong evidence but not
proof: documents are borrowed, sold and forged in these cases, so a shared number lifts the
score a long way, always makes the pair a candidate, and is flagged when the rest of the
records disagree. Only a person decides a merge; every reason says whether it agrees or
differs, so they see which signals point each way.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from caseapp.domain import identity, names
from caseapp.i18n import N_, _

# How much each kind of evidence may move the score. Names carry most of it; everything else
# only confirms or contradicts, so a shared birth year alone never makes two people one.
# The person fields a comparison reads (named in the audit event of a duplicate check).
COMPARED_FIELDS = ("prs_FirstName", "prs_MiddleName", "prs_SecondName", "hfz_NameUrdu",
                   "hfz_Aliases", "hfz_FatherName", "hfz_FatherNameUrdu", "prs_Birthdate",
                   "hfz_EstimatedAge", "prs_Gender", "prs_Citizenship",
                   "hfz_IdentityDocuments", "prs_IdentityNumber")
NAME_WEIGHT = 0.6
FATHER_MATCH = 0.1
FATHER_DIFFERS = -0.1
BIRTH_SAME = 0.2
BIRTH_STEP = 0.03          # lost per year of difference inside the tolerance
BIRTH_NEAR_MISS = -0.05    # a few years beyond the tolerance
BIRTH_FAR = -0.25
BIRTH_TOLERANCE = 2        # years; widened by one when either year is an estimate
GENDER_SAME = 0.05
GENDER_DIFFERS = -0.2
CITIZENSHIP_SHARED = 0.05
CITIZENSHIP_DIFFERS = -0.05
DOCUMENT_SAME = 0.5        # with the same name it reaches 1; with a different one it stays low
DOCUMENT_DIFFERS = -0.15
FUZZY_KEY = 0.6            # one consonant off in a long key ("rksn" / "rkhsn")
ORDER_PENALTY = 0.9        # "Ali Muhammad" against "Muhammad Ali"
SPELLING_FLOOR = 0.75      # Latin tokens less alike than this do not count as the same word
# Consonant keys shorter than this in all (Ayesha, Asia, Isa are all "s") say little: a sound
# match on them counts in proportion, so a one-letter key does not make everyone a candidate.
SHORT_KEY_LETTERS = 3

# NADRA's three documents share one number space: a B-Form number becomes the CNIC number.
_FAMILY = {"CNIC": "NADRA", "NICOP": "NADRA", "BForm": "NADRA"}

MESSAGES: dict[str, str] = {
    "same_document": N_("Both records carry the same %(type)s number."),
    "same_document_disagrees": N_("The same %(type)s number is on records that disagree on "
                                  "other points: the document may be borrowed or forged, so "
                                  "check the person before merging."),
    "different_document": N_("The records carry different %(type)s numbers."),
    "name_sound_cross_script": N_("The names sound the same across Latin and Urdu script "
                                  "(similarity %(similarity)s)."),
    "name_sound": N_("The names sound alike (similarity %(similarity)s)."),
    "name_spelling": N_("The names are spelled alike (similarity %(similarity)s)."),
    "name_alias": N_("An alias matches the other record's name (similarity %(similarity)s)."),
    "name_differs": N_("The names are different (similarity %(similarity)s)."),
    "name_order": N_("The same names are written in a different order."),
    "father_name": N_("The father's names match (similarity %(similarity)s)."),
    "father_name_differs": N_("The father's names are different (similarity %(similarity)s)."),
    "birth_year_same": N_("Born in the same year."),
    "birth_year_close": N_("Birth years differ by %(years)s years."),
    "birth_year_far": N_("Birth years are %(years)s years apart."),
    "gender_same": N_("Same gender recorded."),
    "gender_differs": N_("Different gender recorded."),
    "citizenship_shared": N_("A citizenship is shared."),
    "citizenship_differs": N_("No citizenship is shared."),
}


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    weight: float = 0.0

    def text(self) -> str:
        """The sentence in the current language (translated when shown, not when made)."""
        return _(MESSAGES[self.code], **self.params)

    @property
    def signal(self) -> str:
        """Whether this piece of evidence says "same person", "different people" or is a
        remark (a warning, a different word order). By its code: a name similarity of 0.3
        still adds a little to the score, yet it says the names differ."""
        if self.code in DIFFERING:
            return DIFFERS
        return AGREES if self.weight > 0 else REMARK

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params), "weight": round(self.weight, 3),
                "signal": self.signal, "text": self.text()}


AGREES, DIFFERS, REMARK = "agrees", "differs", "remark"
DIFFERING = frozenset({"different_document", "name_differs", "father_name_differs",
                       "birth_year_far", "gender_differs", "citizenship_differs"})


@dataclass(frozen=True)
class Match:
    score: float
    reasons: list[Reason]

    @property
    def shares_document(self) -> bool:
        """A shared identity number: always worth a look, never proof by itself."""
        return any(r.code == "same_document" for r in self.reasons)


# -- small helpers -----------------------------------------------------------------------

def levenshtein(a: str, b: str) -> int:
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


# Cached, like ``_name`` below: a lookup scores a hundred or more people with the same few
# names, and a caseload review the same names again and again (pure functions of text).
@lru_cache(maxsize=65536)
def _key_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    # Short keys ("hmd" Ahmed, "mhmd" Muhammad) are different names one letter apart.
    if min(len(a), len(b)) >= 4 and levenshtein(a, b) == 1:
        return FUZZY_KEY
    return 0.0


@lru_cache(maxsize=65536)
def _token_similarity(a: str, b: str) -> float:
    sim = 1.0 - levenshtein(a, b) / max(len(a), len(b), 1)
    return sim if sim >= SPELLING_FLOOR else 0.0


def sequence_similarity(a: Sequence[str], b: Sequence[str], similar: Any = _key_similarity
                        ) -> tuple[float, bool]:
    """(Dice-style similarity of two word sequences, whether matched words keep their order).

    Each word of ``a`` takes its best unused partner in ``b``; the sum of partner
    similarities counts twice over the total number of words, so an extra word on one side
    ("Muhammad Ali Khan" / "Muhammad Ali") costs less than a different word."""
    if not a or not b:
        return 0.0, True
    used: set[int] = set()
    total = 0.0
    positions: list[int] = []
    for word in a:
        best, best_j = 0.0, -1
        for j, other in enumerate(b):
            if j in used:
                continue
            sim = similar(word, other)
            if sim > best:
                best, best_j = sim, j
        if best_j >= 0:
            used.add(best_j)
            positions.append(best_j)
            total += best
    in_order = positions == sorted(positions)
    return 2 * total / (len(a) + len(b)), in_order


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True)
class _Name:
    kind: str            # "latin", "urdu" or "alias"
    keys: tuple[str, ...]
    latin: tuple[str, ...]  # folded Latin words, empty for Arabic-script names
    arabic: bool


@lru_cache(maxsize=32768)
def _name(kind: str, text: str) -> _Name | None:
    keys = tuple(names.skeleton(text))
    if not keys:
        return None
    arabic = names.is_arabic_script(text)
    latin = () if arabic else tuple(w for w in names.words(text) if not w.isdigit())
    return _Name(kind, keys, latin, arabic)


def name_variants(person: dict[str, Any]) -> list[_Name]:
    """Every way the person's own name is written: Latin, Urdu, and each alias."""
    latin = " ".join(_text(person.get(k)) for k in ("prs_FirstName", "prs_MiddleName",
                                                    "prs_SecondName"))
    raw: list[tuple[str, str]] = [("latin", latin), ("urdu", _text(person.get("hfz_NameUrdu")))]
    aliases = person.get("hfz_Aliases")
    if isinstance(aliases, list):
        raw += [("alias", _text(a)) for a in aliases]
    out = [_name(kind, text) for kind, text in raw if text.strip()]
    return [n for n in out if n is not None]


def _father_variants(person: dict[str, Any]) -> list[_Name]:
    out = [_name("father", _text(person.get(k))) for k in ("hfz_FatherName",
                                                           "hfz_FatherNameUrdu")]
    return [n for n in out if n is not None]


def _best_name(a: list[_Name], b: list[_Name]) -> tuple[float, _Name, _Name, bool, bool]:
    """(similarity, variant of a, variant of b, in order, by spelling) for the best pair."""
    best: tuple[float, _Name, _Name, bool, bool] = (0.0, a[0], b[0], True, False)
    for x in a:
        for y in b:
            sim, in_order = sequence_similarity(x.keys, y.keys)
            if not in_order:
                sim *= ORDER_PENALTY
            letters = min(sum(map(len, x.keys)), sum(map(len, y.keys)))
            if letters < SHORT_KEY_LETTERS:
                sim *= letters / SHORT_KEY_LETTERS
            by_spelling = False
            if x.latin and y.latin:
                spelled, spelled_order = sequence_similarity(x.latin, y.latin, _token_similarity)
                if not spelled_order:
                    spelled *= ORDER_PENALTY
                if spelled > sim:
                    sim, in_order, by_spelling = spelled, spelled_order, True
            if sim > best[0]:
                best = (sim, x, y, in_order, by_spelling)
    return best


def birth_year(person: dict[str, Any], this_year: int) -> tuple[int | None, bool]:
    """(year, estimated): from the birth date, else from an estimated age."""
    birth = _text(person.get("prs_Birthdate"))
    match = re.match(r"(\d{4})", birth)
    estimated = bool(person.get("hfz_BirthYearEstimated"))
    if match:
        return int(match.group(1)), estimated
    age = person.get("hfz_EstimatedAge")
    if isinstance(age, int) and not isinstance(age, bool) and 0 <= age < 130:
        return this_year - age, True
    return None, False


def _document_keys(person: dict[str, Any]) -> dict[str, set[str]]:
    """Type family → normalised numbers (digits and letters only, upper case)."""
    out: dict[str, set[str]] = {}
    docs = person.get("hfz_IdentityDocuments")
    for doc in docs if isinstance(docs, list) else []:
        if not isinstance(doc, dict) or not isinstance(doc.get("number"), str):
            continue
        doc_type = str(doc.get("type", "Other"))
        number = document_number(doc["number"])
        if number:
            out.setdefault(_FAMILY.get(doc_type, doc_type), set()).add(number)
    legacy = _text(person.get("prs_IdentityNumber"))
    if legacy and identity.normalise_cnic(legacy):
        out.setdefault("NADRA", set()).add(document_number(legacy))
    return out


def document_number(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", identity.ascii_digits(text).upper())


def blocking_keys(person: dict[str, Any], this_year: int, window: int = 3) -> set[str]:
    """Keys two records of the same person very likely share: an identity number, or the
    consonant keys of the first and last word of a name (either script) together with a
    birth-year bucket. A record goes into buckets y//w and y//w + 1, so any two years less
    than ``window`` apart meet in one bucket. Unknown years go to bucket "?"."""
    keys = {f"doc:{n}" for n in document_numbers(person)}
    year, _estimated = birth_year(person, this_year)
    buckets = ["?"] if year is None else [str(year // window), str(year // window + 1)]
    for variant in name_variants(person):
        name = f"{variant.keys[0]}|{variant.keys[-1]}"
        keys.update(f"name:{name}:{bucket}" for bucket in buckets)
    return keys


def document_numbers(person: dict[str, Any]) -> list[str]:
    """Every normalised identity number of a person (for looking candidates up)."""
    return sorted({n for numbers in _document_keys(person).values() for n in numbers})


def _codes(value: object) -> set[str]:
    if isinstance(value, str):
        return {value} if value else set()
    if isinstance(value, Iterable):
        return {v for v in value if isinstance(v, str) and v}
    return set()


def _fmt(value: float) -> str:
    return f"{value:.2f}"


# -- the score -----------------------------------------------------------------------------

def score(a: dict[str, Any], b: dict[str, Any], *, this_year: int | None = None) -> Match:
    """How likely two person bodies (HTCDS-keyed) describe the same person, with reasons."""
    this_year = this_year or datetime.date.today().year
    reasons: list[Reason] = []

    docs_a, docs_b = _document_keys(a), _document_keys(b)
    same_doc = sorted(f for f in docs_a.keys() & docs_b.keys() if docs_a[f] & docs_b[f])
    for family in same_doc:
        reasons.append(Reason("same_document", {"type": _family_label(family)}, DOCUMENT_SAME))
    if not same_doc:
        for family in sorted(docs_a.keys() & docs_b.keys()):
            reasons.append(Reason("different_document", {"type": _family_label(family)},
                                  DOCUMENT_DIFFERS))

    names_a, names_b = name_variants(a), name_variants(b)
    if names_a and names_b:
        sim, x, y, in_order, by_spelling = _best_name(names_a, names_b)
        params = {"similarity": _fmt(sim)}
        if sim < 0.5:
            code = "name_differs"
        elif "alias" in (x.kind, y.kind):
            code = "name_alias"
        elif by_spelling:
            code = "name_spelling"
        elif x.arabic != y.arabic:
            code = "name_sound_cross_script"
        else:
            code = "name_sound"
        reasons.append(Reason(code, params, NAME_WEIGHT * sim))
        if not in_order and sim >= 0.5:
            reasons.append(Reason("name_order", {}, 0.0))

    fathers_a, fathers_b = _father_variants(a), _father_variants(b)
    if fathers_a and fathers_b:
        sim = _best_name(fathers_a, fathers_b)[0]
        if sim >= 0.8:
            reasons.append(Reason("father_name", {"similarity": _fmt(sim)}, FATHER_MATCH))
        elif sim < 0.5:
            reasons.append(Reason("father_name_differs", {"similarity": _fmt(sim)},
                                  FATHER_DIFFERS))

    year_a, est_a = birth_year(a, this_year)
    year_b, est_b = birth_year(b, this_year)
    if year_a is not None and year_b is not None:
        diff = abs(year_a - year_b)
        tolerance = BIRTH_TOLERANCE + (1 if est_a or est_b else 0)
        if diff == 0:
            reasons.append(Reason("birth_year_same", {}, BIRTH_SAME))
        elif diff <= tolerance:
            reasons.append(Reason("birth_year_close", {"years": diff},
                                  BIRTH_SAME - BIRTH_STEP * diff))
        elif diff <= tolerance + 3:
            reasons.append(Reason("birth_year_far", {"years": diff}, BIRTH_NEAR_MISS))
        else:
            reasons.append(Reason("birth_year_far", {"years": diff}, BIRTH_FAR))

    gender_a, gender_b = _text(a.get("prs_Gender")), _text(b.get("prs_Gender"))
    if gender_a and gender_b:
        if gender_a == gender_b:
            reasons.append(Reason("gender_same", {}, GENDER_SAME))
        else:
            reasons.append(Reason("gender_differs", {}, GENDER_DIFFERS))

    cit_a, cit_b = _codes(a.get("prs_Citizenship")), _codes(b.get("prs_Citizenship"))
    if cit_a and cit_b:
        if cit_a & cit_b:
            reasons.append(Reason("citizenship_shared", {}, CITIZENSHIP_SHARED))
        else:
            reasons.append(Reason("citizenship_differs", {}, CITIZENSHIP_DIFFERS))

    if same_doc and any(r.code in DIFFERING for r in reasons):
        reasons.append(Reason("same_document_disagrees",
                              {"type": _family_label(same_doc[0])}, 0.0))
    total = min(1.0, max(0.0, sum(r.weight for r in reasons)))
    # The borrowed-document warning first, then the strongest evidence, so the first reason
    # shown is the one that matters most.
    reasons.sort(key=lambda r: (r.code != "same_document_disagrees", -abs(r.weight)))
    return Match(round(total, 3), reasons)


def _family_label(family: str) -> str:
    # A document type code (CNIC, Passport, …), the same in every language.
    return "CNIC/NICOP/B-Form" if family == "NADRA" else family
