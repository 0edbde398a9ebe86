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
from pdf_tools import word_boxes

from caseapp.documents import pdf
from caseapp.documents.layout import Document, Paragraph, Text
from caseapp.i18n import fonts

pytestmark = pytest.mark.skipif(shutil.which("hb-view") is None,
                                reason="needs hb-view (Debian libharfbuzz-bin)")
FONT = fonts.FONT_DIR / "NotoNastaliqUrdu-Regular.ttf"
WORDS = ["رضامندی", "کنندہ", "بنائیں", "متعلقہ"]
GRID = (40, 20)  # ink boxes are compared on this grid, a cell inked if any pixel is


def pgm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    fields = data.split(maxsplit=4)
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[len(data) - width * height:]


def ink_grid(width: int, height: int, pixels: bytes) -> list[bool]:
    """The ink of an image, cropped to its bounding box and sampled on GRID."""
    dark = [i for i, v in enumerate(pixels) if v < 128]
    assert dark, "no ink"
    xs = [i % width for i in dark]
    ys = [i // width for i in dark]
    x0, x1, y0, y1 = min(xs), max(xs) + 1, min(ys), max(ys) + 1
    gw, gh = GRID
    cells = [False] * (gw * gh)
    for x, y in zip(xs, ys, strict=True):
        gx = min(gw - 1, (x - x0) * gw // (x1 - x0))
        gy = min(gh - 1, (y - y0) * gh // (y1 - y0))
        cells[gy * gw + gx] = True
    return cells


def _near(cells: list[bool], gx: int, gy: int) -> bool:
    gw, gh = GRID
    return any(cells[y * gw + x] for y in range(max(0, gy - 1), min(gh, gy + 2))
               for x in range(max(0, gx - 1), min(gw, gx + 2)))


def overlap(a: list[bool], b: list[bool]) -> float:
    """How much of each image's ink has ink of the other within one cell (a stroke a pixel
    thicker or thinner is the same drawing; a letter moved off its place is not): the
    smaller of the two shares."""
    gw, _gh = GRID

    def matched(p: list[bool], q: list[bool]) -> float:
        inked = [i for i, v in enumerate(p) if v]
        return sum(1 for i in inked if _near(q, i % gw, i // gw)) / len(inked)

    return min(matched(a, b), matched(b, a))


def reference(word: str, tmp_path: Path) -> list[bool]:
    out = tmp_path / "hb.pdf"
    subprocess.run(["hb-view", "--font-size=120", "--margin=20", "--language=ur", "-O", "pdf",
                    "-o", str(out),
                    str(FONT), word], check=True)
    subprocess.run(["pdftoppm", "-r", "72", "-gray", str(out), str(tmp_path / "hb")],
                   check=True)
    return ink_grid(*pgm(next(tmp_path.glob("hb*.pgm"))))


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
