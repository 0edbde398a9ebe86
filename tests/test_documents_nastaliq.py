"""Urdu is set in Nastaliq as the font's own OpenType rules shape it (issue 11): a word
drawn in our PDF matches the same word drawn by ``hb-view`` (HarfBuzz's reference viewer)
from the same font file, ink for ink. Qt 6.12's own drawing of the word does not (its joins
and dots drop below the line), which this test shows too, so the check can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ink_tools import ink_grid, overlap, pgm, reference
from pdf_tools import word_boxes

from caseapp.documents import pdf
from caseapp.documents.layout import Document, Paragraph, Text
from caseapp.i18n import fonts

pytestmark = pytest.mark.skipif(shutil.which("hb-view") is None,
                                reason="needs hb-view (Debian libharfbuzz-bin)")
WORDS = ["رضامندی", "کنندہ", "بنائیں", "متعلقہ"]
RENDER = """
import sys
from pathlib import Path
from caseapp.documents import pdf
from caseapp.documents.layout import Document, Paragraph, Text
Path(sys.argv[2]).write_bytes(pdf.render(Document("t", "ur", (Paragraph(Text(sys.argv[1], "ur")),),
                                                  page_label=Text(""))))
"""


def ours(word: str, tmp_path: Path, in_process: bool = False) -> list[bool]:
    path = tmp_path / "ours.pdf"
    if in_process:
        # As the desktop exports: its fonts registered first, then the PDF made in its own
        # process. Before the desktop left out the Nastaliq bold file (fonts.qt_font_files),
        # Qt took that file for all Urdu here and the strokes came out heavier.
        from ui.language import register_fonts

        register_fonts()
        path.write_bytes(pdf.render(Document("t", "ur", (Paragraph(Text(word, "ur")),),
                                             page_label=Text(""))))
    else:
        # In a process of its own, as the command line renders it.
        subprocess.run([sys.executable, "-c", RENDER, word, str(path)], check=True,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    box = [w for w in word_boxes(path) if w.page == 1]
    x0, y0 = min(w.x0 for w in box), min(w.y0 for w in box)
    x1, y1 = max(w.x1 for w in box), max(w.y1 for w in box)
    dpi = 600
    scale = dpi / 72
    margin = 12  # points around the text box: a Nastaliq word's ink leaves its box
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray",
                    "-x", str(int((x0 - margin) * scale)), "-y", str(int((y0 - margin) * scale)),
                    "-W", str(int((x1 - x0 + 2 * margin) * scale)),
                    "-H", str(int((y1 - y0 + 2 * margin) * scale)),
                    str(path), str(tmp_path / "ours")], check=True)
    return ink_grid(*pgm(next(tmp_path.glob("ours*.pgm"))))


def qt_own(word: str) -> list[bool]:
    """The word as Qt itself draws it, for the control."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QColor, QFont, QImage, QPainter, QTextLayout

    pdf._ensure_qt()
    image = QImage(900, 500, QImage.Format.Format_Grayscale8)
    image.fill(QColor(255, 255, 255))
    painter = QPainter(image)
    painter.setPen(QColor(0, 0, 0))
    font = QFont()
    font.setFamilies([fonts.NASTALIQ])
    font.setPixelSize(120)
    layout = QTextLayout(word, font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    layout.draw(painter, QPointF(50, 100))
    painter.end()
    bits = image.constBits()
    stride = image.bytesPerLine()
    raw = bytes(bits)  # type: ignore[call-overload]
    pixels = b"".join(raw[y * stride:y * stride + 900] for y in range(500))
    return ink_grid(900, 500, pixels)


@pytest.mark.parametrize("word", WORDS)
def test_urdu_is_drawn_as_harfbuzz_draws_it(tmp_path: Path, word: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    expected = reference(word, tmp_path / "a")
    assert overlap(ours(word, tmp_path / "b"), expected) > 0.95


@pytest.mark.parametrize("word", WORDS)
def test_the_desktops_exports_draw_it_the_same(qapp: object, tmp_path: Path,
                                                word: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    expected = reference(word, tmp_path / "a")
    assert overlap(ours(word, tmp_path / "b", in_process=True), expected) > 0.95


def test_qt_alone_would_fail_this_check() -> None:
    if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        pytest.skip("headless Qt only")
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        expected = reference(WORDS[1], Path(folder))
    assert overlap(qt_own(WORDS[1]), expected) < 0.8
