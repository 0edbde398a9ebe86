"""Anonymised statistics in the style of the CTDC Global Dataset (RESEARCH §3.2), for
publication.

Each victim becomes one row of coarse values only: registration year, gender, age bracket
(``ageBroad``), majority status, citizenship and country of exploitation (ISO 3166 alpha-2, never
anything below country level), and 0/1 flags for types of exploitation and merged means of
control (-99 when not recorded, as CTDC writes missing values). No name, identity number, exact
date or place is ever read into a row.

k-anonymity is enforced over *all* exported columns together, as CTDC does with k = 11: a row
is published only when at least k rows share every one of its values; the rest are suppressed
and counted. In the aggregate form each distinct combination is published with its ``count``,
and only counts of at least k appear.

Plain values in, CSV bytes out: ``caseapp.services.statistics`` reads the cases, checks the
permission and audits the export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from caseapp.domain import htcds
from caseapp.errors import ValidationError
from caseapp.i18n import N_

MIN_K = 11  # CTDC's published k; smaller groups are re-identifiable (RESEARCH §3.2)
MISSING = "-99"
ROWS = "rows"
AGGREGATE = "aggregate"
MODES = (ROWS, AGGREGATE)
COUNT = "count"

# (upper bound inclusive, label); the last bracket is open.
AGE_BRACKETS: tuple[tuple[int, str], ...] = (
    (8, "0--8"), (17, "9--17"), (20, "18--20"), (23, "21--23"), (26, "24--26"),
    (29, "27--29"), (38, "30--38"), (47, "39--47"))
AGE_OPEN = "48+"

GENDERS = {"Feminine": "Woman", "Masculine": "Man",
           "TransgenderFeminine": "Trans/Transgender/NonConforming",
           "TransgenderMasculine": "Trans/Transgender/NonConforming",
           "NonConforming": "Trans/Transgender/NonConforming"}

# Exploitation types as CTDC groups them; begging and child labour are forms of labour.
LABOUR = frozenset({"ForcedLabour", "ChildLabour", "ForcedBegging"})
SEXUAL = frozenset({"SexualExploitation"})

EXPLOITATION: dict[str, frozenset[str]] = {
    "isForcedLabour": LABOUR, "isSexualExploit": SEXUAL,
    "isOtherExploit": frozenset({"ForcedMarriage", "Servitude", "ForcedMilitaryByNonStateActors",
                                 "OrganRemoval", "ForcedAdoption", "Surrogacy", "Other"}),
}

# The Global Synthetic Dataset's merged means of control: merged so no combination is rare.
MEANS: dict[str, frozenset[str]] = {
    "meansDebtBondageEarnings": frozenset({"DebtBondage", "TakesEarnings",
                                           "RestrictsFinancialAccess"}),
    "meansThreats": frozenset({"PhysicalThreats", "ThreatsLawEnforcement",
                               "ThreatensChildrenFamily"}),
    "meansAbusePsyPhySex": frozenset({"PhysicalAbuse", "SexualAbuse", "PsychologicalAbuse"}),
    "meansFalsePromises": frozenset({"FalsePromises"}),
    "meansDrugsAlcohol": frozenset({"PsychoactiveSubstance"}),
    "meansDenyBasicNeeds": frozenset({"WithholdsNecessities", "RestrictsMedicalCare"}),
    "meansExcessiveWorkHours": frozenset({"ExcessiveWorkingHours"}),
    "meansWithholdDocs": frozenset({"WithholdsDocuments"}),
}

COLUMNS: tuple[str, ...] = (
    "yearOfRegistration", "gender", "ageBroad", "majorityStatus", "majorityStatusAtExploit",
    "citizenship", "CountryOfExploitation", "isForcedLabour", "isSexualExploit",
    "isOtherExploit", *MEANS)

Row = dict[str, str]


# -- one victim as coarse values -------------------------------------------------------------

def age_bracket(age: int | None) -> str:
    if age is None or age < 0:
        return MISSING
    for upper, label in AGE_BRACKETS:
        if age <= upper:
            return label
    return AGE_OPEN


def majority(age: int | None) -> str:
    if age is None or age < 0:
        return MISSING
    return "Minor" if age < 18 else "Adult"


def age_on(birthdate: str, day: dt.date) -> int | None:
    try:
        born = dt.date.fromisoformat(birthdate)
    except (TypeError, ValueError):
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def registration_date(case_id: str) -> dt.date | None:
    """Cases have UUIDv7 ids, whose first 48 bits are the creation time in milliseconds."""
    try:
        ms = uuid.UUID(case_id).int >> 80
    except ValueError:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).date()


def _country(value: object) -> str:
    # Only a well-formed ISO code leaves: free text could name a village.
    return value if isinstance(value, str) and htcds.COUNTRY_RE.match(value) else MISSING


def _flags(codes: object, groups: dict[str, frozenset[str]]) -> Row:
    if not isinstance(codes, list) or not codes:
        return dict.fromkeys(groups, MISSING)
    chosen = set(codes)
    return {name: "1" if chosen & members else "0" for name, members in groups.items()}


def victim_row(person: dict[str, Any], case: dict[str, Any],
               events: Sequence[dict[str, Any]], registered: dt.date | None) -> Row:
    """The CTDC row of one victim. Only the coarse values listed in COLUMNS are produced."""
    age: int | None = None
    if registered is not None and isinstance(person.get("prs_Birthdate"), str):
        age = age_on(person["prs_Birthdate"], registered)
    if age is None and isinstance(person.get("hfz_EstimatedAge"), int):
        age = int(person["hfz_EstimatedAge"])
    age_exploited = case.get("vic_AgeWhenTrafficked")
    if not isinstance(age_exploited, int | float) or isinstance(age_exploited, bool):
        age_exploited = None
    citizenship = person.get("prs_Citizenship")
    exploitation = [e.get("hte_Country") for e in events if e.get("hte_Type") == "Exploitation"]
    types = case.get("vic_TypeOfExploitation")
    row: Row = {
        "yearOfRegistration": str(registered.year) if registered else MISSING,
        "gender": GENDERS.get(str(person.get("prs_Gender")), MISSING),
        "ageBroad": age_bracket(age),
        "majorityStatus": majority(age),
        "majorityStatusAtExploit": majority(int(age_exploited) if age_exploited is not None
                                            else None),
        "citizenship": _country(citizenship[0]) if isinstance(citizenship, list)
        and citizenship else MISSING,
        "CountryOfExploitation": _country(exploitation[0]) if exploitation else MISSING,
        **_flags(types, EXPLOITATION),
        **_flags(case.get("vic_MethodsOfControl"), MEANS),
    }
    return row


# -- k-anonymity ------------------------------------------------------------------------------

def _key(row: Row, columns: Sequence[str]) -> tuple[str, ...]:
    return tuple(row[c] for c in columns)


def k_anonymise(rows: Iterable[Row], columns: Sequence[str], k: int
                ) -> tuple[list[Row], int]:
    """(published rows, number suppressed): a row is kept only when at least k rows share all
    its values in ``columns``. Rows come out sorted by value, so their order tells nothing
    about when a case was registered."""
    projected = [{c: row[c] for c in columns} for row in rows]
    sizes = Counter(_key(r, columns) for r in projected)
    kept = [r for r in projected if sizes[_key(r, columns)] >= k]
    kept.sort(key=lambda r: _key(r, columns))
    return kept, len(projected) - len(kept)


def aggregate(rows: Iterable[Row], columns: Sequence[str], k: int
              ) -> tuple[list[tuple[tuple[str, ...], int]], int]:
    """(combinations with their counts, number suppressed): no published count is below k."""
    sizes = Counter(_key(r, columns) for r in rows)
    kept = sorted((key, n) for key, n in sizes.items() if n >= k)
    suppressed = sum(n for n in sizes.values() if n < k)
    return kept, suppressed


def check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < MIN_K:
        raise ValidationError(N_("k must be at least %(min)s, as CTDC publishes; smaller "
                                 "groups can identify people."), min=MIN_K)


def check_columns(columns: Sequence[str] | None) -> tuple[str, ...]:
    if columns is None:
        return COLUMNS
    chosen = tuple(dict.fromkeys(c.strip() for c in columns if c.strip()))
    unknown = [c for c in chosen if c not in COLUMNS]
    if unknown or not chosen:
        raise ValidationError(N_("Unknown statistics column %(columns)s; choose from "
                                 "%(allowed)s."), columns=", ".join(unknown) or "-",
                              allowed=", ".join(COLUMNS))
    return chosen


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValidationError(N_("Unknown statistics form %(mode)s; choose rows or "
                                 "aggregate."), mode=mode)


def render(columns: Sequence[str], mode: str, rows: list[Row],
           combos: list[tuple[tuple[str, ...], int]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if mode == AGGREGATE:
        writer.writerow([*columns, COUNT])
        writer.writerows([*key, n] for key, n in combos)
    else:
        writer.writerow(columns)
        writer.writerows(_key(r, columns) for r in rows)
    return buf.getvalue().encode("utf-8")


def publish(rows: list[Row], columns: Sequence[str], mode: str, k: int
            ) -> tuple[bytes, int, int]:
    """(CSV bytes, victims suppressed, data lines) of the k-anonymous table of ``rows``."""
    published_rows: list[Row] = []
    combos: list[tuple[tuple[str, ...], int]] = []
    if mode == AGGREGATE:
        combos, suppressed = aggregate(rows, columns, k)
        lines = len(combos)
    else:
        published_rows, suppressed = k_anonymise(rows, columns, k)
        lines = len(published_rows)
    return render(columns, mode, published_rows, combos), suppressed, lines


# -- which victims are counted ----------------------------------------------------------------

def is_trafficking_case(case: dict[str, Any]) -> bool:
    """CTDC counts victims of trafficking: smuggling-only cases and people found not to be
    victims are left out."""
    tracks = case.get("hfz_Tracks") or ["TIP"]
    return "TIP" in tracks and case.get("vic_TraffickingStatus") != "NotAVictimOfTrafficking"
