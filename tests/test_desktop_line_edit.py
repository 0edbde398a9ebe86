"""Urdu is typed in Nastaliq (issue 9): a one-line field (``ui.widgets.line_edit.LineEdit``)
draws the glyphs HarfBuzz gives, right to left, the two words of a name apart; its cursor
stands at the ink's left end after typing and at its right end after Home; a click puts the
cursor where it lands, a selection lights up the glyphs of its characters only, a long text
scrolls to keep the cursor in view; a passphrase stays Qt's. Real widgets, offscreen."""

from __future__ import annotations

import ast
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from desktop_driver import type_text
from ink_tools import gray_pixels, ink_grid, overlap
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot
from test_desktop_nastaliq import _ink_columns, harfbuzz_drawing, names_of, qt_own_drawing

from caseapp.i18n import _, fonts
from ui.language import apply_language, font_for, isolate_ltr, urdu_edit_font
from ui.widgets import nastaliq_caret, nastaliq_text
from ui.widgets.line_edit import LineEdit
from ui.widgets.spin_box import DateEdit, SpinBox
from ui.widgets.text_edit import TextEdit

HERE = Path(__file__).resolve().parent
NAME = "علی ملک"
LONG = "محمد اسلم خان ولد غلام رسول، ضلع ڈیرہ غازی خان، پنجاب"  # 52 characters


@pytest.fixture
def urdu(qapp: QApplication) -> Iterator[None]:
    apply_language("ur")
    yield
    apply_language("en")


def field(qtbot: QtBot, width: int = 360, text: str = "") -> LineEdit:
    edit = LineEdit(text)
    edit.setStyleSheet("")
    palette = edit.palette()
    for role, color in ((QPalette.ColorRole.Base, "white"), (QPalette.ColorRole.Text, "black"),
                        (QPalette.ColorRole.Highlight, "#0000ff"),
                        (QPalette.ColorRole.HighlightedText, "white")):
        palette.setColor(role, QColor(color))
    edit.setPalette(palette)
    qtbot.addWidget(edit)
    edit.resize(width, edit.sizeHint().height())
    edit.show()
    qtbot.waitExposed(edit)
    edit.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=2000)
    return edit


def text_only(edit: LineEdit) -> QImage:
    """The field's text area as painted, in gray (the frame left out)."""
    area = edit.text_area().toAlignedRect()
    return edit.grab(area).toImage()


def ink_span(edit: LineEdit) -> tuple[float, float]:
    """The leftmost and rightmost inked columns of the field's text area, in widget x."""
    columns = _ink_columns(text_only(edit))
    assert columns, "no ink"
    left = edit.text_area().toAlignedRect().x()
    return left + columns[0][0], left + columns[-1][1]


def blue_columns(image: QImage) -> list[int]:
    """Columns holding the selection's colour (pure blue, as the palette sets it)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    return [x for x in range(rgb.width())
            if any(QColor(rgb.pixel(x, y)) == QColor("#0000ff") for y in range(rgb.height()))]


# -- the glyphs -----------------------------------------------------------------------------

def test_the_field_draws_the_glyphs_harfbuzz_gives(qtbot: QtBot, urdu: None) -> None:
    edit = field(qtbot)
    type_text(edit, NAME)
    assert edit.text() == NAME and edit.draws_nastaliq()
    expected = nastaliq_text.shaped(NAME, edit.font(), True)
    assert edit.shaped() is expected
    assert names_of(edit.shaped().glyphs()) == names_of(expected.glyphs())
    assert edit.font().families()[0] == fonts.NASTALIQ

    # the pixels: HarfBuzz's glyphs drawn alone look as the field does, Qt's own do not
    before = edit.painted
    edit.deselect()
    edit.clearFocus()
    ours = gray_pixels(text_only(edit))
    assert edit.painted > before, "the field drew the text itself"
    image = harfbuzz_drawing(expected)
    assert overlap(ink_grid(*ours), ink_grid(*gray_pixels(image))) > 0.95
    qt_own = gray_pixels(qt_own_drawing(NAME, edit.font()))
    assert overlap(ink_grid(*ours), ink_grid(*qt_own)) < 0.9, "the control: Qt's drawing"


def test_a_typed_name_shows_two_words_right_aligned(qtbot: QtBot, urdu: None) -> None:
    edit = field(qtbot)
    type_text(edit, NAME)
    edit.clearFocus()
    columns = _ink_columns(text_only(edit))
    gaps = [b[0] - a[1] for a, b in zip(columns, columns[1:], strict=False)]
    size = edit.fontInfo().pixelSize()
    assert max(gaps) >= size / 5, "the two words are apart"
    # the widest gap splits the ink in two words, the first (علی, right) the narrower
    at = gaps.index(max(gaps))
    left_word = columns[at][1] - columns[0][0]
    right_word = columns[-1][1] - columns[at + 1][0]
    assert 0 < right_word < left_word * 1.5
    area = edit.text_area()
    assert area.right() - ink_span(edit)[1] < size, "right to left: set against the right"


# -- the cursor -----------------------------------------------------------------------------

def test_the_cursor_follows_the_text_right_to_left(qtbot: QtBot, urdu: None) -> None:
    edit = field(qtbot)
    type_text(edit, NAME)
    left, right = ink_span(edit)
    assert edit.cursorPosition() == len(NAME)
    assert abs(edit.cursor_x() - left) <= 3, "after typing: at the ink's left end"
    qtbot.keyClick(edit, Qt.Key.Key_Home)
    assert edit.cursorPosition() == 0
    assert abs(edit.cursor_x() - right) <= 3, "Home: at the right end"
    # the caret is drawn where cursor_x says (the text area, the caret's own column)
    edit._caret_on = True
    edit.repaint()
    image = edit.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    x = round(edit.cursor_x())
    middle = int(edit.text_area().center().y())
    assert any(image.pixelColor(c, middle).value() < 100 for c in range(x - 1, x + 2))
    # a step of the arrow key moves the cursor a cluster: between the first word's glyphs
    qtbot.keyClick(edit, Qt.Key.Key_End)
    xs = []
    for position in range(len(NAME) + 1):
        edit.setCursorPosition(position)
        xs.append(edit.cursor_x())
    assert xs == sorted(xs, reverse=True) and len(set(xs)) == len(xs), \
        "each position a step further left"


def test_a_cluster_of_a_letter_and_its_marks_is_split_in_reading_order(
        qtbot: QtBot, urdu: None) -> None:
    """HarfBuzz puts a vowel mark in its letter's cluster: the cursor still steps through
    the marks one by one, right to left, and tells the input method where it is."""
    text = "مُحَمَّد"
    edit = field(qtbot, text=text)
    clusters = [glyph[4] for glyph in nastaliq_text.nastaliq.shape(text, True)]
    assert len(set(clusters)) < len(text), "the marks share their letters' clusters"
    xs = []
    for position in range(len(text) + 1):
        edit.setCursorPosition(position)
        xs.append(edit.cursor_x())
        box = edit.inputMethodQuery(Qt.InputMethodQuery.ImCursorRectangle)
        assert abs(box.center().x() - edit.cursor_x()) <= 1.5
    assert xs == sorted(xs, reverse=True) and len(set(xs)) == len(xs)


def test_a_click_puts_the_cursor_where_it_lands(qtbot: QtBot, urdu: None) -> None:
    edit = field(qtbot)
    type_text(edit, NAME)
    left, right = ink_span(edit)
    y = int(edit.text_area().center().y())
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=QPoint(int(right) - 1, y))
    assert edit.cursorPosition() == 0
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=QPoint(int(left) + 1, y))
    assert edit.cursorPosition() == len(NAME)
    # between the words: after علی (3) or after its space (4)
    space = nastaliq_caret.spans(edit.shaped())[3]
    origin = edit.cursor_x() - nastaliq_caret.caret_x(edit.shaped(), len(NAME))
    middle = origin + (space.left + space.right) / 2
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=QPoint(round(middle), y))
    assert edit.cursorPosition() in (3, 4)
    # a drag from the right end to the gap selects the first word
    qtbot.mousePress(edit, Qt.MouseButton.LeftButton, pos=QPoint(int(right) + 2, y))
    qtbot.mouseMove(edit, QPoint(round(origin + space.right) - 1, y))
    qtbot.mouseRelease(edit, Qt.MouseButton.LeftButton, pos=QPoint(round(origin + space.right)
                                                                    - 1, y))
    assert edit.selectedText() == "علی"
    # a double click on the second word selects it; a shift-click stretches a selection
    qtbot.mouseDClick(edit, Qt.MouseButton.LeftButton, pos=QPoint(int(left) + 4, y))
    assert edit.selectedText() == "ملک"
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=QPoint(int(right) - 1, y))
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     QPoint(int(left) + 1, y))
    assert edit.selectedText() == NAME


def test_a_selection_lights_up_its_own_glyphs(qtbot: QtBot, urdu: None) -> None:
    edit = field(qtbot)
    type_text(edit, NAME)
    edit.clearFocus()
    columns = _ink_columns(text_only(edit))
    gaps = [b[0] - a[1] for a, b in zip(columns, columns[1:], strict=False)]
    at = gaps.index(max(gaps))
    area_x = edit.text_area().toAlignedRect().x()
    first_word = (area_x + columns[at + 1][0], area_x + columns[-1][1])  # علی, on the right
    second_word = (area_x + columns[0][0], area_x + columns[at][1])
    assert blue_columns(edit.grab().toImage()) == []
    edit.setSelection(0, 3)
    lit = blue_columns(edit.grab().toImage())
    assert lit, "the selection is drawn"
    assert min(lit) >= second_word[1] and min(lit) <= first_word[0] + 2
    assert max(lit) >= first_word[1] - 2, "over the whole first word"
    assert max(lit) <= first_word[1] + 3, "and nothing right of it"
    edit.setSelection(4, 3)
    lit = blue_columns(edit.grab().toImage())
    assert lit and max(lit) <= first_word[0] and min(lit) <= second_word[0] + 2


def test_a_long_text_scrolls_to_keep_the_cursor_in_view(qtbot: QtBot, urdu: None) -> None:
    edit = field(qtbot, width=130)
    type_text(edit, LONG)
    area = edit.text_area()
    assert edit.shaped().width > 2 * area.width()
    assert area.left() <= edit.cursor_x() <= area.right()
    assert edit.ink_rect().right() > area.right() + 50, "the text's start scrolled out"
    left, _right = ink_span(edit)
    assert abs(left - edit.cursor_x()) <= 4, "the cursor at the text's end, with ink at it"
    qtbot.keyClick(edit, Qt.Key.Key_Home)
    assert area.left() <= edit.cursor_x() <= area.right()
    assert edit.ink_rect().left() < area.left() - 50, "now its end is out of view"
    edit.setCursorPosition(len(LONG) // 2)
    assert area.left() <= edit.cursor_x() <= area.right()


def test_latin_and_numbers_inside_urdu_keep_their_order(qtbot: QtBot, urdu: None) -> None:
    cnic = "35202-1234567-1"
    text = "شناختی کارڈ " + isolate_ltr(cnic)
    edit = field(qtbot, width=420, text=text)
    shaped = edit.shaped()
    start = text.index(cnic)
    xs = [nastaliq_caret.caret_x(shaped, p) for p in range(start + 1, start + len(cnic) + 1)]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), "left to right through the number"
    urdu_xs = [nastaliq_caret.caret_x(shaped, p) for p in range(0, 11)]
    assert min(urdu_xs) > max(xs), "the Urdu on the right of the number"
    latin = [name for name in names_of(shaped.glyphs()) if name in
             ("three", "five", "two", "zero", "one", "four", "six", "seven", "hyphen")]
    assert len(latin) == len(cnic)
    # Latin letters (in the fallback font, set by Qt): left to right too, right of nothing Urdu
    text = "نام Ali Khan"
    edit.setText(text)
    shaped = edit.shaped()
    xs = [nastaliq_caret.caret_x(shaped, p) for p in range(5, len(text) + 1)]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), "left to right through Ali Khan"
    assert nastaliq_caret.caret_x(shaped, 1) > max(xs)


def test_a_passphrase_and_an_english_field_stay_qts(qtbot: QtBot, urdu: None) -> None:
    edit = field(qtbot)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    type_text(edit, NAME)
    before = edit.painted
    edit.repaint()
    assert not edit.draws_nastaliq() and edit.painted == before
    plain = field(qtbot, text="Ali Malik")
    assert not plain.draws_nastaliq()
    plain.setPlaceholderText("نام لکھیں")
    plain.clear()
    before = plain.painted
    plain.repaint()
    assert plain.draws_nastaliq() and plain.painted > before, "an Urdu placeholder: ours"
    assert len(_ink_columns(text_only(plain))) >= 2


def test_the_urdu_name_field_is_nastaliq_in_english_too(qtbot: QtBot, qapp: QApplication) -> None:
    apply_language("en")
    edit = field(qtbot)
    edit.setFont(urdu_edit_font())
    edit.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    edit.resize(360, edit.sizeHint().height())
    type_text(edit, NAME)
    assert edit.draws_nastaliq()
    assert edit.height() >= edit.sizeHint().height() > LineEdit().sizeHint().height()
    area = edit.text_area()
    ink = edit.ink_rect()
    assert area.top() <= ink.top() and ink.bottom() <= area.bottom(), "nothing clipped"
    assert font_for("en").families()[0] != fonts.NASTALIQ


def test_every_field_is_a_line_edit_and_every_editor_a_text_edit(
        qtbot: QtBot, urdu: None) -> None:
    """A plain QLineEdit or QPlainTextEdit would get the Nastaliq interface font and draw it
    with Qt's broken engine: every screen makes its fields with ``LineEdit``, its
    multi-line editors with ``ui.widgets.text_edit.TextEdit`` and its spin boxes and date
    edits with ``ui.widgets.spin_box`` (whose text is a LineEdit)."""
    notes = TextEdit()
    qtbot.addWidget(notes)
    notes.show()  # Qt gives a class its font when it polishes the widget
    assert notes.font().families()[0] == fonts.NASTALIQ
    assert LineEdit().font().families()[0] == fonts.NASTALIQ
    plain = []
    for path in sorted((HERE.parent / "ui").rglob("*.py")):
        if path.name in ("line_edit.py", "text_edit.py", "spin_box.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                    "QLineEdit", "QPlainTextEdit", "QTextEdit", "QSpinBox", "QDoubleSpinBox",
                    "QDateEdit", "QTimeEdit", "QDateTimeEdit"):
                plain.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.ClassDef) and any(
                    getattr(base, "id", None) in ("QLineEdit", "QPlainTextEdit", "QTextEdit")
                    for base in node.bases) and node.name != "PassphraseField":
                plain.append(f"{path.name}:{node.name}")
    assert plain == []


# -- typing stays smooth ---------------------------------------------------------------------

def test_painting_a_forty_letter_field_is_cheap(qtbot: QtBot, urdu: None) -> None:
    text = LONG[:40]
    edit = field(qtbot, width=600)
    type_text(edit, text)
    nastaliq_text.clear_caches()

    def paint() -> float:
        start = time.thread_time()
        edit.repaint()
        return (time.thread_time() - start) * 1000

    first = paint()
    again = min(paint() for _ in range(20))
    print(f"\nLineEdit paint, 40 letters: first {first:.2f} ms, again {again:.2f} ms")
    assert again < 8.0
    assert again <= first


# -- spin boxes and date edits: their text is a LineEdit -------------------------------------

def test_a_date_filter_at_any_date_says_so_in_nastaliq(qtbot: QtBot, urdu: None) -> None:
    """The case list's date filters show "any" until a date is chosen: in Urdu that word is
    drawn as HarfBuzz shapes it, not by Qt's Nastaliq (the control)."""
    from ui.cases.list_view import _date_edit

    edit = _date_edit(None, "from")  # type: ignore[arg-type]
    qtbot.addWidget(edit)
    edit.show()
    qtbot.waitExposed(edit)
    inner = edit.lineEdit()
    assert isinstance(inner, LineEdit)
    word = _("any")
    assert word != "any" and inner.text() == word
    assert inner.font().families()[0] == fonts.NASTALIQ and inner.draws_nastaliq()
    before = inner.painted
    ours = gray_pixels(text_only(inner))
    assert inner.painted > before, "the date edit's field drew the word itself"
    expected = nastaliq_text.shaped(word, inner.font(), True)
    image = harfbuzz_drawing(expected)
    assert overlap(ink_grid(*ours), ink_grid(*gray_pixels(image))) > 0.9
    qt_own = gray_pixels(qt_own_drawing(word, inner.font()))
    assert overlap(ink_grid(*ours), ink_grid(*qt_own)) < 0.9, "the control: Qt's drawing"


def test_a_spin_box_keeps_qts_keys_and_value(qtbot: QtBot, urdu: None) -> None:
    box = SpinBox()
    box.setRange(0, 120)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    box.activateWindow()
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=2000)
    box.selectAll()
    for key in (Qt.Key.Key_3, Qt.Key.Key_4):
        qtbot.keyClick(box, key)
    assert box.value() == 34
    qtbot.keyClick(box, Qt.Key.Key_Up)
    assert box.value() == 35
    assert box.lineEdit().text() == "35"
    assert not box.lineEdit().draws_nastaliq()  # digits only: Qt draws them


@pytest.mark.parametrize("lang", ["ur", "ps", "fa_AF", "en"])
def test_a_date_edit_shows_the_year_in_four_digits(qtbot: QtBot, lang: str) -> None:
    """12 May 2026: Urdu's short date (d/M/yy) would show "26/5/12" right to left."""
    from PySide6.QtCore import QDate

    apply_language(lang)
    try:
        edit = DateEdit()
        qtbot.addWidget(edit)
        edit.setDate(QDate(2026, 5, 12))
        western = edit.lineEdit().text().translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
        parts = [int(p) for p in western.replace("-", "/").split("/")]
        assert 2026 in parts and 12 in parts and 5 in parts, western
    finally:
        apply_language("en")
