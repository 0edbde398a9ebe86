"""Tooltips in the Urdu interface are drawn in Nastaliq shaped by HarfBuzz (``ui.widgets.
tooltip``), in a popup placed by the cursor and inside the screen, mirrored right to left, and
hidden as Qt hides its own; English tooltips stay Qt's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import uharfbuzz as hb
from ink_tools import gray_pixels, ink_grid, overlap
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QHelpEvent,
    QImage,
    QPainter,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import QApplication, QPushButton, QToolTip, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from caseapp.i18n import fonts
from ui.language import apply_language
from ui.widgets import tooltip

URDU_TIP = "نمبر کاپی کرتا ہے"
ENGLISH_TIP = "Copies the number"


@pytest.fixture
def tips(qapp: QApplication) -> Iterator[tooltip.NastaliqTips]:
    found = tooltip.install(qapp)
    yield found
    found.hide()
    QToolTip.hideText()
    apply_language("en")


def window_with_button(qtbot: QtBot, tip: str) -> tuple[QWidget, QPushButton]:
    window = QWidget()
    qtbot.addWidget(window)
    button = QPushButton("x", window)
    button.setToolTip(tip)
    QVBoxLayout(window).addWidget(button)
    window.resize(300, 120)
    window.show()
    qtbot.waitExposed(window)
    return window, button


def hover(widget: QWidget, at: QPoint | None = None) -> QPoint:
    """What Qt sends a widget when the pointer rests on it: a tooltip event."""
    local = at if at is not None else widget.rect().center()
    cursor = widget.mapToGlobal(local)
    QApplication.sendEvent(widget, QHelpEvent(QEvent.Type.ToolTip, local, cursor))
    return cursor


def harfbuzz_glyphs(text: str) -> list[int]:
    """HarfBuzz's own glyphs for ``text`` in the bundled Nastaliq, as drawn (left to right)."""
    font = hb.Font(hb.Face((fonts.FONT_DIR / "NotoNastaliqUrdu-Regular.ttf").read_bytes()))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf)
    return [info.codepoint for info in buf.glyph_infos]


def qt_own_drawing(text: str, popup: tooltip.TipPopup) -> QImage:
    layout = QTextLayout(text, popup.label.font())
    option = QTextOption()
    option.setTextDirection(Qt.LayoutDirection.RightToLeft)
    layout.setTextOption(option)
    layout.beginLayout()
    layout.createLine().setLineWidth(10_000)
    layout.endLayout()
    image = QImage(popup.label.size(), QImage.Format.Format_Grayscale8)
    image.fill(QColor(255, 255, 255))
    painter = QPainter(image)
    painter.setPen(QColor(0, 0, 0))
    layout.draw(painter, QPointF(-layout.boundingRect().x(), 0))
    painter.end()
    return image


def test_an_urdu_tooltip_is_shown_in_nastaliq_drawn_from_harfbuzz(
        qtbot: QtBot, tips: tooltip.NastaliqTips) -> None:
    apply_language("ur")
    _window, button = window_with_button(qtbot, URDU_TIP)
    hover(button)
    popup = tips.popup
    assert popup is not None and popup.isVisible()
    assert not QToolTip.isVisible(), "Qt's own (Naskh) tooltip is not shown as well"
    label = popup.label
    assert label.text() == URDU_TIP and label.draws_nastaliq()
    assert label.font().families()[0] == fonts.NASTALIQ
    drawn = [glyph for family, glyph, _x, _y in label.shaped().glyphs()
             if family == fonts.NASTALIQ]
    assert drawn == harfbuzz_glyphs(URDU_TIP)
    # the pixels are those glyphs: what the label draws, not what Qt would
    label.setStyleSheet("background: white; color: black;")
    picture = label.grab().toImage()
    expected = QImage(picture.size(), QImage.Format.Format_Grayscale8)
    expected.fill(QColor(255, 255, 255))
    text, box, alignment = label._layout()
    painter = QPainter(expected)
    text.draw(painter, QRectF(box), alignment, QColor(0, 0, 0))
    painter.end()
    ours = ink_grid(*gray_pixels(picture))
    assert overlap(ours, ink_grid(*gray_pixels(expected))) > 0.95
    assert overlap(ours, ink_grid(*gray_pixels(qt_own_drawing(URDU_TIP, popup)))) < 0.9
    # nothing clipped: the ink lies inside the popup
    assert QRectF(label.rect()).contains(label.ink_rect())
    assert popup.geometry().contains(label.geometry().translated(popup.pos()))


def test_the_tooltip_hides_when_the_pointer_leaves_on_a_click_and_a_key(
        qtbot: QtBot, tips: tooltip.NastaliqTips) -> None:
    apply_language("ur")
    window, button = window_with_button(qtbot, URDU_TIP)
    for leave in (
            lambda: QApplication.sendEvent(button, QEvent(QEvent.Type.Leave)),
            lambda: qtbot.mouseClick(window, Qt.MouseButton.LeftButton),
            lambda: qtbot.keyClick(button, Qt.Key.Key_A),
            lambda: button.hide()):
        button.show()
        hover(button)
        assert tips.popup is not None and tips.popup.isVisible()
        leave()
        assert not tips.popup.isVisible()
        assert tips.popup.label.text() == "", "no text is left in the hidden popup"


def test_the_tooltip_goes_after_its_time(qtbot: QtBot, tips: tooltip.NastaliqTips) -> None:
    apply_language("ur")
    _window, button = window_with_button(qtbot, URDU_TIP)
    hover(button)
    assert tips.timer.isActive() and tips.timer.interval() == tooltip.display_ms(URDU_TIP)
    tips.timer.timeout.emit()  # the time is up (Qt's own tooltips stay ten seconds)
    assert tips.popup is not None and not tips.popup.isVisible()


@pytest.mark.parametrize("lang", ["ur", "en"])
def test_the_tooltip_is_inside_the_screen_and_by_the_cursor_mirrored(
        qtbot: QtBot, tips: tooltip.NastaliqTips, lang: str) -> None:
    apply_language("ur")
    if lang == "en":  # an Urdu tooltip where the layout runs left to right
        QApplication.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
    _window, button = window_with_button(qtbot, URDU_TIP + " " + URDU_TIP)
    area = QGuiApplication.primaryScreen().availableGeometry()
    for corner in (area.center(), area.topLeft(), area.topRight(), area.bottomLeft(),
                   area.bottomRight()):
        cursor = hover(button, button.mapFromGlobal(corner))
        popup = tips.popup
        assert popup is not None and popup.isVisible()
        assert area.contains(popup.frameGeometry()), corner
        assert not popup.frameGeometry().contains(cursor), "the pointer is not covered"
    cursor = hover(button, button.mapFromGlobal(area.center()))
    geometry = tips.popup.frameGeometry()
    assert geometry.top() > cursor.y()
    if lang == "ur":  # to the left of the cursor, as the text reads
        assert geometry.right() < cursor.x() and popup.layoutDirection() == \
            Qt.LayoutDirection.RightToLeft
    else:
        assert geometry.left() > cursor.x()


def test_english_tooltips_stay_qts_own(qtbot: QtBot, tips: tooltip.NastaliqTips) -> None:
    apply_language("en")
    _window, button = window_with_button(qtbot, ENGLISH_TIP)
    hover(button)
    qtbot.waitUntil(QToolTip.isVisible)
    assert QToolTip.text() == ENGLISH_TIP
    assert tips.popup is None or not tips.popup.isVisible()


def test_the_desktop_installs_the_nastaliq_tooltips(qapp: QApplication) -> None:
    from ui.app import make_application

    app = make_application("en")
    assert tooltip._installed and tooltip._installed[0].parent() is app


def test_a_tooltip_taller_than_the_room_by_the_cursor_stays_inside_the_screen(
        qtbot: QtBot, tips: tooltip.NastaliqTips) -> None:
    apply_language("ur")
    area = QGuiApplication.primaryScreen().availableGeometry()
    long_tip = " ".join([URDU_TIP] * 60)
    _window, button = window_with_button(qtbot, long_tip)
    for corner in (area.center(), area.topLeft(), area.bottomRight()):
        hover(button, button.mapFromGlobal(corner))
        popup = tips.popup
        assert popup is not None and popup.isVisible()
        assert popup.height() > area.height() // 2, "the control: no room above or below"
        assert area.contains(popup.frameGeometry()), corner


def test_a_list_items_urdu_tooltip_is_nastaliq_and_goes_when_the_pointer_leaves_the_item(
        qtbot: QtBot, tips: tooltip.NastaliqTips) -> None:
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTableView

    apply_language("ur")
    model = QStandardItemModel(3, 1)
    for row in range(3):
        item = QStandardItem(f"{row}")
        item.setToolTip(f"{URDU_TIP} {row}")
        model.setItem(row, 0, item)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    qtbot.waitExposed(view)
    first = view.visualRect(model.index(0, 0))
    hover(view.viewport(), first.center())
    assert tips.popup is not None and tips.popup.isVisible()
    assert tips.popup.label.text() == f"{URDU_TIP} 0" and tips.popup.label.draws_nastaliq()
    qtbot.mouseMove(view.viewport(), first.center() + QPoint(1, 0))  # on the same item
    assert tips.popup.isVisible()
    qtbot.mouseMove(view.viewport(), view.visualRect(model.index(2, 0)).center())
    assert not tips.popup.isVisible()
