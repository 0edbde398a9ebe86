"""Urdu on the desktop is drawn in correct Nastaliq (issue 9): the glyphs HarfBuzz gives, where
it puts them, right to left, nothing clipped at 100, 125 and 150 %, and the case list's Urdu
names through their delegate. Qt's own drawing of the same text fails the same checks (its
joins drop below the line), so the checks can fail."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import uharfbuzz as hb
from conftest import PASSPHRASE, NewProfile
from desktop_driver import running, settle, unlock
from ink_tools import gray_pixels, ink_grid, ink_size, overlap, reference_image
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QAccessible, QColor, QFont, QImage, QPainter, QTextLayout, QTextOption
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from caseapp.i18n import fonts
from caseapp.services import demo, profiles
from ui.cases.list_view import URDU_COLUMN
from ui.language import apply_language, font_for, isolate_ltr, urdu_font
from ui.widgets import nastaliq_text
from ui.widgets.label import Label
from ui.widgets.line_edit import LineEdit
from ui.widgets.text_edit import TextEdit

HERE = Path(__file__).resolve().parent
PAKISTAN = "پاکستان"
# HarfBuzz's shaping of پاکستان with NotoNastaliqUrdu-Regular.ttf (as `hb-shape` prints it),
# left to right as drawn: (glyph name, x offset, y offset up, x advance), in font units.
# Checked by hand, reading from the right: Peh initial ("BehxIni.A") with three dots below,
# a narrow final Alef, Kaf initial raised 361 units (Nastaliq's words step down to the line
# from the right), Seen medial raised 145, Teh medial with two dots above, final Alef, a
# separate Noon with its dot. "sp0" are the font's zero-width spacers.
PAKISTAN_GLYPHS = [
    ("OneDotEnclNS", 397, -1, 0), ("NoonxSep", 0, 0, 861), ("AlefFin", 0, 0, 263),
    ("TwoDotsAboveNS", 187, -413, 0), ("BehxMed.inT2outT1", 0, 0, 267),
    ("SeenMed.inT2outT2", 0, 145, 569), ("sp0", 0, 0, 0), ("KafIni.outT2", 0, 361, 302),
    ("AlefFin.narrow", 0, 0, 239), ("ThreeDotsDownBelowNS", 73, -166, 0), ("sp0", 0, 0, 0),
    ("BehxIni.A", 0, 0, 236)]
needs_hb_view = pytest.mark.skipif(shutil.which("hb-view") is None,
                                   reason="needs hb-view (Debian libharfbuzz-bin)")


@pytest.fixture
def urdu(qapp: QApplication) -> Iterator[None]:
    apply_language("ur")
    yield
    apply_language("en")


def _glyph_names(family_file: str) -> hb.Font:
    return hb.Font(hb.Face((fonts.FONT_DIR / family_file).read_bytes()))


NAMES = {fonts.NASTALIQ: "NotoNastaliqUrdu-Regular.ttf", fonts.SANS: "NotoSans-Regular.ttf"}


def names_of(glyphs: list[tuple[str, int, float, float]]) -> list[str]:
    hb_fonts = {family: _glyph_names(file) for family, file in NAMES.items()}
    return [hb_fonts[family].glyph_to_string(glyph) for family, glyph, _x, _y in glyphs]


def nastaliq_font(pixels: int) -> QFont:
    font = QFont()
    font.setFamilies([fonts.NASTALIQ, fonts.SANS])
    font.setPixelSize(pixels)
    return font


def shown_label(qtbot: QtBot, text: str, font: QFont) -> Label:
    label = Label(text)
    label.setFont(font)
    label.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    label.setStyleSheet("background: white; color: black;")
    qtbot.addWidget(label)
    label.adjustSize()
    label.show()
    qtbot.waitExposed(label)
    return label


def harfbuzz_drawing(shaped: nastaliq_text.ShapedText) -> QImage:
    """HarfBuzz's glyphs drawn alone, black on white: what a widget drawing them must look
    like."""
    image = QImage(int(shaped.width) + 40, int(shaped.height) + 40,
                   QImage.Format.Format_Grayscale8)
    image.fill(QColor(255, 255, 255))
    painter = QPainter(image)
    shaped.draw(painter, QRectF(20, 20, shaped.width, shaped.height),
                Qt.AlignmentFlag.AlignLeft, QColor(0, 0, 0))
    painter.end()
    return image


def qt_own_drawing(text: str, font: QFont) -> QImage:
    """The text as Qt's own text engine draws it (the broken drawing, for the controls)."""
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setTextDirection(Qt.LayoutDirection.RightToLeft)
    layout.setTextOption(option)
    layout.beginLayout()
    layout.createLine().setLineWidth(10_000)
    layout.endLayout()
    image = QImage(int(layout.boundingRect().width()) + 200, 3 * font.pixelSize() + 200,
                   QImage.Format.Format_Grayscale8)
    image.fill(QColor(255, 255, 255))
    painter = QPainter(image)
    painter.setPen(QColor(0, 0, 0))
    layout.draw(painter, QPointF(100 - layout.boundingRect().x(), 100))
    painter.end()
    return image


# -- the glyphs -------------------------------------------------------------------------

def test_a_label_draws_the_glyphs_harfbuzz_gives_where_it_puts_them(qtbot: QtBot,
                                                                   urdu: None) -> None:
    size = 40
    label = shown_label(qtbot, PAKISTAN, nastaliq_font(size))
    assert label.draws_nastaliq()
    glyphs = label.shaped().glyphs()
    assert names_of(glyphs) == [name for name, *_rest in PAKISTAN_GLYPHS]
    baseline = glyphs[1][3]  # the separate Noon sits on the line
    pen = glyphs[0][2] - PAKISTAN_GLYPHS[0][1] * size / 1000
    for (_f, _g, x, y), (name, x_offset, y_offset, advance) in zip(glyphs, PAKISTAN_GLYPHS,
                                                                   strict=True):
        assert x == pytest.approx(pen + x_offset * size / 1000, abs=0.01), name
        assert y == pytest.approx(baseline - y_offset * size / 1000, abs=0.01), name
        pen += advance * size / 1000
    assert label.shaped().width == pytest.approx(2737 * size / 1000, abs=0.01)

    # Qt's own layout of the word has the same glyphs but drops the Kaf below the line,
    # 0.8 em from where HarfBuzz raises it: what the check above would catch.
    layout = QTextLayout(PAKISTAN, nastaliq_font(size))
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    qt_runs = layout.glyphRuns()
    qt_kaf = [point.y() for run in qt_runs
              for glyph, point in zip(run.glyphIndexes(), run.positions(), strict=True)
              if glyph == glyphs[7][1]]
    assert qt_kaf and abs(qt_kaf[0] - glyphs[7][3]) > 0.5 * size

    # what assistive technology reads is the real string
    assert label.text() == PAKISTAN
    accessible = QAccessible.queryAccessibleInterface(label)
    assert accessible is not None and accessible.text(QAccessible.Text.Name) == PAKISTAN


@needs_hb_view
@pytest.mark.parametrize("text", [PAKISTAN, "شناختی کارڈ", "علی ملک"])
def test_a_label_looks_as_harfbuzz_draws_it(qtbot: QtBot, urdu: None, tmp_path: Path,
                                            text: str) -> None:
    hb_view = reference_image(text, tmp_path)  # 120 px to the em
    label = shown_label(qtbot, text, nastaliq_font(120))
    ours = gray_pixels(label.grab())
    assert overlap(ink_grid(*ours), ink_grid(*hb_view)) > 0.95
    assert _same_width(ink_size(*ours)[0], ink_size(*hb_view)[0])
    qt_own = gray_pixels(qt_own_drawing(text, nastaliq_font(120)))
    assert overlap(ink_grid(*qt_own), ink_grid(*hb_view)) < 0.95 or \
        not _same_width(ink_size(*qt_own)[0], ink_size(*hb_view)[0]), \
        "the control: Qt's own drawing is told apart"


def _same_width(a: int, b: int) -> bool:
    """Ink as wide, give or take a stroke's antialiasing. Only the width: hb-view (HarfBuzz
    6's viewer) cuts off whatever rises more than 1.36 em above the line — the top of the
    Kaf of پاکستان — which the label draws whole."""
    return abs(a - b) <= 0.03 * max(a, b) + 2


# -- right to left --------------------------------------------------------------------

def _ink_columns(image: QImage) -> list[tuple[int, int]]:
    """The horizontal stretches of an image that hold ink, left to right."""
    width, height, pixels = gray_pixels(image)
    inked = [any(pixels[y * width + x] < 128 for y in range(height)) for x in range(width)]
    found: list[tuple[int, int]] = []
    for x, ink in enumerate(inked):
        if ink and found and found[-1][1] == x:
            found[-1] = (found[-1][0], x + 1)
        elif ink:
            found.append((x, x + 1))
    return found


def test_urdu_runs_right_to_left_and_latin_and_numbers_keep_their_order(qtbot: QtBot,
                                                                        urdu: None) -> None:
    # the first letter of پاکستان (Peh, "BehxIni.A") is its rightmost glyph
    glyphs = shown_label(qtbot, PAKISTAN, nastaliq_font(40)).shaped().glyphs()
    names = names_of(glyphs)
    letters = [(x, name) for (_f, _g, x, _y), name in zip(glyphs, names, strict=True)
               if "Dot" not in name and name != "sp0"]  # not the dots, not the spacers
    assert max(letters)[1] == "BehxIni.A"
    assert min(letters)[1] == "NoonxSep", "and the last letter, Noon, is leftmost"

    # in pixels: Alef (a narrow upright stroke) first, then Beh (a wide bowl), set apart
    pixels = shown_label(qtbot, "ا    ب", nastaliq_font(60)).grab().toImage()
    left, right = _ink_columns(pixels)[0], _ink_columns(pixels)[-1]
    assert right[1] - right[0] < (left[1] - left[0]) / 2, "Alef is on the right"

    # a case number in Urdu text: on the left, in its own order, Urdu glyphs to its right
    label = shown_label(qtbot, "کیس نمبر " + isolate_ltr("2026-3FA9C01B-00012"),
                        nastaliq_font(30))
    glyphs = label.shaped().glyphs()
    names = names_of(glyphs)
    number = "two zero two six hyphen three F A nine C zero one B hyphen zero zero zero one two"
    latin = [(x, name) for (family, _g, x, _y), name in zip(glyphs, names, strict=True)
             if name in number.split()]
    assert " ".join(name for _x, name in sorted(latin)) == number
    urdu_x = [x for (family, _g, x, _y), name in zip(glyphs, names, strict=True)
              if family == fonts.NASTALIQ and name not in number.split()
              and name not in ("space", "sp0") and not name.startswith("uni")]
    assert min(urdu_x) > max(x for x, _n in latin)


# -- nothing clipped, at 100, 125 and 150 % ----------------------------------------------

@pytest.mark.parametrize("scale", ["1", "1.25", "1.5"])
def test_no_letter_is_clipped_at_any_scale(tmp_path: Path, scale: str) -> None:
    """Labels (one line and wrapped), a button, a tab, a list row, a case-list row and a
    one-line field, with the interface strings whose Nastaliq reaches furthest above, below
    and to each side, in a process of their own (QT_SCALE_FACTOR is read when Qt starts)."""
    out = tmp_path / "report.json"
    subprocess.run([sys.executable, str(HERE / "nastaliq_scaled.py"), str(out)], check=True,
                   env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                        "QT_SCALE_FACTOR": scale}, timeout=120)
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["ratio"] == float(scale)
    assert report["checked"] >= 40
    assert report["clipped"] == []
    # the same checks on a label that leaves no room for the ink: they catch it
    assert report["control_clipped"], "the control label's clipped letter went unnoticed"
    assert report["control_field_clipped"], "the control field's clipped letter went unnoticed"


# -- the case list's Urdu names ----------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ur"])
def test_a_case_list_row_shows_its_urdu_name_through_the_delegate(
        qtbot: QtBot, new_profile: NewProfile, lang: str) -> None:
    new_profile("caseworker")
    with profiles.unlock("caseworker", PASSPHRASE) as session:
        demo.fill(session, 12, seed=3)
    with running(lang) as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        view = workbench.cases
        model = view.model
        settle(qtbot, desktop, lambda: model.rowCount() == 12 and not model.loading)
        assert view.table.itemDelegateForColumn(URDU_COLUMN) is view.urdu_names
        view.table.setColumnWidth(URDU_COLUMN, 260)
        before = view.urdu_names.painted
        picture = view.table.viewport().grab().toImage()
        assert view.urdu_names.painted > before, "the rows were drawn by the delegate"
        case = model.summary(0)
        assert case is not None and case.name_urdu
        index = model.index(0, URDU_COLUMN)
        assert model.data(index) == case.name_urdu  # the real string stays in the model
        cell = view.table.visualRect(index)
        cropped = picture.copy(cell)
        drawn = nastaliq_text.shaped(case.name_urdu, urdu_font())
        assert cell.height() >= drawn.height + drawn.margins().top() + drawn.margins().bottom()
        ours = ink_grid(*gray_pixels(cropped))
        assert overlap(ours, ink_grid(*gray_pixels(harfbuzz_drawing(drawn)))) > 0.95
        qt_own = ink_grid(*gray_pixels(qt_own_drawing(case.name_urdu, urdu_font())))
        assert overlap(ours, qt_own) < 0.9, "the control: Qt's own drawing differs"


# -- which font where ----------------------------------------------------------------------

def test_urdu_reads_types_and_edits_notes_in_nastaliq_pashto_and_dari_naskh(
        qtbot: QtBot, urdu: None) -> None:
    assert font_for("ur").families()[0] == fonts.NASTALIQ
    assert font_for("ur", editing=True).families()[0] == fonts.NASKH
    assert font_for("ps").families()[0] == fonts.NASKH
    assert font_for("fa_AF").families()[0] == fonts.NASKH
    label, edit, notes = Label("نام"), LineEdit("نام"), TextEdit("نوٹ")
    for widget in (label, edit, notes):
        qtbot.addWidget(widget)
        widget.show()
    assert label.font().families()[0] == fonts.NASTALIQ and label.draws_nastaliq()
    assert edit.font().families()[0] == fonts.NASTALIQ and edit.draws_nastaliq()
    assert notes.font().families()[0] == fonts.NASTALIQ and notes.draws_nastaliq()
    apply_language("ps")
    assert not Label("نوم").draws_nastaliq()


def test_the_cache_of_shaped_text_stays_bounded(qtbot: QtBot, urdu: None) -> None:
    font = nastaliq_font(12)
    for n in range(nastaliq_text.CACHE_SIZE + 500):
        nastaliq_text.shaped(f"کیس {n}", font)
    info = nastaliq_text._shaped.cache_info()
    assert info.currsize <= nastaliq_text.CACHE_SIZE == info.maxsize


def test_every_label_of_the_desktop_is_a_nastaliq_label() -> None:
    """A plain QLabel would draw its Urdu through the style but size it by Qt's wrong
    widths: every screen makes its labels with ``ui.widgets.label.Label``."""
    import ast

    plain = []
    for path in sorted((HERE.parent / "ui").rglob("*.py")):
        if path.name == "label.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "QLabel":
                plain.append(f"{path.name}:{node.lineno}")
    assert plain == []
