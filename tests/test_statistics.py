"""CTDC-style anonymised statistics: age brackets at their boundaries, no identifying value in
the output, k-anonymity over all exported columns (Hypothesis populations), the aggregate form,
k below 11 refused, permissions, audit events and the command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import agree
from hypothesis import given, settings
from hypothesis import strategies as st

from caseapp.cli.main import main
from caseapp.crypto import kdf
from caseapp.documents import statistics as stats
from caseapp.domain import consent
from caseapp.errors import PermissionDenied, ValidationError
from caseapp.services import demo, profiles
from caseapp.services import statistics as publishing
from caseapp.services.cases import CaseService
from caseapp.services.session import Session

PASSPHRASE = "river lamp seven orchard"
OpenSession = Callable[..., Session]

CANARY_NAME = "Qzwcanary"
CANARY_CNIC = "35202-7777123-4"
CANARY_CITY = "Vubbletown"
CANARY_DATE = "1999-07-13"


@pytest.fixture
def open_session() -> Iterator[OpenSession]:
    sessions: list[Session] = []
    made: set[str] = set()

    def _open(name: str = "alice", role: str = "administrator") -> Session:
        if name not in made:
            profiles.create_profile(name, PASSPHRASE, role=role, params=kdf.FLOOR)
            made.add(name)
        session = profiles.unlock(name, PASSPHRASE)
        sessions.append(session)
        return session

    yield _open
    for s in sessions:
        s.close()


def _canary_case(i: int) -> dict[str, Any]:
    return {
        "prs_FirstName": f"{CANARY_NAME}{i}", "prs_SecondName": CANARY_NAME,
        "hfz_NameUrdu": "قزوکنیری", "prs_IdentityNumber": CANARY_CNIC,
        "prs_Birthdate": CANARY_DATE, "prs_Gender": "Feminine", "prs_Citizenship": ["PK"],
        "prs_MailingCity": CANARY_CITY, "hfz_PlaceOfIdentification": CANARY_CITY,
        "vic_TypeOfExploitation": ["ForcedLabour"], "vic_MethodsOfControl": ["DebtBondage"],
        "hte_Events": [{"hte_Type": "Exploitation", "hte_City": CANARY_CITY,
                        "hte_Country": "AE", "hte_Date": CANARY_DATE}],
    }


def _read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


# -- brackets ------------------------------------------------------------------------------

@pytest.mark.parametrize(("age", "bracket"), [
    (0, "0--8"), (8, "0--8"), (9, "9--17"), (17, "9--17"), (18, "18--20"), (20, "18--20"),
    (21, "21--23"), (23, "21--23"), (24, "24--26"), (26, "24--26"), (27, "27--29"),
    (29, "27--29"), (30, "30--38"), (38, "30--38"), (39, "39--47"), (47, "39--47"),
    (48, "48+"), (90, "48+"), (None, "-99"), (-1, "-99")])
def test_age_brackets_at_boundaries(age: int | None, bracket: str) -> None:
    assert stats.age_bracket(age) == bracket


def test_majority_and_age_on_birthday() -> None:
    day = dt.date(2025, 3, 1)
    assert stats.age_on("2007-03-01", day) == 18
    assert stats.age_on("2007-03-02", day) == 17
    assert stats.majority(17) == "Minor" and stats.majority(18) == "Adult"
    assert stats.majority(None) == "-99"


def test_victim_row_values() -> None:
    row = stats.victim_row(
        {"prs_Gender": "TransgenderFeminine", "prs_Birthdate": "2010-01-01",
         "prs_Citizenship": ["AF"]},
        {"vic_TypeOfExploitation": ["ForcedBegging", "ForcedMarriage"],
         "vic_AgeWhenTrafficked": 12},
        [{"hte_Type": "Transit", "hte_Country": "IR"},
         {"hte_Type": "Exploitation", "hte_Country": "PK"}], dt.date(2026, 6, 1))
    assert row["yearOfRegistration"] == "2026"
    assert row["gender"] == "Trans/Transgender/NonConforming"
    assert row["ageBroad"] == "9--17" and row["majorityStatus"] == "Minor"
    assert row["majorityStatusAtExploit"] == "Minor"
    assert row["citizenship"] == "AF" and row["CountryOfExploitation"] == "PK"
    assert (row["isForcedLabour"], row["isSexualExploit"], row["isOtherExploit"]) == \
        ("1", "0", "1")
    assert all(row[m] == "-99" for m in stats.MEANS)  # not recorded, not "no"
    assert set(row) == set(stats.COLUMNS)


def test_only_iso_countries_leave() -> None:
    row = stats.victim_row({"prs_Citizenship": ["Lahore"]}, {},
                           [{"hte_Type": "Exploitation", "hte_Country": "Sheikhupura"}], None)
    assert row["citizenship"] == "-99" and row["CountryOfExploitation"] == "-99"


def test_registration_year_from_uuid7() -> None:
    from caseapp.store.ids import uuid7
    ms = int(dt.datetime(2024, 5, 6, tzinfo=dt.UTC).timestamp() * 1000)
    assert stats.registration_date(uuid7(ms)) == dt.date(2024, 5, 6)


# -- k-anonymity (property tests) ----------------------------------------------------------

# Few distinct values per column so populations contain both large and small groups.
populations = st.lists(st.fixed_dictionaries({
    **{c: st.just("x") for c in stats.COLUMNS},
    "gender": st.sampled_from(["Woman", "Man", "-99"]),
    "ageBroad": st.sampled_from(["0--8", "9--17", "18--20", "48+"]),
    "citizenship": st.sampled_from(["PK", "AF"]),
    "isForcedLabour": st.sampled_from(["0", "1"]),
}), max_size=300)
column_sets = st.lists(st.sampled_from(stats.COLUMNS), min_size=1, unique=True)


@settings(max_examples=200, deadline=None)
@given(populations, column_sets, st.integers(min_value=stats.MIN_K, max_value=30))
def test_every_published_combination_occurs_at_least_k_times(
        rows: list[dict[str, str]], columns: list[str], k: int) -> None:
    published, suppressed = stats.k_anonymise(rows, columns, k)
    counts = Counter(tuple(r[c] for c in columns) for r in published)
    assert all(n >= k for n in counts.values())
    assert suppressed == len(rows) - len(published)
    # Nothing kept that could have been published is lost: every group of size >= k stays.
    full = Counter(tuple(r[c] for c in columns) for r in rows)
    assert counts == {key: n for key, n in full.items() if n >= k}
    assert all(set(r) == set(columns) for r in published)


@settings(max_examples=200, deadline=None)
@given(populations, column_sets, st.integers(min_value=stats.MIN_K, max_value=30))
def test_aggregate_publishes_no_count_below_k(rows: list[dict[str, str]], columns: list[str],
                                              k: int) -> None:
    combos, suppressed = stats.aggregate(rows, columns, k)
    assert all(n >= k for _key, n in combos)
    assert sum(n for _key, n in combos) + suppressed == len(rows)
    assert len({key for key, _n in combos}) == len(combos)


@settings(max_examples=50, deadline=None)
@given(populations, st.integers(min_value=stats.MIN_K, max_value=20))
def test_rendered_csv_is_k_anonymous(rows: list[dict[str, str]], k: int) -> None:
    published, _suppressed = stats.k_anonymise(rows, stats.COLUMNS, k)
    data = stats.render(stats.COLUMNS, stats.ROWS, published, [])
    lines = list(csv.reader(io.StringIO(data.decode())))
    assert lines[0] == list(stats.COLUMNS)
    assert all(n >= k for n in Counter(map(tuple, lines[1:])).values())


# -- the export ----------------------------------------------------------------------------

def _population(session: Session, n: int) -> None:
    """``n`` identical victims, each of whom agreed to research use of non-identifying data
    (statistics count no one else)."""
    service = CaseService(session)
    with session.write():
        ids = [service.create(_canary_case(i)).id for i in range(n)]
    agree(session, ids, consent.ANONYMISED_RESEARCH)


def test_export_has_no_identifying_values_and_is_k_anonymous(open_session: OpenSession,
                                                             tmp_path: Path) -> None:
    session = open_session()
    _population(session, 12)
    agree(session, demo.fill(session, 40), consent.ANONYMISED_RESEARCH)
    out = tmp_path / "stats.csv"
    report = publishing.export_statistics(session, out, "annual report", k=11)
    text = out.read_text(encoding="utf-8")
    for canary in (CANARY_NAME, CANARY_CNIC, "7777123", CANARY_CITY, CANARY_DATE, "1999",
                   "قزوکنیری", "Lahore", "Karachi", "Taftan"):
        assert canary not in text
    rows = _read(out)
    assert rows and list(rows[0]) == list(stats.COLUMNS)
    counts = Counter(tuple(r.values()) for r in rows)
    assert all(n >= 11 for n in counts.values())
    assert report.published == len(rows)
    assert report.published + report.suppressed == report.total
    # The twelve identical canary victims form one publishable group.
    assert report.published >= 12
    assert any(r["CountryOfExploitation"] == "AE" and r["gender"] == "Woman" for r in rows)


def test_smuggling_only_cases_are_not_counted(open_session: OpenSession,
                                              tmp_path: Path) -> None:
    session = open_session()
    service = CaseService(session)
    agree(session, [service.create({"prs_FirstName": "A", "hfz_Tracks": ["SOM"]}).id,
                    service.create({"prs_FirstName": "B", "hfz_Tracks": ["SOM", "TIP"]}).id],
          consent.ANONYMISED_RESEARCH)
    report = publishing.export_statistics(session, tmp_path / "s.csv", "report")
    assert report.total == 1 and report.published == 0 and report.suppressed == 1


def test_aggregate_export(open_session: OpenSession, tmp_path: Path) -> None:
    session = open_session()
    _population(session, 13)
    service = CaseService(session)
    agree(session, service.create({**_canary_case(99), "prs_Gender": "Masculine"}).id,
          consent.ANONYMISED_RESEARCH)
    out = tmp_path / "agg.csv"
    report = publishing.export_statistics(session, out, "report", mode=stats.AGGREGATE,
                                     columns=["gender", "citizenship"])
    rows = _read(out)
    assert rows == [{"gender": "Woman", "citizenship": "PK", "count": "13"}]
    assert report.suppressed == 1 and report.published == 13 and report.lines == 1


@pytest.mark.parametrize("k", [5, 10, 0, -1])
def test_small_k_refused(open_session: OpenSession, tmp_path: Path, k: int) -> None:
    session = open_session()
    with pytest.raises(ValidationError, match="at least 11"):
        publishing.export_statistics(session, tmp_path / "s.csv", "report", k=k)
    assert not (tmp_path / "s.csv").exists()


def test_unknown_column_refused(open_session: OpenSession, tmp_path: Path) -> None:
    session = open_session()
    with pytest.raises(ValidationError, match="prs_FirstName"):
        publishing.export_statistics(session, tmp_path / "s.csv", "report",
                                columns=["gender", "prs_FirstName"])


def test_border_officer_refused(open_session: OpenSession, tmp_path: Path) -> None:
    session = open_session("bo", "border_officer")
    with pytest.raises(PermissionDenied):
        publishing.export_statistics(session, tmp_path / "s.csv", "report")


def test_audit_event_without_values(open_session: OpenSession, tmp_path: Path) -> None:
    session = open_session()
    _population(session, 11)
    publishing.export_statistics(session, tmp_path / "s.csv", "UNODC report")
    event = next(e for e in session.audit.events() if e["action"] == "statistics_exported")
    fields = event["fields"]
    assert isinstance(fields, list)
    assert {"k:11", "rows:11", "suppressed:0"} <= set(fields)
    # The purpose is kept in the vault as the export's own record, named by the event.
    record = session.store.get(str(event["record"]))
    assert record is not None and record.body["purpose"] == "UNODC report"
    assert "UNODC" not in json.dumps(session.audit.events())
    dump = json.dumps(session.audit.events(), ensure_ascii=False)
    assert CANARY_NAME not in dump and CANARY_CNIC not in dump and CANARY_CITY not in dump


def test_cli(open_session: OpenSession, tmp_path: Path,
             capsys: pytest.CaptureFixture[str]) -> None:
    session = open_session()
    _population(session, 11)
    session.close()
    secret = tmp_path / "p.txt"
    secret.write_text(PASSPHRASE, encoding="utf-8")
    out = tmp_path / "s.csv"
    args = ["export", "statistics", "--profile", "alice", "--passphrase-file", str(secret),
            "--out", str(out), "--purpose", "report"]
    assert main([*args, "--k", "11"]) == 0
    assert "Published 11 of 11" in capsys.readouterr().out
    assert len(_read(out)) == 11
    args.append("--force")  # the file exists now
    assert main([*args, "--k", "5"]) == 2
    assert "at least 11" in capsys.readouterr().err
    assert main([*args, "--aggregate", "--columns", "gender,ageBroad"]) == 0
    assert _read(out)[0]["count"] == "11"
    assert main([*args, "--columns", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_statistics_count_only_victims_who_agreed_to_research_use(
        open_session: OpenSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Before: every victim was counted, whatever they had agreed to.
    session = open_session()
    _population(session, 11)
    service = CaseService(session)
    never = [service.create(_canary_case(50 + i)).id for i in range(3)]
    agree(session, never, consent.INTERVIEW, consent.ASSISTANCE_PROCESSING)
    out = tmp_path / "s.csv"
    report = publishing.export_statistics(session, out, "annual report", k=11)
    assert (report.total, report.published, report.without_consent) == (11, 11, 3)
    assert len(_read(out)) == 11
    session.close()
    secret = tmp_path / "p.txt"
    secret.write_text(PASSPHRASE, encoding="utf-8")
    assert main(["export", "statistics", "--profile", "alice", "--passphrase-file",
                 str(secret), "--out", str(tmp_path / "t.csv"), "--purpose", "report"]) == 0
    captured = capsys.readouterr()
    assert "Published 11 of 11" in captured.out
    assert "3 victims were left out: no consent to the use of non-identifying data for " \
           "research." in captured.err
