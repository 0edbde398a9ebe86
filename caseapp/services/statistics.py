"""Publishing CTDC-style anonymised statistics (``caseapp.documents.statistics`` builds the
table): the export permission, a stated purpose, k checked before anything is read, and an
audit event with the columns and counts, never a value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from caseapp.documents import statistics
from caseapp.documents.statistics import MIN_K, ROWS, Row
from caseapp.domain import consent
from caseapp.domain.case_documents import case_events
from caseapp.services.cases import EVENT
from caseapp.services.exports import (
    check_destination,
    check_purpose,
    children_by_parent,
    consented_cases,
    exported_cases,
    require_export,
    run_export,
)
from caseapp.services.session import Session


@dataclass(frozen=True)
class StatisticsReport:
    path: Path | None
    mode: str
    k: int
    columns: tuple[str, ...]
    total: int        # victims considered
    published: int    # victims represented in the file
    suppressed: int   # victims left out because their group was smaller than k
    lines: int        # data lines written (rows, or combinations in the aggregate form)
    without_consent: int = 0  # victims left out: no consent to research use


def collect_rows(session: Session) -> tuple[list[Row], int]:
    """The coarse row of every victim of trafficking who agreed to the use of non-identifying
    data for research (RESEARCH §6.2 (e)), each person once, and how many victims were left
    out without that consent."""
    victims = ((case, person) for case, person in exported_cases(session)
               if statistics.is_trafficking_case(case.body))
    cases, without_consent = consented_cases(session, consent.ANONYMISED_RESEARCH, victims)
    rows: list[Row] = []
    events_of = children_by_parent(session, EVENT)
    for case, person in cases:
        events = case_events(case.body, [e.body for e in events_of.get(case.id, [])])
        rows.append(statistics.victim_row(person, case.body, events,
                                          statistics.registration_date(case.id)))
    return rows, without_consent


def export_statistics(session: Session, path: Path, purpose: str, *, k: int = MIN_K,
                      mode: str = ROWS, columns: Sequence[str] | None = None,
                      force: bool = False) -> StatisticsReport:
    check_destination(path, force)
    require_export(session)
    statistics.check_k(k)
    statistics.check_mode(mode)
    chosen = statistics.check_columns(columns)
    purpose = check_purpose(purpose)
    rows, without_consent = collect_rows(session)
    data, suppressed, lines = statistics.publish(rows, chosen, mode, k)
    published = len(rows) - suppressed
    run_export(session, path, data, kind="statistics", purpose=purpose, force=force,
               fields=[*chosen, f"mode:{mode}", f"k:{k}", f"rows:{published}",
                       f"suppressed:{suppressed}", f"without_consent:{without_consent}"],
               k=k, mode=mode, rows=published, suppressed=suppressed,
               without_consent=without_consent)
    return StatisticsReport(path, mode, k, chosen, len(rows), published, suppressed, lines,
                            without_consent)
