"""Urdu in the desktop's menus, message boxes, mnemonics and tab titles is drawn in Nastaliq
(issue 9): menu items and menu bars through the style, the text fields' context menu in the
catalogs' words, a message dialog in place of QMessageBox, the mnemonic letter underlined and
its "&" never drawn, long tab titles elided by HarfBuzz's widths. Each check has a control
that fails it (Qt's own Naskh drawing, Qt's own elision, no underline)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import PASSPHRASE, NewProfile
from desktop_driver import narrowest, running, settle, type_text, unlock
from ink_tools import gray_pixels, ink_grid, ink_on_border, overlap
from PySide6.QtCore import QPoint, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QContextMenuEvent, QImage, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLineEdit,
    QMenu,
    QMenuBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionMenuItem,
    QTabBar,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from caseapp.i18n import _, fonts, nastaliq
from caseapp.services import demo, profiles
from ui.language import apply_language, font_for
from ui.widgets import edit_menu, nastaliq_menu
from ui.widgets.label import Label
from ui.widgets.message import MessageDialog
from ui.widgets.nastaliq_style import NastaliqStyle
from ui.widgets.nastaliq_text import ShapedText, shaped

NEW_CASE = "&نیا کیس"
LONG = "مقفل کریں اور چھپائیں"


@pytest.fixture
def urdu(qapp: QApplication) -> Iterator[NastaliqStyle]:
    apply_language("ur")
    style = qapp.style()
    assert isinstance(style, NastaliqStyle)
    yield style
    apply_language("en")


class Menu(QMenu):
    def option(self, action: QAction) -> QStyleOptionMenuItem:
        option = QStyleOptionMenuItem()
        self.initStyleOption(option, action)
        option.rect = self.actionGeometry(action)
        return option


def shown(qtbot: QtBot, widget: QWidget) -> QImage:
    qtbot.addWidget(widget)
    widget.adjustSize()
    widget.show()
    qtbot.waitExposed(widget)
    return widget.grab().toImage()


def drawing(text: ShapedText, box: QRectF, alignment: Qt.AlignmentFlag,
            size: QRect) -> QImage:
    """``text`` drawn alone, as the widget should draw it, on white."""
    image = QImage(size.size(), QImage.Format.Format_Grayscale8)
    image.fill(QColor(255, 255, 255))
    painter = QPainter(image)
    text.draw(painter, box.translated(-size.x(), -size.y()), alignment, QColor(0, 0, 0))
    painter.end()
    return image


def naskh_drawing(text: str, size: QRect) -> QImage:
    """The control: the text as Qt drew menus before, in Naskh, right to left."""
    image = QImage(size.size(), QImage.Format.Format_Grayscale8)
    image.fill(QColor(255, 255, 255))
    painter = QPainter(image)
    painter.setFont(font_for("ur", editing=True))
    painter.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    painter.drawText(QRect(0, 0, size.width(), size.height()),
                     int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
    painter.end()
    return image


def glyph_ids(text: ShapedText) -> list[int]:
    return [glyph for _family, glyph, _x, _y in text.glyphs()]


# -- menus --------------------------------------------------------------------------------

def test_a_menu_item_draws_its_urdu_label_in_nastaliq_right_to_left(
        qtbot: QtBot, urdu: NastaliqStyle) -> None:
    menu = Menu()
    new_case = menu.addAction(NEW_CASE)
    new_case.setShortcut(QKeySequence("Ctrl+N"))
    hide = menu.addAction(LONG)
    assert menu.font().families()[0] == fonts.NASTALIQ
    picture = shown(qtbot, menu)
    assert menu.layoutDirection() == Qt.LayoutDirection.RightToLeft
    for action, text in ((new_case, "نیا کیس"), (hide, LONG)):
        option = menu.option(action)
        drawn, box, alignment, underline = nastaliq_menu.shaped_label(urdu, option, menu)
        # HarfBuzz's glyphs from the Nastaliq font, the whole label, no "&"
        assert drawn.text == text and "&" not in drawn.text
        assert {family for family, *_ in drawn.glyphs()} == {fonts.NASTALIQ}
        assert glyph_ids(drawn) == [g[0] for g in nastaliq.shape(text, True)]
        assert underline == (0 if action is new_case else -1)
        # the menu is wide enough: the label and its ink inside the item, not elided
        ink = drawn.outline(box, alignment).boundingRect()
        assert QRectF(option.rect).contains(ink)
        # the pixels: what was drawn is that label, not Qt's Naskh
        crop = ink.toAlignedRect().adjusted(-2, -2, 2, 2).intersected(option.rect)
        ours = ink_grid(*gray_pixels(picture.copy(crop)))
        assert overlap(ours, ink_grid(*gray_pixels(drawing(drawn, box, alignment, crop)))) > 0.95
        assert overlap(ours, ink_grid(*gray_pixels(naskh_drawing(text, crop)))) < 0.9
    # right to left: the label on the right, the shortcut on the left, where Qt puts it
    option = menu.option(new_case)
    drawn, box, alignment, _u = nastaliq_menu.shaped_label(urdu, option, menu)
    label_ink = drawn.outline(box, alignment).boundingRect()
    assert label_ink.left() > option.rect.center().x()
    row = picture.copy(option.rect)
    left_half = row.copy(QRect(0, 0, option.rect.width() // 2, option.rect.height()))
    assert any(v < 128 for v in gray_pixels(left_half)[2]), "Ctrl+N in its place, on the left"


def test_a_menu_bar_item_is_nastaliq_and_wide_enough(qtbot: QtBot, urdu: NastaliqStyle) -> None:
    bar = QMenuBar()
    menu = bar.addMenu("&فائل")
    bar.addMenu("&انسدادِ تارکینِ وطن")
    picture = shown(qtbot, bar)
    for action in bar.actions():
        rect = bar.actionGeometry(action)
        text = shaped(action.text().replace("&", ""), bar.font())
        room = text.margins()
        assert rect.width() >= text.width + room.left() + room.right()
        assert not ink_on_border(*gray_pixels(picture.copy(rect.adjusted(1, 0, -1, 0))))
    assert menu.title() == "&فائل"


def test_a_text_fields_context_menu_speaks_urdu_in_nastaliq(qtbot: QtBot,
                                                           urdu: NastaliqStyle) -> None:
    edit_menu.install(QApplication.instance())  # type: ignore[arg-type]
    field = QLineEdit()
    qtbot.addWidget(field)
    field.show()
    type_text(field, "نسیمہ اختر")
    QApplication.sendEvent(field, QContextMenuEvent(QContextMenuEvent.Reason.Mouse,
                                                    QPoint(5, 5), field.mapToGlobal(QPoint(5, 5))))
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    texts = {action.objectName(): action.text() for action in menu.actions()}
    assert texts["edit-copy"] == _("&Copy") + "\tCtrl+C" == "&نقل کریں\tCtrl+C"
    assert texts["select-all"] == "سب منتخب کریں\tCtrl+A"
    assert menu.font().families()[0] == fonts.NASTALIQ
    option = QStyleOptionMenuItem()
    menu.initStyleOption(option, menu.actions()[-1])  # type: ignore[attr-defined]
    option.rect = menu.actionGeometry(menu.actions()[-1])
    assert nastaliq_menu.draws_label(option)
    select_all = next(a for a in menu.actions() if a.objectName() == "select-all")
    select_all.trigger()  # still Qt's own action
    assert field.selectedText() == "نسیمہ اختر"
    menu.close()


# -- mnemonics ----------------------------------------------------------------------------

def test_the_mnemonic_letter_is_underlined_never_an_ampersand_and_alt_letter_works(
        qtbot: QtBot, urdu: NastaliqStyle, monkeypatch: pytest.MonkeyPatch) -> None:
    window = QWidget()
    field = QLineEdit(window)
    label = Label("&سرپرست کا نام", window)
    label.setBuddy(field)
    label.move(0, 0)
    field.move(0, 80)
    button = QPushButton("فیصلہ &درج کریں", window)
    button.move(0, 140)
    clicked: list[bool] = []
    button.clicked.connect(lambda: clicked.append(True))
    window.resize(400, 220)
    shown(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    assert label.draws_nastaliq() and label.shown_text() == "سرپرست کا نام"
    assert "&" not in label.shaped().text and label.mnemonic_index() == 0
    with_line = label.grab().toImage()
    # the bar is under the first letter (Seen, the rightmost) and inside the label
    text, box, alignment = label._layout()
    bar = text.underline(0).translated(box.x() + text.line_left(text.lines[0], box.width(),
                                                                 alignment), box.y())
    letter = text.lines[0].letter_ink(text.text, 0)
    assert not bar.isEmpty() and QRectF(label.rect()).contains(bar)
    assert bar.width() == pytest.approx(letter.width())
    assert bar.center().x() > label.width() / 2, "right to left: the first letter on the right"
    # and it is what the underline adds: without the style's underline hint, only it goes
    original = NastaliqStyle.styleHint

    def no_underline(self: NastaliqStyle, hint: QStyle.StyleHint, *args: object) -> int:
        if hint == QStyle.StyleHint.SH_UnderlineShortcut:
            return 0
        return original(self, hint, *args)  # type: ignore[arg-type]
    monkeypatch.setattr(NastaliqStyle, "styleHint", no_underline)
    assert label.mnemonic_index() == -1
    without = label.grab().toImage()
    monkeypatch.setattr(NastaliqStyle, "styleHint", original)
    differ = [(x, y) for y in range(with_line.height()) for x in range(with_line.width())
              if with_line.pixel(x, y) != without.pixel(x, y)]
    ratio = with_line.devicePixelRatio()
    assert differ and all(bar.adjusted(-1, -1, 1, 1).contains(x / ratio, y / ratio)
                          for x, y in differ)
    # a button's caption through the style: no "&", its letter underlined
    canvas = QImage(10, 10, QImage.Format.Format_RGB32)
    painter = QPainter(canvas)
    painter.setFont(button.font())
    drawn, _box, _a, index = urdu.caption(painter, button.rect(),
                                          int(Qt.TextFlag.TextShowMnemonic), button.text())
    painter.end()
    assert drawn.text == "فیصلہ درج کریں" and index == 6 and not drawn.underline(6).isEmpty()
    assert glyph_ids(drawn) == [g[0] for g in nastaliq.shape("فیصلہ درج کریں", True)]
    # Alt + the letter: the buddy takes the focus, the button is pressed
    qtbot.keyClick(window, Qt.Key(ord("س")), Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: field.hasFocus())
    qtbot.keyClick(window, Qt.Key(ord("د")), Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: bool(clicked))


# -- tab titles -----------------------------------------------------------------------------

def _tab_captions(style: NastaliqStyle,
                  bar: QTabBar) -> list[tuple[ShapedText, QRectF, Qt.AlignmentFlag, QRect]]:
    """What each tab draws (``caption``, the style's own choice), where, in which text rect."""
    from PySide6.QtWidgets import QStyleOptionTab

    found = []
    canvas = QImage(10, 10, QImage.Format.Format_RGB32)
    painter = QPainter(canvas)
    painter.setFont(bar.font())
    painter.setLayoutDirection(bar.layoutDirection())
    for index in range(bar.count()):
        option = QStyleOptionTab()
        bar.initStyleOption(option, index)  # type: ignore[attr-defined]
        rect = style.subElementRect(QStyle.SubElement.SE_TabBarTabText, option, bar)
        drawn, box, alignment, _i = style.caption(  # the flags QCommonStyle gives a tab's
            painter, rect, int(Qt.AlignmentFlag.AlignCenter.value  # title
                               | Qt.TextFlag.TextShowMnemonic.value), bar.tabText(index))
        found.append((drawn, box, alignment, rect))
    painter.end()
    return found


def _on_white(widget: QWidget) -> QImage:
    picture = widget.grab()
    image = QImage(picture.size(), QImage.Format.Format_RGB32)
    image.fill(QColor(255, 255, 255))
    painter = QPainter(image)
    painter.drawPixmap(0, 0, picture)
    painter.end()
    return image


def _cut_at_sides(image: QImage) -> bool:
    """Ink on the first or last column: a title running out of its rect."""
    width, height, pixels = gray_pixels(image)
    return any(pixels[y * width + x] < 100 for y in range(height) for x in (0, width - 1))


def _ink_box(image: QImage) -> tuple[int, int, int, int, int]:
    """(left, top, right, bottom) of the ink, and its amount in pixels / 10."""
    width, _height, pixels = gray_pixels(image)
    dark = [i for i, v in enumerate(pixels) if v < 160]
    assert dark, "no ink"
    xs, ys = [i % width for i in dark], [i // width for i in dark]
    return min(xs), min(ys), max(xs), max(ys), len(dark) // 10


def check_tabs_elide(style: NastaliqStyle, bar: QTabBar) -> int:
    """Every title fits its tab's text rect, ink included, elided with "…" where the whole
    one does not, and the pixels are that elided title; returns how many were elided."""
    from PySide6.QtWidgets import QToolButton

    picture = _on_white(bar)
    elided = 0
    scrolls = [b for b in bar.findChildren(QToolButton) if b.isVisible()]
    for index, (drawn, box, alignment, rect) in enumerate(_tab_captions(style, bar)):
        whole = shaped(bar.tabText(index).replace("&", ""), bar.font())
        room = drawn.margins()
        assert drawn.width + room.left() + room.right() <= rect.width() + 0.5
        tab = bar.tabRect(index)
        assert tab.contains(rect)
        if not bar.rect().contains(tab) or any(button.geometry().intersects(tab)
                                               for button in scrolls):
            continue  # scrolled out of sight, under the tab bar's scroll buttons
        strip = QRect(rect.x(), tab.y() + 3, rect.width(), tab.height() - 6)
        crop = picture.copy(strip)
        assert not _cut_at_sides(crop), f"tab {index}: its title is cut off"
        if whole.width + whole.margins().left() + whole.margins().right() <= rect.width():
            assert drawn.text == whole.text
            continue
        elided += 1
        assert drawn.text.endswith("…") and drawn.width < whole.width
        assert bar.tabText(index).replace("&", "").startswith(drawn.text[:-1].rstrip())
        expected = drawing(drawn, box, alignment, strip)
        # A tab of a letter and "…" is a few pixels, too few for ``overlap``'s grid: its ink
        # is where the elided title's is, to a pixel, and as dark.
        got, want = _ink_box(crop), _ink_box(expected)
        assert all(abs(a - b) <= 1 for a, b in zip(got[:4], want[:4], strict=True)), (got, want)
        assert abs(got[4] - want[4]) <= 0.2 * want[4] + 1, (got, want)
        # the control: the whole title drawn there runs out of the rect, and is caught
        assert _cut_at_sides(drawing(whole, whole.inside(QRectF(rect), alignment),
                                     alignment, strip))
    return elided


def test_long_urdu_tab_titles_elide_in_nastaliq(qtbot: QtBot, urdu: NastaliqStyle) -> None:
    tabs = QTabWidget()
    tabs.setElideMode(Qt.TextElideMode.ElideRight)
    for title in ("&خلاصہ", "انسدادِ تارکینِ وطن کی اسمگلنگ ایکٹ، 2018",
                  "کسی دوسرے اندراج میں پہلے سے استعمال ہو رہا ہے"):
        tabs.addTab(QWidget(), title)
    tabs.resize(420, 120)
    shown(qtbot, tabs)
    tabs.resize(420, 120)
    qtbot.wait(10)
    assert check_tabs_elide(urdu, tabs.tabBar()) >= 2


def test_the_case_workspace_tabs_elide_in_a_narrow_window(qtbot: QtBot,
                                                          new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with profiles.unlock("caseworker", PASSPHRASE) as session:
        demo.fill(session, 3, seed=5)
    with running("ur") as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = workbench.open_case(workbench.cases.model.case_id(0))
        settle(qtbot, desktop, lambda: bool(workspace.title))
        style = QApplication.style()
        assert isinstance(style, NastaliqStyle)
        assert workspace.tabs.elideMode() == Qt.TextElideMode.ElideRight
        assert workbench.tabs.elideMode() == Qt.TextElideMode.ElideRight
        # as narrow as the window goes (with a narrower navigation than the app allows): the
        # tab bar then has less room than its titles
        workbench.navigation.setMinimumWidth(40)
        workbench.navigation.setMaximumWidth(40)
        workbench.cases.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        for index in range(workspace.tabs.count()):  # and pages that may be cut off
            workspace.tabs.widget(index).setSizePolicy(QSizePolicy.Policy.Ignored,
                                                       QSizePolicy.Policy.Preferred)
        narrowest(qtbot, desktop, until=lambda: workspace.tabs.width() < 320)
        assert check_tabs_elide(style, workspace.tabs.tabBar()) >= 1


# -- message boxes ----------------------------------------------------------------------------

def test_the_message_dialog_is_nastaliq_and_keeps_the_keyboard(qtbot: QtBot,
                                                               urdu: NastaliqStyle) -> None:
    def dialog() -> MessageDialog:
        made = MessageDialog(None, _("Close the case"),
                             _("This case has changes that are not saved. Close it and drop "
                               "them?"), _("&Close and drop the changes"),
                             _("&Keep the case open"))
        qtbot.addWidget(made)
        made.show()
        made.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is made)
        return made

    made = dialog()
    assert made.text.draws_nastaliq() and made.text.font().families()[0] == fonts.NASTALIQ
    assert made.accessibleName() == "کیس کا صفحہ بند کریں"
    assert made.accept_button.accessibleName() == "بند کریں اور تبدیلیاں ختم کریں"
    assert QRectF(made.text.rect()).contains(made.text.ink_rect())
    assert made.reject_button is not None and made.reject_button.isDefault()
    qtbot.keyClick(made, Qt.Key.Key_Escape)
    assert made.result() == QDialog.DialogCode.Rejected and not made.isVisible()
    made = dialog()
    qtbot.keyClick(QApplication.focusWidget() or made, Qt.Key.Key_Return)
    assert made.result() == QDialog.DialogCode.Rejected, "Enter: the safe default"
    made = dialog()
    qtbot.keyClick(made, Qt.Key(ord("ب")), Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: not made.isVisible())  # a mnemonic clicks as Qt animates it
    assert made.result() == QDialog.DialogCode.Accepted, "Alt+ب: close and drop"


def test_closing_a_case_with_unsaved_notes_asks_in_urdu(qtbot: QtBot,
                                                       new_profile: NewProfile) -> None:
    new_profile("caseworker")
    with profiles.unlock("caseworker", PASSPHRASE) as session:
        demo.fill(session, 2, seed=7)
    with running("ur") as desktop:
        workbench = unlock(qtbot, desktop, PASSPHRASE)
        workspace = workbench.open_case(workbench.cases.model.case_id(0))
        settle(qtbot, desktop, lambda: bool(workspace.title))
        type_text(workspace.notes.editor, "نوٹ")
        assert workspace.has_unsaved()
        asked: list[str] = []

        def answer(key: Qt.Key, modifier: Qt.KeyboardModifier) -> None:
            dialog = QApplication.activeModalWidget()
            assert isinstance(dialog, MessageDialog)
            asked.append(dialog.text.text())
            assert dialog.text.draws_nastaliq()
            dialog.activateWindow()
            qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
            qtbot.keyClick(dialog, key, modifier)

        index = workbench.tabs.indexOf(workspace)
        QTimer.singleShot(0, lambda: answer(Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier))
        workbench.close_tab(index)
        assert asked and workbench.tabs.indexOf(workspace) == index, "Esc keeps it open"
        QTimer.singleShot(0, lambda: answer(Qt.Key(ord("ب")), Qt.KeyboardModifier.AltModifier))
        workbench.close_tab(index)
        assert len(asked) == 2 and workspace.case_id not in workbench.workspaces
        assert asked[0] == "اس کیس میں ایسی تبدیلیاں ہیں جو محفوظ نہیں ہوئیں۔ کیا اسے بند کر " \
            "کے یہ تبدیلیاں ختم کر دیں؟"


# -- fields where Urdu is typed: one-line ones and editors in Nastaliq, never clipped ----

TYPED = ["بِسْمِ اللّٰہِ الرَّحْمٰنِ", "پُرانی قِسْم کی ژالہ باری", "ئۓؤ ڈ ژ ے ی ں ق ع گ",
         "انسدادِ تارکینِ وطن کی اسمگلنگ ایکٹ، 2018", "آزاد جموں و کشمیر"]


def _rows_inked(image: QImage, top: int, bottom: int) -> bool:
    width, _height, pixels = gray_pixels(image)
    return any(pixels[y * width + x] < 128 for y in (top, bottom) for x in range(width))


def test_urdu_typed_in_a_line_edit_is_nastaliq_and_not_clipped(qtbot: QtBot,
                                                              urdu: NastaliqStyle) -> None:
    from ui.widgets.line_edit import LineEdit

    for text in TYPED:
        field = LineEdit()
        field.setMinimumWidth(700)
        qtbot.addWidget(field)
        field.show()
        qtbot.waitExposed(field)
        assert field.font().families()[0] == fonts.NASTALIQ
        type_text(field, text)
        assert field.draws_nastaliq()
        area = field.text_area()
        assert area.contains(field.ink_rect()), text
        image = _on_white(field).copy(area.toAlignedRect())
        assert not _rows_inked(image, 0, image.height() - 1), text
        # the control: in a field cut shorter the same check finds ink on the edge
        field.setMinimumHeight(0)
        field.setFixedHeight(28)
        image = _on_white(field).copy(field.text_area().toAlignedRect())
        assert _rows_inked(image, 0, image.height() - 1) or \
            not field.text_area().contains(field.ink_rect()), text


def test_urdu_typed_in_a_text_edit_is_nastaliq_and_not_clipped(qtbot: QtBot,
                                                               urdu: NastaliqStyle) -> None:
    from ui.widgets.text_edit import TextEdit

    field = TextEdit()
    field.resize(700, 500)
    qtbot.addWidget(field)
    field.show()
    qtbot.waitExposed(field)
    assert field.font().families()[0] == fonts.NASTALIQ
    for n, text in enumerate(TYPED):
        if n:
            qtbot.keyClick(field, Qt.Key.Key_Return)
        type_text(field, text)
    assert field.toPlainText() == "\n".join(TYPED) and field.draws_nastaliq()
    assert QRectF(field.viewport().rect()).contains(field.ink_rect())
    image = _on_white(field.viewport())
    assert not _rows_inked(image, 0, image.height() - 1)
    lines = field.text_layout().lines
    assert len(lines) == len(TYPED)
    for line in lines:  # each line's ink inside its band: clear of the lines around it
        ink = line.wrapped.shaped.outline(line.box()).boundingRect()
        assert line.band_top <= ink.top() and ink.bottom() <= line.band_bottom
    # the control: the ink does reach beyond the shaped lines' own boxes
    assert any(line.wrapped.shaped.margins().top() > 0 for line in lines)


def test_the_auto_lock_minutes_are_asked_in_nastaliq(qtbot: QtBot, urdu: NastaliqStyle) -> None:
    from PySide6.QtWidgets import QSpinBox

    from ui.widgets.message import ask_number

    def answer(keys: list[Qt.Key], seen: list[MessageDialog]) -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, MessageDialog)
        seen.append(dialog)
        assert dialog.text.draws_nastaliq() and dialog.text.text() == \
            _("Lock after this many minutes without use:")
        dialog.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
        field = dialog.findChild(QSpinBox)
        assert field is not None and field.hasFocus()
        for key in keys:
            qtbot.keyClick(field, key)

    seen: list[MessageDialog] = []
    QTimer.singleShot(0, lambda: answer([Qt.Key.Key_Escape], seen))
    assert ask_number(None, _("Auto-lock"), _("Lock after this many minutes without use:"),
                      5, 1, 120) is None
    QTimer.singleShot(0, lambda: answer([Qt.Key.Key_1, Qt.Key.Key_5, Qt.Key.Key_Return], seen))
    assert ask_number(None, _("Auto-lock"), _("Lock after this many minutes without use:"),
                      5, 1, 120) == 15
    assert len(seen) == 2
