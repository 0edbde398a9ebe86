"""What a user types into search, as an FTS5 expression over the case index
(``projections.search_fields``): a name in either script, an identity number, a case number."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from caseapp.domain import identity, names

# Case numbers are year, the profile's random code, serial: 2026-3FA9C01B-00012 (dashes and
# padding optional). Profiles made before schema 3 numbered with a 4-digit device part. The
# serial is padded to five digits and grows past them: an office holds more than 99,999 cases.
CASE_NUMBER_RE = re.compile(r"^(\d{4})-?([0-9A-Fa-f]{8}|[0-9A-Fa-f]{4})-?(\d{1,9})$")


def case_number(year: int, code: str, serial: int) -> str:
    return f"{year}-{code.upper()}-{serial:05d}"


def number_key(text: str) -> str | None:
    """A case number as one comparable token however it was typed (dashes, padding, case);
    None when the text is no case number."""
    number = CASE_NUMBER_RE.match(text.strip())
    if number is None:
        return None
    year, code, serial = number.groups()
    return f"{year}{code.lower()}{int(serial):05d}"


def match_expression(query: str) -> str | None:
    """FTS5 expression for what a user typed: a name in either script (any spelling whose
    consonants match), an identity number with or without dashes, or a case number."""
    query = query.strip()
    if not query:
        return None
    token = number_key(query)
    if token is not None:
        # Searched as the one bare token it is indexed as: the year alone is in every case,
        # so matching its parts would rank the whole caseload.
        if query.isdigit():
            # Thirteen digits read as a case number are also a CNIC typed without dashes.
            return f'text : ("{token}"* OR "{query}"*)'
        return f'text : "{token}"*'
    if identity.looks_like_number(query):
        digits = re.sub(r"\D", "", identity.ascii_digits(query))
        return f'text : "{digits}"*'
    tokens = names.words(query)
    if not tokens:
        return None
    text = " AND ".join(f'"{t}"*' for t in tokens)
    keys = names.skeleton(query)
    if keys and all(not t.isdigit() for t in tokens):
        sound = " AND ".join(f'"{k}"' for k in keys)
        return f"(text : ({text})) OR (sound : ({sound}))"
    return f"text : ({text})"


OWN_NAME, FATHERS_NAME, ALIAS, OTHER = "name", "father_name", "alias", "other"


class NameQuery:
    """A name query read once, to tell for each of a few hundred hits what of the person
    it matched (``kind``) without folding the query again for every one."""

    def __init__(self, query: str) -> None:
        self.words = names.words(query)
        self.keys = names.skeleton(query)

    def kind(self, person: Mapping[str, Any]) -> str:
        """What of the person the query matched: their own name, else their father's name,
        else an alias; ``other`` for a match on a number. A list shows a hit on the father's
        name as such, so Sadia d/o Muhammad is not taken for a Muhammad."""
        if self.matches([str(person.get(k) or "") for k in OWN_NAME_FIELDS]):
            return OWN_NAME
        if self.matches([str(person.get(k) or "") for k in ("hfz_FatherName",
                                                            "hfz_FatherNameUrdu")]):
            return FATHERS_NAME
        aliases = person.get("hfz_Aliases")
        if isinstance(aliases, list) and self.matches([str(a) for a in aliases]):
            return ALIAS
        return OTHER

    def order(self, person: Mapping[str, Any], kind: str) -> tuple[int, int, int]:
        """Where the person goes in a hit list, best first: their own name before a father's
        name or an alias; then more of the query's words written out whole in their own names
        ("Ali" before "Alina"); then fewer words to their name (a shorter name matches more
        closely). Ties keep the order they came in (the newest case first). ``kind`` is
        what ``kind(person)`` said."""
        own = [w for k in OWN_NAME_FIELDS for w in names.words(str(person.get(k) or ""))]
        whole = sum(1 for t in self.words if t in own)
        return (kind != OWN_NAME, -whole, len(own))

    def matches(self, parts: list[str]) -> bool:
        """Whether every word of the query begins a word of one of ``parts`` (names of one
        person), or every consonant key of the query is a key of theirs (another spelling
        of the same name). Each part is folded on its own: a Latin name is ASCII, which
        folds at once, and only the Urdu one takes the full Unicode path."""
        words = [w for part in parts if part for w in names.words(part)]
        if not words:
            return False
        if all(any(w.startswith(t) for w in words) for t in self.words):
            return True
        # The keys only when the spelling differs: they cost more than the words.
        if not self.keys:
            return False
        keys = {k for part in parts if part for k in names.index_keys(part)}
        return all(k in keys for k in self.keys)


OWN_NAME_FIELDS = ("prs_FirstName", "prs_MiddleName", "prs_SecondName", "hfz_NameUrdu")
