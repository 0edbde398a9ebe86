"""Where the duplicate lookup files a person, so that finding the people a new person may be
is a read of a few neighbouring pages, not of a few hundred records (issue 12).

A case is filed under *blocks*: each identity number ("#" and the number), and for each
written form of the name (Latin, Urdu, every alias) the consonant keys of its first and last
word ("mhmd|l" for Muhammad Ali, and for محمد علی, whose keys are the same). A name of three
words or more is also filed with its first or its last word left out, so "Ali Khan" and
"Muhammad Ali" both meet "Muhammad Ali Khan". Inside a block, people are kept in order of
birth year, and a lookup reads outward from the new person's year: when a common name fills a
block with thousands, the ones compared are those born nearest, who are the ones that can
score (a year five off is still read; a block is cut only far beyond that).

Inside a block people are also kept by the first consonant key of their father's name: a name
as common as Muhammad Malik fills a block with tens of thousands at a national caseload, and
those born near the new person number in the thousands, too many to compare. The ones with
the same father's name are read over a wider span of years, whatever their number.

Only what a comparison reads is filed (``matching.COMPARED_FIELDS``, identity documents as
type and number): the scorer works on the filed copy without opening a record.
"""

from __future__ import annotations

from typing import Any

from caseapp.domain import matching, names

UNKNOWN_YEAR = 0  # filed before every known year; a lookup reads these too


def blocks(person: dict[str, Any]) -> list[str]:
    """The blocks ``person`` is filed under (and looked up by), sorted."""
    found = {f"#{number}" for number in matching.document_numbers(person)}
    for variant in matching.name_variants(person):
        keys = variant.keys
        found.add(f"{keys[0]}|{keys[-1]}")
        if len(keys) >= 3:
            found.add(f"{keys[1]}|{keys[-1]}")
            found.add(f"{keys[0]}|{keys[-2]}")
    return sorted(found)


def filed_year(person: dict[str, Any], this_year: int) -> int:
    """The birth year a person is filed by (from an estimated age, the year it implies
    now), or ``UNKNOWN_YEAR``."""
    year, _estimated = matching.birth_year(person, this_year)
    return UNKNOWN_YEAR if year is None or year <= UNKNOWN_YEAR else year


def father_key(person: dict[str, Any]) -> str:
    """The consonant key of the first word of the father's name (either script; "" when
    none is recorded)."""
    for name in ("hfz_FatherName", "hfz_FatherNameUrdu"):
        value = person.get(name)
        keys = names.skeleton(value) if isinstance(value, str) else []
        if keys:
            return keys[0]
    return ""


def compared(person: dict[str, Any]) -> dict[str, Any]:
    """The part of a person body a comparison reads, and nothing else."""
    out: dict[str, Any] = {}
    for name in matching.COMPARED_FIELDS:
        value = person.get(name)
        if value in (None, "", []):
            continue
        if name == "hfz_IdentityDocuments" and isinstance(value, list):
            value = [{"type": d.get("type"), "number": d.get("number")}
                     for d in value if isinstance(d, dict)]
        out[name] = value
    return out
