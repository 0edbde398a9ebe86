"""The application's style: the platform's own (Fusion offscreen), except that text in the
Nastaliq font is drawn by ``ui.widgets.nastaliq_text`` (HarfBuzz) and the widgets that show it
are sized by HarfBuzz's widths, with room for Nastaliq's ink.

Qt's widgets draw their captions through the style: buttons, tool buttons (the toolbar), tabs,
check and radio boxes, table headers, menu bar items and a combo box's current choice through
``drawItemText`` — one line elided with "…" by HarfBuzz's widths when it does not fit, the
mnemonic letter underlined, never an "&"; the rows of lists and tables through
``CE_ItemViewItem``; menu items through ``CE_MenuItem`` (``nastaliq_menu``). Their size hints
are measured with Qt's own widths, which are wrong for Nastaliq (see nastaliq_text), and come
to the style in ``sizeFromContents``, which corrects them by the difference.

What this does not reach (Qt draws it without the style): the text of line edits and text
edits, which keep Naskh while the user types (see ``ui.language``); tooltips; plain QLabels
(``ui.widgets.label.Label`` is the one to use; ``ui.widgets.message`` for message boxes). A
style sheet on a widget puts Qt's style sheet style in front of this one, which draws
captions itself: Urdu widgets get no style sheet but a label's colour or size.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QProxyStyle,
    QStyle,
    QStyledItemDelegate,
    QStyleOption,
    QStyleOptionMenuItem,
    QStyleOptionTab,
    QStyleOptionViewItem,
    QTabBar,
    QWidget,
)

from ui.widgets.nastaliq_menu import draw_menu_item, draws_label, menu_label
from ui.widgets.nastaliq_rows import draw_item_text
from ui.widgets.nastaliq_text import ShapedText, fitted, shaped
from ui.widgets.script import base_rtl, mnemonic, strip_mnemonic, wants_nastaliq

_CT = QStyle.ContentsType
# The contents whose option carries the caption as ``text``.
_CAPTIONED = (_CT.CT_PushButton, _CT.CT_ToolButton, _CT.CT_TabBarTab, _CT.CT_CheckBox,
              _CT.CT_RadioButton, _CT.CT_HeaderSection, _CT.CT_ItemViewItem,
              _CT.CT_MenuBarItem)
_MNEMONIC_FLAGS = Qt.TextFlag.TextShowMnemonic | Qt.TextFlag.TextHideMnemonic


def _font_of(widget: QWidget | None) -> QFont:
    return widget.font() if widget is not None else QApplication.font()


def _drawn_width(font: QFont, text: str, rtl: bool) -> tuple[float, float]:
    """(width, height) ``text`` takes when drawn here — HarfBuzz's advance and the ink beyond
    it — less what Qt measured for it, which is what the widget asked the style to fit."""
    shown = strip_mnemonic(text)
    if not wants_nastaliq(font, shown):
        return 0.0, 0.0
    drawn = shaped(shown, font, rtl)
    room = drawn.margins()
    return (drawn.width + room.left() + room.right() - QFontMetricsF(font).horizontalAdvance(shown),
            room.top() + room.bottom())


_EXTRA_SIZES: dict[tuple[str, tuple[str, ...], bool], tuple[int, int]] = {}
_EXTRA_SIZES_KEPT = 4096


def _extra_size(font: QFont, texts: list[str], rtl: bool) -> tuple[int, int]:
    """How much wider and taller the widest of ``texts`` is when drawn here than Qt measured
    the widest of them (a combo box is as wide as its widest item). Remembered: Qt asks for
    the same widget's size many times while a screen is laid out (a hundred times as the
    Urdu workbench is built at unlock, on the GUI thread)."""
    key = (font.key(), tuple(texts), rtl)
    found = _EXTRA_SIZES.get(key)
    if found is None:
        if len(_EXTRA_SIZES) >= _EXTRA_SIZES_KEPT:
            _EXTRA_SIZES.clear()
        found = _EXTRA_SIZES[key] = _measure_extra(font, texts, rtl)
    return found


def _measure_extra(font: QFont, texts: list[str], rtl: bool) -> tuple[int, int]:
    qt_widest = max((QFontMetricsF(font).horizontalAdvance(strip_mnemonic(t)) for t in texts),
                    default=0.0)
    ours = [(QFontMetricsF(font).horizontalAdvance(strip_mnemonic(t)) + extra[0], extra[1])
            for t in texts for extra in [_drawn_width(font, t, rtl)]]
    widest = max((w for w, _h in ours), default=0.0)
    return math.ceil(widest - qt_widest), math.ceil(max((h for _w, h in ours), default=0.0))


class NastaliqStyle(QProxyStyle):
    # -- captions -----------------------------------------------------------------------
    def caption(self, painter: QPainter, rect: QRect, flags: int,
                text: str) -> tuple[ShapedText, QRectF, Qt.AlignmentFlag, int]:
        """What ``drawItemText`` draws: the text as shaped (one line elided with "…" when it
        is wider than ``rect``, rather than cut off), the box it goes in, the visual
        alignment there, and the index of the underlined mnemonic letter (-1: none)."""
        index = -1
        shown = text
        if int(flags) & _MNEMONIC_FLAGS.value:
            shown, index = mnemonic(text)
            if int(flags) & Qt.TextFlag.TextHideMnemonic.value:
                index = -1
        rtl = base_rtl(shown, painter.layoutDirection() == Qt.LayoutDirection.RightToLeft)
        alignment = QStyle.visualAlignment(painter.layoutDirection(),
                                           Qt.AlignmentFlag(int(flags) & 0xFFFF))
        if int(flags) & Qt.TextFlag.TextWordWrap.value:
            drawn = shaped(shown, painter.font(), rtl, rect.width())
            return drawn, drawn.inside(QRectF(rect), alignment), alignment, index
        drawn, box = fitted(shown, painter.font(), QRectF(rect), rtl, alignment)
        return drawn, box, alignment, index if drawn.text == shown else -1

    def drawItemText(self, painter: QPainter, rect: QRect, flags: int,  # noqa: N802
                     palette: QPalette | Qt.GlobalColor | QColor, enabled: bool, text: str,
                     role: QPalette.ColorRole = QPalette.ColorRole.NoRole) -> None:
        if not wants_nastaliq(painter.font(), text):
            super().drawItemText(painter, rect, flags, palette, enabled, text, role)
            return
        palette = QPalette(palette)
        drawn, box, alignment, index = self.caption(painter, rect, flags, text)
        color = palette.color(role) if role != QPalette.ColorRole.NoRole \
            else painter.pen().color()
        drawn.draw(painter, box, alignment, color, index)

    # -- rows of lists and tables, menu items, tabs --------------------------------------
    def drawControl(self, element: QStyle.ControlElement, option: QStyleOption,  # noqa: N802
                    painter: QPainter, widget: QWidget | None = None) -> None:
        if element == QStyle.ControlElement.CE_MenuItem and \
                isinstance(option, QStyleOptionMenuItem) and draws_label(option):
            draw_menu_item(self, option, painter, widget)
            return
        if element == QStyle.ControlElement.CE_TabBarTabLabel and \
                isinstance(option, QStyleOptionTab) and isinstance(widget, QTabBar) and \
                0 <= option.tabIndex < widget.count() and \
                wants_nastaliq(widget.font(), widget.tabText(option.tabIndex)):
            # The tab bar elided the title by Qt's (wrong) widths: the whole title, to be
            # elided by HarfBuzz's in ``caption``.
            whole = QStyleOptionTab(option)
            whole.text = widget.tabText(option.tabIndex)
            super().drawControl(element, whole, painter, widget)
            return
        if element != QStyle.ControlElement.CE_ItemViewItem or \
                not isinstance(option, QStyleOptionViewItem) or \
                not wants_nastaliq(option.font, option.text):
            super().drawControl(element, option, painter, widget)
            return
        plain = QStyleOptionViewItem(option)
        plain.text = ""  # the same text rect, without Qt shaping the text to find it
        text_rect = self.subElementRect(QStyle.SubElement.SE_ItemViewItemText, plain,
                                        widget)  # type: ignore[arg-type]
        super().drawControl(element, plain, painter, widget)  # background, focus, icon
        draw_item_text(painter, option, QRectF(text_rect), self, widget)

    # -- sizes ----------------------------------------------------------------------------
    def sizeFromContents(self, kind: QStyle.ContentsType, option: QStyleOption,  # noqa: N802
                         size: QSize, widget: QWidget | None = None) -> QSize:
        found = super().sizeFromContents(kind, option, size, widget)  # type: ignore[arg-type]
        rtl = option.direction == Qt.LayoutDirection.RightToLeft
        if kind == _CT.CT_ComboBox and isinstance(widget, QComboBox):
            font, texts = widget.font(), [widget.itemText(i) for i in range(widget.count())]
        elif kind == _CT.CT_MenuItem and isinstance(option, QStyleOptionMenuItem):
            font, texts = option.font, [menu_label(option)[0]]
        elif kind in _CAPTIONED:
            font = option.font if isinstance(option, QStyleOptionViewItem) \
                else _font_of(widget)
            texts = [str(getattr(option, "text", "") or "")]
        else:
            return found
        if not any(wants_nastaliq(font, text) for text in texts):
            return found
        wider, taller = _extra_size(font, texts, rtl)
        return QSize(found.width() + max(0, wider), found.height() + taller)

    def polish(self, target: object) -> None:
        super().polish(target)  # type: ignore[call-overload]
        if isinstance(target, QComboBox) and \
                not isinstance(target.itemDelegate(), QStyledItemDelegate):
            # Its list drawn through CE_ItemViewItem, so here; Qt's own menu-like delegate
            # draws the items' text itself, in Qt's broken Nastaliq.
            target.setItemDelegate(QStyledItemDelegate(target))
