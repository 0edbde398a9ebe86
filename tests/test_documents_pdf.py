"""The one document layer (caseapp.documents.pdf): what a reader of the PDF gets, checked
with poppler's tools, not with our own code. Urdu, Pashto and Dari text extracted from the
page is the text that was written, in order; every page carries the watermark's export id,
the footer and its number; fonts are embedded; nothing is drawn outside the margins."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest
from pdf_tools import (
    A4_POINTS,
    ink_fraction,
    letters,
    page_count,
    pdf_text,
    render_pages,
    word_boxes,
    words,
)

from caseapp.documents import pdf
from caseapp.documents.layout import Document, Heading, Paragraph, Table, Text

# Reference sentences written for these tests (plain words, no punctuation, so that word
# order itself is compared), and sentences with the punctuation and digits of real forms.
URDU = "متاثرہ شخص کو پناہ گاہ قانونی مدد اور طبی دیکھ بھال کا حق ہے"
PASHTO = "تاسو حق لرئ چې پناه ځای حقوقي مرستې او طبي پاملرنې ته لاسرسی ولرئ"
DARI = "شما حق دارید که به سرپناه کمک حقوقی و مراقبت صحی دسترسی داشته باشید"
URDU_MIXED = "قومی ہیلپ لائن 111-247-786 پر FIA کو فون کریں۔ آپ کا کیس 2026 میں درج ہوا، شکریہ۔"
MARGIN_PT = pdf.MARGIN_MM * 72 / 25.4


def write(tmp_path: Path, document: Document, name: str = "doc.pdf") -> Path:
    """The PDF of ``document``; without a page label unless it has its own, so that the
    extracted text is the body alone."""
    if document.page_label == Document("", "en", ()).page_label:
        document = dataclasses.replace(document, page_label=Text(""))
    path = tmp_path / name
    path.write_bytes(pdf.render(document))
    return path


@pytest.mark.parametrize("lang, sentence", [("ur", URDU), ("ps", PASHTO), ("fa_AF", DARI)])
def test_right_to_left_text_extracts_as_written(tmp_path: Path, lang: str,
                                                sentence: str) -> None:
    path = write(tmp_path, Document("t", lang, (Paragraph(Text(sentence, lang)),)))
    assert words(pdf_text(path)) == words(sentence)


def test_long_urdu_paragraph_keeps_its_lines_in_order(tmp_path: Path) -> None:
    paragraph = " ".join([URDU] * 6)  # several lines
    path = write(tmp_path, Document("t", "ur", (Paragraph(Text(paragraph, "ur")),)))
    text = pdf_text(path)
    assert len([ln for ln in text.splitlines() if ln.strip()]) >= 3
    assert words(text) == words(paragraph)


def test_digits_and_latin_runs_stay_in_place_in_urdu(tmp_path: Path) -> None:
    path = write(tmp_path, Document("t", "ur", (Paragraph(Text(URDU_MIXED, "ur")),)))
    text = pdf_text(path)
    assert letters(text) == letters(URDU_MIXED)
    assert "111-247-786" in text and "FIA" in text and "2026" in text


def test_every_page_has_the_footer_and_its_number(tmp_path: Path) -> None:
    blocks = tuple(Paragraph(Text(f"Paragraph {i}: " + "words of the referral " * 30))
                   for i in range(12))
    document = Document("t", "en", blocks, watermark="EXP-7F3A · Dar-ul-Aman Lahore",
                        footer=Text("Export EXP-7F3A for Dar-ul-Aman Lahore"),
                        page_label=Text("Page %(page)s of %(pages)s"))
    path = write(tmp_path, document)
    pages = page_count(path)
    assert pages >= 2
    for page in range(1, pages + 1):
        text = pdf_text(path, page)
        assert "Export EXP-7F3A for Dar-ul-Aman Lahore" in text
        assert f"Page {page} of {pages}" in text
    # Every paragraph once, in order, across the pages.
    found = [w for w in words(pdf_text(path)) if w.startswith("Paragraph")]
    assert len(found) == 12


def test_watermark_is_drawn_on_every_page(tmp_path: Path) -> None:
    blocks = tuple(Paragraph(Text("x " * 900)) for _ in range(6))
    plain = write(tmp_path, Document("t", "en", blocks), "plain.pdf")
    marked = write(tmp_path, Document("t", "en", blocks, watermark="EXP-7F3A · Shelter"),
                   "marked.pdf")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    before = render_pages(plain, tmp_path / "a")
    after = render_pages(marked, tmp_path / "b")
    assert len(before) == len(after) >= 2
    for a, b in zip(before, after, strict=True):
        assert ink_fraction(b) > ink_fraction(a)


def test_pages_are_not_blank_and_words_stay_inside_the_margins(tmp_path: Path) -> None:
    blocks = (Heading(Text("Referral")), Paragraph(Text(URDU_MIXED * 3, "ur")),
              Paragraph(Text(PASHTO, "ps")), Paragraph(Text(DARI, "fa_AF")),
              Table(((Text("Field"), Text("قدر", "ur")), (Text("Shelter"), Text("ہاں", "ur"))),
                    header=True))
    path = write(tmp_path, Document("t", "ur", blocks, footer=Text("Export EXP-1")))
    for image in render_pages(path, tmp_path):
        assert ink_fraction(image) > 0.005
    boxes = word_boxes(path)
    assert boxes
    width, height = A4_POINTS
    for box in boxes:
        assert MARGIN_PT - 1 <= box.x0 < box.x1 <= width - MARGIN_PT + 1, box
        assert MARGIN_PT - 1 <= box.y0 < box.y1 <= height - MARGIN_PT + 1, box


def test_urdu_lines_do_not_overlap(tmp_path: Path) -> None:
    """Nastaliq needs tall lines: the lines Qt laid out must not run into each other."""
    path = write(tmp_path, Document("t", "ur", (Paragraph(Text(" ".join([URDU] * 5), "ur")),)))
    lines: dict[float, tuple[float, float]] = {}
    for box in word_boxes(path):
        lines[box.y0] = (box.y0, box.y1)
    spans = sorted(lines.values())
    assert len(spans) >= 3
    for (_top, bottom), (next_top, _next_bottom) in zip(spans, spans[1:], strict=False):
        assert bottom <= next_top + 0.01


def test_fonts_are_embedded_and_urdu_is_in_nastaliq(tmp_path: Path) -> None:
    blocks = (Paragraph(Text(URDU, "ur")), Paragraph(Text(PASHTO, "ps")),
              Paragraph(Text("English")))
    path = write(tmp_path, Document("t", "ur", blocks))
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                         text=True).stdout.splitlines()[2:]
    names = [line.split()[0] for line in out]
    assert any("NotoNastaliqUrdu" in n for n in names)
    assert any("NotoNaskhArabic" in n for n in names)
    for line in out:
        assert " yes " in line  # every font embedded


def test_text_is_shown_as_typed_never_as_markup(tmp_path: Path) -> None:
    typed = "<b>Amina</b> & <img src=x> &amp;"
    path = write(tmp_path, Document("t", "en", (Paragraph(Text(typed)),)))
    assert words(pdf_text(path)) == words(typed)
