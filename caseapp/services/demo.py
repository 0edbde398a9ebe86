"""Synthetic demo cases that a reviewer from the field finds nothing wrong with (issue 8), and
that describe no real person: names are combined at random from common given names and
family names, identity numbers are random digits in NADRA's format.

What keeps them true to Pakistan's caseloads (RESEARCH §5; PROTECTION.md):

- each scenario says who it happens to: forced marriage to China is of women and girls,
  smuggling mostly of young men, child begging of children; Afghan cases vary (kilns, begging,
  smuggling towards Iran) and carry PoR, ACC, a tazkira or no document at all;
- honorifics (Bibi, Begum, Khatoon) are family names of women only, Bangladeshi names come
  from pools by gender, minors carry B-Forms and not CNICs;
- the place of identification matches the route (the airport the person flew from) and the
  kind of case: internal kiln and domestic-servitude cases reach the provincial police and the
  District Vigilance Committees, not FIA circles; men and boys are never placed in a
  Dar-ul-Aman (a women's shelter);
- languages follow the province (the CNIC's first digit) and the family's ethnicity;
- a case past intake carries what its stage implies, recorded through the same services a
  caseworker uses, so the demo obeys the app's own rules: consent (with a child's assent and a
  guardian's or best-interests backing), a screening with the set for the person's age, a plan,
  a referral consented to and sent to a directory entry that takes the person, a baseline
  reintegration round, follow-up consent and a follow-up, and a reason when closed.
"""

from __future__ import annotations

import random  # crypto-lint: allow (seeded synthetic demo data, never a secret)
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from caseapp.domain import consent, roles, stages
from caseapp.services.cases import CaseService
from caseapp.services.consent import ConsentService
from caseapp.services.directory import DirectoryService
from caseapp.services.plans import PlanService
from caseapp.services.referrals import ReferralService
from caseapp.services.reintegration import ReintegrationService
from caseapp.services.screenings import ScreeningService
from caseapp.services.session import Session
from caseapp.store import database

MALE = [("Muhammad", "محمد"), ("Ali", "علی"), ("Ahmed", "احمد"), ("Bilal", "بلال"),
        ("Imran", "عمران"), ("Shahid", "شاہد"), ("Waseem", "وسیم"), ("Yasir", "یاسر"),
        ("Kashif", "کاشف"), ("Tariq", "طارق"), ("Zahid", "زاہد"), ("Asif", "آصف"),
        ("Naveed", "نوید"), ("Rizwan", "رضوان"), ("Sajid", "ساجد"), ("Faisal", "فیصل")]
FEMALE = [("Fatima", "فاطمہ"), ("Ayesha", "عائشہ"), ("Zainab", "زینب"), ("Rukhsana", "رخسانہ"),
          ("Nasreen", "نسرین"), ("Shazia", "شازیہ"), ("Sadia", "سعدیہ"), ("Kiran", "کرن"),
          ("Samina", "ثمینہ"), ("Bushra", "بشریٰ"), ("Gul", "گل"), ("Parveen", "پروین")]
# Family names by region (first CNIC digit: 1 KP, 3 Punjab, 4 Sindh, 5 Balochistan, 6 ICT).
FAMILY_BY_REGION = {
    "3": [("Akhtar", "اختر"), ("Hussain", "حسین"), ("Bhatti", "بھٹی"), ("Malik", "ملک"),
          ("Qureshi", "قریشی"), ("Butt", "بٹ"), ("Chaudhry", "چودھری")],
    "4": [("Soomro", "سومرو"), ("Memon", "میمن"), ("Shaikh", "شیخ"), ("Qureshi", "قریشی")],
    "1": [("Khan", "خان"), ("Afridi", "آفریدی"), ("Yousafzai", "یوسفزئی"), ("Shah", "شاہ")],
    "5": [("Baloch", "بلوچ"), ("Mengal", "مینگل"), ("Kakar", "کاکڑ"), ("Marri", "مری")],
    "6": [("Abbasi", "عباسی"), ("Malik", "ملک"), ("Shah", "شاہ")],
}
WOMEN_HONORIFICS = [("Bibi", "بی بی"), ("Khatoon", "خاتون")]
# (CNIC district prefix, city) per region.
HOMES = {"3": [("35202", "Lahore"), ("34101", "Gujranwala"), ("34603", "Sialkot"),
               ("34402", "Mandi Bahauddin"), ("33100", "Faisalabad"), ("35102", "Kasur")],
         "4": [("42101", "Karachi"), ("41303", "Hyderabad")],
         "1": [("17301", "Peshawar"), ("15602", "Swat")],
         "5": [("54400", "Quetta")], "6": [("61101", "Islamabad")]}
# Languages by region, and for the Pashtun and Baloch families of any region.
LANGUAGES_BY_REGION = {"3": ["urd", "pnb"], "4": ["snd", "urd"], "1": ["pus"],
                       "5": ["bal", "pus", "brh"], "6": ["urd", "pnb"]}
AFGHAN_MALE = [("Gul Agha", "گل آغا"), ("Noorullah", "نوراللہ"), ("Habibullah", "حبیب اللہ"),
               ("Zabihullah", "ذبیح اللہ"), ("Ahmad Shah", "احمد شاہ")]
AFGHAN_FEMALE = [("Mariam", "مریم"), ("Farzana", "فرزانہ"), ("Shabnam", "شبنم"),
                 ("Nazifa", "نظیفہ")]
AFGHAN_FAMILY = [("Ahmadzai", "احمدزئی"), ("Sultani", "سلطانی"), ("Hotak", "ہوتک"),
                 ("Hazara", "ہزارہ"), ("Tajik", "تاجک")]
BANGLA_FEMALE = [("Rahima", "رحیمہ"), ("Shirin", "شیریں"), ("Nasima", "نسیمہ")]
BANGLA_MALE = [("Karim", "کریم"), ("Rafiq", "رفیق"), ("Jamal", "جمال")]
BANGLA_FAMILY_FEMALE = [("Begum", "بیگم"), ("Akter", "اختر"), ("Khatun", "خاتون")]
BANGLA_FAMILY_MALE = [("Uddin", "الدین"), ("Hossain", "حسین"), ("Miah", "میاں")]


@dataclass(frozen=True)
class Scenario:
    exploitation: list[str]
    tracks: list[str]
    control: list[str]
    route: list[tuple[str, str, str]]  # (hte_Type, city, country)
    recruitment: str
    nationality: str            # PK, AF or BD
    female_share: float         # who it happens to
    ages: tuple[int, int]
    # Where the person was identified: (for women and girls, for men and boys).
    places: tuple[str, str]
    # Directory keys to refer to: (for women, men, children).
    referral: tuple[str, str, str]
    home_region: str = "3"


SCENARIOS = [
    # Brick kiln in Punjab: whole families in debt bondage; District Vigilance Committees.
    Scenario(["ForcedLabour"], ["TIP"], ["DebtBondage", "WithholdsDocuments", "TakesEarnings"],
             [("Recruitment", "Kasur", "PK"), ("Exploitation", "Sheikhupura", "PK")],
             "ThroughFamilyOrFamilyEvents", "PK", 0.4, (12, 50),
             ("District Vigilance Committee Sheikhupura", "Police Station Sheikhupura City"),
             ("district-vigilance-committees", "district-vigilance-committees", "punjab-cpwb")),
    # Gulf labour recruitment, flown out of Lahore.
    Scenario(["ForcedLabour"], ["TIP"], ["FalsePromises", "WithholdsDocuments",
                                          "ExcessiveWorkingHours"],
             [("Recruitment", "Sialkot", "PK"), ("Transit", "Lahore", "PK"),
              ("Exploitation", "Dubai", "AE")],
             "ThroughFriendsOrSocialEvents", "PK", 0.1, (19, 45),
             ("Allama Iqbal International Airport, Lahore",) * 2,
             ("beoe", "beoe", "punjab-cpwb")),
    # Smuggling towards Europe over Iran: young men, returned through Taftan.
    Scenario([], ["SOM"], [], [("Recruitment", "Gujranwala", "PK"), ("Transit", "Quetta", "PK"),
                               ("Transit", "Taftan", "PK"), ("Transit", "Zahedan", "IR"),
                               ("Transit", "Van", "TR")],
             "ThroughFriendsOrSocialEvents", "PK", 0.03, (18, 30),
             ("Taftan border crossing",) * 2, ("iom-avrr", "iom-avrr", "punjab-cpwb")),
    Scenario(["ForcedLabour"], ["SOM", "TIP"], ["DebtBondage", "PhysicalThreats"],
             [("Recruitment", "Mandi Bahauddin", "PK"), ("Transit", "Quetta", "PK"),
              ("Transit", "Taftan", "PK"), ("Exploitation", "Tehran", "IR")],
             "ThroughOnlineSocialNetworks", "PK", 0.05, (18, 32),
             ("Taftan border crossing",) * 2, ("iom-avrr", "iom-avrr", "punjab-cpwb")),
    # Forced marriage to China: women and girls, flown out of Islamabad.
    Scenario(["ForcedMarriage"], ["TIP"], ["FalsePromises", "RestrictsFinancialAccess"],
             [("Recruitment", "Faisalabad", "PK"), ("Transit", "Islamabad", "PK"),
              ("Exploitation", "Beijing", "CN")],
             "ThroughFamilyOrFamilyEvents", "PK", 1.0, (16, 27),
             ("Islamabad International Airport",) * 2,
             ("dar-ul-aman", "dar-ul-aman", "punjab-cpwb")),
    # Domestic servitude in Lahore: provincial police; women to a Dar-ul-Aman.
    Scenario(["Servitude"], ["TIP"], ["WithholdsNecessities", "PhysicalAbuse"],
             [("Recruitment", "Muzaffargarh", "PK"), ("Exploitation", "Lahore", "PK")],
             "ThroughFamilyOrFamilyEvents", "PK", 0.7, (10, 40),
             ("Police Station Gulberg, Lahore", "Police Station Gulberg, Lahore"),
             ("dar-ul-aman", "labour-departments", "punjab-cpwb")),
    # Afghan children made to beg in Peshawar.
    Scenario(["ForcedBegging"], ["TIP"], ["TakesEarnings", "PhysicalAbuse"],
             [("Recruitment", "Jalalabad", "AF"), ("Transit", "Torkham", "PK"),
              ("Exploitation", "Peshawar", "PK")],
             "ThroughFamilyOrFamilyEvents", "AF", 0.4, (8, 15),
             ("Child Protection Unit Peshawar",) * 2, ("kp-cpwc", "kp-cpwc", "kp-cpwc"),
             home_region="1"),
    # Afghan adults in debt bondage at kilns around Peshawar.
    Scenario(["ForcedLabour"], ["TIP"], ["DebtBondage", "WithholdsDocuments"],
             [("Recruitment", "Peshawar", "PK"), ("Exploitation", "Nowshera", "PK")],
             "ThroughFriendsOrSocialEvents", "AF", 0.3, (18, 50),
             ("District Vigilance Committee Nowshera", "Police Station Nowshera"),
             ("district-vigilance-committees", "district-vigilance-committees", "kp-cpwc"),
             home_region="1"),
    # Afghan young men smuggled towards Iran through Balochistan.
    Scenario([], ["SOM"], [], [("Recruitment", "Quetta", "PK"), ("Transit", "Taftan", "PK"),
                               ("Transit", "Zahedan", "IR")],
             "ThroughFriendsOrSocialEvents", "AF", 0.05, (16, 28),
             ("Taftan border crossing",) * 2, ("unhcr", "unhcr", "unhcr"), home_region="5"),
    # Bangladeshi women trafficked for sexual exploitation to Karachi: FIA AHTC Karachi.
    Scenario(["SexualExploitation"], ["TIP"], ["FalsePromises", "WithholdsDocuments",
                                                "PsychologicalAbuse"],
             [("Recruitment", "Dhaka", "BD"), ("Transit", "Kolkata", "IN"),
              ("Exploitation", "Karachi", "PK")],
             "ThroughAnOnlineAdvertisement", "BD", 1.0, (15, 30),
             ("FIA Anti-Human Trafficking Circle Karachi",) * 2,
             ("sindh-safe-houses", "sindh-safe-houses", "sindh-cpu"), home_region="4"),
]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _nadra_number(rng: random.Random, region: str, female: bool) -> tuple[str, str]:
    """(district prefix's city, number): the last digit is even for women, odd for men."""
    prefix, city = rng.choice(HOMES[region])
    last = str(rng.choice((0, 2, 4, 6, 8) if female else (1, 3, 5, 7, 9)))
    return city, f"{prefix}-{_digits(rng, 7)}-{last}"


def _pakistani(rng: random.Random, female: bool, minor: bool, region: str) -> dict[str, Any]:
    first = rng.choice(FEMALE if female else MALE)
    family = rng.choice(FAMILY_BY_REGION[region])
    father = rng.choice(MALE)
    # An honorific is a woman's family name: Bibi, Khatoon; never a man's.
    surname = rng.choice(WOMEN_HONORIFICS) if female and rng.random() < 0.25 else family
    _city, number = _nadra_number(rng, region, female)
    return {
        "prs_FirstName": first[0], "prs_SecondName": surname[0],
        "hfz_NameUrdu": f"{first[1]} {surname[1]}",
        "hfz_FatherName": f"{father[0]} {family[0]}",
        "hfz_FatherNameUrdu": f"{father[1]} {family[1]}",
        "prs_Gender": "Feminine" if female else "Masculine",
        "prs_Citizenship": ["PK"],
        "prs_PrimaryLanguage": rng.choice(LANGUAGES_BY_REGION[region]),
        # A child has a B-Form (Child Registration Certificate), not a CNIC.
        "hfz_IdentityDocuments": [{"type": "BForm" if minor else "CNIC", "country": "PK",
                                   "number": number}],
    }


def _afghan(rng: random.Random, female: bool, minor: bool) -> dict[str, Any]:
    first = rng.choice(AFGHAN_FEMALE if female else AFGHAN_MALE)
    family = rng.choice(AFGHAN_FAMILY)
    document = rng.choices(["PoR", "ACC", "Tazkira", None], [4, 2, 2, 3])[0]
    if minor and document in ("PoR", "ACC"):
        document = rng.choice(["Tazkira", None])  # children are on a parent's card
    person: dict[str, Any] = {
        "prs_FirstName": first[0], "prs_SecondName": family[0],
        "hfz_NameUrdu": f"{first[1]} {family[1]}",
        "prs_Gender": "Feminine" if female else "Masculine",
        "prs_Citizenship": ["AF"],
        "prs_PrimaryLanguage": "prs" if family[0] in ("Hazara", "Tajik") else "pus",
    }
    if document is not None:
        number = {"PoR": f"PoR{_digits(rng, 9)}", "ACC": f"ACC{_digits(rng, 9)}",
                  "Tazkira": _digits(rng, 12)}[document]
        person["hfz_IdentityDocuments"] = [{"type": document, "number": number,
                                            "country": "AF" if document == "Tazkira"
                                            else "PK"}]
    return person


def _bangladeshi(rng: random.Random, female: bool) -> dict[str, Any]:
    first = rng.choice(BANGLA_FEMALE if female else BANGLA_MALE)
    family = rng.choice(BANGLA_FAMILY_FEMALE if female else BANGLA_FAMILY_MALE)
    return {
        "prs_FirstName": first[0], "prs_SecondName": family[0],
        "hfz_NameUrdu": f"{first[1]} {family[1]}",
        "prs_Gender": "Feminine" if female else "Masculine",
        "prs_Citizenship": ["BD"], "prs_PrimaryLanguage": "ben",
        "hfz_IdentityDocuments": [{"type": "Passport", "country": "BD",
                                   "number": f"B{_digits(rng, 8)}"}],
    }


def synthetic_case(rng: random.Random, year: int = 2026) -> dict[str, Any]:
    """One case document: a scenario, and a person it happens to."""
    scenario = rng.choice(SCENARIOS)
    female = rng.random() < scenario.female_share
    age = rng.randint(*scenario.ages)
    minor = age < consent.ADULT_AGE
    if scenario.nationality == "AF":
        person = _afghan(rng, female, minor)
    elif scenario.nationality == "BD":
        person = _bangladeshi(rng, female)
    else:
        person = _pakistani(rng, female, minor, scenario.home_region)
    person["prs_Birthdate"] = f"{year - age}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    doc: dict[str, Any] = {**person, "hfz_Tracks": scenario.tracks,
                           "hfz_PlaceOfIdentification": scenario.places[0 if female else 1],
                           "hte_Events": [{"hte_Type": t, "hte_City": c, "hte_Country": k}
                                          for t, c, k in scenario.route]}
    if scenario.exploitation:
        doc["vic_TypeOfExploitation"] = scenario.exploitation
        doc["vic_MethodsOfControl"] = scenario.control
        doc["vic_MethodOfRecruitment"] = [scenario.recruitment]
    # Kept out of the document (not HTCDS fields): used to record the stage's records.
    doc["_scenario"] = scenario
    return doc


_STAGE_WEIGHTS = [(stages.INTAKE, 20), (stages.SCREENING, 20), (stages.IDENTIFICATION, 10),
                  (stages.ASSISTANCE_PLAN, 10), (stages.REFERRAL, 15),
                  (stages.REINTEGRATION, 10), (stages.FOLLOW_UP, 10), (stages.CLOSED, 5)]


# 256 MiB of page cache while filling (``database.page_cache``): 1.3 → 1.1 ms a case
# from 100,000 cases on, where the filing and the indexes outgrow the usual page cache.
BULK_CACHE_KIB = 262_144


def stage_reached(stage: str, step: str) -> bool:
    """Whether a case at ``stage`` has passed ``step`` (closed cases went all the way)."""
    return stages.STAGES.index(stage) >= stages.STAGES.index(step)


def batch_size(count: int) -> int:
    """Cases per transaction: a fiftieth of the fill (progress every 2%), 2,000 to 20,000.

    Large batches for a large caseload: each commit writes every page the batch changed, and
    the list's name index (and the duplicate filing, before a fill deferred it to its end:
    ``RecordStore.deferred_filing``) take their rows all over the file, so a batch of 2,000
    rewrote about 6,500 scattered pages. At 1.1 million cases, 20,000 a batch wrote 29.5 KB
    a case instead of 49.6, and took 1.21 ms a case instead of 1.58."""
    return min(MAX_BATCH, max(MIN_BATCH, count // 50))


# Batches of at least 2,000 rather than 500: 0.98 → 0.84 ms a case at 20,000 cases (fewer
# commits and signed audit heads); at most 20,000 (50,000 spilled the page cache: slower).
MIN_BATCH = 2_000
MAX_BATCH = 20_000


def fill(session: Session, count: int, seed: int = 2026, batch: int | None = None,
         progress: Callable[[int, int], None] = lambda done, total: None, *,
         records: bool = True) -> list[str]:
    """Add ``count`` synthetic cases in batches of one transaction each (``batch_size``
    unless given); returns their ids. ``progress`` hears after each batch has committed.
    With ``records`` each case also gets the records its stage implies (module docstring)."""
    batch = batch or batch_size(count)
    rng = random.Random(seed)  # noqa: S311 (synthetic data, reproducible by seed)
    service = CaseService(session)
    walker = _StageRecords(session) if records else None
    ids: list[str] = []
    # The people are filed at the end with the usual page cache: their sort is held in
    # memory, and beside the larger cache a million cases' peaked at 825 MiB resident.
    with session.store.deferred_filing(), \
            database.page_cache(session.store.conn, BULK_CACHE_KIB):
        while len(ids) < count:
            with session.write(), session.store.bulk_write():
                for _ in range(min(batch, count - len(ids))):
                    ids.append(_add_case(service, walker, rng))
            if len(ids) < count:  # the last is heard once the people are filed
                progress(len(ids), count)
    session.store.optimize_search()  # the batches left a search segment each: one, merged
    progress(len(ids), count)
    return ids


def _add_case(service: CaseService, walker: _StageRecords | None,
              rng: random.Random) -> str:
    doc = synthetic_case(rng)
    scenario: Scenario = doc.pop("_scenario")
    stage = rng.choices([s for s, _w in _STAGE_WEIGHTS], [w for _s, w in _STAGE_WEIGHTS])[0]
    # A closed case is closed at the end, after the records of its stages.
    doc["hfz_Stage"] = stages.FOLLOW_UP if stage == stages.CLOSED else stage
    if walker is None and stage == stages.CLOSED:
        doc["hfz_Stage"] = stage
        doc["cas_ReasonForCaseClosure"] = "Returned to family; follow-up completed."
    case_id = service.create(doc).id
    assert case_id is not None  # create always names the new case
    if walker is not None:
        walker.record(case_id, doc, scenario, stage, rng)
    return case_id


class _StageRecords:
    """The records a case at a stage has, made through the caseworker's own services."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.consents = ConsentService(session)
        directory = DirectoryService(session)
        directory.seed()
        self.orgs = {str(e.get("hfz_Key")): e for e in directory.list() if e.get("hfz_Key")}
        self.may_decide = CaseService(session).actor.can(roles.STATUS_DECIDE)

    def _agree(self, case_id: str, purpose: str, doc: dict[str, Any], child: bool,
               begging: bool, providers: list[str] | None = None) -> None:
        backing: dict[str, Any] = {}
        if child:
            # A parent who sent the child to beg cannot consent for them: a best-interests
            # decision stands in (PROTECTION: guardian with suspected involvement).
            backing = ({"assent": True, "best_interests_by": "Child Protection Officer",
                        "best_interests_reason": "Parents suspected of involvement"}
                       if begging else
                       {"assent": True, "guardian_name": "Guardian (demo)",
                        "guardian_relationship": "mother"})
        # Explained in the person's own language.
        self.consents.record(case_id, purpose, True,
                             language=str(doc.get("prs_PrimaryLanguage") or "urd"),
                             explanation_version="consent-text-1.0",
                             providers=providers or [], **backing)

    def record(self, case_id: str, doc: dict[str, Any], scenario: Scenario, stage: str,
               rng: random.Random) -> None:
        child = consent.person_is_child(doc, _now_ms())
        begging = "ForcedBegging" in scenario.exploitation
        female = doc.get("prs_Gender") == "Feminine"
        if stage_reached(stage, stages.SCREENING):
            for purpose in (consent.INTERVIEW, consent.ASSISTANCE_PROCESSING):
                self._agree(case_id, purpose, doc, child, begging)
            if rng.random() < 0.7:
                self._agree(case_id, consent.ANONYMISED_RESEARCH, doc, child, begging)
        if stage_reached(stage, stages.IDENTIFICATION):
            self._screen(case_id, scenario, child)
        if stage_reached(stage, stages.ASSISTANCE_PLAN):
            PlanService(self.session).add_plan_item(case_id, {
                "spl_Type": "Legal" if scenario.exploitation else "SocialCare",
                "spl_Objectives": "Safe accommodation and legal advice"})
        if stage_reached(stage, stages.REFERRAL):
            key = scenario.referral[2 if child else 0 if female else 1]
            org = self.orgs.get(key)
            if org is not None:
                self._agree(case_id, consent.REFERRAL, doc, child, begging,
                            [str(org["id"])])
                services = list(org.get("hfz_Services") or ["shelter"])[:1]
                referrals = ReferralService(self.session)
                draft = referrals.create_draft(case_id, str(org["id"]), services).id
                assert draft is not None  # create_draft always names the new referral
                referrals.send(draft)
        if stage_reached(stage, stages.REINTEGRATION):
            ReintegrationService(self.session).record(case_id, "baseline", _BASELINE)
        if stage_reached(stage, stages.FOLLOW_UP):
            self._agree(case_id, consent.FOLLOW_UP_CONTACT, doc, child, begging)
            PlanService(self.session).add_follow_up(case_id, "2026-12-01",
                                                    "Follow-up visit at home")
        if stage == stages.CLOSED:
            CaseService(self.session).move(case_id, stages.CLOSED,
                                           "Returned to family; follow-up completed.")

    def _screen(self, case_id: str, scenario: Scenario, child: bool) -> None:
        screenings = ScreeningService(self.session)
        if "SOM" in scenario.tracks and not scenario.exploitation:
            screenings.submit(case_id, "iom-som-vulnerability",
                              {"vi_journey_debt": "yes", "vi_no_documents": "yes"})
            return
        sexual = "SexualExploitation" in scenario.exploitation
        instrument = "ilo-ec-{}-{}".format("child" if child else "adult",
                                           "sexual" if sexual else "labour")
        screenings.submit(case_id, instrument, {"dr_nature_job_location_employer": "yes",
                                                "dr_wages": "yes", "cr_debt_bondage": "yes"})
        if self.may_decide:
            screenings.decide_status(case_id, "PossibleVictimOfTrafficking",
                                     decided_on="2026-01-15", act="PTPA2018", section="3")


# Half of each dimension's questions of the packaged survey: enough for a score in each.
_BASELINE = {"eco_work": "partly", "eco_debt": "manageable", "eco_food": "sometimes",
             "eco_borrow": "no", "soc_housing": "partly", "soc_documents": "yes",
             "soc_networks": "sometimes", "psy_safety": "agree", "psy_belonging": "neutral",
             "psy_distress": "sometimes"}


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
