"""Urdu notes are typed in Nastaliq: the multi-line editor (``ui.widgets.text_edit.TextEdit``)
keeps the text exactly, draws the glyphs HarfBuzz gives, right to left, wraps a long paragraph
inside its width with room for the ink, puts the cursor where a click lands, lights up a
selection over its own characters, undoes, scrolls a long note to keep the cursor in view, and
leaves Latin text in the Urdu interface and any text in the English one to Qt. A note saved
in the Urdu notes tab reads back identical. Real widgets, offscreen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import PASSPHRASE, NewProfile
from desktop_driver import register, running, settle, type_text, unlock
from ink_tools import gray_pixels, ink_grid, overlap
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QContextMenuEvent, QImage, QPalette, QWheelEvent
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot
from test_desktop_nastaliq import _ink_columns, harfbuzz_drawing, names_of, qt_own_drawing

from caseapp.i18n import fonts
from ui.language import apply_language
from ui.widgets import edit_menu, nastaliq_caret, nastaliq_text
from ui.widgets.text_edit import Line, TextEdit

SENTENCE = "علی ملک نے پناہ مانگی"
LONG = ("محمد اسلم خان ولد غلام رسول، ضلع ڈیرہ غازی خان، پنجاب سے لاہور آئے اور دارالامان "
        "میں پناہ مانگی؛ ان کے کاغذات ایجنٹ کے پاس ہیں")
BLUE = QColor("#0000ff")


@pytest.fixture
def urdu(qapp: QApplication) -> Iterator[None]:
    apply_language("ur")
    yield
    apply_language("en")


def editor(qtbot: QtBot, width: int = 360, height: int = 240, text: str = "") -> TextEdit:
    edit = TextEdit()
    palette = edit.palette()
    for role, color in ((QPalette.ColorRole.Base, "white"), (QPalette.ColorRole.Text, "black"),
                        (QPalette.ColorRole.Highlight, "#0000ff"),
                        (QPalette.ColorRole.HighlightedText, "white")):
        palette.setColor(role, QColor(color))
    edit.setPalette(palette)
    qtbot.addWidget(edit)
    edit.resize(width, height)
    edit.show()
    qtbot.waitExposed(edit)
    edit.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=2000)
    if text:
        type_text(edit, text)
    return edit


def still(edit: TextEdit) -> QImage:
    """The viewport as painted, without the blinking cursor."""
    edit.clearFocus()
    return edit.viewport().grab().toImage()


def line_text(edit: TextEdit, line: Line) -> str:
    block = edit.document().findBlockByNumber(line.block).text()
    return block[line.wrapped.start:line.wrapped.start + line.wrapped.length]


def word_range(text: str, word: str) -> tuple[int, int]:
    start = text.index(word)
    return start, start + len(word)


def blue_columns(image: QImage) -> list[int]:
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    return [x for x in range(rgb.width())
            if any(QColor(rgb.pixel(x, y)) == BLUE for y in range(rgb.height()))]


# -- the glyphs -----------------------------------------------------------------------------

def test_typed_urdu_is_kept_and_drawn_as_harfbuzz_shapes_it(qtbot: QtBot, urdu: None) -> None:
    edit = editor(qtbot, text=SENTENCE)
    assert edit.toPlainText() == SENTENCE
    assert edit.font().families()[0] == fonts.NASTALIQ and edit.draws_nastaliq()
    [line] = edit.text_layout().lines
    expected = nastaliq_text.shaped(SENTENCE, edit.font(), True)
    assert line.wrapped.shaped is expected
    assert names_of(line.wrapped.shaped.glyphs()) == names_of(expected.glyphs())

    before = edit.painted
    ours = gray_pixels(still(edit))
    assert edit.painted > before, "the editor drew the text itself"
    image = harfbuzz_drawing(expected)
    assert overlap(ink_grid(*ours), ink_grid(*gray_pixels(image))) > 0.95
    qt_own = gray_pixels(qt_own_drawing(SENTENCE, edit.font()))
    assert overlap(ink_grid(*ours), ink_grid(*qt_own)) < 0.9, "the control: Qt's drawing"
    # right to left: set against the right edge, the words apart
    columns = _ink_columns(QImage(still(edit)))
    size = edit.fontInfo().pixelSize()
    assert edit.viewport().width() - columns[-1][1] < size
    assert len(columns) >= 4


def test_a_long_paragraph_wraps_inside_the_width(qtbot: QtBot, urdu: None) -> None:
    edit = editor(qtbot, width=300, height=400, text=LONG)
    assert edit.toPlainText() == LONG and edit.document().blockCount() == 1
    lines = edit.text_layout().lines
    assert len(lines) >= 3
    assert "".join(line_text(edit, line) for line in lines) == LONG
    view = QRectF(edit.viewport().rect())
    assert view.contains(edit.ink_rect()), "no ink beyond the viewport"
    for line in lines:  # each line's ink inside its own band: none clipped by its neighbours
        ink = line.wrapped.shaped.outline(line.box()).boundingRect()
        assert line.band_top <= ink.top() and ink.bottom() <= line.band_bottom
        assert ink.right() > view.right() - edit.fontInfo().pixelSize(), "right-aligned"
    image = still(edit)
    width, height, pixels = gray_pixels(image)
    edges = [pixels[y * width + x] for y in range(height) for x in (0, 1, width - 2, width - 1)]
    assert min(edges) > 128, "nothing cut at the sides"
    inked_rows = [y for y in range(height) if any(v < 128 for v in
                                                  pixels[y * width:(y + 1) * width])]
    assert inked_rows[-1] - inked_rows[0] > 2.5 * edit.fontInfo().pixelSize()
    # the editor made narrower breaks the same paragraph into more lines
    edit.resize(200, 400)
    assert len(edit.text_layout().lines) > len(lines)
    assert QRectF(edit.viewport().rect()).contains(edit.ink_rect())


def test_a_latin_paragraph_is_set_from_the_left(qtbot: QtBot, urdu: None) -> None:
    edit = editor(qtbot, text="پہلا پیراگراف")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClicks(edit, "Met at Lahore airport")
    assert edit.toPlainText() == "پہلا پیراگراف\nMet at Lahore airport"
    first, second = edit.text_layout().lines
    assert first.rtl and not second.rtl
    width = edit.viewport().width()
    assert first.x + first.wrapped.shaped.width > width - 20
    assert second.x < 20


# -- the cursor, the mouse, the selection ----------------------------------------------------

def test_a_click_on_a_word_puts_the_cursor_inside_it(qtbot: QtBot, urdu: None) -> None:
    edit = editor(qtbot, width=300, height=400, text=LONG)
    lines = edit.text_layout().lines
    for line in (lines[0], lines[1]):
        words = line_text(edit, line).split()
        word = max(words, key=len)
        start, end = word_range(line_text(edit, line), word)
        shaped = line.wrapped.shaped
        x = line.x + (nastaliq_caret.caret_x(shaped, start) +
                      nastaliq_caret.caret_x(shaped, end)) / 2
        y = (line.band_top + line.band_bottom) / 2 - edit.offset()
        qtbot.mouseClick(edit.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(round(x), round(y)))
        position = edit.textCursor().position() - line.start
        assert start < position < end, word
        caret_x, caret_line = edit.caret_point()
        assert caret_line is edit.text_layout().lines[lines.index(line)]
        assert abs(caret_x - x) < edit.fontInfo().pixelSize()
    # a drag from the first line's right end to the second line's left end selects both
    first, second = lines[0], lines[1]
    qtbot.mousePress(edit.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(edit.viewport().width() - 3, round(first.y + 10)))
    qtbot.mouseMove(edit.viewport(), QPoint(3, round(second.y + 10)))
    qtbot.mouseRelease(edit.viewport(), Qt.MouseButton.LeftButton,
                       pos=QPoint(3, round(second.y + 10)))
    cursor = edit.textCursor()
    assert cursor.selectionStart() == 0
    assert cursor.selectionEnd() >= second.start + second.wrapped.length - 1


def test_a_shift_selection_is_drawn_over_its_own_characters(qtbot: QtBot, urdu: None) -> None:
    edit = editor(qtbot, text=SENTENCE)
    start, end = word_range(SENTENCE, "پناہ")
    cursor = edit.textCursor()
    cursor.setPosition(start)
    edit.setTextCursor(cursor)
    for _ in range(end - start):  # Left moves forward in a right-to-left paragraph
        qtbot.keyClick(edit, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert edit.textCursor().selectedText() == "پناہ"
    [line] = edit.text_layout().lines
    shaped = line.wrapped.shaped
    [(left, right)] = nastaliq_caret.selection(shaped, start, end)
    left, right = line.x + left, line.x + right
    lit = blue_columns(still(edit))
    assert lit, "the selection is drawn"
    assert min(lit) >= left - 1 and max(lit) <= right + 1, "over its characters only"
    assert max(lit) - min(lit) >= (right - left) - 3, "and over all of them"
    # the word's glyphs are drawn over the selection in the highlighted text's colour
    image = still(edit).convertToFormat(QImage.Format.Format_RGB32)
    light = sum(1 for x in range(round(left) + 1, round(right) - 1)
                for y in range(round(line.band_top), round(line.band_bottom))
                if QColor(image.pixel(x, y)).red() > 128)
    assert light > 30, "light letters on the blue"


def test_the_cursor_steps_right_to_left_and_up_and_down_between_lines(
        qtbot: QtBot, urdu: None) -> None:
    edit = editor(qtbot, width=300, height=400, text=LONG)
    lines = edit.text_layout().lines
    x_end, line = edit.caret_point()
    assert line is lines[-1], "after typing: on the last line"
    qtbot.keyClick(edit, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert edit.textCursor().position() == 0
    x, line = edit.caret_point()
    assert line is lines[0] and x > edit.viewport().width() - 30, "at the right edge"
    xs = []
    for position in range(0, 12):
        xs.append(edit.caret_point(position)[0])
    assert xs == sorted(xs, reverse=True), "each position further left"
    # Down: the line drawn below, near the same x; Up: back
    cursor = edit.textCursor()
    cursor.setPosition(6)
    edit.setTextCursor(cursor)
    x, _line = edit.caret_point()
    qtbot.keyClick(edit, Qt.Key.Key_Down)
    down_x, down_line = edit.caret_point()
    assert down_line is edit.text_layout().lines[1]
    assert abs(down_x - x) < edit.fontInfo().pixelSize()
    qtbot.keyClick(edit, Qt.Key.Key_Up)
    assert edit.caret_point()[1] is edit.text_layout().lines[0]
    assert edit.textCursor().position() in range(4, 9)
    qtbot.keyClick(edit, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert edit.textCursor().hasSelection()
    # the input method is told where the cursor is
    box = edit.inputMethodQuery(Qt.InputMethodQuery.ImCursorRectangle)
    assert abs(box.center().x() - edit.viewport().x() - edit.caret_rect().center().x()) <= 1.5
    # the caret is drawn where caret_point says
    edit._caret_on = True
    edit.viewport().repaint()
    image = edit.viewport().grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    rect = edit.caret_rect()
    x = round(rect.center().x())
    y = round(rect.center().y())
    assert any(image.pixelColor(c, y).value() < 100 for c in range(x - 1, x + 2))


def test_undo_and_redo(qtbot: QtBot, urdu: None) -> None:
    edit = editor(qtbot, text="پہلا لفظ")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    type_text(edit, "دوسری سطر")
    assert edit.toPlainText() == "پہلا لفظ\nدوسری سطر"
    assert len(edit.text_layout().lines) == 2
    while edit.toPlainText() != "پہلا لفظ" and edit.document().isUndoAvailable():
        qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert edit.toPlainText() == "پہلا لفظ"
    assert [line_text(edit, line) for line in edit.text_layout().lines] == ["پہلا لفظ"]
    before = edit.painted
    edit.viewport().repaint()
    assert edit.painted > before
    while edit.document().isRedoAvailable():
        qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                       | Qt.KeyboardModifier.ShiftModifier)
    assert edit.toPlainText() == "پہلا لفظ\nدوسری سطر"


def test_the_context_menu_is_qts_in_urdu_and_select_all_lights_up_the_text(
        qtbot: QtBot, urdu: None) -> None:
    edit_menu.install(QApplication.instance())  # type: ignore[arg-type]
    edit = editor(qtbot, text=SENTENCE)
    at = QPoint(20, 20)
    QApplication.sendEvent(edit.viewport(), QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, at, edit.viewport().mapToGlobal(at)))
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    texts = {action.objectName(): action.text() for action in menu.actions()}
    assert texts["select-all"] == "سب منتخب کریں\tCtrl+A"
    next(a for a in menu.actions() if a.objectName() == "select-all").trigger()
    menu.close()
    assert edit.textCursor().selectedText() == SENTENCE
    lit = blue_columns(still(edit))
    [line] = edit.text_layout().lines
    assert min(lit) <= line.x + 2 and max(lit) >= line.x + line.wrapped.shaped.width - 2
    # a right click on the editor's own scroll bar is not taken for one on the text
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, at)
    assert not edit_menu._installed[0].eventFilter(edit.bar, event)


# -- a long note ---------------------------------------------------------------------------

def test_a_long_note_scrolls_to_keep_the_cursor_in_view(qtbot: QtBot, urdu: None) -> None:
    edit = editor(qtbot, width=320, height=200)
    for n in range(8):
        type_text(edit, f"سطر نمبر {n} میں کچھ الفاظ")
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    type_text(edit, "آخری سطر")
    assert edit.bar.isVisible() and edit.bar.maximum() > 0
    assert not edit.verticalScrollBar().isVisible(), "Qt's own bar, counting its lines, hides"
    view = QRectF(edit.viewport().rect())
    assert view.contains(edit.caret_rect()), "the cursor at the end is in view"
    assert edit.bar.value() == edit.bar.maximum()
    # the bar sits on the left in the right-to-left interface, beside the viewport
    assert edit.bar.geometry().right() < edit.viewport().geometry().left() + 1
    qtbot.keyClick(edit, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert edit.bar.value() == 0 and view.contains(edit.caret_rect())
    # the wheel scrolls the text, the cursor stays where it was
    wheel = QWheelEvent(QPointF(50, 50), edit.viewport().mapToGlobal(QPointF(50, 50)),
                        QPoint(0, 0), QPoint(0, -240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(edit.viewport(), wheel)
    assert edit.bar.value() > 0 and edit.textCursor().position() == 0
    # what shows is the text scrolled: a click at the top lands on a later line
    qtbot.mouseClick(edit.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(edit.viewport().width() - 10, 20))
    assert edit.document().findBlock(edit.textCursor().position()).blockNumber() > 0
    # Page Down moves the cursor a viewport further and keeps it in view
    qtbot.keyClick(edit, Qt.Key.Key_PageDown)
    assert view.contains(edit.caret_rect())


# -- what stays Qt's -------------------------------------------------------------------------

def test_latin_text_in_urdu_and_any_text_in_english_are_drawn_by_qt(
        qtbot: QtBot, qapp: QApplication) -> None:
    apply_language("ur")
    try:
        edit = editor(qtbot)
        qtbot.keyClicks(edit, "Met at Lahore airport; needs shelter.")
        before = edit.painted
        edit.viewport().repaint()
        assert not edit.draws_nastaliq() and edit.painted == before
        assert edit.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded
        assert not edit.bar.isVisible()
        type_text(edit, " پناہ")
        assert edit.draws_nastaliq()
        edit.viewport().repaint()
        assert edit.painted > before
        for _ in range(5):
            qtbot.keyClick(edit, Qt.Key.Key_Backspace)
        assert edit.toPlainText() == "Met at Lahore airport; needs shelter."
        assert not edit.draws_nastaliq(), "Qt's again"
        assert edit.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded
        before = edit.painted
        edit.viewport().repaint()
        assert edit.painted == before
        type_text(edit, " پناہ")
        assert edit.draws_nastaliq()
    finally:
        apply_language("en")
    # the interface switched to English: the same editor, its Urdu now in Naskh, is Qt's
    qtbot.waitUntil(lambda: edit.font().families()[0] != fonts.NASTALIQ, timeout=2000)
    assert not edit.draws_nastaliq()
    assert edit.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded
    assert edit.viewportMargins().left() == 0 and not edit.bar.isVisible()
    english = editor(qtbot, text=SENTENCE)
    assert english.font().families()[0] != fonts.NASTALIQ
    before = english.painted
    english.viewport().repaint()
    assert not english.draws_nastaliq() and english.painted == before
    assert english.toPlainText() == SENTENCE


# -- the notes tab ------------------------------------------------------------------------------

def test_an_urdu_note_saved_in_the_notes_tab_reads_back_identical(
        qtbot: QtBot, new_profile: NewProfile) -> None:
    note = "عدالت میں پیشی ۱۲ مئی کو ہے۔\nوکیل: Advocate Rehana، فون 0300-1234567"
    new_profile("caseworker")
    with running("ur") as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = register(qtbot, desktop, workbench, "Shazia", "Bibi", "شازیہ بی بی")
        notes = workspace.notes
        workspace.tabs.setCurrentWidget(notes)
        editor = notes.editor
        assert isinstance(editor, TextEdit)
        editor.setFocus()
        first, second = note.split("\n")
        type_text(editor, first)
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        type_text(editor, second)
        assert editor.toPlainText() == note
        assert editor.draws_nastaliq()
        before = editor.painted
        editor.viewport().repaint()
        assert editor.painted > before
        assert QRectF(editor.viewport().rect()).contains(editor.ink_rect()) or \
            editor.bar.isVisible()
        notes.add_button.click()
        settle(qtbot, desktop, lambda: notes.notes.count() == 1)
        assert editor.toPlainText() == ""
        assert note in notes.notes.item(0).text()
        stored = desktop.core.run(lambda s: s.cases.notes(workspace.case_id))
        assert [n["text"] for n in stored] == [note]
