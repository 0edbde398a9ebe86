"""What the rights sheets and the statistics report say, read back from the PDF with
pdftotext: every sentence of the sheet in the person's language and in order, no English
left in a translated sheet, the helpline number intact; the report's counts as worked out by
hand, small counts suppressed (and a lone hidden count not recoverable from the total), and
numbers written as the language writes them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from pdf_tools import letters, pdf_text

from caseapp.documents import rights_sheet, statistics_report
from caseapp.documents.statistics_report import CaseFacts, ReportRequest
from caseapp.i18n import gettext_for


def sheet_text(tmp_path: Path, lang: str) -> str:
    path = tmp_path / f"rights-{lang}.pdf"
    path.write_bytes(rights_sheet.render(lang))
    return pdf_text(path)


@pytest.mark.parametrize("lang", ["ur", "ps", "fa_AF", "en"])
def test_every_sentence_of_the_rights_sheet_is_there_in_order(tmp_path: Path,
                                                              lang: str) -> None:
    text = letters(sheet_text(tmp_path, lang))
    sentences = [rights_sheet.TITLE]
    for heading, paragraphs in rights_sheet.SECTIONS:
        sentences += ([heading] if heading else []) + list(paragraphs)
    position = 0
    for sentence in sentences:
        found = text.find(letters(gettext_for(lang, sentence)), position)
        assert found >= 0, sentence
        position = found
    assert "111-247-786" in text


@pytest.mark.parametrize("lang", ["ur", "ps", "fa_AF"])
def test_a_translated_sheet_has_no_english_left(tmp_path: Path, lang: str) -> None:
    latin = set(re.findall(r"[A-Za-z]+", sheet_text(tmp_path, lang)))
    assert latin <= {"FIA", "rights"}  # the agency's name and the text's version id


FACTS = (
    # 25 women and 5 men registered in March 2026, all aged 21–23, forced labour; three
    # cases outside the period.
    [CaseFacts(dt.date(2026, 3, 10), ("TIP",), "Feminine", "21--23", ("ForcedLabour",))] * 25
    + [CaseFacts(dt.date(2026, 3, 12), ("TIP",), "Masculine", "21--23", ("ForcedLabour",))] * 5
    + [CaseFacts(dt.date(2025, 12, 30), ("SOM",), "Masculine", "9--17", ())] * 3
)


def report_text(tmp_path: Path, lang: str) -> str:
    request = ReportRequest(dt.date(2026, 1, 1), dt.date(2026, 6, 30), "Lahore AHTC", lang,
                            dt.date(2026, 7, 1))
    path = tmp_path / f"report-{lang}.pdf"
    path.write_bytes(statistics_report.render(FACTS, request))
    return pdf_text(path)


def test_report_counts_as_worked_out_by_hand(tmp_path: Path) -> None:
    text = report_text(tmp_path, "en")
    flat = " ".join(text.split())
    assert "Cases in the period: 30" in flat
    assert "Team: Lahore AHTC" in flat
    # Men (5) are suppressed; the women's 25 would then give the 5 away (30 − 25), so it is
    # withheld too: no "25" anywhere, and the table says why each count is missing.
    assert not re.search(r"\b25\b", flat) and not re.search(r"\b5\b", flat)
    assert "fewer than 11" in flat and "not shown, to protect a small group" in flat
    # One age group, one type, one month: 30 each; the smuggling cases of 2025 are out.
    assert "March 2026" in flat and "Smuggling of migrants" not in flat
    assert len(re.findall(r"\b30\b", flat)) >= 4


def test_numbers_are_written_as_the_language_writes_them(tmp_path: Path) -> None:
    dari = " ".join(report_text(tmp_path, "fa_AF").split())
    assert "۳۰" in dari and not re.search(r"\b30\b", dari)
    urdu = " ".join(report_text(tmp_path, "ur").split())
    assert "30" in urdu  # Urdu in Pakistan writes Western digits (CLDR ur_PK: latn)


def test_a_report_below_the_threshold_hides_even_the_total(tmp_path: Path) -> None:
    request = ReportRequest(dt.date(2026, 1, 1), dt.date(2026, 6, 30), "", "en",
                            dt.date(2026, 7, 1))
    path = tmp_path / "small.pdf"
    few = [CaseFacts(dt.date(2026, 2, 1), ("TIP",), "Feminine", "18--20", ())] * 7
    path.write_bytes(statistics_report.render(few, request))
    flat = " ".join(pdf_text(path).split())
    assert "Cases in the period: fewer than 11" in flat and not re.search(r"\b7\b", flat)


def test_types_with_equal_counts_keep_one_order_whatever_the_reading_order(
        tmp_path: Path) -> None:
    # The store reads the cases in no particular order: a tie must not follow it.
    request = ReportRequest(dt.date(2026, 1, 1), dt.date(2026, 6, 30), "", "en",
                            dt.date(2026, 7, 1))

    def fact(code: str) -> CaseFacts:
        return CaseFacts(dt.date(2026, 2, 1), ("TIP",), "Feminine", "18--20", (code,))

    facts = ([fact("SexualExploitation")] * 12 + [fact("ForcedLabour")] * 12
             + [fact("ForcedBegging")] * 15)
    for name, order in (("as-read", facts), ("reversed", facts[::-1])):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(statistics_report.render(order, request))
        rows = [" ".join(line.split()) for line in pdf_text(path, layout=True).splitlines()]
        # By hand: begging 15 first, then the tie of 12 by code: ForcedLabour before
        # SexualExploitation; in the chart, then in the table.
        expected = ["Forced begging 15", "Forced labour 12", "Sexual exploitation 12"]
        assert [row for row in rows if row in expected] == expected * 2, name
