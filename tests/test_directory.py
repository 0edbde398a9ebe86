"""Service directory: validation, filters, CSV import/export, the packaged seed, the CLI."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from conftest import CliProfile, OpenProfile

from caseapp.cli.main import main
from caseapp.crypto import kdf
from caseapp.errors import FieldErrors, PermissionDenied, ValidationError
from caseapp.services import profiles, users
from caseapp.services.directory import CsvErrors, DirectoryService
from caseapp.services.session import Session

RESEARCH = Path("/work/shared/domain/RESEARCH.md")
SEED_CSV = Path(__file__).resolve().parents[1] / "caseapp" / "reference" / "service-directory.csv"
HEADER = ("key,name,org_type,services,province,district,accepts_sex,accepts_age,open_24h,"
          "phone,contact,evidence,notes\n")


def test_add_validates_every_field(caseworker: Session) -> None:
    svc = DirectoryService(caseworker)
    with pytest.raises(FieldErrors) as err:
        svc.add({"org_Name": "", "org_Type": "Charity", "hfz_Services": ["massage"],
                 "hfz_Province": "PK-XX", "org_Phone": "0300 1234567",
                 "hfz_AcceptsSex": "women", "hfz_Open24h": "maybe"})
    assert sorted(p[0] for p in err.value.problems) == [
        "hfz_AcceptsSex", "hfz_Open24h", "hfz_Province", "hfz_Services", "org_Name",
        "org_Phone", "org_Type"]
    org_id = svc.add({"org_Name": "Legal aid cell", "org_Type": "LegalService",
                      "hfz_Services": ["legal_aid"], "hfz_Province": "PK-SD",
                      "org_Phone": "+922100000000"}).id
    assert svc.get(org_id)["hfz_Key"] == "legal-aid-cell-pk-sd"
    assert svc.edit(org_id, {"hfz_District": "Karachi"}).fields == {"hfz_District"}
    with pytest.raises(FieldErrors):
        svc.edit(org_id, {"org_Phone": "not a phone"})


def test_filters(manager: Session) -> None:
    svc = DirectoryService(manager)
    svc.seed()
    names = {e["org_Name"] for e in svc.list(service="child_protection", province="Punjab")}
    assert "Child Protection & Welfare Bureau (Punjab)" in names
    assert "Child Protection Units (Sindh)" not in names
    assert "Edhi homes" in names  # no province: serves the whole country
    strict = svc.list(service="child_protection", province="PK-PB", include_national=False)
    assert [e["org_Name"] for e in strict] == ["Child Protection & Welfare Bureau (Punjab)"]
    around_the_clock = {e["org_Name"] for e in svc.list(open_24h=True)}
    assert any("Shaheed Benazir Bhutto" in n for n in around_the_clock)
    assert all(e["hfz_Open24h"] for e in svc.list(open_24h=True))
    for_men = {e["org_Name"] for e in svc.list(accepts_sex="male")}
    assert "Dar-ul-Aman" not in for_men and "AGHS" in for_men
    assert [e["hfz_District"] for e in svc.list(district="quetta",
                                                 include_national=False)] == ["Quetta"]
    around_quetta = {e["org_Name"] for e in svc.list(district="Quetta", province="PK-BA")}
    assert "FIA Anti-Human Trafficking Circle (Balochistan zone)" in around_quetta
    assert "Dar-ul-Aman" in around_quetta  # national
    assert "Violence Against Women Centres (Punjab Women Protection Authority)" \
        not in around_quetta  # Punjab-wide only
    assert "FIA Anti-Human Trafficking Circle (Punjab zone)" not in around_quetta
    assert [e["org_Name"] for e in svc.list(query="hotline")] == ["National TIP Hotline (FIA)"]


def _packaged_rows() -> list[dict[str, str]]:
    """The editable reference file itself, read here without the code under test."""
    with SEED_CSV.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if any(row.values())]


def test_a_new_office_starts_with_the_packaged_directory_marks_included(
        manager: Session) -> None:
    # Before: a new profile had an empty directory until someone ran `directory seed`, which
    # a caseworker's profile could not, so it could make no referral (issue 8).
    rows = _packaged_rows()
    entries = {e["hfz_Key"]: e for e in DirectoryService(manager).list()}
    assert set(entries) == {row["key"] for row in rows}
    for row in rows:
        # What RESEARCH has not confirmed keeps its [M] mark; confirmed facts their [V].
        assert entries[row["key"]]["hfz_Evidence"] == (row["evidence"] or None)
        assert entries[row["key"]]["org_Name"] == row["name"]
    unconfirmed = [row["key"] for row in rows if row["evidence"].startswith("[M]")]
    assert unconfirmed and all(entries[k]["hfz_Evidence"].startswith("[M]")
                               for k in unconfirmed)


def test_a_user_added_to_the_office_has_the_same_directory(administrator: Session) -> None:
    # Every profile of the office has the directory, as the same records: two profiles
    # seeded apart must not hold the entries twice once they sync.
    first, changed = "first passphrase for Sana 2026", "Sana's own passphrase, chosen 2026"
    users.add_user(administrator, profile_name="sana", user_name="Sana Baloch",
                   role="caseworker", first_passphrase=first, params=kdf.FLOOR)
    profiles.change_passphrase("sana", first, changed, params=kdf.FLOOR)
    mine = {e["id"]: e["hfz_Key"] for e in DirectoryService(administrator).list()}
    with profiles.unlock("sana", changed) as sana:
        theirs = {e["id"]: e["hfz_Key"] for e in DirectoryService(sana).list()}
        assert DirectoryService(sana).list(service="shelter")
    assert theirs == mine and len(mine) == len(_packaged_rows())


def test_seed_is_idempotent_and_keeps_edits(manager: Session) -> None:
    svc = DirectoryService(manager)
    org = svc.list(query="LHRLA")[0]
    svc.edit(org["id"], {"hfz_District": "Karachi"})
    again = svc.seed()
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == len(_packaged_rows())
    assert svc.get(org["id"])["hfz_District"] == "Karachi"
    # A packaged entry a manager gave another key is not added back under the old one.
    svc.edit(org["id"], {"hfz_Key": "lhrla-karachi"})
    assert svc.seed().created == 0
    assert len(svc.list(query="LHRLA")) == 1


def test_seed_has_no_phone_numbers_not_in_research(manager: Session) -> None:
    svc = DirectoryService(manager)
    svc.seed()
    research_digits = {re.sub(r"\D", "", n)
                       for n in re.findall(r"\+?\d[\d -]{5,}\d", RESEARCH.read_text())} \
        if RESEARCH.exists() else {"111247786"}
    for entry in svc.list():
        assert not entry.get("org_Phone")
        for number in re.findall(r"\+?\d[\d -]{5,}\d", str(entry.get("hfz_Contact") or "")):
            assert re.sub(r"\D", "", number) in research_digits
    hotline = svc.list(query="hotline")[0]
    assert hotline["hfz_Contact"] == "111-247-786"
    # [M] evidence marks from RESEARCH travel with the entries.
    assert any("[M]" in str(e.get("hfz_Evidence")) for e in svc.list())


def test_import_with_errors_imports_nothing_and_reports_row_and_column(
        manager: Session) -> None:
    svc = DirectoryService(manager)
    text = (HEADER
            + "a,Good shelter,NGO,shelter,PK-KP,Peshawar,female,adult,yes,,,,\n"
            + "b,Bad type,Charity,shelter,PK-KP,,,,,,,,\n"
            + "c,Bad phone,NGO,legal_aid,Sindh,,,,no,0300-ABC,,,\n")
    before = svc.list()
    with pytest.raises(CsvErrors) as err:
        svc.import_csv(text)
    assert [(r, c) for r, c, _p, _x in err.value.problems] == [(3, "org_type"), (4, "phone")]
    message = err.value.user_message()
    assert "row 3, column org_type" in message and "row 4, column phone" in message
    assert "\n" not in message
    assert svc.list() == before

    report = svc.import_csv(text, skip_errors=True)
    assert (report.created, report.skipped_rows) == (1, [3, 4])
    assert {e["org_Name"] for e in svc.list()} - {e["org_Name"] for e in before} == {
        "Good shelter"}


def test_import_rejects_bad_header_even_when_skipping(manager: Session) -> None:
    svc = DirectoryService(manager)
    with pytest.raises(CsvErrors) as err:
        svc.import_csv("key,title\nx,y\n", skip_errors=True)
    assert {(r, c) for r, c, _p, _x in err.value.problems} == {(1, "title"), (1, "name")}


def test_import_repeated_key_is_an_error(manager: Session) -> None:
    svc = DirectoryService(manager)
    text = HEADER + "a,One,NGO,shelter,,,,,,,,,\n" + "a,Two,NGO,shelter,,,,,,,,,\n"
    with pytest.raises(CsvErrors) as err:
        svc.import_csv(text)
    assert [(r, c) for r, c, _p, _x in err.value.problems] == [(3, "key")]


def test_export_import_round_trip(manager: Session, open_profile: OpenProfile,
                                  tmp_path: Path) -> None:
    svc = DirectoryService(manager)
    svc.seed()
    svc.add({"org_Name": "=HYPERLINK(\"x\")", "hfz_Services": ["medical"],
             "org_Phone": "+925112345678", "hfz_Notes": "-dangerous"})
    exported = svc.export_csv()
    rows = list(csv.DictReader(io.StringIO(exported)))
    formula = next(r for r in rows if "HYPERLINK" in r["name"])
    assert formula["name"].startswith("'=") and formula["notes"] == "'-dangerous"
    assert formula["phone"] == "+925112345678"
    # Re-importing the export changes nothing.
    same = svc.import_csv(exported)
    assert (same.created, same.updated) == (0, 0) and same.unchanged == len(rows)
    # And imported into another profile it yields the same directory.
    path = tmp_path / "directory.csv"
    path.write_text(exported, encoding="utf-8")
    copy = DirectoryService(open_profile("administrator", "bilal"))
    # It has the packaged entries already: only the added one is new.
    assert copy.import_csv(path).created == 1
    assert copy.export_csv() == exported
    strip = [{k: v for k, v in e.items() if k != "id"} for e in copy.list()]
    assert strip == [{k: v for k, v in e.items() if k != "id"} for e in svc.list()]


def test_import_needs_a_manager_and_a_caseworker_may_seed(caseworker: Session) -> None:
    # Before: a caseworker's profile could neither seed nor import, so it had no directory
    # and could make no referral. Seeding only adds the packaged entries.
    svc = DirectoryService(caseworker)
    with pytest.raises(PermissionDenied):
        svc.import_csv(HEADER)
    assert svc.list(service="shelter")  # seeded when the profile was made
    assert svc.seed().created == 0


def test_audit_names_fields_not_values(manager: Session) -> None:
    svc = DirectoryService(manager)
    conn = manager.conn
    assert conn is not None
    start = conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    svc.add({"org_Name": "Secret Shelter Name", "hfz_Services": ["shelter"]})
    svc.import_csv(HEADER + "k,Another Shelter,NGO,shelter,,,,,,,,,\n")
    svc.export_csv()
    rows = conn.execute("SELECT * FROM audit ORDER BY rowid").fetchall()[start:]
    dump = repr(rows)
    assert "Secret Shelter Name" not in dump and "Another Shelter" not in dump
    actions = [r for r in dump.split("'") if r.startswith(("organisation_", "directory_"))]
    assert actions == ["organisation_added", "directory_imported", "directory_exported"]


def test_cli(cli_profile: CliProfile, tmp_path: Path,
             capsys: pytest.CaptureFixture[str]) -> None:
    base = [str(a) for a in cli_profile("manager", "maryam")]
    assert main(["directory", "seed", *base]) == 0
    assert "created" in capsys.readouterr().out
    assert main(["directory", "list", *base, "--service", "legal_aid", "--json"]) == 0
    assert "AGHS" in capsys.readouterr().out
    out = tmp_path / "out.csv"
    assert main(["directory", "export", *base, "--csv", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("key,name,")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "z,Bad,Charity,shelter,,,,,,,,,\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["directory", "import", *base, "--csv", str(bad)]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("caseapp: row 2, column org_type") and "\n" not in err
    assert main(["directory", "import", *base, "--csv", str(tmp_path / "missing.csv")]) != 0
    assert main(["directory", "import", *base, "--csv", str(bad), "--skip-errors"]) == 0
    assert main(["directory", "import", *base]) != 0


# -- hostile cells (issue 7, items 7 and 8) ------------------------------------------------

@pytest.mark.parametrize("cell", ["Dar\x00ul Aman", "Dar\x1bul", "Dar\x85ul", "\ud800Aman"])
def test_a_control_character_or_broken_unicode_is_refused_naming_the_cell(
        manager: Session, cell: str) -> None:
    """Before, the cell was stored and every later XLSX export of the directory failed to
    open (or, for the surrogate, the command line ended in 'unexpected error')."""
    svc = DirectoryService(manager)
    before = svc.list()
    text = HEADER + f"a,{cell},NGO,shelter,,,,,,,,,\n"
    with pytest.raises(CsvErrors) as err:
        svc.import_csv(text)
    assert [(r, c) for r, c, _p, _x in err.value.problems] == [(2, "name")]
    message = err.value.user_message()
    assert "control character" in message and "Aman" not in message and "Dar" not in message
    assert svc.list() == before


def test_a_huge_cell_is_refused_with_a_clear_error(manager: Session, tmp_path: Path) -> None:
    svc = DirectoryService(manager)
    before = svc.list()
    for size in (5_000, 200_000):  # the csv module itself fails past 131,072
        path = tmp_path / f"big{size}.csv"
        path.write_text(HEADER + "a," + "N" * size + ",NGO,shelter,,,,,,,,,\n", encoding="utf-8")
        with pytest.raises(ValidationError) as err:
            svc.import_csv(path)
        message = err.value.user_message()
        assert "N" * 50 not in message and ("longer than" in message or "near line" in message)
    assert svc.list() == before


def test_a_huge_file_is_refused_before_it_is_read(manager: Session, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from caseapp.services import directory

    monkeypatch.setattr(directory, "MAX_CSV_CHARS", 1000)
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "a,One,NGO,shelter,,,,,,,,,\n" * 100, encoding="utf-8")
    with pytest.raises(ValidationError, match="larger than"):
        DirectoryService(manager).import_csv(path)
