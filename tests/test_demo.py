"""The demo caseload walked case by case (issue 8): nothing a reviewer from the field would find
wrong, and every case obeys the app's own rules for its stage. The expectations are written
out here from RESEARCH §5 and PROTECTION.md, not taken from the demo's own tables."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import ProfileTemplates

from caseapp.domain import consent, stages
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentService
from caseapp.services.demo import batch_size, fill
from caseapp.services.plans import FOLLOW_UP, PLAN_ITEM
from caseapp.services.referrals import REFERRAL
from caseapp.services.reintegration import ASSESSMENT
from caseapp.services.screenings import SCREENING
from caseapp.services.session import Session

HONORIFICS = {"Bibi", "Begum", "Khatoon", "Khatun"}
# First CNIC digit -> languages spoken there (RESEARCH §5.6: 1 KP, 3 Punjab, 4 Sindh,
# 5 Balochistan, 6 Islamabad).
REGION_LANGUAGES = {"1": {"pus", "hno", "urd"}, "3": {"urd", "pnb", "skr"},
                    "4": {"snd", "urd"}, "5": {"bal", "pus", "brh"}, "6": {"urd", "pnb"}}


@dataclass
class Walked:
    session: Session
    cases: list[dict[str, Any]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory,
         profile_templates: ProfileTemplates) -> Iterator[Walked]:
    with profile_templates.opened(tmp_path_factory.mktemp("demo-home"), "manager") as session:
        ids = fill(session, 240, seed=8)
        service = CaseService(session)
        yield Walked(session, [service.show(i) for i in ids])


def _age(case: dict[str, Any]) -> int:
    born = dt.date.fromisoformat(case["prs_Birthdate"])
    today = dt.date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _countries(case: dict[str, Any], kind: str | None = None) -> set[str]:
    return {e.get("hte_Country") for e in case.get("hte_Events") or []
            if kind is None or e.get("hte_Type") == kind}


def _documents(case: dict[str, Any]) -> list[str]:
    return [d["type"] for d in case.get("hfz_IdentityDocuments") or []]


def test_who_each_kind_of_case_happens_to(demo: Walked) -> None:
    china = [c for c in demo.cases if "ForcedMarriage" in (c.get("vic_TypeOfExploitation")
                                                           or [])]
    assert china and all(c["prs_Gender"] == "Feminine" for c in china)
    smuggled = [c for c in demo.cases if c["hfz_Tracks"] == ["SOM"]]
    men = [c for c in smuggled if c["prs_Gender"] == "Masculine" and _age(c) <= 32]
    assert smuggled and len(men) >= 0.8 * len(smuggled)  # mostly young men
    afghan = [c for c in demo.cases if c["prs_Citizenship"] == ["AF"]]
    kinds = Counter(tuple(c.get("vic_TypeOfExploitation") or ["SOM"]) for c in afghan)
    assert len(kinds) >= 2 and {"PoR"} != {t for c in afghan for t in _documents(c)}
    assert any(_age(c) >= 18 for c in afghan)


def test_names_and_documents_fit_the_person(demo: Walked) -> None:
    for case in demo.cases:
        if case["prs_SecondName"] in HONORIFICS:
            assert case["prs_Gender"] == "Feminine", case["prs_SecondName"]
        if _age(case) < 18:
            assert "CNIC" not in _documents(case)  # minors carry B-Forms
        if case["prs_Citizenship"] == ["BD"] and case["prs_Gender"] == "Masculine":
            assert case["prs_SecondName"] not in HONORIFICS


def test_places_fit_the_route_and_the_person(demo: Walked) -> None:
    for case in demo.cases:
        place = case["hfz_PlaceOfIdentification"]
        if "Dar-ul-Aman" in place:
            assert case["prs_Gender"] == "Feminine"
        internal = _countries(case) == {"PK"}
        kinds = set(case.get("vic_TypeOfExploitation") or [])
        if internal and kinds & {"ForcedLabour", "Servitude"}:
            assert "FIA" not in place, place  # provincial police, vigilance committees
        if "Airport" in place:
            cities = {e.get("hte_City") for e in case["hte_Events"]}
            airport_city = "Lahore" if "Lahore" in place else "Islamabad"
            assert airport_city in cities, (place, cities)


def test_languages_follow_the_province(demo: Walked) -> None:
    for case in demo.cases:
        numbers = [d["number"] for d in case.get("hfz_IdentityDocuments") or []
                   if d["type"] in ("CNIC", "BForm")]
        if numbers:
            assert case["prs_PrimaryLanguage"] in REGION_LANGUAGES[numbers[0][0]], case


def test_each_case_carries_what_its_stage_implies(demo: Walked) -> None:
    store = demo.session.store
    consents = ConsentService(demo.session)
    at = {s: stages.STAGES.index(s) for s in stages.STAGES}
    for case in demo.cases:
        stage, case_id = case["hfz_Stage"], case["id"]
        reached = at[stage]

        def permitted(purpose: str, provider: str | None = None, cid: str = case_id) -> bool:
            return consents.check(cid, purpose, provider).permitted

        if reached >= at[stages.SCREENING]:
            assert permitted(consent.INTERVIEW) and permitted(consent.ASSISTANCE_PROCESSING)
        if reached >= at[stages.IDENTIFICATION]:
            [screening] = store.children(case_id, SCREENING)
            if _age(case) < 18:
                assert "adult" not in screening.body["instrument_id"]
        if reached >= at[stages.ASSISTANCE_PLAN]:
            assert store.children(case_id, PLAN_ITEM)
        if reached >= at[stages.REFERRAL]:
            [referral] = store.children(case_id, REFERRAL)
            assert referral.body["hfz_Status"] == "sent"
            assert permitted(consent.REFERRAL, referral.body["cas_ReferredOrganisation"])
            org = store.get(referral.body["cas_ReferredOrganisation"])
            assert org is not None
            if org.body.get("hfz_AcceptsSex") == "female":
                assert case["prs_Gender"] == "Feminine"
        if reached >= at[stages.REINTEGRATION]:
            assert store.children(case_id, ASSESSMENT)
        if reached >= at[stages.FOLLOW_UP]:
            assert permitted(consent.FOLLOW_UP_CONTACT) and store.children(case_id, FOLLOW_UP)
        if stage == stages.CLOSED:
            assert case["cas_ReasonForCaseClosure"]
    assert {c["hfz_Stage"] for c in demo.cases} >= {stages.INTAKE, stages.REFERRAL,
                                                    stages.CLOSED}


def test_the_fill_gives_its_larger_page_cache_back(demo: Walked) -> None:
    """A fill writes its batches with 256 MiB of page cache (a million cases in minutes);
    then the profile is back to the usual 125 MiB, so an open profile stays well inside its
    memory, and the people are filed for the duplicate lookup (the last report) with it."""
    conn = demo.session.store.conn
    during: list[int] = []
    fill(demo.session, 2, seed=9, batch=1, records=False,
         progress=lambda done, total: during.append(
             conn.execute("PRAGMA cache_size").fetchone()[0]))
    assert during == [-262_144, -128_000]  # KiB, as SQLite takes a negative size
    assert conn.execute("PRAGMA cache_size").fetchone()[0] == -128_000


def test_a_fill_leaves_its_search_index_in_one_segment(demo: Walked) -> None:
    """Each batch writes a segment of the search index, which saves no longer merge (schema
    15): the fill merges them, or a later save would merge them all at once."""
    conn = demo.session.store.conn
    ids = fill(demo.session, 3, seed=11, batch=1, records=False)
    assert conn.execute("SELECT count(DISTINCT segid) FROM search_idx").fetchone() == (1,)
    cases = CaseService(demo.session)
    last = next(c for c in cases.list(limit=100).cases if c.id == ids[-1])
    assert ids[-1] in [c.id for c in cases.search(last.name)]  # and it still finds them


def test_a_large_fill_commits_in_large_batches_and_still_reports_every_two_percent() -> None:
    # Each commit rewrites every scattered index page the batch touched: a million cases go
    # in batches of 20,000 (a fiftieth of 1,000,000), a small fill in batches of 2,000.
    assert batch_size(1_000_000) == 20_000
    assert batch_size(5_000_000) == 20_000
    assert batch_size(300_000) == 6_000
    assert batch_size(240) == 2_000
