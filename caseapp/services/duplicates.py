"""Duplicate detection and the guarded merge of two cases of the same person.

Candidates come from the search index, never from a scan of the caseload: identity numbers
on ``text`` (an identical number is always a candidate, though not proof), consonant
skeletons of every written form of the name on ``sound``. The few hundred hits are then
scored by ``caseapp.domain.matching``, which explains every score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from caseapp.domain import lookup_blocks, matching, names, roles
from caseapp.domain.projections import display_name
from caseapp.errors import NotFound, PermissionDenied, ValidationError
from caseapp.i18n import N_
from caseapp.services.base import CASE, actor_of
from caseapp.services.session import Session
from caseapp.store import identities, queries
from caseapp.store.changes import Changes
from caseapp.store.records import Record

# People compared per name block, those born nearest the new person: a common name fills a
# block with thousands at a national caseload, and those born decades apart cannot score.
PER_BLOCK = 120
# And in such a block, those whose father's name starts as the new person's: read over a span
# of years as wide as the scorer still rewards or barely punishes (BIRTH_TOLERANCE and beyond).
FATHER_YEARS = 6
FATHER_HITS = 400
TYPICAL_AGE = 25     # the year a lookup reads outward from when the birth year is unknown
# A whole-caseload review skips name blocks larger than this (one very common name in one
# birth-year bucket); identity-number blocks are always compared.
BLOCK_LIMIT = 300
MERGE_ROLES = frozenset({roles.MANAGER, roles.ADMINISTRATOR})


@dataclass(frozen=True)
class Candidate:
    case_id: str
    candidate_id: str
    score: float
    reasons: list[matching.Reason]
    # What a person recognises the two cases by (filled by ``_described``).
    case_number: str = ""
    case_name: str = ""
    candidate_number: str = ""
    candidate_name: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "case_number": self.case_number,
                "case_name": self.case_name, "candidate_id": self.candidate_id,
                "candidate_number": self.candidate_number,
                "candidate_name": self.candidate_name, "score": self.score,
                "reasons": [r.to_json() for r in self.reasons]}


def _described(session: Session, found: list[Candidate]) -> list[Candidate]:
    """The candidates with the case numbers and names of both cases: ids alone tell a
    caseworker nothing."""
    store = session.store
    cache: dict[str, tuple[str, str]] = {}

    def label(case_id: str) -> tuple[str, str]:
        if case_id and case_id not in cache:
            case = store.get(case_id)
            person = store.get(case.parent or "") if case is not None else None
            cache[case_id] = (str(case.body.get("hfz_CaseNumber") or "") if case else "",
                              display_name(person.body) if person else "")
        return cache.get(case_id, ("", ""))

    return [replace(c, case_number=label(c.case_id)[0], case_name=label(c.case_id)[1],
                    candidate_number=label(c.candidate_id)[0],
                    candidate_name=label(c.candidate_id)[1]) for c in found]


def _require_view(session: Session) -> None:
    if not actor_of(session).can(roles.CASE_VIEW):
        raise PermissionDenied()


def _conn(session: Session) -> Any:
    return session.store.conn  # ProfileLocked after a lock


def _case_and_person(session: Session, case_id: str) -> tuple[Record, Record]:
    case = session.store.get(case_id)
    if case is None or case.type != CASE:
        raise NotFound()
    person = session.store.get(case.parent or "")
    if person is None:
        raise NotFound()
    return case, person


def _hits(session: Session, person: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Case rowid → compared person fields of the cases filed under the person's blocks
    (``lookup_blocks``), those born nearest first (merged-away cases are not filed)."""
    conn = _conn(session)
    this_year = datetime.now(UTC).year
    year = lookup_blocks.filed_year(person, this_year) or this_year - TYPICAL_AGE
    father = lookup_blocks.father_key(person)
    found: dict[int, dict[str, Any]] = {}
    for block in lookup_blocks.blocks(person):
        for rowid, other in identities.candidates(
                conn, block, year, father, nearest_limit=PER_BLOCK,
                father_years=FATHER_YEARS, father_limit=FATHER_HITS).items():
            found.setdefault(rowid, other)
    return found


def _viewed(session: Session, action: str, case_id: str | None) -> None:
    # Reading every person's identity to compare is a view of the caseload, so it is audited.
    with session.write():
        session.audit.append(session.user_id, action, case_id, list(matching.COMPARED_FIELDS))


def find_candidates(session: Session, case_id: str | None = None,
                    person: dict[str, Any] | None = None, limit: int = 20,
                    threshold: float = 0.6) -> list[Candidate]:
    """Cases that may describe the same person as ``case_id`` (a saved case) or ``person`` (an
    unsaved HTCDS person body, checked at intake before saving), best first."""
    _require_view(session)
    if (case_id is None) == (person is None):
        raise ValidationError(N_("Give either a case or a person to look for."))
    if not 0.0 <= threshold <= 1.0:
        raise ValidationError(N_("The threshold must be between 0 and 1."))
    if case_id is not None:
        _case, record = _case_and_person(session, case_id)
        person = record.body
    assert person is not None
    found = _scored(session, person, case_id, threshold)
    _viewed(session, "duplicates_checked", case_id)
    return _described(session, found[:limit])


def _scored(session: Session, person: dict[str, Any], case_id: str | None,
            threshold: float) -> list[Candidate]:
    """The index's suggestions for ``person`` (the case ``case_id`` itself left out) that
    score at least ``threshold``, best first."""
    own = session.store.rowid(case_id) if case_id is not None else None
    scored: list[tuple[int, matching.Match]] = []
    for rowid, other in _hits(session, person).items():
        if rowid == own:
            continue
        match = matching.score(person, other)
        # A shared identity number is always shown: the same person, or a document that
        # was borrowed or forged, and a person has to look either way.
        if match.score >= threshold or match.shares_document:
            scored.append((rowid, match))
    ids = queries.case_ids(_conn(session), [rowid for rowid, _m in scored])
    found = [Candidate(case_id or "", ids[rowid], match.score, match.reasons)
             for rowid, match in scored if rowid in ids]
    return sorted(found, key=lambda c: (-c.score, c.candidate_id))


def possible_duplicates(session: Session, case_ids: list[str], threshold: float = 0.6,
                        limit: int = 5) -> list[Candidate]:
    """For cases just created or imported: the other cases that may be the same person, so
    the user is warned at once (importing one file twice would otherwise silently double
    the caseload). One audit event for the whole check."""
    _require_view(session)
    found: list[Candidate] = []
    for case_id in case_ids:
        _case, record = _case_and_person(session, case_id)
        found += _scored(session, record.body, case_id, threshold)[:limit]
    if case_ids:
        _viewed(session, "duplicates_checked", case_ids[0] if len(case_ids) == 1 else None)
    return _described(session, found)


def all_pairs(session: Session, threshold: float = 0.6,
              progress: Callable[[int, int], None] = lambda done, total: None
              ) -> list[Candidate]:
    """Every candidate pair in the caseload, each pair once (lower case id first).

    One pass over the people, grouped by ``matching.blocking_keys``, instead of one index
    query per case: a review of 100,000 cases then compares only people who share an
    identity number or a name within a birth-year window. Blocks larger than BLOCK_LIMIT
    (a very common name in one bucket) are compared only by identity number.
    """
    _require_view(session)
    if not 0.0 <= threshold <= 1.0:
        raise ValidationError(N_("The threshold must be between 0 and 1."))
    conn = _conn(session)
    this_year = datetime.now(UTC).year
    people: dict[str, dict[str, Any]] = {}
    blocks: dict[str, list[str]] = defaultdict(list)
    for case_id, person in queries.people_of_cases(conn):
        people[case_id] = person
        for key in matching.blocking_keys(person, this_year):
            blocks[key].append(case_id)
    pairs: set[tuple[str, str]] = set()
    for key, members in blocks.items():
        if len(members) < 2 or (len(members) > BLOCK_LIMIT and not key.startswith("doc:")):
            continue
        pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1:])
    found: list[Candidate] = []
    for done, (a, b) in enumerate(sorted(pairs), start=1):
        match = matching.score(people[a], people[b], this_year=this_year)
        if match.score >= threshold or match.shares_document:
            found.append(Candidate(a, b, match.score, match.reasons))
        if done % 10_000 == 0:
            progress(done, len(pairs))
    progress(len(pairs), len(pairs))
    _viewed(session, "duplicates_reviewed", None)
    return _described(session, sorted(found, key=lambda c: (-c.score, c.case_id,
                                                            c.candidate_id)))


# -- merge ----------------------------------------------------------------------------------

def _added_aliases(keep: dict[str, Any], merged: dict[str, Any]) -> list[str]:
    """The merged person's names and aliases not yet known for the kept person, so a later
    search by either spelling finds the kept case."""
    known = {names.fold(str(keep.get(k) or "")).strip()
             for k in ("hfz_NameUrdu",)} | {names.fold(display_name(keep)).strip()}
    known |= {names.fold(a).strip() for a in keep.get("hfz_Aliases") or []}
    candidates = [display_name(merged), str(merged.get("hfz_NameUrdu") or "")]
    candidates += [str(a) for a in merged.get("hfz_Aliases") or []]
    added: list[str] = []
    for text in candidates:
        folded = names.fold(text).strip()
        if folded and folded not in known:
            known.add(folded)
            added.append(text.strip())
    return added


def _added_documents(keep: dict[str, Any], merged: dict[str, Any]) -> list[dict[str, Any]]:
    have = {(d.get("type"), matching.document_number(str(d.get("number", ""))))
            for d in keep.get("hfz_IdentityDocuments") or []}
    added = []
    for doc in merged.get("hfz_IdentityDocuments") or []:
        key = (doc.get("type"), matching.document_number(str(doc.get("number", ""))))
        if key not in have:
            have.add(key)
            added.append(dict(doc))
    return added


def merge(session: Session, keep_case_id: str, merge_case_id: str, reason: str) -> Changes:
    """Record that two cases describe one person. Nothing is deleted: the merged case keeps
    its stage, notes and events and points at the kept case (``hfz_MergedInto``); the kept
    case lists it (``hfz_MergedFrom``) and its person gains the other's aliases and identity
    documents. One transaction, audited (field names only)."""
    actor = actor_of(session)
    if actor.role not in MERGE_ROLES:
        raise PermissionDenied(N_("Only a manager or an administrator may merge cases."))
    if not reason or not reason.strip():
        raise ValidationError(N_("Merging two cases needs a reason."))
    if keep_case_id == merge_case_id:
        raise ValidationError(N_("A case cannot be merged into itself."))
    keep_case, keep_person = _case_and_person(session, keep_case_id)
    merge_case, merge_person = _case_and_person(session, merge_case_id)
    if "hfz_MergedInto" in keep_case.body or "hfz_MergedInto" in merge_case.body:
        raise ValidationError(N_("One of these cases was already merged into another."))
    store = session.store
    changed: list[str] = []
    with session.write() as tx:
        person_fields: dict[str, Any] = {}
        aliases = _added_aliases(keep_person.body, merge_person.body)
        if aliases:
            person_fields["hfz_Aliases"] = [*(keep_person.body.get("hfz_Aliases") or []),
                                            *aliases]
        documents = _added_documents(keep_person.body, merge_person.body)
        if documents:
            person_fields["hfz_IdentityDocuments"] = [
                *(keep_person.body.get("hfz_IdentityDocuments") or []), *documents]
        if person_fields:
            store.update(keep_person.id, person_fields)
            changed += list(person_fields)
        merged_from = [*(keep_case.body.get("hfz_MergedFrom") or []), merge_case.id]
        store.update(keep_case.id, {"hfz_MergedFrom": merged_from})
        changed.append("hfz_MergedFrom")
        store.update(merge_case.id, {"hfz_MergedInto": keep_case.id,
                                     "hfz_MergeReason": reason.strip()})
        session.audit.append(session.user_id, "cases_merged", keep_case.id, changed)
        session.audit.append(session.user_id, "cases_merged", merge_case.id,
                             ["hfz_MergedInto", "hfz_MergeReason"])
    return tx.changes.with_id(keep_case.id)
