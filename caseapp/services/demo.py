"""Synthetic demo cases: realistic in shape (Pakistani, Afghan and Bangladeshi people, names in
Urdu and Latin script, valid-format identity numbers, routes and exploitation types seen in
Pakistan's caseloads) and describing no real person. Names are combined at random from common
given names and family names; identity numbers are random digits in NADRA's format.
"""

from __future__ import annotations

import random  # crypto-lint: allow (seeded synthetic demo data, never a secret)
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from caseapp.domain import stages
from caseapp.services.cases import CaseService
from caseapp.services.session import Session

MALE = [("Muhammad", "محمد"), ("Ali", "علی"), ("Ahmed", "احمد"), ("Bilal", "بلال"),
        ("Imran", "عمران"), ("Shahid", "شاہد"), ("Waseem", "وسیم"), ("Yasir", "یاسر"),
        ("Kashif", "کاشف"), ("Tariq", "طارق"), ("Zahid", "زاہد"), ("Asif", "آصف"),
        ("Naveed", "نوید"), ("Rizwan", "رضوان"), ("Sajid", "ساجد"), ("Faisal", "فیصل")]
FEMALE = [("Fatima", "فاطمہ"), ("Ayesha", "عائشہ"), ("Zainab", "زینب"), ("Rukhsana", "رخسانہ"),
          ("Nasreen", "نسرین"), ("Shazia", "شازیہ"), ("Sadia", "سعدیہ"), ("Kiran", "کرن"),
          ("Samina", "ثمینہ"), ("Bushra", "بشریٰ"), ("Gul", "گل"), ("Parveen", "پروین")]
FAMILY = [("Khan", "خان"), ("Bibi", "بی بی"), ("Akhtar", "اختر"), ("Hussain", "حسین"),
          ("Bhatti", "بھٹی"), ("Malik", "ملک"), ("Qureshi", "قریشی"), ("Butt", "بٹ"),
          ("Shah", "شاہ"), ("Abbasi", "عباسی"), ("Baloch", "بلوچ"), ("Mengal", "مینگل")]
AFGHAN_MALE = [("Gul Agha", "گل آغا"), ("Noorullah", "نوراللہ"), ("Habibullah", "حبیب اللہ"),
               ("Zabihullah", "ذبیح اللہ")]
AFGHAN_FEMALE = [("Mariam", "مریم"), ("Farzana", "فرزانہ"), ("Shabnam", "شبنم")]
AFGHAN_FAMILY = [("Ahmadzai", "احمدزئی"), ("Sultani", "سلطانی"), ("Hotak", "ہوتک")]
BANGLA = [("Rahima", "رحیمہ", "F"), ("Shirin", "شیریں", "F"), ("Karim", "کریم", "M")]
BANGLA_FAMILY = [("Begum", "بیگم"), ("Uddin", "الدین"), ("Akter", "اختر")]

# (CNIC first digits, city): the first digit is the province (RESEARCH.md §5.6).
HOMES = [("35202", "Lahore"), ("34101", "Gujranwala"), ("34603", "Sialkot"),
         ("34402", "Mandi Bahauddin"), ("42101", "Karachi"), ("17301", "Peshawar"),
         ("54400", "Quetta"), ("61101", "Islamabad"), ("33100", "Faisalabad")]


@dataclass(frozen=True)
class Scenario:
    exploitation: list[str]
    tracks: list[str]
    control: list[str]
    route: list[tuple[str, str, str]]  # (hte_Type, city, country)
    recruitment: str
    place: str


SCENARIOS = [
    Scenario(["ForcedLabour"], ["TIP"], ["DebtBondage", "WithholdsDocuments", "TakesEarnings"],
             [("Recruitment", "Kasur", "PK"), ("Exploitation", "Sheikhupura", "PK")],
             "ThroughFamilyOrFamilyEvents", "FIA AHTC Lahore"),
    Scenario(["ForcedLabour"], ["TIP"], ["FalsePromises", "WithholdsDocuments",
                                          "ExcessiveWorkingHours"],
             [("Recruitment", "Sialkot", "PK"), ("Transit", "Karachi", "PK"),
              ("Exploitation", "Dubai", "AE")],
             "ThroughFriendsOrSocialEvents", "Allama Iqbal International Airport, Lahore"),
    Scenario([], ["SOM"], [], [("Recruitment", "Gujranwala", "PK"), ("Transit", "Taftan", "PK"),
                               ("Transit", "Zahedan", "IR"), ("Transit", "Van", "TR")],
             "ThroughFriendsOrSocialEvents", "Taftan border crossing"),
    Scenario(["ForcedLabour"], ["SOM", "TIP"], ["DebtBondage", "PhysicalThreats"],
             [("Recruitment", "Mandi Bahauddin", "PK"), ("Transit", "Quetta", "PK"),
              ("Exploitation", "Tehran", "IR")],
             "ThroughOnlineSocialNetworks", "Taftan border crossing"),
    Scenario(["ForcedMarriage"], ["TIP"], ["FalsePromises", "RestrictsFinancialAccess"],
             [("Recruitment", "Faisalabad", "PK"), ("Exploitation", "Beijing", "CN")],
             "ThroughFamilyOrFamilyEvents", "Islamabad International Airport"),
    Scenario(["ForcedBegging"], ["TIP"], ["TakesEarnings", "PhysicalAbuse"],
             [("Recruitment", "Jalalabad", "AF"), ("Transit", "Torkham", "PK"),
              ("Exploitation", "Peshawar", "PK")],
             "ThroughFamilyOrFamilyEvents", "Torkham border crossing"),
    Scenario(["SexualExploitation"], ["TIP"], ["FalsePromises", "WithholdsDocuments",
                                                "PsychologicalAbuse"],
             [("Recruitment", "Dhaka", "BD"), ("Transit", "Kolkata", "IN"),
              ("Exploitation", "Karachi", "PK")],
             "ThroughAnOnlineAdvertisement", "FIA AHTC Karachi"),
    Scenario(["Servitude"], ["TIP"], ["WithholdsNecessities", "PhysicalAbuse"],
             [("Recruitment", "Muzaffargarh", "PK"), ("Exploitation", "Lahore", "PK")],
             "ThroughFamilyOrFamilyEvents", "Dar-ul-Aman Lahore"),
]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _pakistani(rng: random.Random) -> dict[str, Any]:
    female = rng.random() < 0.45
    first = rng.choice(FEMALE if female else MALE)
    family = rng.choice(FAMILY)
    father = rng.choice(MALE)
    prefix, _city = rng.choice(HOMES)
    last = str(rng.choice((0, 2, 4, 6, 8) if female else (1, 3, 5, 7, 9)))
    return {
        "prs_FirstName": first[0], "prs_SecondName": family[0],
        "hfz_NameUrdu": f"{first[1]} {family[1]}",
        "hfz_FatherName": f"{father[0]} {family[0]}",
        "hfz_FatherNameUrdu": f"{father[1]} {family[1]}",
        "prs_Gender": "Feminine" if female else "Masculine",
        "prs_Citizenship": ["PK"], "prs_PrimaryLanguage": rng.choice(["urd", "pnb", "pus", "snd"]),
        "hfz_IdentityDocuments": [{"type": "CNIC", "country": "PK",
                                   "number": f"{prefix}-{_digits(rng, 7)}-{last}"}],
    }


def _afghan(rng: random.Random) -> dict[str, Any]:
    female = rng.random() < 0.35
    first = rng.choice(AFGHAN_FEMALE if female else AFGHAN_MALE)
    family = rng.choice(AFGHAN_FAMILY)
    return {
        "prs_FirstName": first[0], "prs_SecondName": family[0],
        "hfz_NameUrdu": f"{first[1]} {family[1]}",
        "prs_Gender": "Feminine" if female else "Masculine",
        "prs_Citizenship": ["AF"], "prs_PrimaryLanguage": rng.choice(["pus", "prs"]),
        "hfz_IdentityDocuments": [{"type": "PoR", "country": "PK",
                                   "number": f"PoR{_digits(rng, 9)}"}],
    }


def _bangladeshi(rng: random.Random) -> dict[str, Any]:
    first = rng.choice(BANGLA)
    family = rng.choice(BANGLA_FAMILY)
    return {
        "prs_FirstName": first[0], "prs_SecondName": family[0],
        "hfz_NameUrdu": f"{first[1]} {family[1]}",
        "prs_Gender": "Feminine" if first[2] == "F" else "Masculine",
        "prs_Citizenship": ["BD"], "prs_PrimaryLanguage": "ben",
        "hfz_IdentityDocuments": [{"type": "Passport", "country": "BD",
                                   "number": f"B{_digits(rng, 8)}"}],
    }


def synthetic_case(rng: random.Random) -> dict[str, Any]:
    scenario = rng.choice(SCENARIOS)
    countries = {country for _t, _c, country in scenario.route}
    if "AF" in countries:
        person = _afghan(rng)
    elif "BD" in countries:
        person = _bangladeshi(rng)
    else:
        person = _pakistani(rng)
    child = "ForcedBegging" in scenario.exploitation or rng.random() < 0.15
    age = rng.randint(9, 17) if child else rng.randint(18, 45)
    year = 2026 - age
    person["prs_Birthdate"] = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    doc: dict[str, Any] = {**person, "hfz_Tracks": scenario.tracks,
                           "hfz_PlaceOfIdentification": scenario.place,
                           "hte_Events": [{"hte_Type": t, "hte_City": c, "hte_Country": k}
                                          for t, c, k in scenario.route]}
    if scenario.exploitation:
        doc["vic_TypeOfExploitation"] = scenario.exploitation
        doc["vic_MethodsOfControl"] = scenario.control
        doc["vic_MethodOfRecruitment"] = [scenario.recruitment]
        doc["vic_TraffickingStatus"] = "PossibleVictimOfTrafficking"
    return doc


_STAGE_WEIGHTS = [(stages.INTAKE, 20), (stages.SCREENING, 20), (stages.IDENTIFICATION, 10),
                  (stages.ASSISTANCE_PLAN, 10), (stages.REFERRAL, 15),
                  (stages.REINTEGRATION, 10), (stages.FOLLOW_UP, 10), (stages.CLOSED, 5)]


def fill(session: Session, count: int, seed: int = 2026, batch: int = 500,
         progress: Callable[[int, int], None] = lambda done, total: None) -> list[str]:
    """Add ``count`` synthetic cases in batches of one transaction each; returns their ids."""
    rng = random.Random(seed)  # noqa: S311 (synthetic data, reproducible by seed)
    service = CaseService(session)
    ids: list[str] = []
    weights = [w for _s, w in _STAGE_WEIGHTS]
    while len(ids) < count:
        with session.write():
            for _ in range(min(batch, count - len(ids))):
                doc = synthetic_case(rng)
                doc["hfz_Stage"] = rng.choices([s for s, _w in _STAGE_WEIGHTS], weights)[0]
                if doc["hfz_Stage"] == stages.CLOSED:
                    doc["cas_ReasonForCaseClosure"] = "Returned to family; follow-up completed."
                if "vic_TraffickingStatus" in doc and not service.actor.can(
                        "trafficking_status.decide"):
                    del doc["vic_TraffickingStatus"]
                case_id = service.create(doc).id
                assert case_id is not None  # create always names the new case
                ids.append(case_id)
        progress(len(ids), count)
    return ids
